import { flag, str, UsageError, type Command } from "./command.js";
import type { PendingResponse, RenewResponse } from "../client/client.js";
import { checkWritable, deliverIssued } from "./cert-output.js";
import { readFlagFile } from "./files.js";

/** `stamp cert renew`: a new certificate with the same subject, SANs and profile. */
export const certRenew: Command = {
  name: "cert renew",
  summary: "renew a certificate (new key, same key, or a new CSR)",
  help: `Usage: stamp cert renew ID [--key-out FILE | --reuse-key | --csr FILE] [--out FILE] [--chain-out FILE]

By default the server makes a new key pair (written to --key-out, mode 0600). --reuse-key keeps
the certificate's key; --csr renews for the key in a new request.

Options:
  --key-out FILE     where to write the new private key
  --reuse-key        keep the same key
  --csr FILE         PEM PKCS#10 request for the renewed certificate
  --out FILE         where to write the certificate (default: stdout)
  --chain-out FILE   where to write the chain
  --json             print the API response (without the key when --key-out is given)

Examples:
  stamp cert renew 2b4f… --key-out api.key --out api.pem --chain-out chain.pem
  stamp cert renew 2b4f… --csr web.csr --out web.pem`,
  options: {
    "key-out": { type: "string" },
    "reuse-key": { type: "boolean" },
    csr: { type: "string" },
    out: { type: "string" },
    "chain-out": { type: "string" },
  },
  positionals: ["ID"],
  async run(ctx, v, [id]) {
    const csrFile = str(v, "csr");
    const reuse = flag(v, "reuse-key");
    const files = { keyOut: str(v, "key-out"), out: str(v, "out"), chainOut: str(v, "chain-out") };
    if ([csrFile !== undefined, reuse, files.keyOut !== undefined].filter(Boolean).length > 1) throw new UsageError("give one of --key-out (new key), --reuse-key or --csr");
    if (!csrFile && !reuse && !files.keyOut && !ctx.json) throw new UsageError("renewing makes a new key: give --key-out FILE for it (or --reuse-key, or --csr FILE)");
    const csr = csrFile ? await readFlagFile("csr", csrFile) : undefined;
    await checkWritable(files);
    const client = await ctx.client();
    const res = await client.certificates.renew(id, csr ? { renewalKeySource: "csr", csr } : { renewalKeySource: reuse ? "reuse" : "new" });
    await deliverIssued(ctx, res.certificate === null ? (res as PendingResponse) : { certificate: res as RenewResponse }, files, "renewed");
  },
};
