import { rm } from "node:fs/promises";
import { createClient, StampApiError } from "../client/client.js";
import { CliError, flag, type Command } from "./command.js";
import { EXIT } from "./errors.js";
import { loadSession } from "./session.js";

/** `stamp logout`: revokes the saved token on the server, then deletes the session file. */
export const logout: Command = {
  name: "logout",
  summary: "revoke the session's token on the server and forget it",
  help: `Usage: stamp logout [--all]

Revokes the saved access token on the server (it stops working on every server sharing
the database at once), then deletes the session file. With --all, every access token of
the logged-in user or machine identity is revoked: every other session ends too.

Options:
  --all                 revoke every token of this account, not only this session's
  --config FILE         the session file to use

Examples:
  stamp logout
  stamp logout --all`,
  options: { all: { type: "boolean" } },
  async run(ctx, v) {
    const s = await loadSession(ctx.configPath).catch(() => null);
    if (!s) {
      ctx.out(`Not logged in (no session in ${ctx.configPath}).`);
      return;
    }
    let revoked = true;
    try {
      await createClient({ baseUrl: s.server, token: s.token, caFile: s.caFile }).logout({ allSessions: flag(v, "all") });
    } catch (e) {
      // A token the server no longer accepts (expired, already revoked) is as good as logged out.
      if (!(e instanceof StampApiError && e.status === 401)) revoked = false;
      if (!revoked) {
        await rm(ctx.configPath, { force: true });
        throw new CliError(EXIT.unreachable, `removed the session file, but the server did not revoke the token (${(e as Error).message}); it stays valid until ${s.expiresAt}`);
      }
    }
    await rm(ctx.configPath, { force: true });
    ctx.out(`Logged out${s.principal ? ` ${s.principal}` : ""} from ${s.server}${flag(v, "all") ? " (every session)" : ""}; the token is revoked and ${ctx.configPath} is deleted.`);
  },
};
