import { flag, type Command } from "./command.js";
import { fields, when } from "./output.js";

/** `stamp cert get`: one certificate's record, or its PEM with the chain. */
export const certGet: Command = {
  name: "cert get",
  summary: "show a certificate (or its PEM with --pem)",
  help: `Usage: stamp cert get ID [--pem] [--json]

Options:
  --pem    print the certificate followed by its chain (PEM; never the key)
  --json   print the API response

Examples:
  stamp cert get 2b4f…
  stamp cert get 2b4f… --pem | openssl x509 -noout -text`,
  options: { pem: { type: "boolean" } },
  positionals: ["ID"],
  async run(ctx, v, [id]) {
    const client = await ctx.client();
    if (flag(v, "pem")) {
      const b = await client.certificates.bundle(id);
      if (ctx.json) return ctx.printJson({ certificate: b.certificate, certificateChain: b.certificateChain });
      return ctx.out(`${b.certificate.trimEnd()}\n${(b.certificateChain ?? "").trimEnd()}`.trimEnd());
    }
    const res = await client.certificates.get(id);
    if (ctx.json) return ctx.printJson(res);
    const c = res.certificate;
    ctx.out(
      fields([
        ["id", c.id],
        ["common name", c.commonName],
        ["SANs", c.subjectAlternativeNames.map((a) => `${a.type.replace(/_name|_address/, "")}:${a.value}`)],
        ["status", c.lifecycleStatus],
        ["serial", c.serialNumber],
        ["not before", when(c.notBefore)],
        ["not after", when(c.notAfter)],
        ["key", `${c.keyAlgorithm} (${c.keySource === "server" ? "made by the server" : "from a CSR"})`],
        ["key usages", c.keyUsages],
        ["extended key usages", c.extendedKeyUsages],
        ["profile", c.profileId],
        ["CA", c.caId],
        ["renewed from", c.renewedFromCertificateId],
        ["renewed by", c.renewedByCertificateId],
        ["revoked", c.revokedAt ? `${when(c.revokedAt)} (${c.revocationReasonName ?? "unspecified"})` : undefined],
      ]),
    );
  },
};
