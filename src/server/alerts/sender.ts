import type { AlertSender } from "../ra/alerts/ports.js";
import { refusalMessage, type Egress } from "../va/egress.js";
import { createSmtpClient, type SmtpConfig } from "./smtp.js";
import { postWebhook } from "./webhook.js";

/** The alert sender port: webhooks and email (when SMTP is configured), both through the egress policy. */
export function createAlertSender(smtp: SmtpConfig | null, egress: Egress): AlertSender {
  const client = smtp ? createSmtpClient(smtp, egress) : null;
  return {
    webhook: (url, body, headers) => postWebhook(egress, url, body, headers),
    email: client ? (m) => client.send(m) : null,
    webhookRefusal(url) {
      let host: string;
      try {
        host = new URL(url).hostname;
      } catch {
        return null; // the contract already refused it
      }
      const r = egress.hostRefusal(host);
      return r && refusalMessage(r);
    },
  };
}
