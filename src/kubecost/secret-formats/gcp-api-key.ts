/**
 * A bare GCP API key as a Secret value: the finops agent's `CSP_PRICING_API_KEY` (reference
 * §1.10), read both as env CLOUD_PROVIDER_API_KEY and as a file under /opt/gcp. The whole value
 * is the key, perhaps followed by a line break (a file made with `echo`); a replacement keeps
 * what follows the key.
 */
import { checkReplacementString, ValueContext, type Codec, type ParsedDocument } from './codec.js';
import { GCP_API_KEY, gcpApiKey, isGcpApiKey } from './credentials.js';
import type { SecretLocation } from './errors.js';
import { expectProvider } from './json-sites.js';

/** The `gcp-api-key` codec. */
export const gcpApiKeyCodec: Codec = {
  family: 'gcp-api-key',
  parse(text: string, location: SecretLocation): ParsedDocument {
    const ctx: ValueContext = new ValueContext(location, text);
    const key = /^[^\r\n]*/.exec(text)?.[0] ?? '';
    const rest = text.slice(key.length);
    if (rest.trim() !== '')
      ctx.fail('InvalidApiKey', 'the value holds more than one line; a GCP API key is one line (AIza…)', {
        path: '$',
        offset: key.length,
      });
    if (!GCP_API_KEY.test(key))
      ctx.fail(
        'InvalidApiKey',
        `the value is not a GCP API key: expected AIza followed by 35 letters, digits, "-" or "_" (it is ${key.length} characters${key.startsWith('AIza') ? '' : ' and does not start with AIza'})`,
        { path: '$', offset: 0 },
      );
    return {
      family: 'gcp-api-key',
      skipped: [],
      sites: [
        {
          site: { location, path: '$', format: 'gcp-api-key', provider: 'gcp', fields: [], credential: gcpApiKey(key) },
          edits(replacement) {
            const c = expectProvider(ctx, replacement, 'gcp', '$');
            if (!isGcpApiKey(c))
              ctx.fail(
                'ProviderMismatch',
                'the site holds a GCP API key and the replacement is a GCP service-account key; bring a new API key (AIza…)',
                { path: '$' },
              );
            const next = c.apiKey.reveal();
            if (next === key) return [];
            checkReplacementString(ctx, next, 'API key', '$');
            if (!GCP_API_KEY.test(next))
              ctx.fail('InvalidCredential', 'the new API key is not AIza followed by 35 letters, digits, "-" or "_"', {
                path: '$',
              });
            return [{ start: 0, end: key.length, text: next }];
          },
        },
      ],
    };
  },
};

/** Whether a value looks like a bare API key (for data keys the chart does not fix). Pure. */
export function looksLikeGcpApiKey(text: string): boolean {
  return GCP_API_KEY.test(text.replace(/\r?\n$/, ''));
}
