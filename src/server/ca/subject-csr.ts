import * as acme from "acme-client";

/**
 * A PKCS#10 CSR (RFC 2986) for `names` (the first is the CN, all are dNSName SANs), signed by a
 * subject key Stamp made: what an external ACME CA finalizes an order with (RFC 8555 §7.4).
 */
export async function subjectCsr(privateKeyPem: string, names: string[]): Promise<string> {
  const [, csr] = await acme.crypto.createCsr({ commonName: names[0], altNames: names }, privateKeyPem);
  return csr.toString("utf8");
}
