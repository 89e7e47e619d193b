import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { idParams } from "../../../contract/common.js";
import { estPassphraseBody, estPassphraseReply } from "../../../contract/est.js";
import type { Services } from "../services.js";

/** EST management on a profile: rotating the passphrase (shown once). */
export function estManagementRoutes(s: Services): FastifyPluginAsyncZod {
  return async (app) => {
    for (const [base, hide] of [["/api/v1/cert-manager/certificate-profiles", false], ["/api/v1/pki/certificate-profiles", true]] as const) {
      app.post(`${base}/:id/est/passphrase`, { schema: { hide, tags: ["est"], summary: "Set the profile's EST passphrase: a new random one (shown once), or the one given; the old one stops working", params: idParams, body: estPassphraseBody, response: { 200: estPassphraseReply } } }, (req) =>
        s.estSettings.rotatePassphrase(req.ctx, req.params.id, req.body?.passphrase),
      );
    }
  };
}
