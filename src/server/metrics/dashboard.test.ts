import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../../..");
const dashboard = JSON.parse(readFileSync(path.join(root, "docs/grafana/stamp-dashboard.json"), "utf8")) as { panels: { title: string; targets: { expr: string }[] }[] };
const source = readFileSync(path.join(import.meta.dirname, "metrics.ts"), "utf8");
const operations = readFileSync(path.join(root, "docs/operations.md"), "utf8");
/** Metric names metrics.ts registers (stamp_process_* come from prom-client's default metrics). */
const defined = new Set([...source.matchAll(/name: "(stamp_[a-z_]+)"/g)].map((m) => m[1]));

/** The stamp_* series a PromQL expression reads, with a histogram's _bucket/_count/_sum cut off. */
function seriesOf(expr: string): string[] {
  return [...expr.matchAll(/\b(stamp_[a-z_]+)/g)].map((m) => m[1].replace(/_(bucket|count|sum)$/, ""));
}

describe("docs/grafana/stamp-dashboard.json and the alert rules in docs/operations.md", () => {
  it("every panel queries metrics Stamp exports", () => {
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(8);
    for (const p of dashboard.panels) {
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets) for (const s of seriesOf(t.expr)) if (!s.startsWith("stamp_process_")) expect(defined, `${p.title}: ${s}`).toContain(s);
    }
  });
  it("the documented alert rules and metric table name only exported metrics", () => {
    const metricsSection = operations.slice(operations.indexOf("## Metrics"));
    const named = seriesOf(metricsSection).filter((s) => !s.startsWith("stamp_process_"));
    expect(named.length).toBeGreaterThan(10);
    for (const s of named) expect(defined, s).toContain(s);
  });
});
