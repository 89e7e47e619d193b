import { readFileSync } from "node:fs";
import { int, need, str, UsageError, type Ctx, type Values } from "./command.js";
import { fields } from "./output.js";
import { resolveProject } from "./resolve.js";

/** A file's text, or a usage error naming the option. */
function fileText(option: string, path: string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch (e) {
    throw new UsageError(`--${option}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** `stamp ca create --type acme`: an external ACME CA with its DNS-01 solver (docs/external-ca.md). */
export async function createAcmeCa(ctx: Ctx, v: Values) {
  const name = need(v, "name");
  const hook = str(v, "dns-hook");
  const server = str(v, "rfc2136-server");
  if (hook && server) throw new UsageError("give --dns-hook or --rfc2136-server, not both");
  let dnsSolver;
  if (hook) dnsSolver = { type: "hook" as const, hook };
  else if (server) {
    const [host, port] = server.split(/:(?=\d+$)/);
    const secretFile = need(v, "tsig-secret-file");
    dnsSolver = { type: "rfc2136" as const, server: host, port: port ? Number(port) : 53, zone: need(v, "zone"), keyName: need(v, "tsig-key-name"), algorithm: (str(v, "tsig-algorithm") ?? "hmac-sha256") as "hmac-sha256", secret: fileText("tsig-secret-file", secretFile) };
  }
  const client = await ctx.client();
  const projectId = await resolveProject(client, str(v, "project"));
  const trust = str(v, "trust-bundle");
  const eabKey = str(v, "eab-hmac-key-file");
  const ca = await client.cas.createAcme({
    projectId,
    name,
    status: v.disabled ? "disabled" : "active",
    configuration: {
      directoryUrl: need(v, "directory-url"),
      accountEmail: need(v, "email"),
      eabKid: str(v, "eab-kid"),
      eabHmacKey: eabKey ? fileText("eab-hmac-key-file", eabKey) : undefined,
      dnsSolver,
      trustBundle: trust ? fileText("trust-bundle", trust) : undefined,
      propagationTimeoutSeconds: int(v, "propagation-timeout", 5, 3600),
    },
  });
  if (ctx.json) return ctx.printJson(ca);
  ctx.out(
    fields([
      ["id", ca.id],
      ["name", ca.name],
      ["type", "acme"],
      ["status", ca.status],
      ["directory", ca.configuration.directoryUrl],
      ["account", ca.configuration.accountUrl],
      ["DNS-01 solver", ca.configuration.dnsSolver.type === "hook" ? `hook ${ca.configuration.dnsSolver.hook}` : `RFC 2136 ${ca.configuration.dnsSolver.server}:${ca.configuration.dnsSolver.port} zone ${ca.configuration.dnsSolver.zone}`],
    ]),
  );
}
