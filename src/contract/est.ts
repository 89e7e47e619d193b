import { z } from "zod";

/** EST (RFC 7030) management: a profile's passphrase, and its settings as profile answers show them. */

/** A passphrase an admin chooses: long enough to resist guessing over HTTP Basic. */
export const estPassphrase = z.string().min(16, "at least 16 characters").max(256).regex(/^[\x21-\x7e]+$/, "printable ASCII without spaces");

/** POST …/certificate-profiles/:id/est/passphrase: empty for a new random one (shown once), or the one to set. */
export const estPassphraseBody = z.strictObject({ passphrase: estPassphrase.optional().describe("a passphrase to set; leave out to have Stamp make one") }).nullish();

/** The answer: the new passphrase (once; null when the caller chose it) and the EST base URL. */
export const estPassphraseReply = z.object({
  passphrase: z.string().nullable().describe("shown once; HTTP Basic with any user name and this password"),
  baseUrl: z.string().describe("append /cacerts, /simpleenroll, /simplereenroll, /serverkeygen or /csrattrs"),
  enabled: z.boolean().describe("whether the profile's enrollmentMethods include est"),
});

/** estConfig in profile answers: never the passphrase or its hash. */
export const estConfigView = z
  .object({
    baseUrl: z.string(),
    passphraseSet: z.boolean(),
    caChain: z.string().nullable().describe("the bootstrap CA chain client certificates may chain to (PEM)"),
    disableBootstrapCaValidation: z.boolean().describe("Infisical's flag; always false: client certificates are always checked"),
  })
  .nullable();
