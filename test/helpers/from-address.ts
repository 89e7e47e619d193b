import http from "node:http";

/**
 * A JSON request sent from a chosen loopback source address (any 127.x.y.z on Linux), so a
 * test can act as several clients: per-address limits then count each one separately.
 */
export function requestFrom(localAddress: string, url: string, method: string, body: unknown): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: any }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, localAddress, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : null;
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
      });
    });
    req.on("error", reject);
    req.end(payload);
  });
}
