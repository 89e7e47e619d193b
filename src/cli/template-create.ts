import type { CreateTemplateBody } from "../client/client.js";
import { EXTENDED_KEY_USAGES, KEY_USAGES, TEMPLATE_PRESET_NAMES } from "../contract/certificates.js";
import { list, need, oneOf, str, UsageError, type Command } from "./command.js";
import { readFlagFile } from "./files.js";
import { fields } from "./output.js";
import { KEY_ALGORITHMS, resolveProject } from "./resolve.js";
import { parseSan, type SanType } from "./san.js";

/** `stamp template create`: the constraints certificates of a profile must meet. */
export const templateCreate: Command = {
  name: "template create",
  summary: "create a certificate template (optionally from a preset)",
  help: `Usage: stamp template create --name NAME [--preset PRESET] [rules…]

Creates a template. With --preset, the rules given here NARROW the preset, never widen it:
--allow-cn/--allow-san patterns must lie within what the preset allows for that type (a SAN type
the preset forbids stays forbidden, SAN types not named keep the preset's rule), --key-usage,
--eku and --key-algorithm must be subsets of the preset's, --max-validity no longer than its
maximum; --deny-* adds to it. A widening is refused with the rule it breaks.
A template that restricts the common name but leaves some SAN type open gets a warning (stderr).

Options:
  --name NAME             the template's name
  --preset PRESET         ${TEMPLATE_PRESET_NAMES.join(", ")}
  --description TEXT
  --allow-cn PATTERN      allowed common names (repeatable), e.g. '*.acme.com'
  --deny-cn PATTERN       denied common names (repeatable)
  --allow-san TYPE:PATTERN  allowed SANs (repeatable), TYPE dns, ip, email or uri
  --deny-san TYPE:PATTERN   denied SANs (repeatable)
  --max-validity DURATION longest validity: a number and s, h, d, w or y (e.g. 90d, 1y)
  --key-algorithm ALG     allowed subject key algorithms (repeatable): ${KEY_ALGORITHMS.join(", ")}
  --key-usage KU          allowed key usages (repeatable): ${KEY_USAGES.join(", ")}
  --eku EKU               allowed extended key usages (repeatable): ${EXTENDED_KEY_USAGES.join(", ")}
  --rules FILE            JSON with any of the API's rule fields (subject, sans, keyUsages,
                          extendedKeyUsages, algorithms, validity, basicConstraints); flags win
  --project ID|NAME       default: your only project, or "default"
  --json                  print the API response

Examples:
  stamp template create --preset tls-server --name web --allow-cn '*.acme.com' --allow-san 'dns:*.acme.com' --allow-san 'ip:10.0.0.0/8' --max-validity 90d
  stamp template create --name devices --rules devices-rules.json`,
  options: {
    name: { type: "string" },
    preset: { type: "string" },
    description: { type: "string" },
    "allow-cn": { type: "string", multiple: true },
    "deny-cn": { type: "string", multiple: true },
    "allow-san": { type: "string", multiple: true },
    "deny-san": { type: "string", multiple: true },
    "max-validity": { type: "string" },
    "key-algorithm": { type: "string", multiple: true },
    "key-usage": { type: "string", multiple: true },
    eku: { type: "string", multiple: true },
    rules: { type: "string" },
    project: { type: "string" },
  },
  async run(ctx, v) {
    const name = need(v, "name");
    let rules: Partial<CreateTemplateBody> = {};
    const rulesFile = str(v, "rules");
    if (rulesFile) {
      try {
        rules = JSON.parse(await readFlagFile("rules", rulesFile)) as Partial<CreateTemplateBody>;
      } catch (e) {
        if (e instanceof UsageError) throw e;
        throw new UsageError(`--rules ${rulesFile} is not valid JSON: ${(e as Error).message}`);
      }
      if (typeof rules !== "object" || rules === null || Array.isArray(rules)) throw new UsageError(`--rules ${rulesFile} must hold a JSON object`);
    }
    const body: CreateTemplateBody = { ...rules, projectId: "", name };
    const preset = str(v, "preset");
    if (preset) body.preset = oneOf("preset", preset, TEMPLATE_PRESET_NAMES);
    if (str(v, "description")) body.description = str(v, "description");

    const allowCn = list(v, "allow-cn");
    const denyCn = list(v, "deny-cn");
    if (allowCn.length || denyCn.length) {
      body.subject = [...(body.subject ?? []).filter((s) => s.type !== "common_name"), { type: "common_name", ...(allowCn.length ? { allowed: allowCn } : {}), ...(denyCn.length ? { denied: denyCn } : {}) }];
    }
    const sanRules = new Map<SanType, { allowed: string[]; denied: string[] }>();
    for (const [flagName, key] of [["allow-san", "allowed"], ["deny-san", "denied"]] as const) {
      for (const s of list(v, flagName)) {
        const { type, value } = parseSan(flagName, s);
        const r = sanRules.get(type) ?? { allowed: [], denied: [] };
        r[key].push(value);
        sanRules.set(type, r);
      }
    }
    if (sanRules.size) {
      body.sans = [
        ...(body.sans ?? []).filter((s) => !sanRules.has(s.type as SanType)),
        ...[...sanRules].map(([type, r]) => ({ type, ...(r.allowed.length ? { allowed: r.allowed } : {}), ...(r.denied.length ? { denied: r.denied } : {}) })),
      ];
    }
    if (str(v, "max-validity")) body.validity = { ...body.validity, max: str(v, "max-validity") };
    const algs = list(v, "key-algorithm").map((a) => oneOf("key-algorithm", a, KEY_ALGORITHMS));
    if (algs.length) body.algorithms = { ...body.algorithms, keyAlgorithm: algs };
    const kus = list(v, "key-usage").map((a) => oneOf("key-usage", a, KEY_USAGES));
    if (kus.length) body.keyUsages = { allowed: kus };
    const ekus = list(v, "eku").map((a) => oneOf("eku", a, EXTENDED_KEY_USAGES));
    if (ekus.length) body.extendedKeyUsages = { allowed: ekus };

    const client = await ctx.client();
    body.projectId = await resolveProject(client, str(v, "project"));
    const res = await client.templates.create(body);
    for (const w of res.warnings ?? []) ctx.err(`warning: ${w.message}`);
    if (ctx.json) return ctx.printJson(res);
    const t = res.certificateTemplate;
    ctx.out(
      fields([
        ["id", t.id],
        ["name", t.name],
        ["description", t.description],
        ["common names", t.subject?.find((s) => s.type === "common_name")?.allowed],
        ["SANs", t.sans?.flatMap((s) => (s.allowed ?? []).map((a) => `${s.type}:${a}`))],
        ["max validity", t.validity?.max],
        ["key algorithms", t.algorithms?.keyAlgorithm],
        ["extended key usages", t.extendedKeyUsages?.allowed ?? t.extendedKeyUsages?.required],
      ]),
    );
  },
};
