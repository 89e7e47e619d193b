import { flag, str, type Command } from "./command.js";
import { fields, when } from "./output.js";
import { resolveCa } from "./resolve.js";

/** `stamp ca get`: one CA, or its certificate and chain as PEM. */
export const caGet: Command = {
  name: "ca get",
  summary: "show a CA (or its certificate with --pem)",
  help: `Usage: stamp ca get CA [--pem] [--json]

CA is an id or a name in the project.

Options:
  --pem              print the CA's certificate followed by its chain (PEM)
  --project ID|NAME  where to look a name up
  --json             print the API response (with --pem: the certificate response)

Examples:
  stamp ca get issuing
  stamp ca get root --pem > root.pem`,
  options: { pem: { type: "boolean" }, project: { type: "string" } },
  positionals: ["CA"],
  async run(ctx, v, [ref]) {
    const client = await ctx.client();
    const id = await resolveCa(client, str(v, "project"), ref);
    if (flag(v, "pem")) {
      const c = await client.cas.certificate(id);
      if (ctx.json) return ctx.printJson(c);
      return ctx.out((c.certificate + c.certificateChain).trimEnd());
    }
    const ca = await client.cas.get(id);
    if (ctx.json) return ctx.printJson(ca);
    const k = ca.configuration;
    ctx.out(
      fields([
        ["id", ca.id],
        ["name", ca.name],
        ["type", k.type],
        ["status", ca.status],
        ["subject", k.dn],
        ["friendly name", k.friendlyName],
        ["key", `${k.keyAlgorithm} (${ca.keyBackend})`],
        ["serial", k.serialNumber],
        ["not before", k.notBefore ? when(k.notBefore) : undefined],
        ["not after", k.notAfter ? when(k.notAfter) : undefined],
        ["max path length", k.maxPathLength === -1 ? "unlimited" : k.maxPathLength],
        ["parent", k.parentCaId],
        ["created", when(ca.createdAt)],
      ]),
    );
  },
};
