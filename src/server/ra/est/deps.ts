import type { Store } from "../../store/store.js";
import type { CertDeps } from "../certs/issue.js";
import type { Runtime } from "../context.js";

/** What the EST use cases need (compose.ts wires it). */
export interface EstDeps {
  store: Store;
  rt: Runtime;
  certs: CertDeps;
  publicUrl: string;
}

/** How an EST client proved itself on the transport: HTTP Basic and/or a TLS client certificate chain (leaf first). */
export interface EstCredentials {
  basic?: { user: string; password: string };
  clientChain?: Uint8Array[];
}

/** The EST base URL of a profile (RFC 7030 §3.2.2: /.well-known/est/<label>/). */
export const estBaseUrl = (publicUrl: string, profileId: string) => `${publicUrl}/.well-known/est/${profileId}`;
