import { isIP } from "node:net";
import tls from "node:tls";
import { reverseDnsName } from "./identifier.js";
import type { Egress } from "./egress.js";
import { candidates, resolveVetted, vaEgress } from "./resolve.js";
import { fail, type Attempt, type VaConfig } from "./types.js";

// RFC 8737 §6.2: the ALPN protocol that marks a validation handshake.
const ACME_TLS_1 = "acme-tls/1";
const TRANSIENT_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH"]);

const clip = (s: string, n = 160) => (s.length > n ? `${s.slice(0, n)}…` : s);

type Handshake = { alpn: string | false; der?: Uint8Array };

/** One TLS handshake with `address`, offering only acme-tls/1; resolves with what the peer presented. */
function handshake(egress: Egress, host: string, address: string, port: number, servername: string | undefined, signal: AbortSignal): Promise<Handshake> {
  return new Promise<Handshake>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    // Through the egress policy: the vetted address only, re-checked once connected.
    const socket = egress.connect({
      host,
      address,
      port,
      tls: {
        ...(servername ? { servername } : {}),
        ALPNProtocols: [ACME_TLS_1],
        // RFC 8737 §3: the certificate is self-signed by design; it is judged by its content.
        rejectUnauthorized: false,
        minVersion: "TLSv1.2", // RFC 8737 §4
      },
    }) as tls.TLSSocket;
    const onAbort = () => socket.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" }));
    signal.addEventListener("abort", onAbort, { once: true });
    const settle = () => signal.removeEventListener("abort", onAbort);
    socket.once("secureConnect", () => {
      settle();
      const cert = socket.getPeerCertificate(false);
      const raw = cert && "raw" in cert ? cert.raw : undefined;
      resolve({ alpn: socket.alpnProtocol ?? false, der: raw ? new Uint8Array(raw) : undefined });
      socket.destroy();
    });
    socket.once("error", (e) => {
      settle();
      socket.destroy();
      reject(e);
    });
  });
}

/** One tls-alpn-01 attempt (RFC 8737 §3; IP identifiers with a reverse-DNS SNI, RFC 8738 §6), bounded by `cfg.timeoutMs`. */
export async function tlsAlpn01Attempt(
  host: string,
  check: (certDer: Uint8Array) => string | null,
  cfg: Pick<VaConfig, "tlsAlpn01Port" | "timeoutMs" | "allowPrivateAddresses" | "resolveHost" | "egressAllow">,
): Promise<Attempt> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error("timeout")), cfg.timeoutMs);
  try {
    const vetted = await resolveVetted(host, cfg, ac.signal, true);
    if (!vetted.ok) return vetted;
    const sni = isIP(host) ? reverseDnsName(host) : host;
    const where = `${isIP(host) === 6 ? `[${host}]` : host}:${cfg.tlsAlpn01Port}`;
    let got: Handshake | undefined;
    let lastErr: unknown;
    let addressUsed = "";
    for (const address of candidates(vetted.addresses)) {
      addressUsed = address;
      try {
        got = await handshake(vaEgress(cfg), host, address, cfg.tlsAlpn01Port, sni, ac.signal);
        break;
      } catch (e) {
        lastErr = e;
        if (ac.signal.aborted) break;
      }
    }
    if (!got) {
      if (ac.signal.aborted) return fail("connection", `Timed out after ${cfg.timeoutMs} ms connecting to ${where} (${addressUsed}).`, true);
      const code = (lastErr as { code?: string })?.code ?? "";
      const msg = clip(String((lastErr as Error)?.message ?? lastErr), 128);
      if (code.startsWith("ERR_SSL") || code.startsWith("ERR_TLS") || /alert|SSL|TLS/i.test(msg)) {
        return fail("tls", `TLS handshake with ${where} (${addressUsed}) failed: ${msg}.`);
      }
      return fail("connection", `Could not connect to ${where} (${addressUsed}): ${code || msg}.`, TRANSIENT_CODES.has(code));
    }
    if (got.alpn !== ACME_TLS_1) return fail("tls", `${where} did not negotiate the ${ACME_TLS_1} protocol (RFC 8737 §3); it chose ${got.alpn === false ? "none" : JSON.stringify(clip(got.alpn, 32))}.`);
    if (!got.der || got.der.length === 0) return fail("tls", `${where} presented no certificate.`);
    // The certificate's content (critical acmeIdentifier, the single subjectAltName of RFC 8737 §3 /
    // RFC 8738 §6) is judged by the caller's check (pki's tlsAlpn01Check), one implementation only.
    let reason: string | null;
    try {
      reason = check(got.der);
    } catch {
      reason = "the certificate could not be checked";
    }
    if (reason !== null) return fail("incorrectResponse", `Incorrect validation certificate from ${where}: ${clip(reason)}.`);
    return { ok: true, record: { hostname: host, port: cfg.tlsAlpn01Port, addressesResolved: vetted.addresses, addressUsed, sni, alpn: ACME_TLS_1 } };
  } catch (e) {
    return fail("connection", ac.signal.aborted ? `Timed out after ${cfg.timeoutMs} ms.` : `Validation failed: ${clip(String((e as Error)?.message ?? e), 128)}`, true);
  } finally {
    clearTimeout(timer);
  }
}
