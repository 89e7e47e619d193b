/**
 * The agent's YAML config: parsed and validated once into an immutable, resolved shape. Every
 * error is one line naming the field (`certificates[0].files.privateKey: …`).
 */
import { accessSync, constants, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { KEY_ALGORITHMS } from "../pki/algorithms.js";
import { isServerTtl, parseAgentDuration, parseWindow, type Window } from "./duration.js";

const DURATION_HELP = 'write a whole number and one unit: s, m (minutes), h, d or w (e.g. "5m")';
const WINDOW_HELP = 'write a duration ("10d") or a share of the lifetime ("33%")';
const duration = z.string().max(32).refine((s) => parseAgentDuration(s) !== null, { message: `not a duration: ${DURATION_HELP}` });
const window = z.string().max(32).refine((s) => parseWindow(s) !== null, { message: `not a renewal window: ${WINDOW_HELP}` });
const filePath = z.string().min(1).max(4096);
const hook = z.strictObject({ command: z.array(z.string().min(1).max(4096)).min(1).max(100), timeoutSeconds: z.number().int().min(1).max(3600).default(60) });
const altName = z.string().max(1024).regex(/^(dns|ip|email|uri):.+$/, { message: 'write TYPE:VALUE with TYPE one of dns, ip, email, uri (e.g. "dns:www.acme.com")' });
const mode = z.union([z.number().int().min(0).max(0o777), z.string().regex(/^0?[0-7]{3}$/, { message: 'write an octal mode such as "0640"' })]);

const certificate = z.strictObject({
  name: z.string().min(1).max(100).regex(/^[A-Za-z0-9._-]+$/, { message: "use letters, digits, '.', '_' and '-'" }),
  profile: z.string().min(1).max(100),
  commonName: z.string().min(1).max(256),
  altNames: z.array(altName).max(100).default([]),
  keyAlgorithm: z.enum(KEY_ALGORITHMS).default("EC_prime256v1"),
  ttl: z.string().max(32).refine(isServerTtl, { message: 'not a certificate lifetime: write a number and s, h, d, w or y (e.g. "90d")' }).optional(),
  keyMode: z.enum(["local", "server"]).default("local"),
  files: z.strictObject({
    certificate: filePath,
    chain: filePath.optional(),
    fullChain: filePath.optional(),
    privateKey: filePath,
    pkcs12: z.strictObject({ path: filePath, password: z.string().min(4).max(256).optional(), passwordFile: filePath.optional() }).optional(),
    mode: mode.optional(),
    keyMode: mode.optional(),
    owner: z.string().regex(/^\d+:\d+$/, { message: 'write numeric "uid:gid"' }).optional(),
  }),
  renewBefore: window.default("33%"),
  jitter: window.optional(),
  hooks: z.strictObject({ afterIssue: hook.optional(), afterRenew: hook.optional(), onFailure: hook.optional() }).default({}),
});

const configSchema = z.strictObject({
  server: z.url({ protocol: /^https?$/ }).max(2048),
  caFile: filePath.optional(),
  project: z.string().min(1).max(100).optional(),
  auth: z.strictObject({ clientId: z.uuid(), clientSecretFile: filePath.optional(), clientSecretEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional() }),
  interval: duration.default("5m"),
  stateFile: filePath.optional(),
  certificates: z.array(certificate).min(1).max(1000),
});

/** A hook as configured. */
export type Hook = z.infer<typeof hook>;

/** One certificate the agent keeps, with paths resolved against the config's directory. */
export interface CertificateConfig {
  name: string;
  profile: string;
  commonName: string;
  altNames: { type: "dns_name" | "ip_address" | "email" | "uri"; value: string }[];
  keyAlgorithm: (typeof KEY_ALGORITHMS)[number];
  ttl?: string;
  keyMode: "local" | "server";
  files: {
    certificate: string;
    chain?: string;
    fullChain?: string;
    privateKey: string;
    pkcs12?: { path: string; password: string };
    mode: number;
    keyMode: number;
    owner?: { uid: number; gid: number };
  };
  renewBefore: Window;
  jitter?: Window;
  hooks: { afterIssue?: Hook; afterRenew?: Hook; onFailure?: Hook };
}

/** The whole agent config, resolved. The client secret is held here, never logged. */
export interface AgentConfig {
  configFile: string;
  server: string;
  caFile?: string;
  project?: string;
  clientId: string;
  clientSecret: string;
  intervalMs: number;
  stateFile: string;
  certificates: CertificateConfig[];
}

/** A config that cannot be used: `field` names where, `message` says why. */
export class ConfigError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = "ConfigError";
  }
}

const SAN_TYPES = { dns: "dns_name", ip: "ip_address", email: "email", uri: "uri" } as const;

/** `certificates[0].files.privateKey` from a zod issue path. */
function fieldOf(p: readonly PropertyKey[]): string {
  return p.reduce<string>((acc, k) => (typeof k === "number" ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), "") || "(config)";
}

const errCode = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

/** Reads a secret file (one line; surrounding whitespace is trimmed). */
function readSecret(file: string, field: string): string {
  let s: string;
  try {
    s = readFileSync(file, "utf8").trim();
  } catch (e) {
    throw new ConfigError(field, `cannot read ${file} (${errCode(e)})`);
  }
  if (!s) throw new ConfigError(field, `${file} is empty`);
  return s;
}

/** The directory of an output file must exist and be writable: the agent never creates directories. */
function checkOutputDir(file: string, field: string): void {
  const dir = path.dirname(file);
  try {
    if (!statSync(dir).isDirectory()) throw new ConfigError(field, `${dir} is not a directory`);
    accessSync(dir, constants.W_OK);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(field, `the directory ${dir} ${errCode(e) === "ENOENT" ? "does not exist" : `is not writable (${errCode(e)})`}`);
  }
}

const octal = (m: number | string | undefined, dflt: number) => (m === undefined ? dflt : typeof m === "number" ? m : parseInt(m, 8));

/** Parses and checks the config text; `env` holds the environment variables the CLI passed in. Throws ConfigError. */
export function parseAgentConfig(text: string, configFile: string, env: Record<string, string | undefined>): AgentConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text, { maxAliasCount: 100 });
  } catch (e) {
    throw new ConfigError("(config)", `not valid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  const r = configSchema.safeParse(raw ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new ConfigError(fieldOf(issue.path), issue.message);
  }
  const c = r.data;
  const base = path.dirname(path.resolve(configFile));
  const abs = (p: string) => path.resolve(base, p);

  let clientSecret: string;
  if (c.auth.clientSecretFile && c.auth.clientSecretEnv) throw new ConfigError("auth", "give clientSecretFile or clientSecretEnv, not both");
  if (c.auth.clientSecretFile) clientSecret = readSecret(abs(c.auth.clientSecretFile), "auth.clientSecretFile");
  else if (c.auth.clientSecretEnv) {
    const v = env[c.auth.clientSecretEnv]?.trim();
    if (!v) throw new ConfigError("auth.clientSecretEnv", `the environment variable ${c.auth.clientSecretEnv} is not set`);
    clientSecret = v;
  } else throw new ConfigError("auth", "give clientSecretFile or clientSecretEnv");
  if (c.caFile) {
    try {
      accessSync(abs(c.caFile), constants.R_OK);
    } catch (e) {
      throw new ConfigError("caFile", `cannot read ${abs(c.caFile)} (${errCode(e)})`);
    }
  }

  const names = new Set<string>();
  const certificates = c.certificates.map((x, i): CertificateConfig => {
    const at = `certificates[${i}]`;
    if (names.has(x.name)) throw new ConfigError(`${at}.name`, `${JSON.stringify(x.name)} is used twice`);
    names.add(x.name);
    const files: CertificateConfig["files"] = {
      certificate: abs(x.files.certificate),
      chain: x.files.chain && abs(x.files.chain),
      fullChain: x.files.fullChain && abs(x.files.fullChain),
      privateKey: abs(x.files.privateKey),
      mode: octal(x.files.mode, 0o644),
      keyMode: octal(x.files.keyMode, 0o600),
    };
    if (x.files.owner) {
      const [uid, gid] = x.files.owner.split(":").map(Number);
      files.owner = { uid, gid };
    }
    if (x.files.pkcs12) {
      const p = x.files.pkcs12;
      if (!!p.password === !!p.passwordFile) throw new ConfigError(`${at}.files.pkcs12`, "give password or passwordFile");
      files.pkcs12 = { path: abs(p.path), password: p.password ?? readSecret(abs(p.passwordFile!), `${at}.files.pkcs12.passwordFile`) };
    }
    for (const [k, f] of [["certificate", files.certificate], ["chain", files.chain], ["fullChain", files.fullChain], ["privateKey", files.privateKey], ["pkcs12.path", files.pkcs12?.path]] as const) {
      if (f) checkOutputDir(f, `${at}.files.${k}`);
    }
    return {
      name: x.name,
      profile: x.profile,
      commonName: x.commonName,
      altNames: x.altNames.map((s) => {
        const j = s.indexOf(":");
        return { type: SAN_TYPES[s.slice(0, j) as keyof typeof SAN_TYPES], value: s.slice(j + 1) };
      }),
      keyAlgorithm: x.keyAlgorithm,
      ttl: x.ttl,
      keyMode: x.keyMode,
      files,
      renewBefore: parseWindow(x.renewBefore)!,
      jitter: x.jitter === undefined ? undefined : parseWindow(x.jitter)!,
      hooks: x.hooks,
    };
  });
  const stateFile = c.stateFile ? abs(c.stateFile) : path.join(base, `${path.basename(configFile).replace(/\.ya?ml$/i, "")}.state.json`);
  checkOutputDir(stateFile, "stateFile");
  return {
    configFile: path.resolve(configFile),
    server: c.server.replace(/\/+$/, ""),
    caFile: c.caFile && abs(c.caFile),
    project: c.project,
    clientId: c.auth.clientId,
    clientSecret,
    intervalMs: parseAgentDuration(c.interval)!,
    stateFile,
    certificates,
  };
}

/** Reads and parses the config file. Throws ConfigError. */
export function loadAgentConfig(file: string, env: Record<string, string | undefined>): AgentConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigError("--config", `cannot read ${file} (${errCode(e)})`);
  }
  return parseAgentConfig(text, file, env);
}
