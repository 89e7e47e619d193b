import { randomUUID } from "node:crypto";
import { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from "fastify";

/** A client's own request id is kept when it is short and plain; anything else gets a fresh UUID. */
const CLIENT_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * One log line per request, when it completes: method, path (never the query, which may carry
 * secrets), status and time, instead of Fastify's two ("incoming request", "request completed").
 * `--log-level debug` adds a line when each request arrives.
 */
class OneLinePerRequest extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ method: request.method, path: pathOf(request.url), remote: request.ip }, "request received");
  }
  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { method: request.method, path: pathOf(request.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 };
    if (error) reply.log.error({ ...line, err: error }, "request");
    else reply.log.info(line, "request");
  }
}

/** Fastify options for request ids (from `x-request-id` when sane, else made here) and the request log. */
export function requestLogOptions(): Pick<FastifyServerOptions, "genReqId" | "logController"> {
  return {
    genReqId(req) {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && CLIENT_ID.test(given) ? given : randomUUID();
    },
    logController: new OneLinePerRequest(),
  };
}

/** Sends every request's id back as `x-request-id`, errors included, so a user can quote it. */
export function registerRequestId(app: FastifyInstance): void {
  app.addHook("onRequest", async (req, reply) => {
    reply.header("x-request-id", req.id);
  });
}

function pathOf(url: string): string {
  const q = url.indexOf("?");
  const p = q < 0 ? url : `${url.slice(0, q)}?…`;
  return p.length > 200 ? `${p.slice(0, 200)}…` : p;
}
