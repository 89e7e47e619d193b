import { chainVerifier, GENESIS_HASH } from "../contract/audit-chain.js";
import { CliError, EXIT, UsageError } from "./errors.js";
import { str, type Command } from "./command.js";

/**
 * `stamp audit verify`: fetches the whole log oldest first and recomputes every hash here,
 * on the client, so a server (or a database owner) that rewrote history cannot vouch for it.
 */
export const auditVerify: Command = {
  name: "audit verify",
  summary: "check the audit log's hash chain for edited, deleted, inserted or reordered entries",
  help: `Usage: stamp audit verify [--expect ID:HASH] [--json]

Server admins only. Reads every entry, oldest first, a page at a time, and recomputes each
entry's hash from its fields and the previous entry's hash (docs/security.md, "Audit log").
Exit 0 when the chain is intact; exit 7 naming the first bad entry when an entry was edited,
deleted, inserted or reordered, or the chain's head does not match its last entry.

The last line printed is the chain head (ID:HASH). Keep it somewhere the database's owner
cannot write; a later run with --expect ID:HASH proves that entry and everything before it
are unchanged, and that nothing was cut from the end.

Options:
  --expect ID:HASH   an entry recorded earlier that must still be in the chain, unchanged

Examples:
  stamp audit verify
  stamp audit verify --expect 1042:3f1c…`,
  options: { expect: { type: "string" } },
  async run(ctx, v) {
    const expectArg = str(v, "expect");
    const m = expectArg === undefined ? null : /^(\d{1,19}):([0-9a-f]{64})$/.exec(expectArg);
    if (expectArg !== undefined && !m) throw new UsageError("--expect must be ID:HASH, as the last line of an earlier 'stamp audit verify' printed it");
    const client = await ctx.client();
    const verifier = chainVerifier();
    let expectSeen = false;
    let cursor: string | undefined;
    let head: { id: string | null; hash: string | null } = { id: null, hash: null };
    const fail = (message: string, id: string | null): never => {
      if (ctx.json) ctx.printJson({ intact: false, firstBadEntry: id, problem: message, checked: verifier.state.count });
      throw new CliError(EXIT.tampered, `audit log NOT intact: ${message}`);
    };
    for (;;) {
      const page = await client.audit.server({ order: "asc", limit: 500, cursor });
      if (cursor === undefined) head = page.chainHead;
      for (const e of page.auditLogs) {
        const bad = verifier.push(e);
        if (bad) fail(bad.message, bad.id);
        if (m && e.id === m[1]) {
          if (e.hash !== m[2]) fail(`entry ${e.id} has hash ${e.hash}, not the ${m[2]} recorded earlier: history was rewritten.`, e.id);
          expectSeen = true;
        }
      }
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    const { last, count } = verifier.state;
    if (m && !expectSeen) fail(`entry ${m[1]}, recorded earlier, is no longer in the log.`, m[1]);
    // The head is read before the walk; entries written since are fine, fewer are not.
    if (head.id !== null && (last.id === null || BigInt(last.id) < BigInt(head.id))) fail(`the chain head names entry ${head.id}, but the log ends at ${last.id ?? "(empty)"}: entries were cut from the end.`, head.id);
    if (head.id !== null && last.id === head.id && head.hash !== last.hash) fail(`the chain head's hash does not match entry ${head.id}.`, head.id);
    if (ctx.json) return ctx.printJson({ intact: true, checked: count, head: last.id === null ? null : `${last.id}:${last.hash}` });
    ctx.out(`audit log intact: ${count} entries checked.`);
    ctx.out(last.id === null ? `head: (empty, ${GENESIS_HASH})` : `head: ${last.id}:${last.hash}`);
  },
};
