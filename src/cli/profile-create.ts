import type { CreateProfileBody, Profile } from "../client/client.js";
import { flag, int, need, oneOf, str, UsageError, type Command } from "./command.js";
import { readFlagFile } from "./files.js";
import { fields } from "./output.js";
import { KEY_ALGORITHMS, resolveCa, resolveProfile, resolveProject, resolveTemplate } from "./resolve.js";

/** `stamp profile create`: template + issuing CA + enrollment + defaults. */
export const profileCreate: Command = {
  name: "profile create",
  summary: "create a certificate profile (template + issuing CA)",
  help: `Usage: stamp profile create --slug SLUG --template TEMPLATE (--ca CA | --self-signed) [options]

Options:
  --slug SLUG              lowercase letters, digits and dashes (1-63)
  --template TEMPLATE      id or name of the template certificates must meet
  --ca CA                  id or name of the issuing CA
  --self-signed            issue self-signed certificates instead
  --description TEXT
  --ttl DURATION           default validity, e.g. 90d
  --key-algorithm ALG      default key algorithm for keys the server makes: ${KEY_ALGORITHMS.join(", ")}
  --auto-renew             renew certificates automatically
  --renew-before-days N    how many days before expiry to renew
  --est                    also enroll over EST (RFC 7030); prints a new EST passphrase once
  --est-ca-chain FILE      with --est: PEM bootstrap CA chain client certificates may chain to
  --scep                   also serve SCEP (RFC 8894) at /scep/<profile id>/pkiclient.exe; a
                           random static challenge password is set and printed (only this once)
  --scep-ra-days N         lifetime of the profile's SCEP RA certificate (default 365)
  --scep-ra-renew-before-days N  issue the next RA certificate this many days before expiry (default 30)
  --project ID|NAME        default: your only project, or "default"
  --json                   print the API response

Warnings (defaults the template would refuse) are printed on stderr.

Examples:
  stamp profile create --slug web --template web --ca issuing --ttl 90d
  stamp profile create --slug lab --template lab --self-signed
  stamp profile create --slug devices --template device --ca issuing --est`,
  options: {
    slug: { type: "string" },
    template: { type: "string" },
    ca: { type: "string" },
    "self-signed": { type: "boolean" },
    description: { type: "string" },
    ttl: { type: "string" },
    "key-algorithm": { type: "string" },
    "auto-renew": { type: "boolean" },
    "renew-before-days": { type: "string" },
    est: { type: "boolean" },
    "est-ca-chain": { type: "string" },
    scep: { type: "boolean" },
    "scep-ra-days": { type: "string" },
    "scep-ra-renew-before-days": { type: "string" },
    project: { type: "string" },
  },
  async run(ctx, v) {
    const slug = need(v, "slug");
    const templateRef = need(v, "template");
    const caRef = str(v, "ca");
    const selfSigned = flag(v, "self-signed");
    if (!caRef === !selfSigned) throw new UsageError("give --ca CA or --self-signed");
    const keyAlgorithm = str(v, "key-algorithm") ? oneOf("key-algorithm", str(v, "key-algorithm")!, KEY_ALGORITHMS) : undefined;
    const renewBeforeDays = int(v, "renew-before-days", 1, 3650);
    const est = flag(v, "est");
    if (str(v, "est-ca-chain") && !est) throw new UsageError("--est-ca-chain needs --est");
    const caChain = str(v, "est-ca-chain") ? await readFlagFile("est-ca-chain", str(v, "est-ca-chain")!) : undefined;
    const scep = flag(v, "scep");
    const raDays = int(v, "scep-ra-days", 1, 3650);
    const raRenew = int(v, "scep-ra-renew-before-days", 1, 365);
    if (!scep && (raDays !== undefined || raRenew !== undefined)) throw new UsageError("--scep-ra-days and --scep-ra-renew-before-days need --scep");

    const client = await ctx.client();
    const projectFlag = str(v, "project");
    const body: CreateProfileBody = {
      projectId: await resolveProject(client, projectFlag),
      slug,
      description: str(v, "description"),
      templateId: await resolveTemplate(client, projectFlag, templateRef),
      issuerType: selfSigned ? "self-signed" : "ca",
      caId: caRef ? await resolveCa(client, projectFlag, caRef) : undefined,
      enrollmentMethods: ["api", ...(est ? (["est"] as const) : []), ...(scep ? (["scep"] as const) : [])],
      ...(caChain ? { estConfig: { caChain } } : {}),
      ...(scep ? { scepConfig: { ...(raDays ? { raCertificateLifetimeDays: raDays } : {}), ...(raRenew ? { raRenewBeforeDays: raRenew } : {}) } } : {}),
      defaults: { ...(str(v, "ttl") ? { ttl: str(v, "ttl") } : {}), ...(keyAlgorithm ? { keyAlgorithm } : {}) },
      apiConfig: { autoRenew: flag(v, "auto-renew"), renewBeforeDays: renewBeforeDays ?? null },
    };
    const res = await client.profiles.create(body);
    // EST clients need a passphrase (or a client certificate): make one now, shown this once.
    const pass = est ? await client.profiles.estPassphrase(res.certificateProfile.id) : undefined;
    // The static challenge is made by the server and shown once (RFC 8894 §2.3: clients put it in their CSR).
    const challenge = scep ? (await client.profiles.rotateScepChallenge(res.certificateProfile.id)).challengePassword : undefined;
    if (ctx.json) return ctx.printJson({ ...res, ...(pass ? { estPassphrase: pass } : {}), ...(challenge ? { scepChallengePassword: challenge } : {}) });
    const p: Profile = res.certificateProfile;
    ctx.out(
      fields([
        ["id", p.id],
        ["slug", p.slug],
        ["template", p.templateId],
        ["issuer", p.issuerType === "ca" ? p.caId : "self-signed"],
        ["defaults", Object.keys(p.defaults ?? {}).length ? p.defaults : undefined],
        ["auto-renew", p.apiConfig?.autoRenew ? `yes${p.apiConfig.renewBeforeDays ? `, ${p.apiConfig.renewBeforeDays} days before expiry` : ""}` : undefined],
        ["est url", pass?.baseUrl],
        ["est passphrase", pass?.passphrase ?? undefined],
        ["scep url", res.certificateProfile.scepConfig?.url],
        ["scep challenge", challenge],
      ]),
    );
    if (pass) ctx.err("The EST passphrase is shown only now (stamp est passphrase makes a new one).");
    if (challenge) ctx.err("The SCEP challenge password is shown only now; `stamp profile scep-challenge` sets a new one.");
  },
};

/** `stamp profile scep-challenge`: a new random static SCEP challenge password, shown once. */
export const profileScepChallenge: Command = {
  name: "profile scep-challenge",
  summary: "set a new SCEP challenge password on a profile (shown once)",
  help: `Usage: stamp profile scep-challenge --profile PROFILE [--project ID|NAME]

Replaces the profile's static SCEP challenge password with a new random one and prints it (only
this once); the old one stops working at once. One-time challenges for single enrollments come
from POST /scep/<profile>/challenge (docs/scep.md).`,
  options: { profile: { type: "string" }, project: { type: "string" } },
  async run(ctx, v) {
    const client = await ctx.client();
    const profileId = await resolveProfile(client, str(v, "project"), need(v, "profile"));
    const res = await client.profiles.rotateScepChallenge(profileId);
    if (ctx.json) return ctx.printJson(res);
    ctx.out(fields([["scep challenge", res.challengePassword]]));
    ctx.err("The SCEP challenge password is shown only now.");
  },
};
