/**
 * Compact JWS parsing and RS256 verification, for the emulated Google token endpoint (JWT-bearer
 * grant) and for self-signed JWTs presented directly as bearer tokens.
 */
import { verify, type KeyObject } from 'node:crypto';

export interface ParsedJwt {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
  /** `base64url(header).base64url(payload)`, the signed bytes. */
  readonly signingInput: string;
  readonly signature: Buffer;
}

function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Splits and decodes a compact JWS; undefined when it is not one. The signature is not checked. */
export function parseJwt(token: string): ParsedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [h = '', p = '', s = ''] = parts;
  if (!/^[A-Za-z0-9_-]+$/.test(h) || !/^[A-Za-z0-9_-]+$/.test(p) || !/^[A-Za-z0-9_-]*$/.test(s)) return undefined;
  const header = decodeJson(h);
  const payload = decodeJson(p);
  if (!header || !payload) return undefined;
  return { header, payload, signingInput: `${h}.${p}`, signature: Buffer.from(s, 'base64url') };
}

/** Whether an RS256 JWS was signed by the private half of `publicKey`. */
export function verifyRs256(jwt: ParsedJwt, publicKey: KeyObject): boolean {
  if (jwt.header.alg !== 'RS256') return false;
  try {
    return verify('RSA-SHA256', Buffer.from(jwt.signingInput, 'utf8'), publicKey, jwt.signature);
  } catch {
    return false;
  }
}

/** A numeric claim (`exp`, `iat`), or undefined. */
export function numericClaim(jwt: ParsedJwt, name: string): number | undefined {
  const value = jwt.payload[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** A string claim, or undefined. */
export function stringClaim(jwt: ParsedJwt, name: string): string | undefined {
  const value = jwt.payload[name];
  return typeof value === 'string' ? value : undefined;
}
