import type { FastifyReply, FastifyRequest } from "fastify";

/** Whether the request's Accept header names `type` (parameters ignored). */
export function accepts(req: FastifyRequest, type: string): boolean {
  const a = req.headers.accept ?? "";
  return a.split(",").some((p) => p.split(";")[0].trim().toLowerCase() === type);
}

/**
 * GET …/certificate: Infisical's JSON `{certificate, certificateChain, serialNumber}` by default;
 * PEM to `Accept: application/x-pem-file` (or `?format=pem`), DER to `application/pkix-cert` (or `?format=der`).
 */
export function sendCertificate(req: FastifyRequest, reply: FastifyReply, r: { der: Uint8Array; pem: string; certificateChain: string; serialNumber: string }, format?: "json" | "pem" | "der") {
  const f = format ?? (accepts(req, "application/x-pem-file") ? "pem" : accepts(req, "application/pkix-cert") ? "der" : "json");
  if (f === "der") return reply.type("application/pkix-cert").send(Buffer.from(r.der));
  if (f === "pem") return reply.type("application/x-pem-file").send(r.pem);
  return reply.type("application/json; charset=utf-8").send(JSON.stringify({ certificate: r.pem, certificateChain: r.certificateChain, serialNumber: r.serialNumber }));
}

/** GET …/private-key: the PEM (Infisical), never cached; `{privateKey}` JSON to `Accept: application/json` (Stamp's client). */
export function sendPrivateKey(req: FastifyRequest, reply: FastifyReply, pem: string) {
  reply.header("cache-control", "no-store").header("pragma", "no-cache").header("expires", "0");
  if (accepts(req, "application/json")) return reply.type("application/json; charset=utf-8").send(JSON.stringify({ privateKey: pem }));
  return reply.type("application/x-pem-file").send(pem);
}
