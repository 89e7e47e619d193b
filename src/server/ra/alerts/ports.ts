/** What the alert use cases need from the outside world; server/alerts implements it and compose.ts wires it. */
export interface AlertSender {
  /** POSTs `body` to `url` with `headers`; resolves with the HTTP status, rejects on a network error, a timeout or an egress refusal. */
  webhook(url: string, body: string, headers: Record<string, string>): Promise<{ status: number }>;
  /** Sends a plain-text email through the configured SMTP server; null when none is configured. */
  /** Why the egress policy refuses `url` before any resolution (a refused IP literal or a metadata name), or null; names are vetted again at delivery. */
  webhookRefusal(url: string): string | null;
  email: ((m: { to: string[]; subject: string; text: string; date: Date; messageId: string }) => Promise<void>) | null;
}

/** Sealing for webhook secrets (envelope encryption under the root key). */
export interface AlertSecretPort {
  seal(plaintext: Uint8Array, aad: string): unknown;
  open(sealed: unknown, aad: string): Uint8Array;
}
