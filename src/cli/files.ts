import { readFile } from "node:fs/promises";
import { UsageError } from "./errors.js";

/** Reads a file named by a flag; a missing file is a usage error. */
export async function readFlagFile(flagName: string, file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read --${flagName} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
