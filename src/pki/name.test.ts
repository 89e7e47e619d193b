import { describe, it, expect } from "vitest";
import { isStampError } from "../errors.js";
import { decodeName, encodeName, validateDnFields } from "./name.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("encodeName", () => {
  it("ok/ known answer: C as PrintableString, CN as UTF8String, C first", () => {
    expect(hex(encodeName({ commonName: "Test", country: "us" }))).toBe(
      "301c" + "310b" + "3009" + "0603550406" + "13025553" + "310d" + "300b" + "0603550403" + "0c0454657374",
    );
  });
  it("ok/ RDN order C, ST, L, O, OU, CN and decode round trip", () => {
    const der = encodeName({ commonName: "Stämp Root", organization: "Acme, Inc.", ou: "PKI", country: "DE", province: "Bayern", locality: "München" });
    const { fields, text } = decodeName(der);
    expect(fields).toMatchObject({ commonName: "Stämp Root", organization: "Acme, Inc.", ou: "PKI", country: "DE", province: "Bayern", locality: "München" });
    // RFC 4514 order: last RDN first.
    expect(text).toBe("CN=Stämp Root, OU=PKI, O=Acme\\, Inc., L=München, ST=Bayern, C=DE");
  });
  it("fail/ invalid fields throw a validation error with every violation", () => {
    try {
      encodeName({ commonName: "", country: "USA" });
      expect.unreachable();
    } catch (e) {
      expect(isStampError(e, "validation")).toBe(true);
      expect((e as { violations: { code: string }[] }).violations.map((v) => v.code).sort()).toEqual(["empty", "invalid_country"]);
    }
  });
});

describe("decodeName", () => {
  it("ok/ unknown attribute types by OID, BMPString, multi-valued RDN", () => {
    const bmp = Buffer.from("300f310d300b06035504031e0400480069", "hex");
    expect(decodeName(new Uint8Array(bmp)).fields.commonName).toBe("Hi");
    const ok = Buffer.from("30193117300906035504031302414230" + "0a06032a03040c03787a7a", "hex");
    const d = decodeName(new Uint8Array(ok));
    expect(d.text).toBe("CN=AB+1.2.3.4=xzz");
    expect(d.fields["1.2.3.4"]).toBe("xzz");
  });
  it("ok/ escapes RFC 4514 specials", () => {
    expect(decodeName(encodeName({ commonName: "#a+b=c;d<e>\"f\\ " .trim() })).text).toBe('CN=\\#a\\+b\\=c\\;d\\<e\\>\\"f\\\\');
  });
  it.each([["empty", ""], ["garbage", "deadbeef"], ["truncated", "301c310b3009060355040613"], ["not a SET", "3005300306012a"]])("fail/ %s", (_n, h) => {
    let err: unknown;
    try {
      decodeName(new Uint8Array(Buffer.from(h, "hex")));
    } catch (e) {
      err = e;
    }
    expect(isStampError(err, "bad_request")).toBe(true);
  });
});

describe("validateDnFields", () => {
  it("ok/ a full valid name has no violations", () => {
    expect(validateDnFields({ commonName: "x".repeat(64), organization: "O", ou: "U", country: "US", province: "P", locality: "L" }, "subject")).toEqual([]);
  });
  it("fail/ each rule, with the field prefix", () => {
    const v = validateDnFields({ commonName: "x".repeat(65), organization: "a\u0000b", ou: "", country: "U1", province: "p".repeat(65), locality: "\tL" }, "ca.subject");
    expect(v.map((x) => `${x.field}:${x.code}`).sort()).toEqual([
      "ca.subject.commonName:too_long",
      "ca.subject.country:invalid_country",
      "ca.subject.locality:control_character",
      "ca.subject.locality:surrounding_whitespace",
      "ca.subject.organization:control_character",
      "ca.subject.ou:empty",
      "ca.subject.province:too_long",
    ]);
  });
  it("ok/ length counts characters, not bytes", () => {
    expect(validateDnFields({ commonName: "ü".repeat(64) }, "s")).toEqual([]);
  });
});
