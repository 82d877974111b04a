/**
 * A wrapper for key material that cannot be printed by accident (DESIGN §4 invariant 5, style
 * guide §F): every way of turning it into text shows only its fingerprint.
 */
import { timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';
import { fingerprint } from './fingerprint.js';

/**
 * Holds one secret string. `toString()`, `toJSON()`, template literals and `util.inspect` (so
 * `console.log`) all give `[redacted fp=<fingerprint>]`; only {@link SecretValue.reveal} returns
 * the value. The fingerprint is an own enumerable property so that deep-equality checks (for
 * example vitest's `toEqual`) tell two different secrets apart without ever seeing them.
 */
export class SecretValue {
  readonly #value: string;
  /** sha256 prefix of the value, see `shared/fingerprint.ts`. Safe to print. */
  readonly fingerprint: string;

  constructor(value: string) {
    this.#value = value;
    this.fingerprint = fingerprint(value);
  }

  /** Returns the secret itself. Call it only where the value is written into a Secret or sent to its provider. */
  reveal(): string {
    return this.#value;
  }

  /** Whether the value is the empty string. */
  get isEmpty(): boolean {
    return this.#value.length === 0;
  }

  /** Compares two secrets in constant time (for values of equal length). */
  equals(other: SecretValue): boolean {
    const a = Buffer.from(this.#value, 'utf8');
    const b = Buffer.from(other.#value, 'utf8');
    return a.length === b.length && timingSafeEqual(a, b);
  }

  toString(): string {
    return `[redacted fp=${this.fingerprint}]`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
