/**
 * A small world for unit tests of the RA's and the CA's use cases: the memory store, test keys,
 * a fake runtime, and the real CA (signing chokepoint, CA certificates, leaves) over them — no
 * database, no server. `world()` seeds a project with an admin, a member, a viewer and an
 * outsider; `rootCa`, `template` and `profile` add what a test needs.
 */
import type { TemplateInput } from "../../policy/template.js";
import { generateKeyPairForAsync } from "../../keygen.js";
import { createCa } from "../ca/ca.js";
import { createLeafIssuer } from "../ca/leaf.js";
import { createSigning, type Signing } from "../ca/signing.js";
import { createCa as createCaUseCase, type CreateCaInput } from "../ra/cas/create-ca.js";
import type { CaDeps } from "../ra/cas/deps.js";
import type { CaPort } from "../ra/cas/ports.js";
import { issueCertificate, type CertEvent, type IssueDeps } from "../ra/certs/issue.js";
import type { LeafPort } from "../ra/certs/ports.js";
import type { RevokeDeps } from "../ra/certs/revoke.js";
import type { RequestContext } from "../ra/context.js";
import type { Role } from "../store/schema.js";
import { createJournal, type Journal } from "./journal.js";
import { testKeys, type TestKeys } from "./keys.js";
import { createMemoryStore, type MemoryRepos, type MemoryStore } from "./memory-store.js";
import { fakeRuntime, type FakeRuntime } from "./runtime.js";

export const PROJECT = "11111111-1111-4111-8111-111111111111";
export const OTHER_PROJECT = "22222222-2222-4222-8222-222222222222";

/** A request context for a user (server admin when asked). */
export function userCtx(id: string, opts: { serverAdmin?: boolean } = {}): RequestContext {
  return { principal: { type: "user", id, label: `${id}@example.com`, isServerAdmin: opts.serverAdmin ?? false }, sourceIp: "192.0.2.1" };
}

export interface World {
  rt: FakeRuntime;
  journal: Journal;
  store: MemoryStore;
  keys: TestKeys;
  /** The signing chokepoint (ca/signing.ts) over the memory store. */
  signing: Signing<MemoryRepos>;
  /** The CA port (ca/ca.ts over the signing chokepoint). */
  ca: CaPort;
  /** The leaf port (ca/leaf.ts over the signing chokepoint). */
  leaf: LeafPort;
  /** Alert events told after commit, in order. */
  events: CertEvent[];
  /** CA ids told after a revocation change, in order. */
  revocationChanges: string[];
  caDeps: CaDeps;
  issueDeps: IssueDeps;
  revokeDeps: RevokeDeps;
  /** Callers by role in PROJECT; `outsider` is a member of OTHER_PROJECT only. */
  as: Record<Role | "outsider", RequestContext>;
}

/** The world: memory store, keys, runtime, the real CA, and a project with one principal per role. */
export function world(opts: { now?: Date } = {}): World {
  const rt = fakeRuntime({ now: opts.now });
  const journal = createJournal();
  const store = createMemoryStore({ clock: rt.clock, journal });
  const keys = testKeys(journal);
  const signing = createSigning({ store });
  const revocationUrl = "http://stamp.test";
  const ca = createCa({ store, keys: keys.keys, rt, revocationUrl, signing }) satisfies CaPort;
  const leaf = createLeafIssuer({
    store,
    keys: keys.keys,
    software: keys.software,
    crypto: {
      generateKeyPair: generateKeyPairForAsync,
      buildPkcs12: () => Promise.reject(new Error("PKCS#12 is not part of the unit testkit")),
    },
    rt,
    revocationUrl,
    signing,
  }) satisfies LeafPort;
  const events: CertEvent[] = [];
  const revocationChanges: string[] = [];
  const onEvent = (e: CertEvent) => void events.push(e);
  const onRevocationChange = (caId: string) => void revocationChanges.push(caId);
  for (const [id, role] of [["admin", "admin"], ["member", "member"], ["viewer", "viewer"]] as const) store.seed.membership({ project_id: PROJECT, principal_id: id, role });
  store.seed.membership({ project_id: OTHER_PROJECT, principal_id: "outsider", role: "admin" });
  return {
    rt,
    journal,
    store,
    keys,
    signing,
    ca,
    leaf,
    events,
    revocationChanges,
    caDeps: { store, rt, ca, revocationUrl },
    issueDeps: { store, rt, leaf, backdateSeconds: 60, onEvent, onRevocationChange },
    revokeDeps: { store, rt, onEvent, onRevocationChange },
    as: { admin: userCtx("admin"), member: userCtx("member"), viewer: userCtx("viewer"), outsider: userCtx("outsider") },
  };
}

/** A CA made through the RA's create use case (root by default); returns its id. */
export async function addCa(w: World, over: Omit<Partial<CreateCaInput>, "configuration"> & { configuration?: Partial<CreateCaInput["configuration"]> } = {}): Promise<string> {
  const { configuration, ...rest } = over;
  return createCaUseCase(w.caDeps, w.as.admin, {
    projectId: PROJECT,
    name: `ca-${w.store.tables.cas.length + 1}`,
    status: "active",
    keyBackend: "software",
    ...rest,
    configuration: { type: "root", commonName: "Test Root CA", keyAlgorithm: "EC_prime256v1", notAfter: new Date(w.rt.clock().getTime() + 10 * 365 * 86_400_000).toISOString(), ...configuration },
  });
}

/** A template row with `rules` (anything goes when empty). */
export function addTemplate(w: World, rules: TemplateInput = {}, id = w.rt.uuid()): string {
  w.store.seed.template({ id, project_id: PROJECT, name: `template-${id.slice(-4)}`, description: "", rules, created_at: w.rt.clock(), updated_at: w.rt.clock() });
  return id;
}

/** A profile on `templateId` issuing from `caId` (self-signed when null); API enrollment on. */
export function addProfile(w: World, p: { templateId: string; caId: string | null; defaults?: Record<string, unknown>; enrollment?: string[]; autoRenew?: boolean; renewBeforeDays?: number | null }): string {
  const id = w.rt.uuid();
  w.store.seed.profile({
    id,
    project_id: PROJECT,
    slug: `profile-${id.slice(-4)}`,
    description: "",
    template_id: p.templateId,
    issuer_type: p.caId ? "ca" : "self-signed",
    ca_id: p.caId,
    enrollment_methods: p.enrollment ?? ["api"],
    defaults: p.defaults ?? {},
    api_config: { autoRenew: p.autoRenew ?? false, renewBeforeDays: p.renewBeforeDays ?? null },
    acme_config: null,
    est_config: null,
    external_ca_id: null,
    created_at: w.rt.clock(),
    updated_at: w.rt.clock(),
  });
  return id;
}

/** A CA, an open template and a profile on it (self-signed when asked); returns their ids. */
export async function caAndProfile(w: World, opts: { selfSigned?: boolean } = {}): Promise<{ caId: string; profileId: string }> {
  const caId = await addCa(w);
  return { caId, profileId: addProfile(w, { templateId: addTemplate(w), caId: opts.selfSigned ? null : caId }) };
}

/** Issues one certificate through the real issue path (as the member) and returns its stored row. */
export async function issueOne(w: World, profileId: string, commonName: string, opts: { csr?: string; ttl?: string } = {}) {
  const r = await issueCertificate(w.issueDeps, w.as.member, { profileId, csr: opts.csr, attributes: { commonName, altNames: [{ type: "dns_name", value: commonName }], ttl: opts.ttl ?? "30d" }, removeRootsFromChain: false });
  if (!("certificate" in r) || !r.certificate) throw new Error("issueOne: not issued");
  const row = await w.store.cert.certificateById(r.certificate.certificateId);
  if (!row) throw new Error("issueOne: no row");
  return row;
}
