import { defineConfig } from "vitest/config";

// Pure unit tests run once; tests that touch a database run twice, on the embedded
// PGlite and on PostgreSQL (STAMP_TEST_DB picks the store). Forked processes: the
// PKCS#11 module is not safe to load in two worker threads of one process.
const dbTests = ["test/**/*.test.ts", "src/**/*.db.test.ts"];
export default defineConfig({
  test: {
    pool: "forks",
    // Two files at a time: most integration tests wait on servers, openssl and real clients, so
    // the default (cores - 1 = one file at a time on a 2-core machine) leaves the CPU idle.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      { extends: true, test: { name: "unit", include: ["src/**/*.test.ts"], exclude: ["src/**/*.db.test.ts", "node_modules/**"] } },
      // The CLI talks to the server over HTTP only: its walk runs once, on PostgreSQL (the faster store).
      // So do the external-CA tests (ACME protocol against pebble + BIND; two servers on one database).
      { extends: true, test: { name: "pglite", include: dbTests, exclude: ["test/cli.test.ts", "test/external-ca.test.ts", "node_modules/**"], env: { STAMP_TEST_DB: "pglite" } } },
      { extends: true, test: { name: "postgres", include: dbTests, env: { STAMP_TEST_DB: "postgres" } } },
    ],
  },
});
