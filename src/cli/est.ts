import { flag, need, str, UsageError, type Command } from "./command.js";
import { readFlagFile } from "./files.js";
import { fields } from "./output.js";
import { resolveProfile } from "./resolve.js";

const profileOption = { profile: { type: "string" }, project: { type: "string" } } as const;

/** `stamp est enable`: turns EST on for a profile, with an optional bootstrap CA chain. */
export const estEnable: Command = {
  name: "est enable",
  summary: "turn EST (RFC 7030) enrollment on for a profile",
  help: `Usage: stamp est enable --profile PROFILE [--ca-chain FILE | --no-ca-chain] [--disable]

Adds est to the profile's enrollment methods (or, with --disable, removes it) and prints its EST
base URL. Clients authenticate with the passphrase from \`stamp est passphrase\`, or with a TLS
client certificate: one Stamp issued in the project, or one under the bootstrap CA chain.

Options:
  --ca-chain FILE     PEM CA certificates whose client certificates may enroll (a factory CA)
  --no-ca-chain       remove the bootstrap CA chain
  --disable           turn EST off (the passphrase and chain are kept)

Examples:
  stamp est enable --profile devices --ca-chain factory-ca.pem
  stamp est passphrase --profile devices`,
  options: { ...profileOption, "ca-chain": { type: "string" }, "no-ca-chain": { type: "boolean" }, disable: { type: "boolean" } },
  async run(ctx, v) {
    if (str(v, "ca-chain") && flag(v, "no-ca-chain")) throw new UsageError("give --ca-chain FILE or --no-ca-chain, not both");
    const client = await ctx.client();
    const profileId = await resolveProfile(client, str(v, "project"), need(v, "profile"));
    const current = (await client.profiles.get(profileId)).certificateProfile;
    const methods = current.enrollmentMethods.filter((m) => m !== "est") as ("api" | "acme" | "est")[];
    if (!flag(v, "disable")) methods.push("est");
    if (!methods.length) throw new UsageError("EST is the profile's only enrollment method; enable another before turning it off");
    const caChain = str(v, "ca-chain") ? await readFlagFile("ca-chain", str(v, "ca-chain")!) : flag(v, "no-ca-chain") ? null : undefined;
    const res = await client.profiles.update(profileId, { enrollmentMethods: methods, ...(caChain !== undefined ? { estConfig: { caChain } } : {}) });
    if (ctx.json) return ctx.printJson(res);
    const p = res.certificateProfile;
    ctx.out(fields([["profile", p.slug], ["est", flag(v, "disable") ? "off" : "on"], ["base url", p.estConfig?.baseUrl], ["passphrase", p.estConfig?.passphraseSet ? "set" : "none (stamp est passphrase)"], ["bootstrap chain", p.estConfig?.caChain ? "set" : "none"]]));
  },
};

/** `stamp est passphrase`: a new EST passphrase for a profile, shown once. */
export const estPassphrase: Command = {
  name: "est passphrase",
  summary: "set a profile's EST passphrase (a new random one is shown once)",
  help: `Usage: stamp est passphrase --profile PROFILE [--passphrase-stdin]

Makes a new random passphrase and prints it, only this once; the old one stops working at once
on every server. With --passphrase-stdin, the first line of standard input is set instead
(16-256 printable characters, no spaces; stored as an argon2id hash).

Examples:
  stamp est passphrase --profile devices
  curl --cacert ca.pem --user "est:$PASSPHRASE" -H 'Content-Type: application/pkcs10' \\
       --data-binary @csr.b64 "$BASE_URL/simpleenroll"`,
  options: { ...profileOption, "passphrase-stdin": { type: "boolean" } },
  async run(ctx, v) {
    const chosen = flag(v, "passphrase-stdin") ? (await ctx.readStdin()).split(/\r?\n/)[0] : undefined;
    if (chosen !== undefined && !chosen) throw new UsageError("--passphrase-stdin read an empty line");
    const client = await ctx.client();
    const profileId = await resolveProfile(client, str(v, "project"), need(v, "profile"));
    const res = await client.profiles.estPassphrase(profileId, chosen);
    if (ctx.json) return ctx.printJson(res);
    ctx.out(fields([["base url", res.baseUrl], ["passphrase", res.passphrase ?? "(the one given)"]]));
    if (res.passphrase) ctx.err("The passphrase is shown only now; clients send it with HTTP Basic (any user name).");
    if (!res.enabled) ctx.err("EST is off for this profile: turn it on with `stamp est enable`.");
  },
};
