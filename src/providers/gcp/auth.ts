/**
 * A google-auth-library JWT client for a service-account key file, with an overridable token URL.
 *
 * google-auth-library's JWT client signs its assertion for, and posts it to, the fixed URL
 * https://oauth2.googleapis.com/token (its built-in gtoken ignores the key file's `token_uri`).
 * What it does let callers replace is the HTTP transporter (a gaxios instance, which the JWT
 * client also hands to gtoken: googleapis/google-auth-library-nodejs#1426). So a different token
 * endpoint (an emulator, a private endpoint) is reached with a request interceptor on that
 * transporter that rewrites the token request's URL. The JWT's `aud` stays Google's token URL,
 * as Google requires.
 */
import type { JWT } from 'google-auth-library';

/** The token URL google-auth-library always uses. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

/** The fields of a service-account key file the probes use (the private key stays inside). */
export interface ServiceAccountKey {
  readonly clientEmail: string;
  readonly privateKeyId: string;
  readonly privateKey: string;
  readonly projectId: string | undefined;
}

/** Reads a key file; undefined when it is not JSON or lacks `client_email`, `private_key` or `private_key_id`. */
export function parseServiceAccountKey(json: string): ServiceAccountKey | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const doc = parsed as Record<string, unknown>;
  const {
    client_email: clientEmail,
    private_key: privateKey,
    private_key_id: privateKeyId,
    project_id: projectId,
  } = doc;
  if (typeof clientEmail !== 'string' || typeof privateKey !== 'string' || typeof privateKeyId !== 'string')
    return undefined;
  return { clientEmail, privateKey, privateKeyId, projectId: typeof projectId === 'string' ? projectId : undefined };
}

/**
 * A JWT client that gets access tokens for `scopes` by the JWT-bearer grant at `tokenUrl`
 * (default Google's). Scopes are always set, so the client exchanges its assertion for an access
 * token (what proves the key) rather than sending a self-signed JWT.
 */
export async function serviceAccountClient(
  key: ServiceAccountKey,
  scopes: readonly string[],
  tokenUrl?: string,
): Promise<JWT> {
  const { JWT } = await import('google-auth-library');
  const client = new JWT({ email: key.clientEmail, key: key.privateKey, keyId: key.privateKeyId, scopes: [...scopes] });
  if (tokenUrl !== undefined && tokenUrl !== GOOGLE_TOKEN_URL) {
    const target = new URL(tokenUrl);
    client.transporter.interceptors.request.add({
      resolved: (options) => {
        if (options.url.href === GOOGLE_TOKEN_URL) options.url = new URL(target.href);
        return Promise.resolve(options);
      },
    });
  }
  return client;
}
