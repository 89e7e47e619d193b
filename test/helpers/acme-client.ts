import { execFile } from "node:child_process";
import { createHash, createHmac, createPrivateKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import os from "node:os";
import path from "node:path";

/** A small RFC 8555 client for tests: ES256 keys, JWS, nonces, EAB, orders, http-01 answers. */

export const b64u = (b: Uint8Array | string) => Buffer.from(b).toString("base64url");
const json64 = (v: unknown) => b64u(JSON.stringify(v));

/** An answer from the server: status, lower-case headers, text and (when JSON) the parsed body. */
export interface AcmeAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
  body: any;
}

/** An ES256 key pair with its public JWK and RFC 7638 thumbprint. */
export interface AcmeKey {
  privateKey: KeyObject;
  jwk: Record<string, string>;
  thumbprint: string;
}

/** A fresh P-256 key (or `privateKey`'s) as an AcmeKey. */
export function acmeKey(privateKey?: KeyObject): AcmeKey {
  const priv = privateKey ?? generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey;
  const pub = priv.export({ format: "jwk" }) as Record<string, string>;
  const jwk = { crv: pub.crv, kty: pub.kty, x: pub.x, y: pub.y };
  return { privateKey: priv, jwk, thumbprint: b64u(createHash("sha256").update(JSON.stringify(jwk)).digest()) };
}

/** A flattened JWS (RFC 7515 §7.2.2) signed with ES256 (raw r‖s, RFC 7518 §3.4); `payload` "" is POST-as-GET. */
export function jws(key: AcmeKey, header: Record<string, unknown>, payload: unknown): { protected: string; payload: string; signature: string } {
  const p = json64({ alg: "ES256", ...header });
  const pl = payload === "" ? "" : json64(payload);
  const signature = b64u(sign("sha256", Buffer.from(`${p}.${pl}`), { key: key.privateKey, dsaEncoding: "ieee-p1363" }));
  return { protected: p, payload: pl, signature };
}

/** An externalAccountBinding (RFC 8555 §7.3.4): HS256 over the account JWK with the EAB key. */
export function eabJws(eab: { keyId: string; hmacKey: string }, accountJwk: Record<string, string>, url: string) {
  const p = json64({ alg: "HS256", kid: eab.keyId, url });
  const pl = json64(accountJwk);
  const signature = b64u(createHmac("sha256", Buffer.from(eab.hmacKey, "base64url")).update(`${p}.${pl}`).digest());
  return { protected: p, payload: pl, signature };
}

/** One HTTPS request trusting only `ca`; bounded by a 30 s timeout. */
export function httpsCall(url: string, opts: { method: string; ca: string; agent?: https.Agent; headers?: Record<string, string>; body?: string | Buffer }): Promise<AcmeAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: opts.method, ca: opts.ca, agent: opts.agent, headers: opts.headers, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : String(v);
        const text = Buffer.concat(chunks).toString("utf8");
        let body: unknown = undefined;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          /* PEM or empty */
        }
        resolve({ status: res.statusCode ?? 0, headers, text, body });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error(`timeout: ${opts.method} ${url}`)));
    req.end(opts.body);
  });
}

export interface Directory {
  newNonce: string;
  newAccount: string;
  newOrder: string;
  revokeCert: string;
  keyChange: string;
  renewalInfo: string;
  meta?: Record<string, unknown>;
}

/**
 * An ACME client. Every request is sent to `route(url)` (by default the URL itself; a test may
 * spread requests over servers behind one public URL) and every Replay-Nonce is kept for reuse.
 */
export class AcmeClient {
  dir!: Directory;
  key: AcmeKey;
  kid?: string;
  readonly nonces: string[] = [];
  /** Problem types of every error answer, in order (tests check e.g. that no badNonce happened). */
  readonly problems: string[] = [];
  private readonly ca: string;
  private readonly agent?: https.Agent;
  private readonly route: (url: string) => string;

  constructor(
    readonly directoryUrl: string,
    opts: { ca: string; agent?: https.Agent; key?: AcmeKey; route?: (url: string) => string },
  ) {
    this.ca = opts.ca;
    this.agent = opts.agent;
    this.key = opts.key ?? acmeKey();
    this.route = opts.route ?? ((u) => u);
  }

  /** A raw request (to the routed URL); keeps the Replay-Nonce. */
  async call(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<AcmeAnswer> {
    const payload = body === undefined ? undefined : typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const h = { ...(payload !== undefined ? { "content-type": "application/jose+json" } : {}), ...headers };
    const r = await httpsCall(this.route(url), { method, ca: this.ca, agent: this.agent, headers: h, body: payload });
    if (r.headers["replay-nonce"]) this.nonces.push(r.headers["replay-nonce"]);
    if (r.status >= 400 && typeof r.body?.type === "string") this.problems.push(r.body.type.replace("urn:ietf:params:acme:error:", ""));
    return r;
  }

  /** GET directory. */
  async init(): Promise<Directory> {
    const r = await this.call("GET", this.directoryUrl);
    if (r.status !== 200) throw new Error(`directory: ${r.status} ${r.text}`);
    this.dir = r.body;
    return this.dir;
  }

  /** A nonce: one kept from an earlier answer, else HEAD new-nonce. */
  async nonce(): Promise<string> {
    const n = this.nonces.shift();
    if (n) return n;
    const r = await this.call("HEAD", this.dir.newNonce);
    if (!r.headers["replay-nonce"]) throw new Error(`new-nonce: ${r.status}`);
    return this.nonces.shift()!;
  }

  /** A signed POST: `payload` "" is POST-as-GET; by kid when there is an account, unless `jwk` (or `key`) says otherwise. */
  async post(url: string, payload: unknown, opts: { jwk?: boolean; key?: AcmeKey; kid?: string; nonce?: string; header?: Record<string, unknown> } = {}): Promise<AcmeAnswer> {
    const key = opts.key ?? this.key;
    const nonce = opts.nonce ?? (await this.nonce());
    const id = opts.jwk || (!opts.kid && !this.kid) ? { jwk: key.jwk } : { kid: opts.kid ?? this.kid };
    return this.call("POST", url, jws(key, { nonce, url, ...id, ...opts.header }, payload));
  }

  /** POST new-account with EAB (when given); sets `kid` from Location on success. */
  async newAccount(payload: Record<string, unknown> = {}, eab?: { keyId: string; hmacKey: string }): Promise<AcmeAnswer> {
    const body = { termsOfServiceAgreed: true, ...payload, ...(eab ? { externalAccountBinding: eabJws(eab, this.key.jwk, this.dir.newAccount) } : {}) };
    const r = await this.post(this.dir.newAccount, body, { jwk: true });
    if ((r.status === 200 || r.status === 201) && r.headers.location) this.kid = r.headers.location;
    return r;
  }

  /** POST key-change (RFC 8555 §7.3.5): the inner JWS is signed by `newKey`; on success the client uses it. */
  async keyChange(newKey: AcmeKey): Promise<AcmeAnswer> {
    const inner = jws(newKey, { jwk: newKey.jwk, url: this.dir.keyChange }, { account: this.kid, oldKey: this.key.jwk });
    const r = await this.post(this.dir.keyChange, inner);
    if (r.status === 200) this.key = newKey;
    return r;
  }

  newOrder(identifiers: { type: string; value: string }[] | string[], extra: Record<string, unknown> = {}) {
    const ids = identifiers.map((i) => (typeof i === "string" ? { type: "dns", value: i } : i));
    return this.post(this.dir.newOrder, { identifiers: ids, ...extra });
  }

  /** The key authorization for a token (RFC 8555 §8.1). */
  keyAuthorization(token: string) {
    return `${token}.${this.key.thumbprint}`;
  }

  /**
   * Proves every authorization of `order` with http-01 through `http01`, then answers the
   * order as it is afterwards (Stamp validates while the challenge POST waits).
   */
  async authorize(order: { authorizations: string[] }, http01: Http01Server): Promise<void> {
    for (const a of order.authorizations) {
      const authz = await this.post(a, "");
      if (authz.status !== 200) throw new Error(`authz: ${authz.text}`);
      if (authz.body.status === "valid") continue;
      const ch = authz.body.challenges.find((c: { type: string }) => c.type === "http-01");
      http01.set(ch.token, this.keyAuthorization(ch.token));
      const r = await this.post(ch.url, {});
      if (r.status !== 200 || r.body.status !== "valid") throw new Error(`challenge: ${r.status} ${r.text}`);
    }
  }

  finalize(order: { finalize: string }, csrDer: Uint8Array) {
    return this.post(order.finalize, { csr: b64u(csrDer) });
  }

  /** POST-as-GET the certificate URL: the PEM chain. */
  download(certUrl: string) {
    return this.post(certUrl, "");
  }

  /** revokeCert by this account (kid), or with `key` (jwk) — e.g. the certificate's own key. */
  revoke(certDer: Uint8Array, opts: { reason?: unknown; key?: AcmeKey } = {}) {
    const payload = { certificate: b64u(certDer), ...(opts.reason !== undefined ? { reason: opts.reason } : {}) };
    return this.post(this.dir.revokeCert, payload, opts.key ? { key: opts.key, jwk: true } : {});
  }
}

/** An http-01 responder on 127.0.0.1:`port` (where Stamp's VA connects). */
export interface Http01Server {
  set(token: string, keyAuthorization: string): void;
  close(): Promise<void>;
}

export function startHttp01(port: number): Promise<Http01Server> {
  const answers = new Map<string, string>();
  const srv = http.createServer((req, res) => {
    const m = /^\/\.well-known\/acme-challenge\/([A-Za-z0-9_-]+)$/.exec(req.url ?? "");
    const ka = m ? answers.get(m[1]) : undefined;
    if (!ka) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/octet-stream" }).end(ka);
  });
  return new Promise((resolve, reject) => {
    srv.once("error", reject);
    srv.listen(port, "127.0.0.1", () =>
      resolve({
        set: (t, ka) => answers.set(t, ka),
        close: () => new Promise<void>((r) => srv.close(() => r())),
      }),
    );
  });
}

/** A P-256 key and a DER CSR for `names` (CN = the first, SANs = all, `extra` openssl req arguments) made by openssl, without blocking the event loop. */
export async function makeCsr(names: string[], opts: { cn?: string; extra?: string[] } = {}): Promise<{ der: Uint8Array; key: KeyObject; keyPem: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "stamp-csr-"));
  try {
    const san = names.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(",");
    const args = ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "k.pem", "-subj", `/CN=${opts.cn ?? names[0]}`, "-addext", `subjectAltName=${san}`, ...(opts.extra ?? []), "-outform", "DER", "-out", "csr.der"];
    await new Promise<void>((resolve, reject) => execFile("openssl", args, { cwd: dir, timeout: 30_000 }, (err, _o, stderr) => (err ? reject(new Error(`openssl req: ${stderr}`)) : resolve())));
    const keyPem = readFileSync(path.join(dir, "k.pem"), "utf8");
    return { der: new Uint8Array(readFileSync(path.join(dir, "csr.der"))), key: createPrivateKey(keyPem), keyPem };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `openssl verify` of a PEM chain (leaf first) against `rootPem`, without blocking the event loop. */
export async function verifyPemChain(rootPem: string, chainPem: string): Promise<{ ok: boolean; out: string }> {
  const blocks = chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g) ?? [];
  const dir = mkdtempSync(path.join(os.tmpdir(), "stamp-verify-"));
  try {
    writeFileSync(path.join(dir, "root.pem"), rootPem);
    writeFileSync(path.join(dir, "untrusted.pem"), blocks.slice(1).join(""));
    writeFileSync(path.join(dir, "cert.pem"), blocks[0] ?? "");
    const args = ["verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", "root.pem", ...(blocks.length > 1 ? ["-untrusted", "untrusted.pem"] : []), "cert.pem"];
    return await new Promise((resolve) => execFile("openssl", args, { cwd: dir, timeout: 30_000 }, (err, o, e) => resolve({ ok: !err, out: `${o}${e}` })));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The DER of the first certificate of a PEM chain. */
export function firstDer(pem: string): Uint8Array {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  if (!m) throw new Error("no certificate in PEM");
  return new Uint8Array(Buffer.from(m[1].replace(/\s+/g, ""), "base64"));
}
