import type { Repos, Store } from "../../store/store.js";
import type { AuditWriter, Transactional } from "../../shared-types.js";
import type { Runtime } from "../context.js";
import type { CaPort } from "./ports.js";

/** The repositories the CA use cases read and write (in and out of a transaction). */
export interface CaRepos extends AuditWriter {
  identity: Pick<Repos["identity"], "membership">;
  ca: Pick<
    Repos["ca"],
    "caById" | "caByIdForUpdate" | "caByName" | "casOf" | "childrenOf" | "insertCa" | "updateCa" | "deleteCa" | "insertKey" | "keyById" | "keysOf" | "setPendingCsr" | "clearPendingCsr" | "insertCertificate" | "certificateById" | "certificatesOf"
  >;
  cert: Pick<Repos["cert"], "hasLiveCertificates" | "profilesOfCa">;
  revocation: Pick<Repos["revocation"], "crlNextUpdates">;
}

/** The store as the CA use cases see it. */
export type CaStore = CaRepos & Transactional<CaRepos> & Pick<Store, "isUniqueViolation">;

/** What the CA use cases need. */
export interface CaDeps {
  store: CaStore;
  rt: Runtime;
  ca: CaPort;
  /** Base URL of the revocation URLs (CRL, OCSP, caIssuers): the plain-HTTP one when there is one. */
  revocationUrl: string;
  /** Told after a CA's settings change (the OCSP responder re-reads them). */
  onCaChange?: (caId: string) => void;
}
