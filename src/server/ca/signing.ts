/**
 * The one place Stamp signs a certificate (ARCHITECTURE.md house rule 2; Boulder's
 * Prepare/Issue split): `prepare` lints the exact TBS bytes and returns a single-use token;
 * signing records the intent (committed), signs outside any transaction, and records the
 * outcome — in the same transaction that commits the certificate, so no certificate row exists
 * without a `signed` record and no signature without an intent. Leaves, CA certificates, OCSP
 * responder certificates and the TLS-auto certificates all come through here.
 *
 * Leaves are group-committed (docs/adr/0008-issuance-engine.md): concurrent issuances share one
 * multi-row intent insert and one transaction that writes every certificate, outcome and audit
 * entry; no caller is answered before that transaction commits.
 */
import { errors, type Violation } from "../../errors.js";
import { assembleCertificate } from "../../pki/ca-certificate.js";
import { serialHex } from "../../pki/serial.js";
import { tbsSignatureMatches } from "../../pki/lint-ca.js";
import type { Signer } from "../keys/index.js";
import type { Repos } from "../store/store.js";
import type { LeafRecord, Transactional } from "../shared-types.js";
import { isTransientDbError } from "../store/resilient-dialect.js";
import { createGroupCommit } from "./group-commit.js";

/** What is being signed, as the signing log names it. */
export type SigningKind = "leaf" | "root-ca" | "intermediate-ca" | "external-ca" | "ocsp-responder" | "scep-ra" | "tls-ca" | "tls-server";

/** A TBS that passed lint, bound to its signer; usable for exactly one signature. */
export interface SigningToken {
  readonly serial: string;
  readonly issuerCaId: string | null;
  readonly kind: SigningKind;
  readonly subjectId: string | null;
}

/** What `prepare` needs: the TBS, who signs it, and the lint that must pass first. */
export interface SigningRequest {
  /** The signing log's issuer: the issuing CA, or null (self-signed leaves, Stamp's TLS CA). */
  issuerCaId: string | null;
  kind: SigningKind;
  subjectId: string | null;
  serialNumber: Uint8Array;
  tbs: Uint8Array;
  signer: Signer;
  /** Every broken rule of the TBS (empty when fit to sign); runs before the token exists. */
  lint: (tbs: Uint8Array) => Violation[];
}

export type { LeafRecord } from "../shared-types.js";

/** What the signing transaction must offer besides the caller's rows: settling the outcome. */
export interface SigningTx {
  ca: Pick<Repos["ca"], "recordOutcomes">;
}

/** The store as the signing chokepoint sees it: the signing log, the leaves' one-statement commit, and transactions over `Tx`. */
export interface SigningStore<Tx extends SigningTx> extends Transactional<Tx> {
  ca: Pick<Repos["ca"], "recordIntents" | "recordOutcomes">;
  issuance: Pick<Repos["issuance"], "commitLeaves">;
}

interface TokenState {
  signer: Signer;
  /** The bytes that passed lint: a private copy, so nothing changes them before they are signed. */
  tbs: Uint8Array;
  used: boolean;
}

/**
 * Creates the signing chokepoint over the store (intents, outcomes, group commit). `Tx` is what
 * its transactions hand a `signOne` commit (every repository, in production).
 */
export function createSigning<Tx extends SigningTx = Repos>(deps: { store: SigningStore<Tx>; maxBatch?: number; maxInFlight?: number }) {
  const { store } = deps;
  const tokens = new WeakMap<SigningToken, TokenState>();

  /** Takes a token for its one signature; a token this module did not make, or one already used, is refused. */
  function consume(token: SigningToken): TokenState {
    const state = tokens.get(token);
    if (!state) throw errors.internal("A signing token that the CA did not prepare was presented.");
    if (state.used) throw errors.internal(`The signing token for serial ${token.serial} was already used; a token signs once.`);
    state.used = true;
    return state;
  }

  /** Signs the linted TBS and assembles the certificate (throws what the signer throws). */
  async function signTbs({ tbs, signer }: TokenState): Promise<Uint8Array> {
    return assembleCertificate(tbs, signer.keyAlgorithm, await signer.sign(tbs));
  }

  const leaves = createGroupCommit<{ token: SigningToken; state: TokenState; record: (der: Uint8Array) => LeafRecord }, Uint8Array>({
    maxBatch: deps.maxBatch ?? 128,
    maxInFlight: deps.maxInFlight ?? 1,
    async run(items) {
      // 1. Every intent in one committed statement, before any signature (house rule 2); relaxed:
      // step 3's commit flushes the WAL past it before any certificate leaves (ca.repo.ts).
      const intentIds = await store.ca.recordIntents(items.map(({ token: t }) => ({ issuerCaId: t.issuerCaId, serial: t.serial, kind: t.kind, subjectId: t.subjectId })), { relaxed: true });
      // 2. Sign, outside any transaction; a failure stays with its own item.
      const signed = await Promise.all(items.map(async (it) => {
        try {
          return { der: await signTbs(it.state) };
        } catch (e) {
          return { error: e };
        }
      }));
      // 3. Certificates, outcomes and audit entries in one statement.
      const ok = items.flatMap((it, i) => ("der" in signed[i] ? [{ token: it.token, intentId: intentIds[i], record: it.record(signed[i].der as Uint8Array) }] : []));
      const failed = items.flatMap((_, i) => ("error" in signed[i] ? [intentIds[i]] : []));
      const commitErrors = new Map<SigningToken, unknown>();
      try {
        await commitLeaves(ok, failed);
      } catch (e) {
        if (ok.length <= 1 || isTransientDbError(e)) for (const o of ok) commitErrors.set(o.token, e);
        else {
          // One bad row must not fail its neighbours: commit each on its own.
          for (const o of ok) await commitLeaves([o], []).catch((err) => commitErrors.set(o.token, err));
          if (failed.length) await store.issuance.commitLeaves([], failed).catch(() => undefined);
        }
        const lost = ok.filter((o) => commitErrors.has(o.token)).map((o) => o.token);
        if (lost.length) await store.ca.recordOutcomes(lost, "abandoned").catch(() => undefined);
      }
      return items.map((it, i) => {
        const s = signed[i];
        if ("error" in s) return s.error instanceof Error ? s.error : new Error(String(s.error));
        const e = commitErrors.get(it.token);
        return e === undefined ? (s.der as Uint8Array) : e instanceof Error ? e : new Error(String(e));
      });
    },
  });

  /** One statement: the certificates, their `signed` outcomes (and `failed` ones, by intent id), their audit entries. */
  async function commitLeaves(ok: { token: SigningToken; intentId: string; record: LeafRecord }[], failed: string[]) {
    await store.issuance.commitLeaves(
      ok.map((o) => ({ certificate: o.record.certificate, intentId: o.intentId, audit: o.record.audit })),
      failed,
    );
  }

  return {
    /** Lints the TBS and returns the single-use token that may sign it (throws validation with every lint violation). */
    prepare(req: SigningRequest): SigningToken {
      const tbs = req.tbs.slice();
      const v = req.lint(tbs);
      // RFC 5280 §4.1.1.2: the TBS's signature field must name the algorithm the signer uses.
      if (!tbsSignatureMatches(tbs, req.signer.keyAlgorithm)) v.push({ field: "certificate", code: "lint_signature_algorithm", message: `The TBS names a signature algorithm other than the signing key's (${req.signer.keyAlgorithm}) (RFC 5280 §4.1.1.2).` });
      if (v.length) throw errors.validation("The certificate failed the pre-issuance lint and was not signed; see violations.", v);
      const token: SigningToken = Object.freeze({ serial: serialHex(req.serialNumber), issuerCaId: req.issuerCaId, kind: req.kind, subjectId: req.subjectId });
      tokens.set(token, { signer: req.signer, tbs, used: false });
      return token;
    },

    /**
     * Signs one certificate: intent (committed) → signature → `commit(tx, der)` and the `signed`
     * outcome in one transaction. A failed signature leaves a `failed` record; a commit that
     * fails leaves the signature unused and recorded `abandoned`.
     */
    async signOne(token: SigningToken, commit: (tx: Tx, der: Uint8Array) => Promise<void>): Promise<Uint8Array> {
      const state = consume(token);
      await store.ca.recordIntents([{ issuerCaId: token.issuerCaId, serial: token.serial, kind: token.kind, subjectId: token.subjectId }]);
      let der: Uint8Array;
      try {
        der = await signTbs(state);
      } catch (e) {
        await store.ca.recordOutcomes([token], "failed").catch(() => undefined);
        throw e;
      }
      try {
        await store.transaction(async (tx) => {
          await commit(tx, der);
          await tx.ca.recordOutcomes([token], "signed");
        });
      } catch (e) {
        await store.ca.recordOutcomes([token], "abandoned").catch(() => undefined);
        throw e;
      }
      return der;
    },

    /**
     * Signs a leaf and commits it with its audit entry, group-committed with concurrent leaves;
     * resolves once the certificate, its `signed` record and its audit entry are committed.
     */
    async issueLeaf(token: SigningToken, record: (der: Uint8Array) => LeafRecord): Promise<Uint8Array> {
      return leaves.submit({ token, state: consume(token), record });
    },

    /** Waits for leaves in flight (server shutdown). */
    drain: () => leaves.drain(),
  };
}

export type Signing<Tx extends SigningTx = Repos> = ReturnType<typeof createSigning<Tx>>;
