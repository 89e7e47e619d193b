import type { AlertSender } from "../ra/alerts/ports.js";
import { createSmtpClient, type SmtpConfig } from "./smtp.js";
import { postWebhook } from "./webhook.js";

/** The alert sender port: webhooks over fetch, email over SMTP when one is configured. */
export function createAlertSender(smtp: SmtpConfig | null): AlertSender {
  const client = smtp ? createSmtpClient(smtp) : null;
  return { webhook: (url, body, headers) => postWebhook(url, body, headers), email: client ? (m) => client.send(m) : null };
}
