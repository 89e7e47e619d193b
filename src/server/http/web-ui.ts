import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { notFoundHandler } from "./problem.js";

/** Where `vite build` writes the web UI (web/vite.config.ts). */
export const WEB_DIST = fileURLToPath(new URL("../../../web/dist/", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
};
/** Vite names files under assets/ by their content hash: they never change, so cache them for good. */
const IMMUTABLE = "public, max-age=31536000, immutable";

interface Asset {
  type: string;
  body: Buffer;
  gzip: Buffer | null;
  cacheControl: string;
}

/** Every file of the built UI, read once at start (a few hundred KB), gzipped where it pays. */
function loadAssets(root: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) {
        walk(file);
        continue;
      }
      const type = TYPES[path.extname(name)];
      if (!type) continue;
      const url = "/" + path.relative(root, file).split(path.sep).join("/");
      const body = readFileSync(file);
      const compressible = /^(text\/|image\/svg|application\/json)/.test(type) && body.length > 1024;
      assets.set(url, { type, body, gzip: compressible ? gzipSync(body, { level: 9 }) : null, cacheControl: url.startsWith("/assets/") ? IMMUTABLE : "no-cache" });
    }
  };
  walk(root);
  return assets;
}

/** Sends one asset, gzipped when the client takes it (RFC 9110 §12.5.3). */
function send(req: FastifyRequest, reply: FastifyReply, a: Asset) {
  reply.header("content-type", a.type).header("cache-control", a.cacheControl).header("vary", "accept-encoding");
  if (a.gzip && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""))) return reply.header("content-encoding", "gzip").send(a.gzip);
  return reply.send(a.body);
}

/** The web UI's routes and its part of the not-found handler (see createWebUi). */
export interface WebUi {
  /** Registers the built files (`/`, `/assets/*`, the favicon). */
  register(app: FastifyInstance): void;
  /** index.html for a browser asking for a page the UI routes; the API's problem+json 404 otherwise. */
  notFound(req: FastifyRequest, reply: FastifyReply): unknown;
}

/**
 * Serves the web UI on the API's origin: the built files as routes, and index.html for every
 * other path that is neither the API nor a file when a browser asks for a page (the UI routes
 * in the browser) — done in the not-found handler, so the API's own routing (its 404s and the
 * router's 414 for an over-long id) is untouched. Files under /assets/ are cached for a year.
 * The pages carry the strict CSP of security-headers.ts (no inline script, frame-ancestors 'none').
 */
export function createWebUi(root = WEB_DIST): WebUi {
  let assets: Map<string, Asset>;
  try {
    assets = loadAssets(root);
  } catch {
    assets = new Map();
  }
  const index = assets.get("/index.html");
  const page = (req: FastifyRequest, reply: FastifyReply) => {
    if (!index) return reply.code(503).type("text/plain; charset=utf-8").send("The web UI is not built: run `npm run build:web` (npm ci and npm start do it), then restart the server.\n");
    // From the not-found handler, whose status is 404 until set.
    return send(req, reply.code(200), index);
  };
  return {
    register(app) {
      app.get("/", { schema: { hide: true } }, page);
      for (const [url, file] of assets) if (url !== "/index.html") app.get(url, { schema: { hide: true } }, (req, reply) => send(req, reply, file));
    },
    notFound(req, reply) {
      const pathname = req.url.split("?")[0];
      const wantsPage = (req.method === "GET" || req.method === "HEAD") && /\btext\/html\b/.test(String(req.headers.accept ?? ""));
      const uiPath = !/^\/(api|assets|\.well-known)(\/|$)/.test(pathname);
      return wantsPage && uiPath ? page(req, reply) : notFoundHandler(req, reply);
    },
  };
}
