import type { Server, Socket } from "node:net";

/**
 * TLS 1.2 suites: ECDHE (forward secrecy) with an AEAD cipher only — no CBC, no RSA key
 * exchange (RFC 9325 §4.2, Mozilla "intermediate"). TLS 1.3 keeps OpenSSL's defaults, which
 * are all AEAD; Node sets them apart from this list.
 */
export const TLS12_CIPHERS = [
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
].join(":");

/** How long a client may take, and how many connections one address may hold. */
export interface ConnectionLimits {
  /** Time to send the request line and headers (slow-loris bound), and to finish a TLS handshake. */
  headersTimeoutMs: number;
  /** Time to send the whole request. */
  requestTimeoutMs: number;
  /** Time an idle keep-alive connection stays open. */
  keepAliveTimeoutMs: number;
  /** Open connections allowed per client address; more are closed at once. */
  maxConnectionsPerAddress: number;
}

/**
 * Node server options for these limits (and, with `tls`, TLS ≥ 1.2 with AEAD suites only).
 * Node checks the header and request timeouts every `connectionsCheckingInterval`, so it is
 * kept well below the header timeout.
 */
export function serverOptions(limits: ConnectionLimits) {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.max(100, Math.min(5000, Math.floor(limits.headersTimeoutMs / 4))),
  };
}

/** The TLS part of the HTTPS options: versions, suites, and the handshake bound. */
export function tlsOptions(limits: ConnectionLimits) {
  return { minVersion: "TLSv1.2" as const, ciphers: TLS12_CIPHERS, honorCipherOrder: true, handshakeTimeout: limits.headersTimeoutMs };
}

/**
 * Counts open sockets per remote address and destroys a new one beyond `max`, so one client
 * cannot hold every socket the process has (issue 14: 200 slow connections stayed open).
 */
export function limitConnectionsPerAddress(server: Server, max: number): void {
  const open = new Map<string, number>();
  server.on("connection", (socket) => {
    const addr = socket.remoteAddress ?? "?";
    const n = (open.get(addr) ?? 0) + 1;
    if (n > max) {
      socket.destroy();
      return;
    }
    open.set(addr, n);
    socket.once("close", () => {
      const left = (open.get(addr) ?? 1) - 1;
      if (left <= 0) open.delete(addr);
      else open.set(addr, left);
    });
  });
}

/**
 * A plain-HTTP request sent to the HTTPS listener (`curl http://…:8443`) gets a short plain-text
 * 400 naming the https:// URL, instead of a connection closed without a word. OpenSSL recognises
 * the HTTP request line (ERR_SSL_HTTP_REQUEST) before any TLS is set up, so the answer goes out on
 * the raw TCP socket, unencrypted, as the client expects.
 */
export function answerPlainHttpOnTls(server: Server, publicUrl: () => string): void {
  server.on("tlsClientError", (err: NodeJS.ErrnoException, tlsSocket: { _parent?: Socket | null }) => {
    const raw = tlsSocket._parent;
    if (err.code !== "ERR_SSL_HTTP_REQUEST" || !raw || raw.destroyed || !raw.writable) return;
    const body = `This port speaks HTTPS, not plain HTTP. Use ${publicUrl()} (for curl: https://, with --cacert <data dir>/tls-ca.pem for the auto TLS certificate).\n`;
    raw.end(`HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
}
