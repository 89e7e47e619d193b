import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { derOid } from "./der.js";
import { certsOfPkcs7, certsOnlyPkcs7, decodeCsrAttrs, encodeCsrAttrs } from "./est.js";
import { toPem } from "./pem.js";
import { issueCa, makeKey } from "./pki-fixtures.test-util.js";

describe("EST encodings (RFC 7030)", () => {
  it("ok/ CsrAttrs: RFC 7030 §4.5.2's example, byte for byte", () => {
    const der = encodeCsrAttrs([
      { oid: "1.2.840.113549.1.9.7" }, // challengePassword
      { type: "1.2.840.10045.2.1", values: [derOid("1.3.132.0.34")] }, // id-ecPublicKey: secp384r1
      { type: "1.2.840.113549.1.9.14", values: [derOid("1.3.6.1.1.1.1.22")] }, // extensionRequest: macAddress
      { oid: "1.2.840.10045.4.3.3" }, // ecdsa-with-SHA384
    ]);
    expect(Buffer.from(der).toString("base64")).toBe("MEEGCSqGSIb3DQEJBzASBgcqhkjOPQIBMQcGBSuBBAAiMBYGCSqGSIb3DQEJDjEJBgcrBgEBAQEWBggqhkjOPQQDAw==");
    expect(decodeCsrAttrs(der)).toEqual(["1.2.840.113549.1.9.7", "attr:1.2.840.10045.2.1", "attr:1.2.840.113549.1.9.14", "1.2.840.10045.4.3.3"]);
    expect(Buffer.from(encodeCsrAttrs([])).toString("hex")).toBe("3000");
  });

  it("ok/ certs-only SignedData: the certificates' bytes unchanged, in order; openssl pkcs7 -print_certs reads it", async () => {
    const root = issueCa({ subject: { commonName: "EST KAT Root" }, key: await makeKey("EC_prime256v1") });
    const int = issueCa({ subject: { commonName: "EST KAT Issuing" }, key: await makeKey("EC_prime256v1"), issuer: root.asIssuer, pathLength: 0 });
    const p7 = certsOnlyPkcs7([int.der, root.der]);
    const got = certsOfPkcs7(p7);
    expect(got.map((d) => Buffer.from(d).toString("hex"))).toEqual([int.der, root.der].map((d) => Buffer.from(d).toString("hex")));
    // RFC 5652 §5.1: ContentInfo(signedData) { version 1, digestAlgorithms {}, id-data without content, [0] certificates, signerInfos {} }.
    const hex = Buffer.from(p7).toString("hex");
    expect(hex).toMatch(/^3082....06092a864886f70d010702a082....3082....0201013100300b06092a864886f70d010701a082..../);
    expect(hex.endsWith("3100")).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), "stamp-est-kat-"));
    try {
      writeFileSync(join(dir, "p7.pem"), toPem(p7, "PKCS7"));
      const out = execFileSync("openssl", ["pkcs7", "-in", "p7.pem", "-print_certs", "-noout"], { cwd: dir, encoding: "utf8" });
      expect(out).toContain("subject=CN = EST KAT Issuing");
      expect(out).toContain("subject=CN = EST KAT Root");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
