import { describe, expect, it } from 'vitest';
import { FIXTURE_FILES, locationOf, readFixture } from '../../../test/fixtures/secret-formats/catalog.js';
import {
  decodeSecretData,
  detectAndParse,
  familyOfDataKey,
  parseSecretData,
  SecretFormatError,
  sniffFamily,
  type SecretLocation,
} from './index.js';

const at = (dataKey: string): SecretLocation => ({
  cluster: 'prod-east',
  namespace: 'kubecost',
  secret: 'keys',
  dataKey,
});
const text = (t: string): Uint8Array => new TextEncoder().encode(t);

describe('choosing a codec', () => {
  it('knows the data keys the Helm chart uses', () => {
    expect(familyOfDataKey('cloud-integration.json')).toBe('cloud-integration');
    expect(familyOfDataKey('federated-store.yaml')).toBe('objstore');
    expect(familyOfDataKey('object-store.yaml')).toBe('objstore');
    expect(familyOfDataKey('service-key.json')).toBe('service-key');
    expect(familyOfDataKey('compute-viewer-kubecost-key.json')).toBe('service-key');
    expect(familyOfDataKey('azure-storage-config.json')).toBe('azure-storage-config');
    expect(familyOfDataKey('keys.json')).toBeUndefined();
    expect(familyOfDataKey('toString')).toBeUndefined();
  });

  it('recognises every fixture by its content alone, under a data key the chart does not use', () => {
    for (const file of FIXTURE_FILES) {
      const bytes = readFixture(file);
      const byName = detectAndParse(bytes, locationOf(file));
      const byContent = detectAndParse(bytes, at('custom-key'));
      expect(byContent.family).toBe(byName.family);
      expect(byContent.sites.map((s) => s.path)).toEqual(byName.sites.map((s) => s.path));
    }
  });

  it('sniffs objstore written as JSON, which YAML readers accept', () => {
    expect(sniffFamily('{"type": "S3", "config": {"bucket": "b"}}')).toBe('objstore');
    const parsed = detectAndParse(
      text('{"type": "S3", "config": {"bucket": "b", "access_key": "AKIAEXAMPLE", "secret_key": "s"}}'),
      at('store'),
    );
    expect(parsed.sites.map((s) => `${s.format} ${s.path}`)).toEqual(['objstore-s3 config']);
  });

  it('returns nothing for content it does not recognise', () => {
    expect(sniffFamily('{"hello": "world"}')).toBeUndefined();
    expect(sniffFamily('just some text')).toBeUndefined();
    expect(sniffFamily('{ not json')).toBeUndefined();
  });

  it('lets a hint override the data key name', () => {
    const yaml = 'type: S3\nconfig:\n  access_key: AKIAEXAMPLE\n  secret_key: s\n';
    expect(() => detectAndParse(text(yaml), at('cloud-integration.json'))).toThrow(SecretFormatError);
    expect(detectAndParse(text(yaml), at('cloud-integration.json'), 'objstore').family).toBe('objstore');
  });

  it('accepts a lower-case objstore type, as Thanos and Kubecost upper-case it', () => {
    expect(
      detectAndParse(text('type: s3\nconfig:\n  access_key: A\n  secret_key: s\n'), at('object-store.yaml')).sites,
    ).toHaveLength(1);
  });

  it('reads a plain number or boolean in a YAML key field as its text, as Go does for string fields', () => {
    const [site] = detectAndParse(
      text('type: S3\nconfig:\n  access_key: 12345\n  secret_key: true\n'),
      at('object-store.yaml'),
    ).sites;
    expect(site?.credential.provider === 'aws' && site.credential.accessKeyId).toBe('12345');
    expect(site?.credential.provider === 'aws' && site.credential.secretAccessKey.reveal()).toBe('true');
  });

  it('accepts a YAML byte order mark', () => {
    expect(
      detectAndParse(text('\uFEFFtype: S3\nconfig:\n  access_key: A\n  secret_key: s\n'), at('object-store.yaml'))
        .sites,
    ).toHaveLength(1);
  });

  it('skips S3 temporary credentials and Azure service principals rather than rotating them', () => {
    const s3 = detectAndParse(
      text('type: S3\nconfig:\n  access_key: ASIAEXAMPLE\n  secret_key: s\n  session_token: t\n'),
      at('object-store.yaml'),
    );
    expect(s3.sites).toEqual([]);
    expect(s3.skipped.map((s) => s.reason)).toEqual(['UnsupportedCredential']);
    const azure = detectAndParse(
      text('type: AZURE\nconfig:\n  storage_account: a\n  container: c\n  client_secret: x\n'),
      at('object-store.yaml'),
    );
    expect(azure.skipped.map((s) => s.reason)).toEqual(['UnsupportedCredential']);
    const msi = detectAndParse(
      text('type: AZURE\nconfig:\n  storage_account: a\n  container: c\n  user_assigned_id: id\n'),
      at('object-store.yaml'),
    );
    expect(msi.skipped.map((s) => s.reason)).toEqual(['AmbientIdentity']);
  });

  it('accepts an empty cloud-integration.json object and null providers', () => {
    expect(detectAndParse(text('{}'), at('cloud-integration.json'))).toEqual({
      family: 'cloud-integration',
      sites: [],
      skipped: [],
    });
    expect(
      detectAndParse(text('{"aws": null, "gcp": {"bigQuery": null}}'), at('cloud-integration.json')).sites,
    ).toEqual([]);
  });

  it('matches legacy field names case-insensitively, as Go does', () => {
    const [site] = detectAndParse(
      text('{"AWS": [{"ServiceKeyName": "AKIAEXAMPLE", "SERVICEKEYSECRET": "s"}]}'),
      at('cloud-integration.json'),
    ).sites;
    expect(site?.path).toBe('AWS[0]');
    expect(site?.fields).toEqual(['ServiceKeyName', 'SERVICEKEYSECRET']);
  });
});

describe('decodeSecretData', () => {
  it('decodes the base64 value under the data key', () => {
    const data = { 'federated-store.yaml': Buffer.from('type: S3\n').toString('base64'), other: '' };
    expect(Buffer.from(decodeSecretData(data, at('federated-store.yaml'))).toString()).toBe('type: S3\n');
  });

  it('gives an empty value for an empty data entry, which the codecs then refuse', () => {
    expect(decodeSecretData({ k: '' }, at('k'))).toHaveLength(0);
    expect(() => parseSecretData({ k: '' }, at('k'))).toThrow(/the value is empty/);
  });

  it('lists at most ten of the keys the Secret does have', () => {
    const data = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`key${i}`, '']));
    expect(() => decodeSecretData(data, at('cloud-integration.json'))).toThrow(/"key9", and 2 more\)/);
  });

  it('parses straight from a Secret data map', () => {
    const data = {
      'service-key.json': Buffer.from('{"aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": "s"}').toString(
        'base64',
      ),
    };
    expect(parseSecretData(data, at('service-key.json')).sites.map((s) => s.provider)).toEqual(['aws']);
  });
});
