import { errors, isStampError } from "../../../errors.js";

/** Runs a parser; a bad_request without violations gets one naming `field` (house rule 5). */
export function parsingField<T>(field: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (isStampError(e, "bad_request") && !e.violations.length) throw errors.badRequest(e.message, [{ field, code: "unparseable", message: e.message }]);
    throw e;
  }
}
