/** Small helpers shared by the benchmarks: percentiles and a plain-text table. */

/** The q-quantile (0..1) of `sorted` by the nearest-rank method. */
export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Renders rows as a Markdown table with right-aligned numeric columns, so it pastes into docs. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map(String));
  const width = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const numeric = headers.map((_, i) => cells.length > 0 && cells.every((r) => /^[\d.,]+$/.test(r[i])));
  const pad = (s: string, i: number) => (numeric[i] ? s.padStart(width[i]) : s.padEnd(width[i]));
  const line = (r: string[]) => `| ${r.map(pad).join(" | ")} |`;
  const rule = `|${width.map((w, i) => (numeric[i] ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2))).join("|")}|`;
  return [line(headers), rule, ...cells.map(line)].join("\n");
}
