import { errors, isStampError } from "../../../errors.js";
import { parseCertificate } from "../../../pki/certificate-parse.js";
import { parseCsrAsync } from "../../../pki/csr.js";
import { toPem } from "../../../pki/pem.js";
import { envelopeIsFor, MESSAGE_TYPE, openEnvelope, parseIssuerAndSerial, parseIssuerAndSubject, type FailInfo, type PkiMessage } from "../../../pki/scep-cms.js";
import { buildCertRep, buildEnvelope, degenerateSignedData, replyCipherFor } from "../../../pki/scep-write.js";
import { audit } from "../audit.js";
import { verifyPassword } from "../auth/passwords.js";
import { issueCertificate } from "../certs/issue.js";
import type { RequestContext } from "../context.js";
import type { ScepDeps, ScepProfile, ScepRaKeyPort } from "./ports.js";
import { dynamicChallengeHash } from "./settings.js";

type Ra = { current: ScepRaKeyPort; valid: ScepRaKeyPort[]; caChain: Uint8Array[] };
/** What a request is answered with: a certificate or CRL for the requester, or a failure (RFC 8894 §3.3.2). */
type Outcome = { certs: Uint8Array[]; crls?: Uint8Array[] } | { fail: FailInfo; reason: string };

/** Kinds of refusal that are the request's fault: answered with a CertRep FAILURE, not an HTTP error. */
const REFUSALS = new Set(["validation", "bad_request", "forbidden", "conflict", "not_found"]);

/**
 * One PKIOperation (RFC 8894 §3.3) whose signed message was read and checked: open the envelope with an
 * RA key, act on the message type, and answer with a CertRep signed by the current RA key. A
 * message that cannot be read or whose signature fails is a bad request (HTTP 400); everything
 * after that is answered in a CertRep, failures included.
 */
export async function handlePkiOperation(deps: ScepDeps, p: ScepProfile, ra: Ra, msg: PkiMessage, sourceIp: string | null): Promise<Uint8Array> {
  const { rt } = deps.certs;
  const ctx: RequestContext = { principal: null, sourceIp, actor: { type: "scep-client", id: msg.transactionId.slice(0, 100) } };
  let outcome: Outcome;
  let cipherOid = "";
  try {
    const raKey = ra.valid.find((k) => envelopeIsFor(msg.envelope, k.certificate));
    if (!raKey) throw errors.badRequest("The request is not encrypted to a current RA certificate of this profile; fetch it again with GetCACert.");
    const opened = await openEnvelope(msg.envelope, raKey.certificate, (b) => raKey.rawDecrypt(b), rt.random(32));
    cipherOid = opened.cipherOid;
    outcome = await act(deps, p, msg, opened.plaintext, ctx);
  } catch (e) {
    if (!isStampError(e) || !REFUSALS.has(e.kind)) throw e;
    outcome = { fail: "badRequest", reason: e.message };
  }
  if ("fail" in outcome) {
    await audit(deps.certs.store, rt, ctx, { projectId: p.profile.project_id, action: `scep.${messageName(msg.messageType)}`, objectType: "certificate-profile", objectId: p.profile.id, outcome: "failure", detail: { transactionId: msg.transactionId.slice(0, 100), failInfo: outcome.fail, reason: outcome.reason.slice(0, 500) } });
    return reply(ra, msg, rt.random(16), { status: "2", failInfo: outcome.fail });
  }
  // The reply goes to the key that signed the request (RFC 8894 §3.3.2), in the request's cipher (DES raised to 3DES).
  const inner = degenerateSignedData(outcome.certs, outcome.crls ?? []);
  let envelope: Uint8Array;
  try {
    envelope = buildEnvelope(inner, msg.signerCert, replyCipherFor(cipherOid), rt.random(32), rt.random(16));
  } catch (e) {
    if (!isStampError(e, "bad_request")) throw e;
    return reply(ra, msg, rt.random(16), { status: "2", failInfo: "badAlg" });
  }
  return reply(ra, msg, rt.random(16), { status: "0", envelope });
}

/** A CertRep signed by the current RA key with the request's digest; recipientNonce echoes the request's senderNonce (RFC 8894 §3.2.1.5). */
function reply(ra: Ra, msg: PkiMessage, senderNonce: Uint8Array, r: { status: "0" | "2"; failInfo?: FailInfo; envelope?: Uint8Array }) {
  return buildCertRep({ ...r, transactionId: msg.transactionId, recipientNonce: msg.senderNonce, senderNonce, digest: msg.digest, signerCert: ra.current.certificate, sign: (d) => ra.current.sign(msg.digest, d) });
}

function messageName(t: string): string {
  return ({ "17": "renewal", "18": "update", "19": "enroll", "20": "cert-poll", "21": "get-cert", "22": "get-crl" } as Record<string, string>)[t] ?? "unknown";
}

async function act(deps: ScepDeps, p: ScepProfile, msg: PkiMessage, plaintext: Uint8Array, ctx: RequestContext): Promise<Outcome> {
  const { store, rt } = deps.certs;
  switch (msg.messageType) {
    case MESSAGE_TYPE.PKCSReq:
    case MESSAGE_TYPE.RenewalReq:
    case MESSAGE_TYPE.UpdateReq: {
      const csr = await parseCsrAsync(plaintext);
      const signer = parseCertificate(msg.signerCert);
      let renewedFrom;
      if (msg.messageType === MESSAGE_TYPE.PKCSReq) {
        // RFC 8894 §2.3: a first request is signed with the key it asks a certificate for.
        if (!Buffer.from(signer.spki).equals(Buffer.from(csr.spki))) return { fail: "badRequest", reason: "PKCSReq must be signed by the key in its CSR" };
        const challenge = csr.challengePassword;
        if (!challenge) return { fail: "badRequest", reason: "the CSR carries no challengePassword" };
        const dynamic = await store.scep.consumeChallenge(p.profile.id, dynamicChallengeHash(challenge), rt.clock());
        const fixed = !dynamic && p.settings.challenge_hash !== null && (await verifyPassword(p.settings.challenge_hash, challenge));
        if (!dynamic && !fixed) return { fail: "badRequest", reason: "wrong, used or expired challenge password" };
      } else {
        // RFC 8894 §3.3.1.2: a renewal is signed by the certificate it renews, which this profile issued and which is still good.
        renewedFrom = await store.cert.certificateBySerial(signer.serialHex.toLowerCase());
        const now = rt.clock();
        if (!renewedFrom || renewedFrom.profile_id !== p.profile.id || !Buffer.from(renewedFrom.certificate).equals(Buffer.from(msg.signerCert))) return { fail: "badRequest", reason: "RenewalReq must be signed by a certificate this profile issued" };
        if (renewedFrom.status === "revoked") return { fail: "badRequest", reason: "the certificate being renewed is revoked" };
        if (new Date(renewedFrom.not_after) <= now) return { fail: "badRequest", reason: "the certificate being renewed has expired; enroll again with a challenge" };
        if (renewedFrom.renewed_by_id) return { fail: "badRequest", reason: `the certificate was already renewed by ${renewedFrom.renewed_by_id}` };
      }
      const r = await issueCertificate(deps.certs, ctx, { profileId: p.profile.id, csr: toPem(csr.der, "CERTIFICATE REQUEST"), attributes: {}, removeRootsFromChain: false }, { via: { method: "scep", actor: ctx.actor! }, renewedFrom });
      if (!("certificate" in r) || !r.certificate) throw errors.internal("the issue path returned no certificate");
      await store.scep.recordTransaction(p.profile.id, msg.transactionId.slice(0, 128), r.certificate.certificateId);
      return { certs: [parseCertificate(r.certificate.certificate).der] };
    }
    case MESSAGE_TYPE.CertPoll: {
      // RFC 8894 §3.3.3: enrollments here finish at once, so a poll finds the transaction's certificate or nothing.
      parseIssuerAndSubject(plaintext);
      const id = await store.scep.certificateOfTransaction(p.profile.id, msg.transactionId);
      const c = id ? await store.cert.certificateById(id) : undefined;
      return c ? { certs: [new Uint8Array(c.certificate)] } : { fail: "badCertId", reason: "no certificate was issued for this transaction" };
    }
    case MESSAGE_TYPE.GetCert:
    case MESSAGE_TYPE.GetCRL: {
      // RFC 8894 §3.3.4-5: a certificate this profile's CA issued, or the CRL that covers it.
      const { serialHex } = parseIssuerAndSerial(plaintext);
      const c = await store.cert.certificateBySerial(serialHex);
      if (!c || c.ca_id !== p.profile.ca_id || c.project_id !== p.profile.project_id || !c.ca_key_id) return { fail: "badCertId", reason: `no certificate with serial ${serialHex} from this profile's CA` };
      if (msg.messageType === MESSAGE_TYPE.GetCert) return { certs: [new Uint8Array(c.certificate)] };
      return { certs: [], crls: [(await deps.crl(c.ca_key_id)).der] };
    }
    default:
      return { fail: "badRequest", reason: `message type ${msg.messageType.slice(0, 10)} is not supported` };
  }
}
