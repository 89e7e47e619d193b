/**
 * Pino's JSON lines as one readable line each, for a terminal (`--log-format text`, or `auto` on a
 * TTY): `12:04:31 INFO  GET /api/v1/auth/me 200 1.8 ms  req=…`, and for other records the message
 * with its fields as key=value.
 */
const LEVELS: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };
/** Pino's own fields, never repeated as key=value. */
const SKIP = new Set(["level", "time", "pid", "hostname", "msg", "reqId", "method", "path", "status", "ms", "err"]);

export function formatLogLine(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.trimEnd();
  }
  const time = typeof o.time === "number" ? new Date(o.time).toISOString().slice(11, 19) : "--:--:--";
  const level = (LEVELS[o.level as number] ?? String(o.level)).padEnd(5);
  const head = o.msg === "request" && typeof o.method === "string" ? `${o.method} ${String(o.path)} ${String(o.status)} ${String(o.ms)} ms` : o.msg === "request received" ? `${String(o.method)} ${String(o.path)} received` : String(o.msg ?? "");
  const fields = Object.entries(o)
    .filter(([k, v]) => !SKIP.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
  const err = o.err && typeof o.err === "object" ? ` error=${JSON.stringify((o.err as { message?: string }).message ?? o.err)}` : "";
  const id = typeof o.reqId === "string" ? `  req=${o.reqId}` : "";
  return `${time} ${level} ${head}${fields.length ? ` ${fields.join(" ")}` : ""}${err}${id}`;
}

/** A pino destination that writes each record through `formatLogLine`. */
export function textLogStream(out: { write(s: string): unknown }): { write(line: string): void } {
  return { write: (line) => void out.write(`${formatLogLine(line)}\n`) };
}
