/**
 * Fingerprints of key material: a short, non-reversible name for a secret that is safe to print,
 * log, journal and compare (DESIGN §4 invariant 5, style guide §F).
 */
import { createHash } from 'node:crypto';

/** How many hex characters of the sha256 digest a fingerprint keeps. */
export const FINGERPRINT_HEX_LENGTH = 12;

/**
 * Returns the first {@link FINGERPRINT_HEX_LENGTH} hex characters of the sha256 of `material`
 * (strings are hashed as their UTF-8 bytes). Pure; the same material always gives the same
 * fingerprint, so two fingerprints can be compared to tell whether two places hold the same key.
 */
export function fingerprint(material: string | Uint8Array): string {
  return createHash('sha256').update(material).digest('hex').slice(0, FINGERPRINT_HEX_LENGTH);
}
