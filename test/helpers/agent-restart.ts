import { parseConfig } from "../../src/server/config.js";
import { compose } from "../../src/server/compose.js";
import type { freshDatabase } from "./harness.js";

/** Starts Stamp again over an existing database on a fixed port (plain HTTP), as after a restart. */
export async function restartServerOnPort(db: Awaited<ReturnType<typeof freshDatabase>>, port: number): Promise<{ url: string; close(): Promise<void> }> {
  const env: Record<string, string | undefined> = {
    STAMP_LISTEN: `127.0.0.1:${port}`,
    STAMP_DATA_DIR: db.dataDir,
    STAMP_TLS: "off",
    STAMP_PUBLIC_URL: "http://127.0.0.1:1",
    ...(db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : {}),
  };
  const parsed = parseConfig([], env);
  if ("violations" in parsed) throw new Error(JSON.stringify(parsed.violations));
  const server = await compose(parsed.config, { logger: false });
  await server.app.listen({ host: "127.0.0.1", port });
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}
