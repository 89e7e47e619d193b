import { defineConfig } from "vitest/config";

// Pure unit tests run once; tests that touch a database run twice, on the embedded
// PGlite and on PostgreSQL (STAMP_TEST_DB picks the store). Forked processes: the
// PKCS#11 module is not safe to load in two worker threads of one process.
const dbTests = ["test/**/*.test.ts", "src/**/*.db.test.ts"];
export default defineConfig({
  test: {
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      { extends: true, test: { name: "unit", include: ["src/**/*.test.ts"], exclude: ["src/**/*.db.test.ts", "node_modules/**"] } },
      { extends: true, test: { name: "pglite", include: dbTests, env: { STAMP_TEST_DB: "pglite" } } },
      { extends: true, test: { name: "postgres", include: dbTests, env: { STAMP_TEST_DB: "postgres" } } },
    ],
  },
});
