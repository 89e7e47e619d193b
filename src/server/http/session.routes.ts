import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import * as c from "../../contract/auth.js";
import { problem } from "../../contract/common.js";
import { SESSION_PATH } from "./auth.plugin.js";
import { checkCsrf, clearedSessionCookie, sessionCookie } from "./session-cookie.js";
import type { Services } from "./services.js";

/**
 * The web UI's sign-in and sign-out: the same login as `POST /api/v1/auth/login`, but the
 * token goes into an HttpOnly cookie instead of the answer, so no page script ever holds it.
 */
export function sessionRoutes(s: Services): FastifyPluginAsyncZod {
  return async (app) => {
    const tags = ["auth"];
    app.post(SESSION_PATH, { schema: { tags, summary: "Web UI sign-in: log in with email and password; the session is an HttpOnly cookie (send 'x-stamp-csrf: 1')", body: c.loginBody, response: { 200: c.sessionResponse, 400: problem, 401: problem, 403: problem, 429: problem } } }, async (req, reply) => {
      // Login CSRF: another site must not sign a browser in to an account of its choosing.
      checkCsrf(req);
      const t = await s.login.user(req.ctx, req.body.email, req.body.password);
      reply.header("set-cookie", sessionCookie(t.accessToken, t.expiresIn));
      return { expiresIn: t.expiresIn };
    });
    // The password change of POST /api/v1/auth/password ends every earlier token, this session's
    // too: here the fresh token replaces the cookie instead of going to page script.
    app.post(`${SESSION_PATH}/password`, { schema: { tags, summary: "Web UI password change: as POST /api/v1/auth/password, the session cookie carries the fresh token (send 'x-stamp-csrf: 1')", body: c.changePasswordBody, response: { 200: c.sessionResponse, 400: problem, 401: problem, 403: problem, 422: problem, 429: problem } } }, async (req, reply) => {
      const t = await s.sessions.changePassword(req.ctx, req.body);
      reply.header("set-cookie", sessionCookie(t.accessToken, t.expiresIn));
      return { expiresIn: t.expiresIn };
    });
    app.delete(SESSION_PATH, { schema: { tags, summary: "Web UI sign-out: revoke the session's token on every server and clear the cookie", response: { 204: z.null(), 401: problem, 403: problem } } }, async (req, reply) => {
      if (req.ctx.principal) await s.sessions.logout(req.ctx, {});
      return reply.code(204).header("set-cookie", clearedSessionCookie()).send(null);
    });
  };
}
