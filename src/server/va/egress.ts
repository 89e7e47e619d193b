import { lookup } from "node:dns/promises";
import net, { isIP, type LookupFunction } from "node:net";
import tls from "node:tls";
import { addressClass, canonicalIp, embeddedIpv4, inPrefix, isMetadataName, normalizeName } from "./address-policy.js";
import { parseIp } from "../../pki/ip.js";

// The one egress policy (ARCHITECTURE.md: va/ with egress.ts makes every outbound connection).
// Alert webhooks, SMTP and ACME validation resolve, vet and connect through it, so a project admin
// cannot point the server at loopback, private, link-local, metadata or unique-local destinations
// (an SSRF), and DNS rebinding cannot get round it: the address vetted is the address connected
// to, and the socket's remote address is checked again once connected. docs/egress.md.

/** Why a destination was refused: the host asked for, the address judged (if any), and the reason. */
export interface Refusal {
  host: string;
  address: string | null;
  /** "10.0.0.1 is a private address (RFC 1918)" */
  what: string;
  /** The --egress-allow entry that would let it through. */
  allowWith: string;
}

/** How a policy is built: the operator's allow-list (CIDRs, names, `*.suffix`), and the resolver. */
export interface EgressOptions {
  /** Entries as parseEgressAllow accepted them. */
  allow?: readonly string[];
  /** Resolves a host name to its addresses; default: the system resolver (getaddrinfo). */
  resolveHost?: (host: string) => Promise<string[]>;
}

/** The policy: pre-checks, vetted resolution, guarded connections. */
export interface Egress {
  /** Why `host` (a URL host or raw host) is refused before any resolution — a refused IP literal or a metadata name — or null. */
  hostRefusal(host: string): Refusal | null;
  /** Why `address` (an IP literal reached for `host`) is refused, or null. */
  addressRefusal(address: string, host?: string): Refusal | null;
  /** Resolves `host` and vets every address; rejects with an egress refusal (see refusalOf) or the resolver's error. */
  resolve(host: string, signal?: AbortSignal): Promise<string[]>;
  /** A `lookup` for node:net/tls/http that resolves through `resolve`, so a refused address is never connected to. */
  lookup: LookupFunction;
  /** Connects to an already vetted address of `host` (TCP, or TLS with `tls`); the remote address is checked again on connect. */
  connect(o: { host?: string; address: string; port: number; tls?: tls.ConnectionOptions }): net.Socket;
  /** Resolves `host`, then connects to the first vetted address that answers; resolves once connected (and the TLS handshake is done). */
  connectHost(o: { host: string; port: number; tls?: tls.ConnectionOptions; signal: AbortSignal }): Promise<net.Socket>;
}

/** Connection failures after which the next address of a name is tried. */
export const NEXT_ADDRESS = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL"]);

type Cidr = { bytes: Uint8Array; bits: number };
const EGRESS_REFUSED = "EGRESS_REFUSED";
/** The "host" of the check made once a socket is connected. */
const CONNECTED = "\0connected";

/** The system resolver: every address getaddrinfo returns, in its order. */
export async function systemResolveHost(host: string): Promise<string[]> {
  const found = await lookup(host, { all: true, verbatim: true });
  return found.map((a) => a.address);
}

/** Rejects when `signal` aborts, so an uncancellable wait (getaddrinfo) stays bounded. */
export function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

const NAME_RE = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** Splits and checks `--egress-allow`: CIDRs (`10.0.0.0/8`, `fd00::/8`), addresses, host names and `*.suffix`; every bad entry named. */
export function parseEgressAllow(raw: string): { entries: string[] } | { errors: string[] } {
  const entries: string[] = [];
  const errors: string[] = [];
  for (const item of raw.split(",").map((s) => s.trim()).filter(Boolean)) {
    const e = item.toLowerCase();
    if (parseCidr(e)) entries.push(e);
    else if (e.startsWith("*.") && NAME_RE.test(normalizeName(e.slice(2)))) entries.push(`*.${normalizeName(e.slice(2))}`);
    else if (!e.includes("/") && !e.includes(":") && canonicalIp(e) === null && NAME_RE.test(normalizeName(e))) entries.push(normalizeName(e));
    else errors.push(`${JSON.stringify(item.slice(0, 100))} is not a CIDR (10.0.0.0/8, fd00::/8), an IP address, a host name or *.suffix`);
  }
  return errors.length ? { errors } : { entries };
}

function parseCidr(e: string): Cidr | null {
  const [ip, bitsText, ...rest] = e.split("/");
  if (rest.length) return null;
  if (isIP(ip) === 0 || ip.includes("%")) return null;
  const bytes = parseIp(ip)!;
  const max = bytes.length * 8;
  const bits = bitsText === undefined ? max : /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : -1;
  return bits >= 0 && bits <= max ? { bytes, bits } : null;
}

const article = (kind: string) => (/^(unspecified|IETF|IPv4)/.test(kind) ? "an" : "a");

/** The message a refusal is reported with (delivery log, SMTP errors): what, and how to allow it. */
export function refusalMessage(r: Refusal): string {
  return `Refused by the egress policy: ${r.what}. Allow it with --egress-allow ${r.allowWith} (see docs/egress.md).`;
}

/** The error a refused destination rejects with. */
export function egressRefusedError(r: Refusal): Error & { code: string; refusal: Refusal } {
  return Object.assign(new Error(refusalMessage(r)), { code: EGRESS_REFUSED, refusal: r });
}

/** The refusal an error carries, or null when `e` is another failure. */
export function refusalOf(e: unknown): Refusal | null {
  return (e as { code?: string })?.code === EGRESS_REFUSED ? ((e as { refusal: Refusal }).refusal ?? null) : null;
}

/** Builds the egress policy from the operator's allow-list. */
export function createEgress(opts: EgressOptions = {}): Egress {
  const cidrs: Cidr[] = [];
  const names = new Set<string>();
  const suffixes: string[] = [];
  for (const e of opts.allow ?? []) {
    const c = parseCidr(e);
    if (c) cidrs.push(c);
    else if (e.startsWith("*.")) suffixes.push(e.slice(1));
    else names.add(normalizeName(e));
  }
  const resolveHost = opts.resolveHost ?? systemResolveHost;

  const nameAllowed = (host: string) => {
    const n = normalizeName(host);
    return names.has(n) || suffixes.some((s) => n.endsWith(s));
  };
  const addressAllowed = (address: string) => {
    const b = parseIp(address);
    if (!b) return false;
    const v4 = embeddedIpv4(b);
    const forms = v4 ? [b, parseIp(v4)!] : [b];
    return cidrs.some((c) => forms.some((f) => inPrefix(f, c.bytes, c.bits)));
  };

  function addressRefusal(address: string, host?: string): Refusal | null {
    const a = canonicalIp(address);
    if (a === null) return { host: host ?? address, address, what: `${address} is not an IP address`, allowWith: address };
    if (addressAllowed(a)) return null;
    const c = addressClass(a);
    if (!c) return null;
    const kind = `${article(c.kind)} ${c.kind} address (${c.ref})`;
    const given = host ?? address;
    let what = `${host} resolves to ${a}, ${kind}`;
    if (host === CONNECTED) what = `the connection reached ${a}, ${kind}`;
    else if (!host || canonicalIp(host) !== null) what = normalizeName(given) === a ? `${a} is ${kind}` : `${given} means ${a}, ${kind}`;
    return { host: host === CONNECTED ? a : given, address: a, what, allowWith: a };
  }

  function hostRefusal(host: string): Refusal | null {
    const h = host.replace(/^\[(.*)\]$/, "$1");
    const ip = canonicalIp(h);
    if (ip !== null) return addressRefusal(ip, h);
    if (isMetadataName(h) && !nameAllowed(h)) return { host: h, address: null, what: `${normalizeName(h)} is a cloud instance metadata host name`, allowWith: normalizeName(h) };
    return null;
  }

  async function resolve(host: string, signal?: AbortSignal): Promise<string[]> {
    const h = host.replace(/^\[(.*)\]$/, "$1");
    const pre = hostRefusal(h);
    if (pre) throw egressRefusedError(pre);
    const ip = canonicalIp(h);
    if (ip !== null) return [ip];
    const answer = resolveHost(h);
    let found = await (signal ? raceAbort(answer, signal) : answer);
    found = [...new Set(found.filter((a) => isIP(a) !== 0 && !a.includes("%")).map((a) => a.toLowerCase()))];
    if (found.length === 0) throw Object.assign(new Error(`No addresses found for ${h}.`), { code: "ENOTFOUND" });
    // An allow-listed name is trusted with whatever it resolves to (the operator's choice).
    if (nameAllowed(h)) return found;
    // One refused address refuses the name, so a name cannot mix a public and an internal address.
    for (const a of found) {
      const r = addressRefusal(a, h);
      if (r) throw egressRefusedError(r);
    }
    return found;
  }

  const lookupFn = ((host: string, options: unknown, callback?: unknown) => {
    const cb = (typeof options === "function" ? options : callback) as (err: Error | null, a?: unknown, f?: number) => void;
    const o = (typeof options === "object" && options ? options : {}) as { all?: boolean; family?: number };
    resolve(host).then(
      (addresses) => {
        const pick = o.family === 4 || o.family === 6 ? addresses.filter((a) => isIP(a) === o.family) : addresses;
        if (pick.length === 0) return cb(Object.assign(new Error(`No IPv${o.family} address for ${host}.`), { code: "ENOTFOUND" }));
        if (o.all) cb(null, pick.map((address) => ({ address, family: isIP(address) })));
        else cb(null, pick[0], isIP(pick[0]));
      },
      (e: Error) => cb(e),
    );
  }) as unknown as LookupFunction;

  function connect(o: { host?: string; address: string; port: number; tls?: tls.ConnectionOptions }): net.Socket {
    const socket = o.tls ? tls.connect({ ...o.tls, host: o.address, port: o.port, lookup: lookupFn }) : net.connect({ host: o.address, port: o.port, lookup: lookupFn });
    // Registered before anyone writes, so it runs before buffered data is flushed: a socket that
    // reached a refused address (a lying resolver, a bug in a caller) is destroyed unused.
    socket.once("connect", () => {
      if (o.host && canonicalIp(o.host) === null && nameAllowed(o.host)) return; // trusted with any address
      const remote = socket.remoteAddress;
      const r = addressRefusal(remote ?? o.address, CONNECTED);
      if (r) socket.destroy(egressRefusedError(r));
    });
    return socket;
  }

  function connectOnce(host: string, address: string, port: number, tlsOptions: tls.ConnectionOptions | undefined, signal: AbortSignal): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const socket = connect({ host, address, port, tls: tlsOptions });
      const onAbort = () => socket.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" }));
      signal.addEventListener("abort", onAbort, { once: true });
      const settle = () => signal.removeEventListener("abort", onAbort);
      socket.once(tlsOptions ? "secureConnect" : "connect", () => {
        settle();
        socket.removeListener("error", onError);
        resolve(socket);
      });
      const onError = (e: Error) => {
        settle();
        socket.destroy();
        reject(e);
      };
      socket.once("error", onError);
    });
  }

  async function connectHost(o: { host: string; port: number; tls?: tls.ConnectionOptions; signal: AbortSignal }): Promise<net.Socket> {
    const tryAt = candidates(await resolve(o.host, o.signal));
    for (const [i, address] of tryAt.entries()) {
      try {
        return await connectOnce(o.host, address, o.port, o.tls, o.signal);
      } catch (e) {
        if (o.signal.aborted || i === tryAt.length - 1 || !NEXT_ADDRESS.has((e as { code?: string }).code ?? "")) throw e;
      }
    }
    throw Object.assign(new Error(`No addresses found for ${o.host}.`), { code: "ENOTFOUND" });
  }

  return { hostRefusal, addressRefusal, resolve, lookup: lookupFn, connect, connectHost };
}

/** The addresses to try, in order: the first IPv6 then the first IPv4 (as Boulder does). */
export function candidates(addresses: string[]): string[] {
  const v6 = addresses.find((a) => isIP(a) === 6);
  const v4 = addresses.find((a) => isIP(a) === 4);
  return [v6, v4].filter((a): a is string => a !== undefined);
}
