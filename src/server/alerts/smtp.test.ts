import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEgress } from "../va/egress.js";
import { createSmtpClient } from "./smtp.js";

// The alert mailer against a real SMTP server (the smtp-server package) on loopback: STARTTLS,
// AUTH, implicit TLS, a relay without 8BITMIME, and refusals. The relay's certificate is made by
// openssl for "localhost", and trusted through the mailer's caFile, as an operator would.
const dir = mkdtempSync(path.join(tmpdir(), "stamp-smtp-"));
const keyFile = path.join(dir, "key.pem");
const certFile = path.join(dir, "cert.pem");
execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"], { stdio: "ignore" });
const tlsPair = { key: readFileSync(keyFile), cert: readFileSync(certFile) };
const egress = createEgress({ allow: ["127.0.0.1", "localhost"] });

interface Received {
  raw: string;
  secure: boolean;
  user: string | undefined;
}
const servers: SMTPServer[] = [];
/** Starts an SMTP server on loopback; every accepted message lands in `received`. */
async function relay(opts: Partial<SMTPServerOptions>) {
  const received: Received[] = [];
  const auths: { user: string; secure: boolean }[] = [];
  const srv = new SMTPServer({
    ...tlsPair,
    authOptional: true,
    hide8BITMIME: true, // a relay without 8BITMIME: the body must arrive 7-bit clean
    onAuth(auth, session, cb) {
      auths.push({ user: auth.username ?? "", secure: session.secure });
      if (auth.username === "alerts" && auth.password === "s3cret:p@ss") return cb(null, { user: auth.username });
      return cb(Object.assign(new Error("535 5.7.8 Authentication credentials invalid"), { responseCode: 535 }));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        received.push({ raw: Buffer.concat(chunks).toString("latin1"), secure: session.secure, user: session.user as string | undefined });
        cb();
      });
    },
    logger: false,
    ...opts,
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  servers.push(srv);
  return { port: (srv.server.address() as AddressInfo).port, received, auths };
}

const message = { to: ["ops@example.com"], subject: "Zertifikat läuft ab: api.example.com\r\nBcc: evil@example.com", text: `Das Zertifikat für api.example.com läuft in 7 Tagen ab.\n.a line starting with a dot\n${"x".repeat(200)}`, date: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)), messageId: "alert-1@stamp.test" };

/** Undoes quoted-printable (RFC 2045 §6.7): soft line breaks and =XX octets. */
const unQp = (s: string) => Buffer.from(s.replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), "latin1").toString("utf8");
const bodyOf = (raw: string) => raw.slice(raw.indexOf("\r\n\r\n") + 4);

let starttls: Awaited<ReturnType<typeof relay>>;
beforeAll(async () => {
  starttls = await relay({});
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  rmSync(dir, { recursive: true, force: true });
});

describe("alert email over SMTP (nodemailer)", () => {
  it("ok/ STARTTLS then AUTH; the subject is RFC 2047 encoded, the body quoted-printable for a relay without 8BITMIME", async () => {
    const c = createSmtpClient({ url: `smtp://alerts:${encodeURIComponent("s3cret:p@ss")}@localhost:${starttls.port}`, from: "stamp@example.com", caFile: certFile }, egress);
    await c.send(message);
    const got = starttls.received.at(-1)!;
    expect(got.secure).toBe(true);
    expect(got.user).toBe("alerts");
    expect(starttls.auths.at(-1)).toEqual({ user: "alerts", secure: true });
    const headers = got.raw.slice(0, got.raw.indexOf("\r\n\r\n"));
    expect(headers).toMatch(/^Subject: =\?UTF-8\?/m);
    expect(headers).not.toMatch(/^Bcc:/m);
    expect(headers).toMatch(/^Content-Transfer-Encoding: quoted-printable$/m);
    expect(got.raw).toMatch(/^[\x00-\x7f]*$/);
    expect(got.raw.split("\r\n").every((l) => l.length <= 998)).toBe(true);
    expect(unQp(bodyOf(got.raw)).replace(/\r\n/g, "\n").trimEnd()).toBe(message.text);
  });
  it("ok/ smtps:// is TLS from the first byte", async () => {
    const implicit = await relay({ secure: true });
    await createSmtpClient({ url: `smtps://localhost:${implicit.port}`, from: "stamp@example.com", caFile: certFile }, egress).send(message);
    expect(implicit.received.at(-1)!.secure).toBe(true);
  });
  it("fail/ with credentials, a relay that offers no STARTTLS gets no password", async () => {
    const plain = await relay({ disabledCommands: ["STARTTLS"] });
    const c = createSmtpClient({ url: `smtp://alerts:${encodeURIComponent("s3cret:p@ss")}@localhost:${plain.port}`, from: "stamp@example.com" }, egress);
    await expect(c.send(message)).rejects.toThrow(/did not start TLS .*never sends credentials in the clear/);
    expect(plain.auths).toEqual([]);
    expect(plain.received).toEqual([]);
  });
  it("fail/ a wrong password is reported with the server's reply", async () => {
    const c = createSmtpClient({ url: `smtp://alerts:wrong@localhost:${starttls.port}`, from: "stamp@example.com", caFile: certFile }, egress);
    await expect(c.send(message)).rejects.toThrow(/535/);
  });
  it("fail/ a relay certificate the mailer does not trust stops the send before AUTH", async () => {
    const before = starttls.auths.length;
    const c = createSmtpClient({ url: `smtp://alerts:${encodeURIComponent("s3cret:p@ss")}@localhost:${starttls.port}`, from: "stamp@example.com" }, egress);
    await expect(c.send(message)).rejects.toThrow(/certificate/i);
    expect(starttls.auths.length).toBe(before);
  });
  it("fail/ the egress policy still decides: loopback not allowed, nothing is sent", async () => {
    const c = createSmtpClient({ url: `smtp://127.0.0.1:${starttls.port}`, from: "stamp@example.com" }, createEgress({}));
    const count = starttls.received.length;
    await expect(c.send(message)).rejects.toMatchObject({ code: "EGRESS_REFUSED" });
    expect(starttls.received.length).toBe(count);
  });
  it("fail/ an unreadable CA file is named at start", () => {
    expect(() => createSmtpClient({ url: "smtp://localhost:25", from: "stamp@example.com", caFile: path.join(dir, "missing.pem") }, egress)).toThrow(/--smtp-ca-file .*missing\.pem cannot be read \(ENOENT\)/);
  });
});
