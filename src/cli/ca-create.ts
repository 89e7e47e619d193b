import type { CreateCaBody } from "../client/client.js";
import { int, need, oneOf, str, UsageError, type Command } from "./command.js";
import { fields, when } from "./output.js";
import { KEY_ALGORITHMS, resolveCa, resolveProject } from "./resolve.js";
import { createAcmeCa } from "./ca-create-acme.js";

/** `stamp ca create`: a root, an intermediate signed by a Stamp CA, or one to be signed outside. */
export const caCreate: Command = {
  name: "ca create",
  summary: "create a root or intermediate CA, or an external ACME CA",
  help: `Usage: stamp ca create --name NAME --cn COMMON_NAME [--parent CA] [options]
       stamp ca create --type acme --name NAME --directory-url URL --email E (--dns-hook H | --rfc2136-server HOST[:PORT] ...)

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

External ACME CA (--type acme; docs/external-ca.md):
  --directory-url URL      the CA's ACME directory (Let's Encrypt staging:
                           https://acme-staging-v02.api.letsencrypt.org/directory)
  --email E                account contact
  --eab-kid K --eab-hmac-key-file F   external account binding
  --dns-hook NAME          a DNS-01 hook the operator registered (--dns-hook on the server)
  --rfc2136-server H[:P] --zone Z --tsig-key-name N --tsig-secret-file F [--tsig-algorithm A]
                           RFC 2136 dynamic updates signed with TSIG (default hmac-sha256)
  --trust-bundle FILE      PEM trusted for the CA's TLS (a private ACME server)
  --propagation-timeout S  seconds to wait for the TXT record (default 120)

Examples:
  stamp ca create --name root --cn "Acme Root" --org Acme --country US --key-algorithm EC_secp384r1 --max-path-length 1
  stamp ca create --name issuing --cn "Acme Issuing CA" --parent root
  stamp ca create --name ext --cn "Acme Outside-signed" --type intermediate   # then sign its CSR elsewhere
  stamp ca create --type acme --name le-staging --directory-url https://acme-staging-v02.api.letsencrypt.org/directory --email pki@example.com --rfc2136-server ns1.example.com --zone example.com --tsig-key-name stamp --tsig-secret-file tsig.b64`,
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
    "directory-url": { type: "string" },
    email: { type: "string" },
    "eab-kid": { type: "string" },
    "eab-hmac-key-file": { type: "string" },
    "dns-hook": { type: "string" },
    "rfc2136-server": { type: "string" },
    zone: { type: "string" },
    "tsig-key-name": { type: "string" },
    "tsig-algorithm": { type: "string" },
    "tsig-secret-file": { type: "string" },
    "trust-bundle": { type: "string" },
    "propagation-timeout": { type: "string" },
  },
  async run(ctx, v) {
    if (str(v, "type") === "acme") return createAcmeCa(ctx, v);
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
