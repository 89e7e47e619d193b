import { createServer, type Server } from "node:http";
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";

/** A tiny HTTP server on 127.0.0.1:`port` serving `<root>/.well-known/acme-challenge/<token>` for http-01. */
export async function startWebroot(root: string, port: number): Promise<{ root: string; challengeDir: string; close(): Promise<void> }> {
  const challengeDir = path.join(root, ".well-known", "acme-challenge");
  mkdirSync(challengeDir, { recursive: true });
  const srv: Server = createServer((req, res) => {
    const m = /^\/\.well-known\/acme-challenge\/([A-Za-z0-9_-]+)$/.exec(req.url ?? "");
    let body: Buffer | null = null;
    if (m) {
      try {
        body = readFileSync(path.join(challengeDir, m[1]!));
      } catch {
        body = null;
      }
    }
    res.writeHead(body ? 200 : 404, { "content-type": "text/plain" });
    res.end(body ?? "not found");
  });
  await new Promise<void>((resolve, reject) => {
    srv.once("error", reject);
    srv.listen(port, "127.0.0.1", () => resolve());
  });
  return {
    root,
    challengeDir,
    close: () => new Promise<void>((resolve) => {
      srv.closeAllConnections();
      srv.close(() => resolve());
    }),
  };
}

/** The PEM certificates in `text`, in order. */
export function pemBlocks(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g) ?? [];
}
