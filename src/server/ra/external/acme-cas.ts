import { errors, type Violation } from "../../../errors.js";
import type { DnsSolverConfig, ExternalAcmeConfig } from "../../store/schema.js";
import { audit } from "../audit.js";
import { requireRole } from "../authz.js";
import type { ExternalDeps, ExternalSecrets, RequestContext } from "./ports.js";
import { acmeCaView, openSecrets, sealSecrets, settingsOf } from "./settings.js";

type SolverInput = { type: "rfc2136"; server: string; port: number; zone: string; keyName: string; algorithm: string; secret?: string } | { type: "hook"; hook: string };

/** POST /api/v1/cert-manager/ca/acme, as the contract parsed it. */
export interface CreateAcmeCaInput {
  projectId: string;
  name: string;
  status: "active" | "disabled";
  configuration: { directoryUrl: string; accountEmail: string; eabKid?: string; eabHmacKey?: string; dnsSolver?: SolverInput; trustBundle?: string; propagationTimeoutSeconds: number };
}

/** PATCH /api/v1/cert-manager/ca/acme/:id */
export interface UpdateAcmeCaInput {
  name?: string;
  status?: "active" | "disabled";
  configuration?: { dnsSolver?: SolverInput; trustBundle?: string | null; propagationTimeoutSeconds?: number };
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/** Every problem with a solver (and trust bundle) that can be seen without contacting anything. */
function solverViolations(deps: ExternalDeps, s: SolverInput | undefined, oldSecret: string | undefined): Violation[] {
  const v: Violation[] = [];
  if (!s) v.push({ field: "configuration.dnsSolver", code: "required", message: "An ACME CA needs a DNS-01 solver: {type: \"rfc2136\", server, port, zone, keyName, algorithm, secret} or {type: \"hook\", hook}." });
  else if (s.type === "hook") {
    if (!deps.acme.hookNames().includes(s.hook)) v.push({ field: "configuration.dnsSolver.hook", code: "unknown_hook", message: `No DNS hook ${s.hook} is registered on this server; the operator registers hooks with --dns-hook name=/path (registered: ${deps.acme.hookNames().join(", ") || "none"}).`, value: s.hook });
  } else {
    if (!s.secret && !oldSecret) v.push({ field: "configuration.dnsSolver.secret", code: "required", message: "The RFC 2136 solver needs the TSIG secret (base64)." });
    const refusal = deps.acme.dnsServerRefusal(s.server);
    if (refusal) v.push({ field: "configuration.dnsSolver.server", code: "egress_refused", message: refusal, value: s.server });
  }
  return v;
}

function trustViolations(bundle: string | null | undefined): Violation[] {
  if (bundle && !PEM_CERT.test(bundle)) return [{ field: "configuration.trustBundle", code: "invalid", message: "The trust bundle must hold PEM certificates (-----BEGIN CERTIFICATE-----).", value: bundle.slice(0, 60) }];
  return [];
}

/** The solver as stored: without its secret. */
function storedSolver(s: SolverInput): DnsSolverConfig {
  if (s.type === "hook") return { type: "hook", hook: s.hook };
  return { type: "rfc2136", server: s.server, port: s.port, zone: s.zone.replace(/\.$/, ""), keyName: s.keyName, algorithm: s.algorithm };
}

/** External CAs of type ACME: create (registering the account), list, get, update, delete. */
export function createAcmeCas(deps: ExternalDeps) {
  const { store, rt } = deps;
  const view = (r: NonNullable<Awaited<ReturnType<typeof store.external.caById>>>) => acmeCaView(r, !!openSecrets(deps, r).tsigSecret);
  async function load(ctx: RequestContext, id: string, need: "viewer" | "admin") {
    const r = await store.external.caById(id);
    if (!r) throw errors.notFound("CA", id);
    await requireRole(store, ctx, r.project_id, need, { type: "CA", id });
    return r;
  }

  return {
    /**
     * Creates an ACME CA: checks the solver and trust bundle, makes an account key, registers the
     * account with the CA (RFC 8555 §7.3; EAB §7.3.4) and seals the key. Every problem is listed.
     */
    async create(ctx: RequestContext, input: CreateAcmeCaInput) {
      await requireRole(store, ctx, input.projectId, "admin", { type: "Project", id: input.projectId });
      const c = input.configuration;
      const v: Violation[] = [...solverViolations(deps, c.dnsSolver, undefined), ...trustViolations(c.trustBundle)];
      if (!!c.eabKid !== !!c.eabHmacKey) v.push({ field: c.eabKid ? "configuration.eabHmacKey" : "configuration.eabKid", code: "required", message: "External account binding needs both eabKid and eabHmacKey." });
      if ((await store.external.casOf(input.projectId)).some((x) => x.name === input.name)) v.push({ field: "name", code: "taken", message: "Another external CA of the project has this name.", value: input.name });
      const id = rt.uuid();
      const secrets: ExternalSecrets = { accountKey: await deps.newAccountKey(), ...(c.eabHmacKey ? { eabHmacKey: c.eabHmacKey } : {}), ...(c.dnsSolver?.type === "rfc2136" && c.dnsSolver.secret ? { tsigSecret: c.dnsSolver.secret } : {}) };
      const configuration: ExternalAcmeConfig = { directoryUrl: c.directoryUrl, accountEmail: c.accountEmail, eabKid: c.eabKid ?? null, dnsSolver: c.dnsSolver ? storedSolver(c.dnsSolver) : { type: "hook", hook: "" }, trustBundle: c.trustBundle ?? null, propagationTimeoutSeconds: c.propagationTimeoutSeconds };
      const registered = trustViolations(c.trustBundle).length ? null : await deps.acme.register(settingsOf(configuration, secrets, null));
      if (registered && "violations" in registered) v.push(...registered.violations.map((x) => ({ ...x, field: `configuration.${x.field}` })));
      if (v.length || !registered || !("accountUrl" in registered)) {
        await audit(store, rt, ctx, { projectId: input.projectId, action: "external-ca.create", objectType: "external-ca", objectId: null, outcome: "failure", detail: { violations: v.map((x) => `${x.field}:${x.code}`) } });
        throw errors.validation("The ACME CA cannot be created; see violations.", v);
      }
      await store.transaction(async (tx) => {
        await tx.external.insertCa({ id, projectId: input.projectId, name: input.name, status: input.status, configuration, secretsSealed: sealSecrets(deps, id, secrets), accountUrl: registered.accountUrl, at: rt.clock() });
        await audit(tx, rt, ctx, { projectId: input.projectId, action: "external-ca.create", objectType: "external-ca", objectId: id, outcome: "success", detail: { type: "acme", directoryUrl: c.directoryUrl, accountUrl: registered.accountUrl, solver: configuration.dnsSolver.type } });
      });
      return view((await store.external.caById(id))!);
    },
    /** A project's ACME CAs. */
    async list(ctx: RequestContext, projectId: string) {
      await requireRole(store, ctx, projectId, "viewer", { type: "Project", id: projectId });
      return (await store.external.casOf(projectId)).map(view);
    },
    /** One ACME CA. */
    async get(ctx: RequestContext, id: string) {
      return view(await load(ctx, id, "viewer"));
    },
    /** Renames, enables or disables, or changes the solver, trust bundle or propagation timeout. */
    async update(ctx: RequestContext, id: string, input: UpdateAcmeCaInput) {
      const r = await load(ctx, id, "admin");
      const secrets = openSecrets(deps, r);
      const c = input.configuration ?? {};
      const v: Violation[] = [...(c.dnsSolver ? solverViolations(deps, c.dnsSolver, c.dnsSolver.type === "rfc2136" && r.configuration.dnsSolver.type === "rfc2136" ? secrets.tsigSecret : undefined) : []), ...trustViolations(c.trustBundle)];
      if (input.name && input.name !== r.name && (await store.external.casOf(r.project_id)).some((x) => x.name === input.name)) v.push({ field: "name", code: "taken", message: "Another external CA of the project has this name.", value: input.name });
      if (v.length) throw errors.validation("The ACME CA cannot be changed so; see violations.", v);
      const configuration: ExternalAcmeConfig = { ...r.configuration, ...(c.dnsSolver ? { dnsSolver: storedSolver(c.dnsSolver) } : {}), ...(c.trustBundle !== undefined ? { trustBundle: c.trustBundle } : {}), ...(c.propagationTimeoutSeconds ? { propagationTimeoutSeconds: c.propagationTimeoutSeconds } : {}) };
      const next: ExternalSecrets = { ...secrets, ...(c.dnsSolver?.type === "rfc2136" && c.dnsSolver.secret ? { tsigSecret: c.dnsSolver.secret } : {}) };
      if (c.dnsSolver?.type === "hook") delete next.tsigSecret;
      await store.transaction(async (tx) => {
        await tx.external.updateCa(id, { name: input.name, status: input.status, configuration, secretsSealed: sealSecrets(deps, id, next), at: rt.clock() });
        await audit(tx, rt, ctx, { projectId: r.project_id, action: "external-ca.update", objectType: "external-ca", objectId: id, outcome: "success", detail: { fields: [...Object.keys(input).filter((k) => k !== "configuration"), ...Object.keys(c).map((k) => `configuration.${k}`)] } });
      });
      return view((await store.external.caById(id))!);
    },
    /** Deletes an ACME CA; refused while profiles issue through it. */
    async remove(ctx: RequestContext, id: string) {
      const r = await load(ctx, id, "admin");
      const n = await store.external.profilesUsing(id);
      if (n) throw errors.conflict(`${n} certificate profile(s) issue through this CA; point them at another CA or delete them first.`);
      const before = view(r);
      await store.transaction(async (tx) => {
        await tx.external.deleteCa(id);
        await audit(tx, rt, ctx, { projectId: r.project_id, action: "external-ca.delete", objectType: "external-ca", objectId: id, outcome: "success", detail: { name: r.name } });
      });
      return before;
    },
  };
}
