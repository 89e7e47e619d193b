/** What happened, in order: the memory store and the test keys append to one journal, so a test can assert the order (intent before signature, outcome after). */
export interface Journal {
  push(entry: string): void;
  /** Every entry so far. */
  readonly entries: readonly string[];
  /** The entries that start with one of `prefixes`, in order. */
  only(...prefixes: string[]): string[];
  /** Forgets everything so far (after a test's setup). */
  clear(): void;
}

export function createJournal(): Journal {
  let entries: string[] = [];
  return {
    push: (e) => void entries.push(e),
    get entries() {
      return entries;
    },
    only: (...prefixes) => entries.filter((e) => prefixes.some((p) => e.startsWith(p))),
    clear: () => void (entries = []),
  };
}
