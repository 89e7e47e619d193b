import type { z } from "zod";
import type { problem } from "../contract/common.js";

/** RFC 9457 problem document as the server sends it. */
export type Problem = z.infer<typeof problem>;

/** The server answered with an error status; `problem` is its problem+json document. */
export class StampApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail || problem.title);
    this.name = "StampApiError";
    this.status = problem.status;
    this.problem = problem;
  }
}

/** No answer from the server: refused, DNS, TLS verification, timeout. */
export class StampConnectionError extends Error {
  /** The Node.js error code (ECONNREFUSED, UNABLE_TO_VERIFY_LEAF_SIGNATURE, ETIMEDOUT, …). */
  readonly code: string;
  constructor(message: string, code: string, cause?: unknown) {
    super(message, { cause });
    this.name = "StampConnectionError";
    this.code = code;
  }
}
