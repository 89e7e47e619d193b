import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import * as c from "../../contract/alerts.js";
import { idParams } from "../../contract/common.js";
import type { Services } from "./services.js";

const BASE = "/api/v1/projects/:id/alert-rules";

/** Alert rules of a project (admins) and their delivery log. */
export function alertRoutes(s: Services): FastifyPluginAsyncZod {
  return async (app) => {
    const tags = ["alerts"];
    app.post(BASE, { schema: { tags, summary: "Create an alert rule; a webhook rule's signing secret is returned once", params: idParams, body: c.createAlertRuleBody, response: { 200: z.object({ alertRule: c.alertRule, webhookSecret: z.string().optional() }) } } }, (req) =>
      s.alerts.create(req.ctx, req.params.id, req.body),
    );
    app.get(BASE, { schema: { tags, summary: "The project's alert rules", params: idParams, response: { 200: z.object({ alertRules: z.array(c.alertRule) }) } } }, async (req) => ({
      alertRules: await s.alerts.list(req.ctx, req.params.id),
    }));
    app.get(`${BASE}/:ruleId`, { schema: { tags, params: c.alertRuleParams, response: { 200: z.object({ alertRule: c.alertRule }) } } }, async (req) => ({
      alertRule: await s.alerts.get(req.ctx, req.params.id, req.params.ruleId),
    }));
    app.patch(`${BASE}/:ruleId`, { schema: { tags, summary: "Change a rule (not its channel)", params: c.alertRuleParams, body: c.updateAlertRuleBody, response: { 200: z.object({ alertRule: c.alertRule }) } } }, async (req) => ({
      alertRule: await s.alerts.update(req.ctx, req.params.id, req.params.ruleId, req.body),
    }));
    app.delete(`${BASE}/:ruleId`, { schema: { tags, summary: "Delete a rule and its delivery log", params: c.alertRuleParams, response: { 204: z.null() } } }, async (req, reply) => {
      await s.alerts.remove(req.ctx, req.params.id, req.params.ruleId);
      return reply.code(204).send(null);
    });
    app.get(`${BASE}/:ruleId/deliveries`, { schema: { tags, summary: "The rule's delivery log, newest first", params: c.alertRuleParams, querystring: c.deliveriesQuery, response: { 200: z.object({ deliveries: z.array(c.alertDelivery) }) } } }, async (req) => ({
      deliveries: await s.alerts.deliveries(req.ctx, req.params.id, req.params.ruleId, req.query),
    }));
    app.post(`${BASE}/:ruleId/test`, { schema: { tags, summary: "Send a test event (dev.stamp.test) through the rule now", params: c.alertRuleParams, response: { 200: z.object({ delivery: c.alertDelivery }) } } }, async (req) => ({
      delivery: await s.alerts.test(req.ctx, req.params.id, req.params.ruleId),
    }));
  };
}
