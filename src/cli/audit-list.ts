import type { AuditEntry } from "../client/client.js";
import { auditQuery } from "../contract/projects.js";
import { flag, int, oneOf, str, type Command } from "./command.js";
import { table, when } from "./output.js";
import { isId, resolveProject } from "./resolve.js";

/** `stamp audit list`: a project's audit log, or the whole server's with --server. */
export const auditList: Command = {
  name: "audit list",
  summary: "list audit log entries (a project's, or the whole server's with --server)",
  help: `Usage: stamp audit list [--server] [--project ID|NAME] [filters] [--limit N] [--cursor C | --all]

Newest first. A project's log needs the admin role in the project; --server (server admins
only) shows every project's entries and the server-wide ones: logins, user creation, and
requests refused to callers outside the project.

Options:
  --server              the whole server's log (server admins)
  --project ID|NAME     default: your only project, or "default"; with --server, only that
                        project's entries ("none": the server-wide entries only)
  --action A            e.g. certificate.issue, auth.login, "DELETE /api/v1/…" (refusals)
  --outcome O           ${auditQuery.shape.outcome.unwrap().options.join(", ")}
  --actor ID            the user or identity id that acted
  --object ID           the object's id
  --from DATE, --to DATE  ISO 8601 date-times (from inclusive, to exclusive)
  --limit N             page size (1-500, default 100)
  --cursor C            the page after this cursor (printed after a full page)
  --all                 follow the cursor to the end
  --json                print the API response

Examples:
  stamp audit list --outcome denied
  stamp audit list --server --action auth.login --outcome denied --all`,
  options: {
    server: { type: "boolean" },
    project: { type: "string" },
    action: { type: "string" },
    outcome: { type: "string" },
    actor: { type: "string" },
    object: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    limit: { type: "string" },
    cursor: { type: "string" },
    all: { type: "boolean" },
  },
  async run(ctx, v) {
    const outcome = str(v, "outcome") ? oneOf("outcome", str(v, "outcome")!, auditQuery.shape.outcome.unwrap().options) : undefined;
    const filters = { action: str(v, "action"), outcome, actorId: str(v, "actor"), objectId: str(v, "object"), from: str(v, "from"), to: str(v, "to"), limit: int(v, "limit", 1, 500) };
    const client = await ctx.client();
    const server = flag(v, "server");
    const project = str(v, "project");
    // A server admin may name any project by id, also one they are not a member of.
    const projectId = server ? (project && project !== "none" && !isId(project) ? await resolveProject(client, project) : project) : await resolveProject(client, project);
    const entries: (AuditEntry & { projectId?: string | null })[] = [];
    let cursor = str(v, "cursor");
    let nextCursor: string | null = null;
    for (;;) {
      const page = server ? await client.audit.server({ ...filters, projectId, cursor }) : await client.audit.project(projectId!, { ...filters, cursor });
      entries.push(...page.auditLogs);
      nextCursor = page.nextCursor;
      if (!flag(v, "all") || !nextCursor) break;
      cursor = nextCursor;
    }
    if (ctx.json) return ctx.printJson({ auditLogs: entries, nextCursor });
    if (entries.length === 0) return ctx.out("No audit entries match.");
    const head = ["ID", "TIME", "OUTCOME", "ACTION", "ACTOR", "OBJECT", ...(server ? ["PROJECT"] : [])];
    ctx.out(table(head, entries.map((e) => [e.id, when(e.createdAt), e.outcome, e.action, `${e.actorType}:${e.actorId}`, e.objectId ? `${e.objectType}:${e.objectId}` : e.objectType, ...(server ? [e.projectId ?? "(server)"] : [])])));
    if (nextCursor) ctx.out(`More: stamp audit list${server ? " --server" : ""} --cursor ${nextCursor}`);
  },
};
