/** The agent's small JSON state file: per certificate, its server id, serial and failures. Written atomically. */
import { readFile } from "node:fs/promises";
import type { CertState } from "./decide.js";
import { writeFileAtomic } from "../atomic-write.js";

/** The state file's content. */
export interface AgentState {
  version: 1;
  certificates: Record<string, CertState>;
}

/** Reads the state; an absent or unreadable file is an empty state (the files on disk decide). */
export async function loadState(file: string): Promise<AgentState> {
  try {
    const s = JSON.parse(await readFile(file, "utf8")) as Partial<AgentState>;
    if (s && s.version === 1 && s.certificates && typeof s.certificates === "object") return { version: 1, certificates: s.certificates };
  } catch {
    /* start afresh */
  }
  return { version: 1, certificates: {} };
}

/** Writes the state atomically, 0600. */
export async function saveState(file: string, s: AgentState): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(s, null, 2)}\n`, 0o600);
}
