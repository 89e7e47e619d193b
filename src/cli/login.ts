import path from "node:path";
import { createClient, type TokenResponse } from "../client/client.js";
import { need, str, UsageError, type Command } from "./command.js";
import { readFlagFile } from "./files.js";
import { saveSession } from "./session.js";

/** `stamp login`: exchanges a password or a machine identity's secret for an access token. */
export const login: Command = {
  name: "login",
  summary: "log in and save the session",
  help: `Usage: stamp login --server URL [--ca-file FILE] --email EMAIL [--password-stdin]
       stamp login --server URL [--ca-file FILE] --client-id ID [--client-secret SECRET]

Logs in as a user (email + password) or a machine identity (universal auth: client id +
client secret) and saves the server, the access token and the CA file to the session file
(~/.config/stamp/session.json, mode 0600; --config or STAMP_CONFIG to choose another).

Options:
  --server URL          the Stamp server, e.g. https://stamp.example:8443
  --ca-file FILE        PEM CA to trust for https (e.g. the server's data/tls-ca.pem)
  --email EMAIL         log in as this user; the password comes from --password-stdin
                        or the STAMP_PASSWORD environment variable
  --password-stdin      read the password from standard input
  --client-id ID        log in as a machine identity
  --client-secret S     its client secret (or STAMP_CLIENT_SECRET)
  --json                print the token response (the token is still saved)
  --config FILE         the session file to write

Examples:
  echo "$PW" | stamp login --server https://127.0.0.1:8443 --ca-file data/tls-ca.pem --email admin@example.com --password-stdin
  STAMP_CLIENT_SECRET=… stamp login --server https://stamp:8443 --client-id 9f3c…`,
  options: {
    server: { type: "string" },
    "ca-file": { type: "string" },
    email: { type: "string" },
    "password-stdin": { type: "boolean" },
    "client-id": { type: "string" },
    "client-secret": { type: "string" },
  },
  async run(ctx, v) {
    const server = need(v, "server").replace(/\/+$/, "");
    if (!/^https?:\/\/[^/]+$/.test(server)) throw new UsageError(`--server must be http(s)://host[:port] (got ${JSON.stringify(server)})`);
    const caFileFlag = str(v, "ca-file");
    const caFile = caFileFlag ? path.resolve(caFileFlag) : undefined;
    if (caFile) await readFlagFile("ca-file", caFile);
    const email = str(v, "email");
    const clientId = str(v, "client-id");
    if ((email === undefined) === (clientId === undefined)) throw new UsageError("give --email (a user) or --client-id (a machine identity)");

    let secret: string | undefined;
    if (email !== undefined) {
      if (v["password-stdin"]) secret = (await ctx.readStdin()).replace(/\r?\n$/, "");
      else secret = ctx.env.STAMP_PASSWORD;
      if (!secret) throw new UsageError("no password: pipe it to --password-stdin or set STAMP_PASSWORD");
    } else {
      secret = str(v, "client-secret") ?? ctx.env.STAMP_CLIENT_SECRET;
      if (!secret) throw new UsageError("no client secret: pass --client-secret or set STAMP_CLIENT_SECRET");
    }

    const anon = createClient({ baseUrl: server, caFile });
    const tok: TokenResponse = email !== undefined ? await anon.login(email, secret) : await anon.identityLogin(clientId!, secret);
    const me = await createClient({ baseUrl: server, caFile, token: tok.accessToken }).me();
    const expiresAt = new Date(Date.now() + tok.expiresIn * 1000).toISOString();
    await saveSession(ctx.configPath, { server, token: tok.accessToken, caFile, expiresAt, principal: me.label });
    if (ctx.json) ctx.printJson(tok);
    else ctx.out(`Logged in to ${server} as ${me.label} (${me.type}); the session lasts until ${expiresAt} and is saved in ${ctx.configPath}`);
  },
};
