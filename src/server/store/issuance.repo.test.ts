import { describe, expect, it } from "vitest";
import { certificateColumns } from "./cert.repo.js";
import { COMMIT_LEAVES_COLUMNS } from "./migrations/0024-commit-leaves-function.js";

describe("issuance.repo", () => {
  it("ok/stamp_commit_leaves writes exactly the columns certificateColumns produces", () => {
    const row = certificateColumns({
      id: "x", projectId: "p", profileId: null, caId: null, caCertificateId: null, caKeyId: null, serial: "01", commonName: "a", altNames: [],
      notBefore: new Date(0), notAfter: new Date(0), keyAlgorithm: "EC_prime256v1", keyUsages: [], extendedKeyUsages: [], certificate: new Uint8Array(1),
      chainPem: "", keySource: "csr", keyRef: null, request: {}, renewedFromId: null,
    });
    // A column added to one and not the other would be silently dropped (or null) by the function.
    expect(Object.keys(row).sort()).toEqual([...COMMIT_LEAVES_COLUMNS].sort());
  });
});
