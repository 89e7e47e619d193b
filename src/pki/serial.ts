/** Certificate serial numbers (RFC 5280 §4.1.2.2; CA/B Baseline Requirements §7.1: ≥ 64 bits from a CSPRNG). */
import { errors } from "../errors.js";

/** Serial length in bytes: the RFC 5280 §4.1.2.2 maximum of 20 octets. */
export const SERIAL_LENGTH = 20;

/**
 * A positive 20-byte serial from 20 random bytes: the top bit is cleared so the INTEGER is
 * positive without a leading 0x00, and a zero first byte becomes 0x01 so the DER INTEGER is
 * exactly 20 octets (RFC 5280 §4.1.2.2). That keeps 158+ bits of entropy.
 */
export function serialFromRandom(random: Uint8Array): Uint8Array {
  if (random.length !== SERIAL_LENGTH) throw errors.internal(`serialFromRandom needs ${SERIAL_LENGTH} random bytes, got ${random.length}.`);
  const serial = Uint8Array.from(random);
  serial[0] &= 0x7f;
  if (serial[0] === 0) serial[0] = 0x01;
  return serial;
}

/** Lowercase hex of the serial's bytes, without separators. */
export function serialHex(serial: Uint8Array): string {
  return Buffer.from(serial.buffer, serial.byteOffset, serial.byteLength).toString("hex");
}
