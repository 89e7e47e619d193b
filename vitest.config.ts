import { defineConfig } from "vitest/config";

// Pure unit tests run once; tests that touch a database run on the embedded PGlite and on
// PostgreSQL (STAMP_TEST_DB picks the store). Forked processes: the PKCS#11 module is not safe
// to load in two worker threads of one process.
const dbTests = ["test/**/*.test.ts", "src/**/*.db.test.ts"];
// Import-boundary fixtures (src/boundaries.test.ts) are files that must fail the checker, not tests.
const notTests = ["test/fixtures/**", "node_modules/**"];

// Files whose subject is a protocol, a real client or the HTTP surface rather than the store run
// on one store only, split between the two so both still carry real client traffic. Everything
// that reads or writes data its own way (issuance, revocation, CRLs, lists, jobs, audit, backup,
// caches, the multi-server tests) runs on both. See README.md, "Tests".
const pgliteOnly = [
  "test/web-ui.test.ts", "test/est-fuzz.test.ts", "test/agent-nginx.test.ts", "test/acme-certbot.test.ts",
  "test/acme-dehydrated.test.ts", "test/agent.test.ts", "test/template-presets.test.ts", "test/csr-rules.test.ts",
];
const postgresOnly = [
  "test/cli.test.ts", "test/cli-acme.test.ts", "test/cli-session.test.ts", "test/acme-lego.test.ts", "test/acme-uacme.test.ts",
  "test/acme-python.test.ts", "test/scep.test.ts", "test/http-hygiene.test.ts", "test/strict-input.test.ts", "test/bad-input.test.ts",
  "test/cert-bad-input.test.ts", "test/infisical-compat-cas-bad-input.test.ts", "test/authz-matrix.test.ts", "test/sessions.test.ts",
  "test/alerts-egress.test.ts", "test/patch-semantics.test.ts", "test/project-creation.test.ts",
  // ACME against pebble + BIND (and two servers on one database): protocol behaviour.
  "test/external-ca.test.ts",
];

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
      { extends: true, test: { name: "pglite", include: dbTests, exclude: [...postgresOnly, ...notTests], env: { STAMP_TEST_DB: "pglite" } } },
      { extends: true, test: { name: "postgres", include: dbTests, exclude: [...pgliteOnly, ...notTests], env: { STAMP_TEST_DB: "postgres" } } },
    ],
  },
});
