import { constants } from "node:fs";
import { access } from "node:fs/promises";
import path from "node:path";
import type { IssuedCertificate, PendingResponse } from "../client/client.js";
import type { Ctx } from "./command.js";
import { CliError, EXIT, UsageError } from "./errors.js";
import { writeFileAtomic } from "../atomic-write.js";

/** Where `cert issue` and `cert renew` put what they get. */
export interface OutFiles {
  keyOut?: string;
  out?: string;
  chainOut?: string;
}

/** Fails before any request when an output directory cannot be written. */
export async function checkWritable(files: OutFiles): Promise<void> {
  for (const [flagName, f] of [["key-out", files.keyOut], ["out", files.out], ["chain-out", files.chainOut]] as const) {
    if (!f) continue;
    try {
      await access(path.dirname(path.resolve(f)), constants.W_OK);
    } catch {
      throw new UsageError(`--${flagName} ${f}: its directory does not exist or is not writable`);
    }
  }
}

/**
 * Writes the key (0600), certificate and chain, then prints: with --json the API response
 * (without the private key when it went to --key-out); with --out a summary; otherwise the
 * certificate PEM on stdout and the summary on stderr.
 */
export async function deliverIssued(ctx: Ctx, res: { certificate: IssuedCertificate } | PendingResponse, files: OutFiles, verb: string): Promise<void> {
  if (res.certificate === null) {
    // A profile on an external CA: the certificate comes once the CA has validated (docs/external-ca.md).
    if (ctx.json) return ctx.printJson(res);
    return ctx.out(
      `certificate request ${res.certificateRequestId} is pending on the external CA; no file was written. Follow it with: stamp cert request-status ${res.certificateRequestId}\n` +
        "Once issued: stamp cert get CERTIFICATE_ID --pem (a key the server made: GET /api/v1/cert-manager/certificates/CERTIFICATE_ID/private-key)",
    );
  }
  const c = res.certificate;
  const written: string[] = [];
  const write = async (file: string, data: string, mode: number, what: string) => {
    try {
      await writeFileAtomic(file, data, mode);
      written.push(`${what} → ${file}`);
    } catch (e) {
      throw new CliError(EXIT.refused, `certificate ${c.certificateId} was ${verb}, but writing ${file} failed (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  };
  if (c.privateKey && files.keyOut) await write(files.keyOut, c.privateKey, 0o600, "private key (0600)");
  if (files.out) await write(files.out, c.certificate, 0o644, "certificate");
  if (files.chainOut) await write(files.chainOut, c.certificateChain, 0o644, "chain");

  if (ctx.json) {
    const shown = { ...res, certificate: { ...c } };
    if (files.keyOut) delete shown.certificate.privateKey;
    return ctx.printJson(shown);
  }
  const summary = [`Certificate ${c.certificateId} ${verb}, serial ${c.serialNumber}`, ...written.map((w) => `  ${w}`)];
  if (c.privateKey && !files.keyOut) summary.push("  the server made a key for it; fetch it with the API (GET …/certificates/:id/private-key) or renew with --key-out");
  if (files.out) return summary.forEach((l) => ctx.out(l));
  ctx.out(c.certificate.trimEnd());
  summary.forEach((l) => ctx.err(l));
}
