import type { IssueBody } from "../client/client.js";
import { EXTENDED_KEY_USAGES, KEY_USAGES, SIGNATURE_ALGORITHMS } from "../contract/certificates.js";
import { flag, list, need, oneOf, str, UsageError, type Command } from "./command.js";
import { checkWritable, deliverIssued } from "./cert-output.js";
import { readFlagFile } from "./files.js";
import { KEY_ALGORITHMS, resolveProfile } from "./resolve.js";
import { parseSan } from "./san.js";

/** `stamp cert issue`: a certificate from a profile, for your CSR or with a key the server makes. */
export const certIssue: Command = {
  name: "cert issue",
  summary: "issue a certificate from a profile",
  help: `Usage: stamp cert issue --profile PROFILE [--cn NAME] [--san TYPE:VALUE…] [--ttl DURATION]
                       (--csr FILE | --key-out FILE) [--out FILE] [--chain-out FILE]

With --csr the certificate is for your key; without it the server makes a key pair and
--key-out says where to write the private key (created mode 0600 before any byte is written).
Without --out the certificate PEM goes to stdout.

Options:
  --profile PROFILE       id or slug of the profile
  --csr FILE              PEM PKCS#10 request (its subject and SANs are requested unless
                          --cn/--san are given)
  --key-out FILE          where to write the server-made private key (PEM, 0600)
  --out FILE              where to write the certificate (PEM)
  --chain-out FILE        where to write the chain (PEM, issuing CA first)
  --cn NAME               subject common name
  --org O --ou OU --country CC --state S --locality L   subject fields
  --san TYPE:VALUE        subject alternative name (repeatable): dns:www.acme.com, ip:10.0.0.1,
                          email:ops@acme.com, uri:spiffe://acme/web
  --ttl DURATION          validity: a number and s, h, d, w or y (e.g. 90d)
  --not-before DATE --not-after DATE   ISO 8601 instead of --ttl
  --key-algorithm ALG     for a server-made key: ${KEY_ALGORITHMS.join(", ")}
  --signature-algorithm A ${SIGNATURE_ALGORITHMS.join(", ")}
  --key-usage KU          (repeatable) ${KEY_USAGES.join(", ")}
  --eku EKU               (repeatable) ${EXTENDED_KEY_USAGES.join(", ")}
  --no-root               leave the root out of the chain
  --project ID|NAME       where to look a profile slug up
  --json                  print the API response (without the key when --key-out is given)

Examples:
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout web.key -subj /CN=www.acme.com -out web.csr
  stamp cert issue --profile web --csr web.csr --cn www.acme.com --san dns:www.acme.com --ttl 90d --out web.pem --chain-out chain.pem
  stamp cert issue --profile web --cn api.acme.com --san dns:api.acme.com --san ip:10.0.0.7 --key-out api.key --out api.pem`,
  options: {
    profile: { type: "string" },
    csr: { type: "string" },
    "key-out": { type: "string" },
    out: { type: "string" },
    "chain-out": { type: "string" },
    cn: { type: "string" },
    org: { type: "string" },
    ou: { type: "string" },
    country: { type: "string" },
    state: { type: "string" },
    locality: { type: "string" },
    san: { type: "string", multiple: true },
    ttl: { type: "string" },
    "not-before": { type: "string" },
    "not-after": { type: "string" },
    "key-algorithm": { type: "string" },
    "signature-algorithm": { type: "string" },
    "key-usage": { type: "string", multiple: true },
    eku: { type: "string", multiple: true },
    "no-root": { type: "boolean" },
    project: { type: "string" },
  },
  async run(ctx, v) {
    const profileRef = need(v, "profile");
    const csrFile = str(v, "csr");
    const files = { keyOut: str(v, "key-out"), out: str(v, "out"), chainOut: str(v, "chain-out") };
    if (csrFile && files.keyOut) throw new UsageError("--key-out is for a key the server makes; with --csr the key is already yours");
    if (!csrFile && !files.keyOut && !ctx.json) throw new UsageError("give --csr FILE (your key) or --key-out FILE (where to write the key the server makes)");
    if (csrFile && str(v, "key-algorithm")) throw new UsageError("--key-algorithm is for a key the server makes; with --csr it comes from the CSR");
    const attributes: IssueBody["attributes"] = {
      commonName: str(v, "cn"),
      organization: str(v, "org"),
      organizationalUnit: str(v, "ou"),
      country: str(v, "country"),
      state: str(v, "state"),
      locality: str(v, "locality"),
      ttl: str(v, "ttl"),
      notBefore: str(v, "not-before"),
      notAfter: str(v, "not-after"),
    };
    const sans = list(v, "san").map((s) => parseSan("san", s));
    if (sans.length) attributes.altNames = sans;
    if (str(v, "key-algorithm")) attributes.keyAlgorithm = oneOf("key-algorithm", str(v, "key-algorithm")!, KEY_ALGORITHMS);
    if (str(v, "signature-algorithm")) attributes.signatureAlgorithm = oneOf("signature-algorithm", str(v, "signature-algorithm")!, SIGNATURE_ALGORITHMS);
    const kus = list(v, "key-usage").map((k) => oneOf("key-usage", k, KEY_USAGES));
    if (kus.length) attributes.keyUsages = kus;
    const ekus = list(v, "eku").map((k) => oneOf("eku", k, EXTENDED_KEY_USAGES));
    if (ekus.length) attributes.extendedKeyUsages = ekus;
    const csr = csrFile ? await readFlagFile("csr", csrFile) : undefined;
    await checkWritable(files);

    const client = await ctx.client();
    const profileId = await resolveProfile(client, str(v, "project"), profileRef);
    const res = await client.certificates.issue({ profileId, csr, attributes, removeRootsFromChain: flag(v, "no-root") });
    await deliverIssued(ctx, res, files, "issued");
  },
};
