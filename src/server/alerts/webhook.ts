/** Bound on one webhook request, connection to last byte. */
const TIMEOUT_MS = 10_000;

/**
 * POSTs an alert to a webhook URL the project admin configured. Redirects are not followed (a
 * 3xx is a failed attempt), the response body is read at most 64 KiB and never stored, and the
 * whole request is bounded by a 10 s timeout. Any host is allowed: webhook URLs are the
 * operator's own (docs/alerts.md), unlike ACME validation targets.
 */
export async function postWebhook(url: string, body: string, headers: Record<string, string>, timeoutMs = TIMEOUT_MS): Promise<{ status: number }> {
  const res = await fetch(url, { method: "POST", headers, body, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
  // Drain a little so the connection can be reused, then drop the rest.
  const reader = res.body?.getReader();
  if (reader) {
    let seen = 0;
    try {
      while (seen < 65_536) {
        const r = await reader.read();
        if (r.done) break;
        seen += r.value.byteLength;
      }
    } finally {
      await reader.cancel().catch(() => {});
    }
  }
  return { status: res.status };
}
