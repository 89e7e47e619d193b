import { str, type Command } from "./command.js";
import { table, when } from "./output.js";
import { resolveProject } from "./resolve.js";

/** `stamp ca list`: the project's CAs, internal and external (ACME). */
export const caList: Command = {
  name: "ca list",
  summary: "list the project's CAs (internal, and external ACME ones)",
  help: `Usage: stamp ca list [--project ID|NAME] [--json]

Examples:
  stamp ca list
  stamp ca list --json | jq -r '.[] | select(.status == "active") | .id'`,
  options: { project: { type: "string" } },
  async run(ctx, v) {
    const client = await ctx.client();
    const cas = (await client.cas.listAll(await resolveProject(client, str(v, "project")))).certificateAuthorities;
    if (ctx.json) return ctx.printJson(cas);
    if (cas.length === 0) return ctx.out("No CAs yet; create one with 'stamp ca create'.");
    const names = new Map(cas.map((c) => [c.id, c.name]));
    ctx.out(
      table(
        ["ID", "NAME", "TYPE", "STATUS", "COMMON NAME", "KEY", "PARENT/DIRECTORY", "NOT AFTER"],
        cas.map((c) =>
          c.type === "acme"
            ? // An external CA: its directory stands where an internal CA's parent would.
              [c.id, c.name, "acme", c.status, "", "", c.configuration.directoryUrl, ""]
            : [c.id, c.name, c.configuration.type, c.status, c.configuration.commonName, c.configuration.keyAlgorithm, c.configuration.parentCaId ? (names.get(c.configuration.parentCaId) ?? c.configuration.parentCaId) : "", when(c.configuration.notAfter)],
        ),
      ),
    );
  },
};
