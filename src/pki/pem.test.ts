import { describe, it, expect } from "vitest";
import { isStampError } from "../errors.js";
import { derFromPemOrDer, pemBlocks, toPem } from "./pem.js";

const der = Uint8Array.from({ length: 100 }, (_, i) => (i === 0 ? 0x30 : i));

describe("toPem", () => {
  it("ok/ 64-char lines and a trailing newline", () => {
    const pem = toPem(der, "CERTIFICATE");
    const lines = pem.split("\n");
    expect(lines[0]).toBe("-----BEGIN CERTIFICATE-----");
    expect(lines[1]).toHaveLength(64);
    expect(lines[2]).toHaveLength(64);
    expect(lines[3]).toHaveLength(136 - 128); // 100 bytes → 136 base64 characters
    expect(lines[4]).toBe("-----END CERTIFICATE-----");
    expect(pem.endsWith("-----\n")).toBe(true);
  });
  it("ok/ known answer", () => {
    expect(toPem(Uint8Array.of(0x30, 0x00), "X")).toBe("-----BEGIN X-----\nMAA=\n-----END X-----\n");
  });
});

describe("pemBlocks", () => {
  it("ok/ all blocks, CRLF, indentation and text between blocks", () => {
    const text = `junk\r\n${toPem(der, "CERTIFICATE").replace(/\n/g, "\r\n")}middle text\n  ${toPem(Uint8Array.of(0x30, 0), "X509 CRL").replace(/\n/g, "\n   ")}`;
    const blocks = pemBlocks(text);
    expect(blocks.map((b) => b.label)).toEqual(["CERTIFICATE", "X509 CRL"]);
    expect(blocks[0].der).toEqual(der);
    expect(blocks[1].der).toEqual(Uint8Array.of(0x30, 0));
  });
  it("ok/ no blocks", () => expect(pemBlocks("hello")).toEqual([]));
  it("fail/ missing END line", () => {
    expect(() => pemBlocks("-----BEGIN CERTIFICATE-----\nMAA=\n")).toThrow(/no END line/);
  });
  it("fail/ body is not base64", () => {
    expect(() => pemBlocks("-----BEGIN X-----\n$$$\n-----END X-----")).toThrow(/base64/);
  });
});

describe("derFromPemOrDer", () => {
  it("ok/ PEM with the label, raw DER, base64 DER, PEM given as bytes", () => {
    expect(derFromPemOrDer(toPem(der, "CERTIFICATE"), "CERTIFICATE")).toEqual(der);
    expect(derFromPemOrDer(der, "CERTIFICATE")).toBe(der);
    expect(derFromPemOrDer(Buffer.from(der).toString("base64"), "CERTIFICATE")).toEqual(der);
    expect(derFromPemOrDer(Buffer.from(der).toString("base64url"), "CERTIFICATE")).toEqual(der);
    expect(derFromPemOrDer(new TextEncoder().encode(toPem(der, "CERTIFICATE")), "CERTIFICATE")).toEqual(der);
  });
  it("ok/ alias labels", () => {
    expect(derFromPemOrDer(toPem(der, "NEW CERTIFICATE REQUEST"), "CERTIFICATE REQUEST", ["NEW CERTIFICATE REQUEST"])).toEqual(der);
  });
  it.each([
    ["empty", ""],
    ["whitespace", "  \n"],
    ["wrong label", toPem(der, "PRIVATE KEY")],
    ["not DER", Buffer.from("hello world!").toString("base64")],
    ["garbage text", "this is not a certificate"],
    ["empty bytes", new Uint8Array(0)],
  ])("fail/ %s", (_name, input) => {
    let err: unknown;
    try {
      derFromPemOrDer(input, "CERTIFICATE");
    } catch (e) {
      err = e;
    }
    expect(isStampError(err, "bad_request")).toBe(true);
  });
  it("fail/ wrong label names what was found", () => {
    expect(() => derFromPemOrDer(toPem(der, "PRIVATE KEY"), "CERTIFICATE")).toThrow(/"CERTIFICATE", found "PRIVATE KEY"/);
  });
});
