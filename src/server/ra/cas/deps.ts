import type { Store } from "../../store/store.js";
import type { Runtime } from "../context.js";
import type { CaPort } from "./ports.js";

/** What the CA use cases need. */
export interface CaDeps {
  store: Store;
  rt: Runtime;
  ca: CaPort;
  /** Base URL of the revocation URLs (CRL, OCSP, caIssuers): the plain-HTTP one when there is one. */
  revocationUrl: string;
  /** Told after a CA's settings change (the OCSP responder re-reads them). */
  onCaChange?: (caId: string) => void;
}
