import type { Command } from "./command.js";
import { fields, when } from "./output.js";

/** `stamp cert request-status`: where a certificate request stands (pending on an external CA, issued, failed). */
export const certRequestStatus: Command = {
  name: "cert request-status",
  summary: "show a certificate request (pending, pending_validation, issued, failed)",
  help: `Usage: stamp cert request-status REQUEST_ID [--json]

Issuing from a profile on an external CA answers with a request that waits
(status pending); this shows where it stands, why it failed, and once issued
the certificate's id (then: stamp cert get ID).

Examples:
  stamp cert request-status 7c1e…`,
  options: {},
  positionals: ["REQUEST_ID"],
  async run(ctx, _v, [id]) {
    const r = await (await ctx.client()).certificateRequest(id);
    if (ctx.json) return ctx.printJson(r);
    ctx.out(
      fields([
        ["id", r.id],
        ["status", r.status],
        ["common name", r.commonName],
        ["waiting on", r.pendingMessage ?? undefined],
        ["error", r.errorMessage ?? undefined],
        ["certificate", r.certificateId ?? undefined],
        ["serial", r.serialNumber ?? undefined],
        ["updated", when(r.updatedAt)],
      ]),
    );
  },
};
