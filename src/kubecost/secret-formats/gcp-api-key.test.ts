import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/errors.js';
import { fingerprint } from '../../shared/fingerprint.js';
import { locationOf, newGcpKeyText, readFixture } from '../../../test/fixtures/secret-formats/catalog.js';
import {
  azureSubscriptionIdIn,
  credentialIdentity,
  detectAndParse,
  gcpApiKey,
  gcpServiceAccountKey,
  parseGcpApiKeyFile,
  replaceCredential,
  SecretFormatError,
  serviceKeySubscriptionId,
  sniffFamily,
} from './index.js';

const KEY = 'AIzaSyFAKEexampleKEYforTESTSonly0000001';
const NEXT = 'AIzaSyNEXTexampleKEYforTESTSonly0000002';
const location = {
  cluster: 'c',
  namespace: 'kubecost',
  secret: 'kubecost-csp-pricing-api-key-secret',
  dataKey: 'CSP_PRICING_API_KEY',
};
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

describe('the CSP_PRICING_API_KEY codec', () => {
  it('reads the bare key, with or without a final line break, as a GCP API key named by its fingerprint', () => {
    for (const value of [KEY, `${KEY}\n`, `${KEY}\r\n`]) {
      const parsed = detectAndParse(bytes(value), location);
      expect(parsed.family).toBe('gcp-api-key');
      const [site] = parsed.sites;
      expect(site).toMatchObject({ path: '$', format: 'gcp-api-key', provider: 'gcp' });
      expect(site && credentialIdentity(site.credential)).toEqual({
        provider: 'gcp',
        id: `gcp:api-key:${fingerprint(KEY)}`,
      });
      expect(inspect(parsed, { depth: 8 }) + JSON.stringify(parsed)).not.toContain(KEY);
    }
  });

  it('writes a new key in place of the old one and keeps the final line break', () => {
    const [site] = detectAndParse(bytes(`${KEY}\n`), location).sites;
    if (!site) throw new Error('no site');
    expect(text(replaceCredential(bytes(`${KEY}\n`), site, gcpApiKey(NEXT)))).toBe(`${NEXT}\n`);
  });

  it('refuses a service-account key for an API key site, and an API key for a key-file site', () => {
    const [apiSite] = detectAndParse(bytes(KEY), location).sites;
    const saKey = gcpServiceAccountKey(newGcpKeyText('a@p.iam.gserviceaccount.com', 'p', 'k1'));
    expect(() => apiSite && replaceCredential(bytes(KEY), apiSite, saKey)).toThrow(SecretFormatError);
    expect(() => apiSite && replaceCredential(bytes(KEY), apiSite, saKey)).toThrow(/bring a new API key/);

    const file = 'service-key-gcp.json';
    const [fileSite] = detectAndParse(readFixture(file), locationOf(file)).sites;
    if (!fileSite) throw new Error('no site');
    let code: string | undefined;
    try {
      replaceCredential(readFixture(file), fileSite, gcpApiKey(NEXT));
    } catch (error: unknown) {
      code = error instanceof SecretFormatError ? error.code : 'other';
    }
    expect(code).toBe('ProviderMismatch');
  });

  it('is recognised by its content under a data key the chart does not fix', () => {
    expect(sniffFamily(`${KEY}\n`)).toBe('gcp-api-key');
    expect(sniffFamily('AIza-too-short')).toBeUndefined();
  });
});

describe('a new GCP API key brought in a file', () => {
  it('is read from the bare key, gcloud get-key-string JSON, {"apiKey"} and {"CSP_PRICING_API_KEY"}', () => {
    for (const file of [
      `${NEXT}\n`,
      JSON.stringify({ keyString: NEXT }),
      JSON.stringify({ apiKey: NEXT }),
      JSON.stringify({ CSP_PRICING_API_KEY: NEXT }),
    ]) {
      const key = parseGcpApiKeyFile(file, 'new-key.json');
      expect(key && credentialIdentity(key).id).toBe(`gcp:api-key:${fingerprint(NEXT)}`);
    }
  });

  it('leaves other key files to the other readers', () => {
    expect(parseGcpApiKeyFile(JSON.stringify({ accessKeyId: 'AKIA' }), 'f')).toBeUndefined();
    expect(parseGcpApiKeyFile(newGcpKeyText('a@p.iam.gserviceaccount.com', 'p', 'k1'), 'f')).toBeUndefined();
  });

  it('refuses a file meant as an API key that is not one, naming the file and not the value', () => {
    for (const file of [`${NEXT}x`, JSON.stringify({ keyString: 'AIzaSHORT' }), JSON.stringify({ apiKey: 42 })]) {
      let error: unknown;
      try {
        parseGcpApiKeyFile(file, 'new-key.json');
      } catch (e: unknown) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain('new-key.json');
      expect((error as Error).message).not.toContain('AIzaSHORT');
    }
  });
});

describe('the Azure subscription id OpenCost needs beside azure-storage-config.json', () => {
  it('is read from azureSubscriptionID in any case, and from the service key subscriptionId', () => {
    expect(azureSubscriptionIdIn(JSON.stringify({ azureSubscriptionID: 'sub-1', azureStorageAccount: 'a' }))).toBe(
      'sub-1',
    );
    expect(azureSubscriptionIdIn(JSON.stringify({ azuresubscriptionid: 'sub-2' }))).toBe('sub-2');
    expect(
      azureSubscriptionIdIn(JSON.stringify({ azureStorageAccount: 'a', azureSubscriptionID: '' })),
    ).toBeUndefined();
    expect(serviceKeySubscriptionId(JSON.stringify({ subscriptionId: 'sub-3', serviceKey: {} }))).toBe('sub-3');
    expect(serviceKeySubscriptionId(JSON.stringify({ aws_access_key_id: 'AKIA' }))).toBeUndefined();
    expect(serviceKeySubscriptionId('not json')).toBeUndefined();
  });
});
