import { acmeAccounts } from "./accounts.js";
import { acmeChallenges } from "./challenges.js";
import type { AcmeDeps } from "./deps.js";
import { acmeEab } from "./eab.js";
import { acmeFinalize } from "./finalize.js";
import { acmeOrders, subproblems } from "./orders.js";

/** The ACME server (RFC 8555, RFC 8737, RFC 8738, RFC 9773) for every profile that enables it. */
export function createAcme(deps: AcmeDeps) {
  const orders = acmeOrders(deps);
  return {
    ...acmeAccounts(deps),
    ...orders,
    ...acmeChallenges(deps, orders),
    ...acmeFinalize(deps, orders),
    eab: acmeEab(deps),
    subproblems,
  };
}

export type Acme = ReturnType<typeof createAcme>;
