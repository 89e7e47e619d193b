import { need, str, type Command } from "./command.js";
import { fields, table, when } from "./output.js";
import { resolveProfile } from "./resolve.js";

const profileOption = { profile: { type: "string" }, project: { type: "string" } } as const;

/** `stamp acme eab create`: a key id and HMAC key for an ACME client's External Account Binding. */
export const acmeEabCreate: Command = {
  name: "acme eab-create",
  summary: "create an ACME External Account Binding key (shown once)",
  help: `Usage: stamp acme eab-create --profile PROFILE [--description TEXT]

Prints the key id, the HMAC key (only this once) and the profile's ACME directory URL.

Examples:
  stamp acme eab-create --profile web
  certbot certonly --server "$DIRECTORY" --eab-kid "$KID" --eab-hmac-key "$HMAC" -d web.acme.com …`,
  options: { ...profileOption, description: { type: "string" } },
  async run(ctx, v) {
    const client = await ctx.client();
    const profileId = await resolveProfile(client, str(v, "project"), need(v, "profile"));
    const res = await client.profiles.createEab(profileId, str(v, "description"));
    if (ctx.json) return ctx.printJson(res);
    const k = res.eabKey;
    ctx.out(fields([["directory", k.directoryUrl], ["key id", k.keyId], ["hmac key", k.hmacKey]]));
    ctx.err("The HMAC key is shown only now; each key binds one ACME account.");
  },
};

/** `stamp acme eab-list`: a profile's EAB keys. */
export const acmeEabList: Command = {
  name: "acme eab-list",
  summary: "list a profile's ACME EAB keys",
  help: `Usage: stamp acme eab-list --profile PROFILE`,
  options: { ...profileOption },
  async run(ctx, v) {
    const client = await ctx.client();
    const profileId = await resolveProfile(client, str(v, "project"), need(v, "profile"));
    const res = await client.profiles.listEab(profileId);
    if (ctx.json) return ctx.printJson(res);
    ctx.out(table(["KEY ID", "DESCRIPTION", "CREATED", "ACCOUNT", "REVOKED"], res.eabKeys.map((k) => [k.keyId, k.description, when(k.createdAt), k.accountId ?? "-", k.revokedAt ? when(k.revokedAt) : "-"])));
  },
};

/** `stamp acme eab-revoke`: a key binds no new account. */
export const acmeEabRevoke: Command = {
  name: "acme eab-revoke",
  summary: "revoke an ACME EAB key",
  help: `Usage: stamp acme eab-revoke KEY_ID --profile PROFILE`,
  options: { ...profileOption },
  positionals: ["KEY_ID"],
  async run(ctx, v, [keyId]) {
    const client = await ctx.client();
    const profileId = await resolveProfile(client, str(v, "project"), need(v, "profile"));
    const res = await client.profiles.revokeEab(profileId, keyId);
    if (ctx.json) return ctx.printJson(res);
    ctx.out(fields([["revoked", res.eabKey.keyId], ["at", when(res.eabKey.revokedAt)]]));
  },
};
