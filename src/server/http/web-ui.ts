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

/**
 * Serves the web UI on the API's origin: `/` and every path that is neither the API nor a
 * protocol endpoint get index.html when a browser asks for a page (the UI routes in the
 * browser); files under /assets/ are served with a year's caching. A request that wants
 * anything but HTML for an unknown path still gets the API's problem+json 404. The pages
 * carry the strict CSP of security-headers.ts (no inline script, frame-ancestors 'none').
 */
export function registerWebUi(app: FastifyInstance, root = WEB_DIST): void {
  let assets: Map<string, Asset>;
  try {
    assets = loadAssets(root);
  } catch {
    assets = new Map();
  }
  const index = assets.get("/index.html");
  app.get("/*", { schema: { hide: true } }, async (req, reply) => {
    const pathname = req.url.split("?")[0];
    const file = assets.get(pathname);
    if (file && pathname !== "/index.html") return send(req, reply, file);
    const wantsPage = (req.method === "GET" || req.method === "HEAD") && /\btext\/html\b/.test(String(req.headers.accept ?? ""));
    const uiPath = !/^\/(api|acme|\.well-known|scep|est)(\/|$)/.test(pathname) && !pathname.startsWith("/assets/");
    if (!wantsPage || !uiPath) return notFoundHandler(req, reply);
    if (!index) return reply.code(503).type("text/plain; charset=utf-8").send("The web UI is not built: run `npm run build:web` (npm start and npm ci do it), then restart the server.\n");
    return send(req, reply, index);
  });
}
