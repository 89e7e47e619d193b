import type { CertificateView, ListCertificatesQuery } from "../client/client.js";
import { certificateStatus } from "../contract/certificates.js";
import { parseDuration } from "../policy/duration.js";
import { flag, int, oneOf, str, type Command } from "./command.js";
import { UsageError } from "./errors.js";
import { table, when } from "./output.js";
import { resolveCa, resolveProfile, resolveProject } from "./resolve.js";

/** `stamp cert list`: the project's certificates, newest first, a page at a time or all. */
export const certList: Command = {
  name: "cert list",
  summary: "list certificates",
  help: `Usage: stamp cert list [--status S] [--search TEXT] [--profile P] [--ca CA] [--expiring DURATION] [--limit N] [--cursor C | --all]

Options:
  --status S            ${certificateStatus.options.join(", ")}
  --search TEXT         substring of the common name or a SAN, or a serial (prefix, ≥ 8 hex digits)
  --profile PROFILE     id or slug
  --ca CA               id or name of the issuing CA
  --expires-before DATE ISO 8601 date-time
  --expiring DURATION   active certificates expiring within DURATION from now (30d, 2w, 12h; not renewed)
  --limit N             page size (1-500, default 100)
  --cursor C            the page after this cursor (printed after a full page)
  --all                 follow the cursor to the end
  --project ID|NAME     default: your only project, or "default"
  --json                print the API response ({certificates, nextCursor}; with --all one merged page)

Examples:
  stamp cert list --status active --search acme.com
  stamp cert list --expiring 30d --all
  stamp cert list --all --json | jq -r '.certificates[].serialNumber'`,
  options: {
    status: { type: "string" },
    search: { type: "string" },
    profile: { type: "string" },
    ca: { type: "string" },
    "expires-before": { type: "string" },
    expiring: { type: "string" },
    limit: { type: "string" },
    cursor: { type: "string" },
    all: { type: "boolean" },
    project: { type: "string" },
  },
  async run(ctx, v) {
    let status = str(v, "status") ? oneOf("status", str(v, "status")!, certificateStatus.options) : undefined;
    let expiresBefore = str(v, "expires-before");
    const expiring = str(v, "expiring");
    if (expiring !== undefined) {
      if (expiresBefore !== undefined) throw new UsageError("--expiring and --expires-before both set the end of the window: give one");
      if (status !== undefined && status !== "active") throw new UsageError(`--expiring lists active certificates; it cannot be combined with --status ${status}`);
      const d = parseDuration(expiring);
      if ("error" in d) throw new UsageError(`--expiring: ${d.error}`);
      status = "active";
      expiresBefore = new Date(Date.now() + d.ms).toISOString();
    }
    const limit = int(v, "limit", 1, 500);
    const client = await ctx.client();
    const projectFlag = str(v, "project");
    const query: ListCertificatesQuery = {
      projectId: await resolveProject(client, projectFlag),
      status,
      search: str(v, "search"),
      profileId: str(v, "profile") ? await resolveProfile(client, projectFlag, str(v, "profile")!) : undefined,
      caId: str(v, "ca") ? await resolveCa(client, projectFlag, str(v, "ca")!) : undefined,
      expiresBefore,
      limit,
      cursor: str(v, "cursor"),
    };
    const certificates: CertificateView[] = [];
    let nextCursor: string | null = null;
    for (;;) {
      const page = await client.certificates.list(query);
      certificates.push(...page.certificates);
      nextCursor = page.nextCursor;
      if (!flag(v, "all") || !nextCursor) break;
      query.cursor = nextCursor;
    }
    if (ctx.json) return ctx.printJson({ certificates, nextCursor });
    if (certificates.length === 0) return ctx.out("No certificates match.");
    ctx.out(
      table(
        ["ID", "COMMON NAME", "STATUS", "NOT AFTER", "SERIAL", "SANS"],
        certificates.map((c) => [c.id, c.commonName, c.lifecycleStatus, when(c.notAfter), c.serialNumber, c.altNames]),
      ),
    );
    if (nextCursor) ctx.out(`More: stamp cert list --cursor ${nextCursor}`);
  },
};
