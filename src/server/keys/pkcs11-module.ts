/**
 * The PKCS#11 library as a process-wide resource, and its error codes: C_Initialize/C_Finalize
 * are process-wide, so every backend on one module path shares one loaded library and only the
 * last close() may finalize it.
 */
import pkcs11js from "pkcs11js";
import { errors, StampError } from "../../errors.js";

/** A loaded PKCS#11 library. */
export type PKCS11 = InstanceType<typeof pkcs11js.PKCS11>;

const loaded = new Map<string, { p: PKCS11; refs: number }>();

/** The loaded, initialised library at `modulePath`, shared by every backend of this process. */
export function acquireModule(modulePath: string): PKCS11 {
  const have = loaded.get(modulePath);
  if (have) {
    have.refs++;
    return have.p;
  }
  const p = new pkcs11js.PKCS11();
  try {
    p.load(modulePath);
  } catch {
    throw errors.unavailable(`the PKCS#11 module ${modulePath} could not be loaded`);
  }
  try {
    p.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch (e) {
    if (codeOf(e) !== pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
      safely(() => p.close());
      throw wrap(e, `initialising the PKCS#11 module ${modulePath}`);
    }
  }
  loaded.set(modulePath, { p, refs: 1 });
  return p;
}

/** Drops one user of the library; the last one finalizes and unloads it. */
export function releaseModule(modulePath: string): void {
  const have = loaded.get(modulePath);
  if (!have) return;
  if (--have.refs > 0) return;
  loaded.delete(modulePath);
  safely(() => have.p.C_Finalize());
  safely(() => have.p.close());
}

/** Return codes after which a session can no longer be used (a new one is opened). */
export const SESSION_GONE = new Set<number>([
  pkcs11js.CKR_SESSION_HANDLE_INVALID,
  pkcs11js.CKR_SESSION_CLOSED,
  pkcs11js.CKR_DEVICE_REMOVED,
  pkcs11js.CKR_TOKEN_NOT_PRESENT,
]);

/** The CKR_* code of a pkcs11js error, or -1. */
export function codeOf(e: unknown): number {
  return typeof (e as { code?: unknown })?.code === "number" ? (e as { code: number }).code : -1;
}

let ckrNames: Map<number, string> | undefined;
/** The CKR_* name of a return code (hex when unnamed). */
export function ckrName(code: number): string {
  ckrNames ??= new Map(
    Object.entries(pkcs11js)
      .filter(([k, v]) => k.startsWith("CKR_") && typeof v === "number")
      .map(([k, v]) => [v as number, k]),
  );
  return ckrNames.get(code) ?? (code >= 0 ? `0x${code.toString(16)}` : "error");
}

/** A PKCS#11 failure as an internal error naming what was being done and the CKR_* code. */
export function wrap(e: unknown, what: string): StampError {
  return errors.internal(`PKCS#11 failed while ${what} (${ckrName(codeOf(e))})`, e);
}

/** Runs a cleanup step, ignoring its failure. */
export function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    /* cleanup: the original error matters more */
  }
}
