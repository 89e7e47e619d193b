import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import nodemailer from "nodemailer";
import type { Egress } from "../va/egress.js";

/** Where and as whom alert emails are sent. */
export interface SmtpConfig {
  /**
   * smtp://[user:password@]host[:port] (port 25 by default; STARTTLS whenever the server offers it,
   * and required when credentials are given) or smtps://… (TLS from the start, port 465).
   */
  url: string;
  /** The envelope and header sender. */
  from: string;
  /** PEM file of CAs to trust for the SMTP server's certificate (a private relay); the system's otherwise. */
  caFile?: string;
  /** Name sent in EHLO. */
  heloName?: string;
  /** Bound on connecting, the greeting and each reply, in milliseconds. */
  timeoutMs?: number;
}

/** One message. */
export interface MailMessage {
  to: string[];
  subject: string;
  text: string;
  date: Date;
  messageId: string;
}

/**
 * The alert mailer, on nodemailer's SMTP transport: STARTTLS (RFC 3207), AUTH PLAIN/LOGIN
 * (RFC 4954) only over TLS, RFC 2047 encoded headers, and quoted-printable bodies where the server
 * lacks 8BITMIME. The TCP connection is made by the egress policy (a private relay must be in
 * --egress-allow), and nodemailer upgrades that socket to TLS itself, checking the server's name.
 */
export function createSmtpClient(cfg: SmtpConfig, egress: Egress) {
  const u = new URL(cfg.url);
  const secure = u.protocol === "smtps:";
  const host = u.hostname.replace(/^\[|\]$/g, "");
  const port = Number(u.port || (secure ? 465 : 25));
  const timeoutMs = cfg.timeoutMs ?? 10_000;
  const user = decodeURIComponent(u.username);
  const auth = user ? { user, pass: decodeURIComponent(u.password) } : undefined;
  const ca = cfg.caFile ? readCaFile(cfg.caFile) : undefined;
  const transport = nodemailer.createTransport({
    host,
    port,
    secure,
    // Credentials never cross the network in the clear: with AUTH, STARTTLS is required.
    requireTLS: !secure && !!auth,
    auth,
    name: cfg.heloName ?? "stamp.local",
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    tls: { servername: isIP(host) ? undefined : host, ca, minVersion: "TLSv1.2" },
    getSocket: (_options: unknown, callback: (err: Error | null, socketOptions?: object) => void) => {
      egress
        .connectHost({ host, port, signal: AbortSignal.timeout(timeoutMs) })
        .then((connection) => callback(null, { connection }))
        .catch((e: Error & { code?: string }) => callback(e.code === "EGRESS_REFUSED" ? e : new Error(`SMTP connection to ${host}:${port} failed: ${e.message}`)));
    },
  });

  return {
    /** Sends one message; rejects with the server's reply when it refuses a step. */
    async send(m: MailMessage): Promise<void> {
      try {
        await transport.sendMail({ from: cfg.from, to: m.to, subject: m.subject, text: m.text, date: m.date, messageId: `<${m.messageId}>` });
      } catch (e) {
        const err = e as Error & { code?: string; response?: string };
        if (err.code === "EGRESS_REFUSED") throw err;
        if (err.code === "ETLS" && auth && !secure) throw new Error(`The SMTP server at ${host}:${port} did not start TLS (${err.response ?? err.message}); Stamp never sends credentials in the clear: use a relay that offers STARTTLS, or smtps://.`);
        throw new Error(`Sending the alert email through ${host}:${port} failed: ${err.response ?? err.message}`);
      }
    },
  };
}

/** The trusted CAs for the relay, read once at start; an unreadable file stops the start with its name. */
function readCaFile(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`--smtp-ca-file ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
  }
}
