/**
 * Writes docs/violations.md from the violation-code catalog (src/violations.ts):
 * `npm run docs:violations`. src/violations.test.ts fails when the checked-in page is stale.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { VIOLATION_CODES, VIOLATION_GROUPS, type ViolationGroup } from "../src/violations.js";

/** Where the page lives, from the repository root. */
export const VIOLATIONS_DOC = fileURLToPath(new URL("../docs/violations.md", import.meta.url));

const cell = (s: string) => s.replaceAll("|", "\\|");

/** The page's Markdown: one table per catalog section, codes sorted. */
export function renderViolationsDoc(): string {
  const entries = Object.entries(VIOLATION_CODES) as [string, { group: ViolationGroup; means: string }][];
  const lines = [
    "# Violation codes",
    "",
    "<!-- Generated from src/violations.ts by `npm run docs:violations`; do not edit by hand. -->",
    "",
    "A refused request answers with problem+json (RFC 9457) whose `violations` list every broken rule at once:",
    "`field` (where), `code` (which rule), `message` (for people, in English) and `value` (what was given, when",
    "it is safe to echo). Template answers list `warnings` with the same codes. Clients may rely on `code`: every",
    "code Stamp sends is in this catalog, keeps its meaning and is not renamed; messages may change. The server",
    "cannot compile with a code that is not listed here (`Violation.code` is typed by the catalog).",
    "",
  ];
  for (const [group, title] of Object.entries(VIOLATION_GROUPS)) {
    const rows = entries.filter(([, e]) => e.group === group).sort(([a], [b]) => (a < b ? -1 : 1));
    if (!rows.length) continue;
    lines.push(`## ${title}`, "", "| code | means |", "|---|---|", ...rows.map(([code, e]) => `| \`${code}\` | ${cell(e.means)} |`), "");
  }
  lines.push(`${entries.length} codes.`, "");
  return lines.join("\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(VIOLATIONS_DOC, renderViolationsDoc());
  console.log(`wrote ${VIOLATIONS_DOC}`);
}
