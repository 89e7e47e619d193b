import type { CreateCaBody } from "../client/client.js";
import { int, need, oneOf, str, UsageError, type Command } from "./command.js";
import { fields, when } from "./output.js";
import { KEY_ALGORITHMS, resolveCa, resolveProject } from "./resolve.js";

/** `stamp ca create`: a root, an intermediate signed by a Stamp CA, or one to be signed outside. */
export const caCreate: Command = {
  name: "ca create",
  summary: "create a root or intermediate CA",
  help: `Usage: stamp ca create --name NAME --cn COMMON_NAME [--parent CA] [options]

Creates a root CA, an intermediate signed by another Stamp CA (--parent), or, with
--type intermediate and no --parent, an intermediate whose CSR an outside CA signs
(it stays pending-certificate until its certificate is imported).

Options:
  --name NAME              the CA's name in the project
  --cn NAME                subject common name
  --type root|intermediate default: intermediate with --parent, else root
  --parent CA              id or name of the Stamp CA that signs this one
  --key-algorithm ALG      ${KEY_ALGORITHMS.join(", ")} (default EC_prime256v1)
  --key-backend B          software (default) or pkcs11
  --org O  --ou OU  --country CC  --province P  --locality L   subject fields
  --max-path-length N      -1 = unlimited (write --max-path-length=-1); default: parent's - 1
  --not-after DATE         ISO 8601 date or date-time; default 10 years (root) / 5 years
  --friendly-name TEXT
  --disabled               create it disabled
  --project ID|NAME        default: your only project, or "default"
  --json                   print the API response

Examples:
  stamp ca create --name root --cn "Acme Root" --org Acme --country US --key-algorithm EC_secp384r1 --max-path-length 1
  stamp ca create --name issuing --cn "Acme Issuing CA" --parent root
  stamp ca create --name ext --cn "Acme Outside-signed" --type intermediate   # then sign its CSR elsewhere`,
  options: {
    name: { type: "string" },
    cn: { type: "string" },
    type: { type: "string" },
    parent: { type: "string" },
    "key-algorithm": { type: "string" },
    "key-backend": { type: "string" },
    org: { type: "string" },
    ou: { type: "string" },
    country: { type: "string" },
    province: { type: "string" },
    locality: { type: "string" },
    "max-path-length": { type: "string" },
    "not-after": { type: "string" },
    "friendly-name": { type: "string" },
    disabled: { type: "boolean" },
    project: { type: "string" },
  },
  async run(ctx, v) {
    const name = need(v, "name");
    const commonName = need(v, "cn");
    const parent = str(v, "parent");
    const type = str(v, "type") ? oneOf("type", str(v, "type")!, ["root", "intermediate"] as const) : parent ? "intermediate" : "root";
    if (type === "root" && parent) throw new UsageError("a root CA has no --parent");
    const keyAlgorithm = oneOf("key-algorithm", str(v, "key-algorithm") ?? "EC_prime256v1", KEY_ALGORITHMS);
    const keyBackend = str(v, "key-backend") ? oneOf("key-backend", str(v, "key-backend")!, ["software", "pkcs11"] as const) : undefined;
    const maxPathLength = int(v, "max-path-length", -1, 32);

    const client = await ctx.client();
    const projectId = await resolveProject(client, str(v, "project"));
    const body: CreateCaBody = {
      projectId,
      name,
      status: v.disabled ? "disabled" : "active",
      keyBackend,
      configuration: {
        type,
        commonName,
        keyAlgorithm,
        friendlyName: str(v, "friendly-name"),
        organization: str(v, "org"),
        ou: str(v, "ou"),
        country: str(v, "country"),
        province: str(v, "province"),
        locality: str(v, "locality"),
        maxPathLength,
        notAfter: str(v, "not-after"),
        parentCaId: parent ? await resolveCa(client, str(v, "project"), parent) : undefined,
      },
    };
    const ca = await client.cas.create(body);
    if (ctx.json) return ctx.printJson(ca);
    ctx.out(
      fields([
        ["id", ca.id],
        ["name", ca.name],
        ["type", ca.configuration.type],
        ["status", ca.status],
        ["subject", ca.configuration.dn],
        ["key", `${ca.configuration.keyAlgorithm} (${ca.keyBackend})`],
        ["not after", ca.configuration.notAfter ? when(ca.configuration.notAfter) : undefined],
      ]),
    );
    if (ca.status === "pending-certificate") ctx.out(`Its CSR: GET /api/v1/cert-manager/ca/internal/${ca.id}/csr; have the outside CA sign it, then import the certificate.`);
  },
};
