import { StampApiError, type StampClient } from "../client/client.js";
import { caConfigurationInput } from "../contract/ca.js";
import { CliError, EXIT, UsageError } from "./errors.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The key algorithms the API accepts, from the contract. */
export const KEY_ALGORITHMS = caConfigurationInput.shape.keyAlgorithm.options;

/** True for a UUID (an object id rather than a name). */
export const isId = (s: string) => UUID.test(s);

/**
 * The project to work in: --project by id or name; else the caller's only project; else the
 * one named `default`.
 */
export async function resolveProject(client: StampClient, given: string | undefined): Promise<string> {
  const { projects } = await client.projects.list();
  if (given) {
    const p = projects.find((x) => x.id === given || x.name === given);
    if (!p) throw new CliError(EXIT.notFound, `no project ${JSON.stringify(given)} among yours (${projects.map((x) => x.name).join(", ") || "none"})`);
    return p.id;
  }
  if (projects.length === 1) return projects[0].id;
  const d = projects.find((x) => x.name === "default");
  if (d) return d.id;
  throw new UsageError(`you belong to ${projects.length} projects; choose one with --project (${projects.map((x) => x.name).join(", ")})`);
}

/** A CA by id, or by name within the project. */
export async function resolveCa(client: StampClient, projectFlag: string | undefined, ref: string): Promise<string> {
  if (isId(ref)) return ref;
  const cas = await client.cas.list(await resolveProject(client, projectFlag));
  const hit = cas.find((c) => c.name === ref);
  if (!hit) throw new CliError(EXIT.notFound, `no CA named ${JSON.stringify(ref)} in the project`);
  return hit.id;
}

/** A template by id, or by name within the project. */
export async function resolveTemplate(client: StampClient, projectFlag: string | undefined, ref: string): Promise<string> {
  if (isId(ref)) return ref;
  const { certificateTemplates } = await client.templates.list(await resolveProject(client, projectFlag), { search: ref, limit: 100 });
  const hit = certificateTemplates.find((t) => t.name === ref);
  if (!hit) throw new CliError(EXIT.notFound, `no template named ${JSON.stringify(ref)} in the project`);
  return hit.id;
}

/** A profile by id, or by slug within the project. */
export async function resolveProfile(client: StampClient, projectFlag: string | undefined, ref: string): Promise<string> {
  if (isId(ref)) return ref;
  const projectId = await resolveProject(client, projectFlag);
  try {
    return (await client.profiles.bySlug(ref, projectId)).certificateProfile.id;
  } catch (e) {
    if (e instanceof StampApiError && e.status === 404) throw new CliError(EXIT.notFound, `no profile with slug ${JSON.stringify(ref)} in the project`);
    throw e;
  }
}
