import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import type { ZodType } from "zod";
import { StampError, type ErrorKind, type Violation } from "../../errors.js";
import { isViolationCode } from "../../violations.js";
import { characterViolations, echoValue, sanitize } from "./input-checks.js";

const STATUS: Record<ErrorKind, { status: number; title: string }> = {
  bad_request: { status: 400, title: "Bad request" },
  validation: { status: 422, title: "Request refused by policy" },
  unauthenticated: { status: 401, title: "Unauthenticated" },
  forbidden: { status: 403, title: "Forbidden" },
  not_found: { status: 404, title: "Not found" },
  conflict: { status: 409, title: "Conflict" },
  rate_limited: { status: 429, title: "Too many requests" },
  payload_too_large: { status: 413, title: "Payload too large" },
  unavailable: { status: 503, title: "Service unavailable" },
  internal: { status: 500, title: "Internal error" },
};

/** Sends a StampError as RFC 9457 problem+json. */
export function sendProblem(reply: FastifyReply, req: FastifyRequest, e: StampError) {
  const { status, title } = STATUS[e.kind];
  if (e.retryAfterSeconds) reply.header("retry-after", String(e.retryAfterSeconds));
  if (e.kind === "unauthenticated") reply.header("www-authenticate", 'Bearer realm="stamp"');
  return reply
    .code(status)
    .type("application/problem+json")
    .send({
      type: `urn:stamp:problem:${e.kind}`,
      title,
      status,
      detail: e.message,
      instance: req.url.length > 300 ? req.url.slice(0, 300) : req.url,
      // Echoed values are short, and never a password, a secret or a PEM block (echoValue).
      violations: e.violations.length ? e.violations.map((v) => ({ ...v, field: sanitize(v.field), value: echoValue(v.field, v.value) })) : undefined,
    });
}

type Issue = { code: string; path: PropertyKey[]; message: string; input?: unknown; keys?: string[]; params?: { code?: string } };

/** zod issues as violations; an unknown field is one violation per key, with its full path. */
function issueViolations(issues: Issue[]): Violation[] {
  return issues.flatMap((i): Violation[] => {
    const path = i.path.map(String);
    if (i.code === "unrecognized_keys") {
      const given = (typeof i.input === "object" && i.input !== null ? i.input : {}) as Record<string, unknown>;
      return (i.keys ?? []).map((k) => ({ field: [...path, k].join("."), code: "unknown_field", message: `"${k}" is not a field of this request; the API documentation (/api/docs) lists the fields.`, value: given[k] }));
    }
    // zod's issue codes are in the catalog (src/violations.test.ts proves it); a refinement names its own.
    const code = i.params?.code ?? i.code;
    return [{ field: path.join(".") || "(root)", code: isViolationCode(code) ? code : "invalid", message: i.message, value: i.input }];
  });
}

/**
 * Fastify validator compiler for zod schemas: reports every issue with the value given, every
 * unknown field (request schemas are strict), and every string holding NUL, a control character
 * or an unpaired surrogate — in body, query and path alike — before any of it reaches a use case.
 */
export function zodValidatorCompiler({ schema }: { schema: ZodType }) {
  return (data: unknown) => {
    const bad = characterViolations(data);
    const r = schema.safeParse(data, { reportInput: true });
    if (r.success && !bad.length) return { value: r.data };
    const flagged = new Set(bad.map((v) => v.field));
    const violations = [...bad, ...(r.success ? [] : issueViolations(r.error.issues as Issue[]).filter((v) => v.code === "unknown_field" || !flagged.has(v.field)))];
    return { error: new StampError("bad_request", "The request is not valid; see violations.", { violations }) };
  };
}

/** The one error handler: every error leaves as problem+json, never a stack trace. */
export function errorHandler(err: FastifyError & { validationContext?: string }, req: FastifyRequest, reply: FastifyReply) {
  if (err instanceof StampError) {
    if (err.validationContext && err.violations.length) {
      // Body fields are named as the use cases name them (`configuration.country`); query and
      // path fields carry their place (`query.projectId`, `params.id`).
      const ctx = err.validationContext === "querystring" ? "query" : err.validationContext;
      const violations = err.violations.map((v) => ({ ...v, field: ctx === "body" ? v.field : `${ctx}.${v.field}` }));
      return sendProblem(reply, req, new StampError(err.kind, err.message, { violations }));
    }
    if (err.kind === "internal") req.log.error({ err: err.cause ?? err }, "internal error");
    return sendProblem(reply, req, err);
  }
  switch (err.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return sendProblem(reply, req, new StampError("payload_too_large", "The request body is too large (the limit is 1 MiB)."));
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return reply.code(415).type("application/problem+json").send({ type: "urn:stamp:problem:unsupported_media_type", title: "Unsupported media type", status: 415, detail: `Content type ${String(req.headers["content-type"] ?? "(none)").slice(0, 100)} is not accepted here; send application/json.` });
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return sendProblem(reply, req, new StampError("bad_request", "The request body is empty; send a JSON object."));
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return sendProblem(reply, req, new StampError("bad_request", "The Content-Length header does not match the body."));
  }
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    // Fastify's own client errors (bad JSON, bad headers): keep the status, plain message.
    const detail = err.code === "FST_ERR_CTP_INVALID_JSON_BODY" || err instanceof SyntaxError ? "The request body is not valid JSON." : err.message;
    return reply.code(err.statusCode).type("application/problem+json").send({ type: "urn:stamp:problem:bad_request", title: "Bad request", status: err.statusCode, detail });
  }
  req.log.error({ err }, "unhandled error");
  return sendProblem(reply, req, new StampError("internal", "Internal error; the server log has the details."));
}

/** Errors Fastify raises before routing (an over-long path segment, a bad URL), as problem+json. */
export function frameworkErrorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
  const detail = status === 414 ? "A path segment is too long (at most 200 characters)." : "The request URL is malformed.";
  return reply.code(status).type("application/problem+json").send({ type: "urn:stamp:problem:bad_request", title: "Bad request", status, detail });
}

/** 404 for unknown routes, as problem+json. */
export function notFoundHandler(req: FastifyRequest, reply: FastifyReply) {
  return sendProblem(reply, req, new StampError("not_found", `No route ${req.method} ${req.url.split("?")[0].slice(0, 200)}.`));
}
