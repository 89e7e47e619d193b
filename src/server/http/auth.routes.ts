import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import * as c from "../../contract/auth.js";
import { idParams, problem } from "../../contract/common.js";
import type { Services } from "./services.js";

/** Login, users and machine identities. */
export function authRoutes(s: Services): FastifyPluginAsyncZod {
  return async (app) => {
    const errs = { 400: problem, 401: problem, 429: problem };
    app.post("/api/v1/auth/login", { schema: { tags: ["auth"], summary: "Log in with email and password", body: c.loginBody, response: { 200: c.tokenResponse, ...errs } } }, (req) =>
      s.login.user(req.ctx, req.body.email, req.body.password),
    );
    app.post("/api/v1/auth/universal-auth/login", { schema: { tags: ["auth"], summary: "Log in as a machine identity (client id + secret)", body: c.universalAuthLoginBody, response: { 200: c.tokenResponse, ...errs } } }, (req) =>
      s.login.identity(req.ctx, req.body.clientId, req.body.clientSecret),
    );
    app.post("/api/v1/auth/logout", { schema: { tags: ["auth"], summary: "Log out: revoke this access token (or, with allSessions, every token of the caller) on every server", body: c.logoutBody.nullish(), response: { 204: z.null(), 400: problem, 401: problem } } }, async (req, reply) => {
      await s.sessions.logout(req.ctx, req.body ?? {});
      return reply.code(204).send(null);
    });
    app.post("/api/v1/auth/password", { schema: { tags: ["auth"], summary: "Change your password; every other session ends, a fresh token is returned", body: c.changePasswordBody, response: { 200: c.tokenResponse, 400: problem, 401: problem, 403: problem, 422: problem, 429: problem } } }, (req) =>
      s.sessions.changePassword(req.ctx, req.body),
    );
    app.get("/api/v1/auth/me", { schema: { tags: ["auth"], summary: "Who the access token belongs to", response: { 200: c.meResponse, 401: problem } } }, (req) => s.users.me(req.ctx));
    app.post("/api/v1/users", { schema: { tags: ["users"], summary: "Create a user (server admins)", body: c.createUserBody, response: { 200: c.userResponse, 400: problem, 401: problem, 403: problem, 409: problem } } }, async (req) => ({
      user: await s.users.create(req.ctx, req.body),
    }));
    app.post("/api/v1/users/:id/revoke-tokens", { schema: { tags: ["users"], summary: "End every access token of a user, on every server (server admins)", params: idParams, response: { 204: z.null(), 401: problem, 403: problem, 404: problem } } }, async (req, reply) => {
      await s.users.revokeTokens(req.ctx, req.params.id);
      return reply.code(204).send(null);
    });

    app.post("/api/v1/identities", { schema: { tags: ["identities"], summary: "Create a machine identity in a project", body: c.createIdentityBody, response: { 200: z.object({ identity: c.identity }) } } }, async (req) => ({
      identity: await s.identities.create(req.ctx, req.body),
    }));
    app.get("/api/v1/identities/:id", { schema: { tags: ["identities"], params: idParams, response: { 200: z.object({ identity: c.identity }) } } }, async (req) => ({
      identity: await s.identities.get(req.ctx, req.params.id),
    }));
    app.delete("/api/v1/identities/:id", { schema: { tags: ["identities"], params: idParams, response: { 200: z.object({ identity: c.identity }) } } }, async (req) => {
      const identity = await s.identities.get(req.ctx, req.params.id);
      await s.identities.remove(req.ctx, req.params.id);
      return { identity };
    });
    app.post("/api/v1/identities/:id/universal-auth/client-secrets", { schema: { tags: ["identities"], summary: "Create a client secret (shown once)", params: idParams, body: c.createClientSecretBody, response: { 200: z.object({ clientSecret: z.string(), clientSecretData: c.clientSecretData }) } } }, (req) =>
      s.identities.createSecret(req.ctx, req.params.id, req.body),
    );
    app.get("/api/v1/identities/:id/universal-auth/client-secrets", { schema: { tags: ["identities"], params: idParams, response: { 200: z.object({ clientSecretData: z.array(c.clientSecretData) }) } } }, async (req) => ({
      clientSecretData: await s.identities.listSecrets(req.ctx, req.params.id),
    }));
    app.post("/api/v1/identities/:id/universal-auth/client-secrets/:secretId/revoke", { schema: { tags: ["identities"], params: c.clientSecretParams, response: { 200: z.object({ clientSecretData: c.clientSecretData }) } } }, async (req) => ({
      clientSecretData: await s.identities.revokeSecret(req.ctx, req.params.id, req.params.secretId),
    }));
  };
}
