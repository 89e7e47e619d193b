import net from "node:net";
import type { Egress } from "../va/egress.js";

/** Where and as whom alert emails are sent. */
export interface SmtpConfig {
  /** smtp://host[:port] (plain, port 25 by default) or smtps://host[:port] (TLS from the start, port 465). */
  url: string;
  /** The envelope and header sender. */
  from: string;
  /** Name sent in EHLO. */
  heloName?: string;
  /** Bound on each reply, in milliseconds. */
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

/** No CR or LF in a header value or an address (header and command injection). */
const oneLine = (s: string) => s.replace(/[\r\n]+/g, " ");

/** The message in RFC 5322 form, CRLF line ends, with RFC 5321 §4.5.2 dot-stuffing applied. */
export function formatMessage(from: string, m: MailMessage): string {
  const headers = [
    `From: ${oneLine(from)}`,
    `To: ${m.to.map(oneLine).join(", ")}`,
    `Subject: ${oneLine(m.subject)}`,
    `Date: ${m.date.toUTCString().replace("GMT", "+0000")}`,
    `Message-ID: <${oneLine(m.messageId)}>`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
  ];
  const body = m.text.replace(/\r?\n/g, "\r\n").split("\r\n").map((l) => (l.startsWith(".") ? `.${l}` : l));
  return `${headers.join("\r\n")}\r\n\r\n${body.join("\r\n")}\r\n`;
}

/**
 * A minimal SMTP client (RFC 5321): EHLO, MAIL FROM, RCPT TO for each recipient, DATA with
 * dot-stuffing, QUIT. No STARTTLS or AUTH: point it at a local relay, or use smtps:// for TLS.
 * Every reply is bounded by a timeout; any unexpected reply fails the send. The relay is reached
 * through the egress policy like any destination (a private relay must be in --egress-allow).
 */
export function createSmtpClient(cfg: SmtpConfig, egress: Egress) {
  const u = new URL(cfg.url);
  const secure = u.protocol === "smtps:";
  const host = u.hostname.replace(/^\[|\]$/g, "");
  const port = Number(u.port || (secure ? 465 : 25));
  const timeoutMs = cfg.timeoutMs ?? 10_000;

  return {
    /** Sends one message; rejects with the server's reply when it refuses a step. */
    async send(m: MailMessage): Promise<void> {
      const socket: net.Socket = await egress
        .connectHost({ host, port, tls: secure ? { servername: net.isIP(host) ? undefined : host } : undefined, signal: AbortSignal.timeout(timeoutMs) })
        .catch((e: Error & { code?: string }) => {
          throw e.code === "EGRESS_REFUSED" ? e : new Error(`SMTP connection to ${host}:${port} failed: ${e.message}`);
        });
      socket.setEncoding("utf8");
      let buffer = "";
      let waiting: { resolve: (r: { code: number; text: string }) => void; reject: (e: Error) => void } | null = null;
      let failure: Error | null = null;
      const lines: string[] = [];
      const fail = (e: Error) => {
        failure ??= e;
        waiting?.reject(failure);
        waiting = null;
      };
      // A reply is one or more lines "NNN-text" ending with "NNN text" (RFC 5321 §4.2.1).
      const tryReply = () => {
        if (!waiting) return;
        const end = lines.findIndex((l) => /^\d{3}( |$)/.test(l));
        if (end < 0) return;
        const reply = lines.splice(0, end + 1);
        const last = reply[reply.length - 1];
        const w = waiting;
        waiting = null;
        w.resolve({ code: Number(last.slice(0, 3)), text: reply.map((l) => l.slice(4)).join(" ").slice(0, 300) });
      };
      socket.on("data", (chunk: string) => {
        buffer += chunk;
        if (buffer.length > 65_536) return fail(new Error("The SMTP server sent an over-long reply."));
        let i: number;
        while ((i = buffer.indexOf("\n")) >= 0) {
          lines.push(buffer.slice(0, i).replace(/\r$/, ""));
          buffer = buffer.slice(i + 1);
        }
        tryReply();
      });
      socket.on("error", (e) => fail(new Error(`SMTP connection to ${host}:${port} failed: ${e.message}`)));
      socket.on("close", () => fail(new Error("The SMTP server closed the connection.")));
      socket.setTimeout(timeoutMs, () => {
        fail(new Error(`The SMTP server at ${host}:${port} did not answer within ${timeoutMs} ms.`));
        socket.destroy();
      });
      const reply = () =>
        new Promise<{ code: number; text: string }>((resolve, reject) => {
          if (failure) return reject(failure);
          waiting = { resolve, reject };
          tryReply();
        });
      const step = async (command: string | null, expect: number[]) => {
        if (command !== null) socket.write(`${command}\r\n`);
        const r = await reply();
        if (!expect.includes(r.code)) throw new Error(`The SMTP server refused ${command?.split(/[ :]/)[0] ?? "the connection"}: ${r.code} ${r.text}`);
        return r;
      };
      try {
        await step(null, [220]);
        await step(`EHLO ${oneLine(cfg.heloName ?? "stamp.local")}`, [250]);
        await step(`MAIL FROM:<${oneLine(cfg.from)}>`, [250]);
        for (const to of m.to) await step(`RCPT TO:<${oneLine(to)}>`, [250, 251]);
        await step("DATA", [354]);
        socket.write(formatMessage(cfg.from, m));
        await step(".", [250]);
        await step("QUIT", [221]).catch(() => undefined);
      } finally {
        socket.destroy();
      }
    },
  };
}
