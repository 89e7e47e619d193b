import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { writeFileAtomic } from "../atomic-write.js";

/** What `stamp login` saves: where the server is, how to trust it, and the access token. */
export interface Session {
  server: string;
  token: string;
  caFile?: string;
  expiresAt: string;
  /** Who logged in, for messages. */
  principal?: string;
}

/** --config, else STAMP_CONFIG, else $XDG_CONFIG_HOME/stamp/session.json (~/.config by default). */
export function configPath(flagValue: string | undefined, env: { STAMP_CONFIG?: string; XDG_CONFIG_HOME?: string }): string {
  if (flagValue) return path.resolve(flagValue);
  if (env.STAMP_CONFIG) return path.resolve(env.STAMP_CONFIG);
  return path.join(env.XDG_CONFIG_HOME || path.join(os.homedir(), ".config"), "stamp", "session.json");
}

/** Reads the session file; null when there is none. */
export async function loadSession(file: string): Promise<Session | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
  const s = JSON.parse(text) as Partial<Session>;
  if (typeof s.server !== "string" || typeof s.token !== "string" || typeof s.expiresAt !== "string") return null;
  return s as Session;
}

/** Writes the session file 0600 (its directory 0700): it holds a bearer token. */
export async function saveSession(file: string, s: Session): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(s, null, 2)}\n`, 0o600, { dirMode: 0o700 });
}
