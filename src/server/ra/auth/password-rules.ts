import type { Violation } from "../../../errors.js";

/**
 * Passwords a guesser tries first, beyond the schema's length rule: the account's own email
 * (or its part before the @), and one character repeated. Returns every violation found.
 */
export function passwordViolations(email: string, password: string, field = "password"): Violation[] {
  const out: Violation[] = [];
  const pw = password.toLowerCase();
  const mail = email.trim().toLowerCase();
  const local = mail.split("@")[0];
  if (pw === mail || (local.length > 0 && pw === local)) {
    out.push({ field, code: "same_as_email", message: "The password must not be the email address or its part before the @; choose a passphrase of a few unrelated words." });
  }
  if (password.length > 0 && [...password].every((ch) => ch === password[0])) {
    out.push({ field, code: "repeated_character", message: "The password must not be one character repeated; choose a passphrase of a few unrelated words." });
  }
  return out;
}
