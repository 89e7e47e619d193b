import type { OcspAnswer } from "../../shared-types.js";

/** The OCSP responder as the RA sees it (declared here; compose.ts wires server/ca's). */
export interface OcspPort {
  respond(caId: string, der: Uint8Array): Promise<OcspAnswer>;
}


/** OCSP: public by design (RFC 6960); the responder decides what it is authoritative for. */
export function createOcsp(deps: { ocsp: OcspPort }) {
  return {
    /** Answers a DER OCSP request for a CA. */
    respond: (caId: string, der: Uint8Array) => deps.ocsp.respond(caId, der),
    /** Answers a GET request: the base64 DER request from the URL path (RFC 6960 Appendix A.1). */
    respondToGet(caId: string, encoded: string) {
      let b64 = encoded;
      try {
        b64 = decodeURIComponent(encoded);
      } catch {
        /* keep as given */
      }
      const der = /^[A-Za-z0-9+/=_-]*$/.test(b64) ? Buffer.from(b64, "base64") : Buffer.alloc(0);
      return deps.ocsp.respond(caId, new Uint8Array(der));
    },
  };
}
