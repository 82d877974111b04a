/**
 * Reading a new GCP API key a user brings (`--new-key-file`): the shapes a key string is handed
 * around in. Pure; errors name the source and never the value.
 */
import { ConfigError } from '../../shared/errors.js';
import { GCP_API_KEY, gcpApiKey } from './credentials.js';
import type { GcpApiKey } from './types.js';

/**
 * Reads a GCP API key file, or returns undefined when `text` is not one (so that other key
 * formats can be tried). Accepted: the bare key (`AIza…`, one line), `gcloud services api-keys
 * get-key-string --format=json` output `{"keyString": "AIza…"}`, `{"apiKey": "AIza…"}`, or
 * `{"CSP_PRICING_API_KEY": "AIza…"}` (the Secret's data key). Throws {@link ConfigError} for a
 * file that is meant as an API key but is not a valid one.
 */
export function parseGcpApiKeyFile(text: string, source: string): GcpApiKey | undefined {
  const body = text.replace(/^\uFEFF/, '').trim();
  if (body.startsWith('AIza')) {
    if (!GCP_API_KEY.test(body))
      throw new ConfigError(
        `${source} starts like a GCP API key but is not one: expected AIza followed by 35 letters, digits, "-" or "_", on one line.`,
      );
    return gcpApiKey(body);
  }
  if (!body.startsWith('{')) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const record = doc as Record<string, unknown>;
  const field = ['keyString', 'apiKey', 'CSP_PRICING_API_KEY'].find((f) => f in record);
  if (!field) return undefined;
  const value = record[field];
  if (typeof value !== 'string' || !GCP_API_KEY.test(value))
    throw new ConfigError(
      `${source}: "${field}" is not a GCP API key (AIza followed by 35 letters, digits, "-" or "_").`,
      'Print the key with: gcloud services api-keys get-key-string KEY_ID --format=json',
    );
  return gcpApiKey(value);
}
