import { UsageError, type Command } from "./command.js";
import { saveSession } from "./session.js";

/** `stamp passwd`: changes the logged-in user's password; other sessions end. */
export const passwd: Command = {
  name: "passwd",
  summary: "change your password (every other session ends)",
  help: `Usage: stamp passwd [--password-stdin]

Changes the password of the logged-in user. Every other access token of the user stops
working at once (on every server); this session continues with a fresh token, saved to the
session file. Use it to replace the one-time password in initial-admin.txt.

The passwords are never taken as flags (they would show in the process list):
  --password-stdin      read the current password from the first line of standard input
                        and the new one from the second
  otherwise             STAMP_PASSWORD (current) and STAMP_NEW_PASSWORD (new)

The new password needs at least 12 characters, and may not be the email, its part
before the @, or one character repeated.

Examples:
  printf '%s\\n%s\\n' "$OLD" "$NEW" | stamp passwd --password-stdin
  STAMP_PASSWORD=… STAMP_NEW_PASSWORD=… stamp passwd`,
  options: { "password-stdin": { type: "boolean" } },
  async run(ctx, v) {
    let current: string | undefined;
    let next: string | undefined;
    if (v["password-stdin"]) [current, next] = (await ctx.readStdin()).split(/\r?\n/);
    else [current, next] = [ctx.env.STAMP_PASSWORD, ctx.env.STAMP_NEW_PASSWORD];
    if (!current || !next) throw new UsageError("give the current and the new password: two lines on stdin with --password-stdin, or STAMP_PASSWORD and STAMP_NEW_PASSWORD");
    const session = await ctx.session();
    const client = await ctx.client();
    const tok = await client.changePassword(current, next);
    await saveSession(ctx.configPath, { ...session, token: tok.accessToken, expiresAt: new Date(Date.now() + tok.expiresIn * 1000).toISOString() });
    if (ctx.json) ctx.printJson({ changed: true, expiresIn: tok.expiresIn });
    else ctx.out(`Password changed${session.principal ? ` for ${session.principal}` : ""}; every other session has ended, this one continues.`);
  },
};
