/** Import boundaries of ARCHITECTURE.md, checked in CI (`npm run check`). */
const NETWORK_MODULES = "^(node:)?(net|tls|http|https|http2|dgram|dns|dns/promises)$";
const IO_MODULES = "^(fs|fs/promises|net|http|https|http2|dgram|child_process|worker_threads|cluster|tls|dns|node:(fs|fs/promises|net|http|https|http2|dgram|child_process|worker_threads|cluster|tls|dns))$";
module.exports = {
  forbidden: [
    { name: "pure-core-no-io", comment: "pki/ and policy/ are pure: no IO modules", severity: "error", from: { path: "^src/(pki|policy)/", pathNot: "\\.test\\.ts$|test-util\\.ts$" }, to: { path: IO_MODULES } },
    { name: "pure-core-no-server", comment: "pki/ and policy/ must not reach into the server, client or UI", severity: "error", from: { path: "^src/(pki|policy)/" }, to: { path: "^src/(server|client|cli|agent|contract)/" } },
    { name: "pki-not-policy", comment: "policy depends on pki, never the reverse", severity: "error", from: { path: "^src/pki/" }, to: { path: "^src/policy/" } },
    { name: "http-transport-only", comment: "server/http may import ra, contract and errors, not store/ca/keys/va", severity: "error", from: { path: "^src/server/http/" }, to: { path: "^src/server/(store|ca|keys|va)/" } },
    { name: "ra-no-http-keys-ca", comment: "server/ra declares the interfaces it needs; it must not import http, keys or ca", severity: "error", from: { path: "^src/server/ra/" }, to: { path: "^src/server/(http|keys|ca|va)/" } },
    { name: "ra-store-types-only", comment: "server/ra reaches the store only through types (the Store port it is handed); never a runtime import", severity: "error", from: { path: "^src/server/ra/" }, to: { path: "^src/server/store/", dependencyTypesNot: ["type-only"] } },
    { name: "outbound-network-in-va", comment: "outbound connections are made only by server/va (validation, egress policy) and the alert senders that go through it", severity: "error", from: { path: "^src/server/", pathNot: "^src/server/va/|^src/server/alerts/(webhook|smtp)\\.ts$" }, to: { path: NETWORK_MODULES, dependencyTypesNot: ["type-only"] } },
    { name: "envelope-custody", comment: "only keys/, ca/, the composition root and the root-key rotation command touch sealed envelopes; the RA gets a SecretBox limited to its AAD namespaces", severity: "error", from: { path: "^src/", pathNot: "^src/server/(keys|ca|root-key)/|^src/server/compose\\.ts$" }, to: { path: "^src/server/keys/envelope\\.ts$" } },
    { name: "ca-not-upstream", comment: "server/ca must not import http, ra or va (types both speak live in server/shared-types.ts)", severity: "error", from: { path: "^src/server/ca/" }, to: { path: "^src/server/(http|va|ra)/" } },
    { name: "store-leaf", comment: "server/store must not import policy, ra or ca", severity: "error", from: { path: "^src/server/store/" }, to: { path: "^src/(policy|server/(ra|ca|keys|http))/" } },
    { name: "clients-not-server", comment: "cli/, agent/ and web/ talk to the server only over HTTP", severity: "error", from: { path: "^(src/(client|cli|agent)|web)/", pathNot: "^src/cli/restore\\.ts$" }, to: { path: "^src/server/" } },
    { name: "restore-offline-only", comment: "`stamp restore` is offline: it may use the embedded store's restore (under the server's data-dir lock) and nothing else of the server", severity: "error", from: { path: "^src/cli/restore\\.ts$" }, to: { path: "^src/server/", pathNot: "^src/server/store/embedded-backup\\.ts$" } },
    { name: "testkit-for-tests-only", comment: "server/testkit (memory store, failing signer, fake runtime) serves the unit tests; no production module imports it", severity: "error", from: { path: "^src/", pathNot: "^src/server/testkit/" }, to: { path: "^src/server/testkit/" } },
    { name: "no-circular", severity: "error", from: { path: "^src/" }, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".tsx", ".js"] },
    exclude: { path: "\\.test\\.ts$" },
  },
};
