/** Helpers for the cloud-sim tests: official-SDK clients pointed at the emulators. */
import { createSign } from 'node:crypto';
import { JWT } from 'google-auth-library';
import type { GcpServiceAccountKey } from '../../src/sim/kubecost/credentials.js';

export const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

/**
 * google-auth-library's JWT client for a key file, sending its token request to `tokenUrl`
 * (the library posts to Google's fixed URL; its transporter's interceptor is the way to redirect it).
 */
export function googleClient(
  tokenUrl: string,
  key: Pick<GcpServiceAccountKey, 'clientEmail' | 'privateKey' | 'privateKeyId'>,
  scopes: string[] = [CLOUD_PLATFORM],
): JWT {
  const client = new JWT({ email: key.clientEmail, key: key.privateKey, keyId: key.privateKeyId, scopes });
  client.transporter.interceptors.request.add({
    resolved: (options) => {
      if (options.url.href === GOOGLE_TOKEN_URL) options.url = new URL(tokenUrl);
      return Promise.resolve(options);
    },
  });
  return client;
}

/** An RS256 JWT signed with `privateKey` (for assertions google-auth-library would never make). */
export function signJwt(
  privateKey: string,
  payload: Record<string, unknown>,
  header: Record<string, unknown> = {},
): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode({ alg: 'RS256', typ: 'JWT', ...header })}.${encode(payload)}`;
  return `${input}.${createSign('RSA-SHA256').update(input).sign(privateKey).toString('base64url')}`;
}

/** Posts a JWT-bearer grant to a token endpoint and returns the status and JSON body. */
export async function exchange(
  tokenUrl: string,
  assertion: string,
  grantType = 'urn:ietf:params:oauth:grant-type:jwt-bearer',
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: grantType, assertion }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
