import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { fingerprint } from '../../shared/fingerprint.js';
import {
  FIXTURE_FILES,
  FIXTURE_SECRETS,
  locationOf,
  newCredentialFor,
  readFixture,
  ROTATED_DIR,
} from '../../../test/fixtures/secret-formats/catalog.js';
import {
  credentialFingerprint,
  credentialIdentity,
  credentialsEqual,
  detectAndParse,
  replaceCredential,
  type Credential,
  type ParsedSecret,
} from './index.js';

const GCP_BILLING =
  'gcp:kubecost-billing@kubecost-demo-123456.iam.gserviceaccount.com:0f1e2d3c4b5a69788796a5b4c3d2e1f0a1b2c3d4';
const GCP_STORAGE =
  'gcp:kubecost-storage@kubecost-demo-123456.iam.gserviceaccount.com:a1b2c3d4e5f60718293a4b5c6d7e8f9000112233';

/** What each fixture holds: `path format fields identity fingerprint` per site, `path reason` per skipped entry. */
const EXPECTED: Record<string, { family: ParsedSecret['family']; sites: string[]; skipped: string[] }> = {
  'actions-store-s3.yaml': {
    family: 'objstore',
    sites: ['config objstore-s3 access_key,secret_key aws:AKIAEXAMPLEKEYID0008 AKIAEXAMPLEKEYID0008'],
    skipped: [],
  },
  'csp-pricing-api-key.txt': {
    family: 'gcp-api-key',
    sites: [
      `$ gcp-api-key  gcp:api-key:${fingerprint('AIzaSyFAKEexampleKEYforTESTSonly0000001')} ${fingerprint('AIzaSyFAKEexampleKEYforTESTSonly0000001')}`,
    ],
    skipped: [],
  },
  'federated-store-cluster.yaml': { family: 'objstore', sites: [], skipped: ['config NoCredential'] },
  'azure-storage-config.json': {
    family: 'azure-storage-config',
    sites: ['$ azure-storage-config azureStorageAccessKey azure:kubecostlegacy:b5a565f39ab0 b5a565f39ab0'],
    skipped: [],
  },
  'cloud-integration-legacy-all.json': {
    family: 'cloud-integration',
    sites: [
      'aws[0] cloud-integration-legacy serviceKeyName,serviceKeySecret aws:AKIAEXAMPLEKEYID0001 AKIAEXAMPLEKEYID0001',
      `gcp[0] cloud-integration-legacy key ${GCP_STORAGE} 44fa8c757c99`,
      'azure[0] cloud-integration-legacy azureStorageAccessKey azure:kubecostexport:74af69c15a67 74af69c15a67',
      'alibaba[0] cloud-integration-legacy serviceKeyName,serviceKeySecret alibaba:LTAI5tFAKEEXAMPLE0002 0f63cdae356c',
    ],
    skipped: ['aws[1] AmbientIdentity'],
  },
  'cloud-integration-legacy-aws-minified.json': {
    family: 'cloud-integration',
    sites: [
      'aws[0] cloud-integration-legacy serviceKeyName,serviceKeySecret aws:AKIAEXAMPLEKEYID0003 AKIAEXAMPLEKEYID0003',
    ],
    skipped: [],
  },
  'cloud-integration-nested-all.json': {
    family: 'cloud-integration',
    sites: [
      'aws.athena[0].authorizer cloud-integration-nested id,secret aws:AKIAJ7EXAMPLEKEYID01 AKIAJ7EXAMPLEKEYID01',
      `gcp.bigQuery[0].authorizer cloud-integration-nested key ${GCP_BILLING} ca9bc46db2d7`,
      'azure.storage[0].authorizer cloud-integration-nested accessKey azure:kubecostexport:39a8ceabcb08 39a8ceabcb08',
      'azure.storage[1].authorizer cloud-integration-nested storageConnectionString azure:kubecostexport2:0d34c726c730 0d34c726c730',
      'alibaba.boa[0].authorizer cloud-integration-nested accessKeyID,accessKeySecret alibaba:LTAI5tFAKEEXAMPLE0001 6687874575fe',
    ],
    skipped: ['azure.storage[2].authorizer AmbientIdentity'],
  },
  'cloud-integration-nested-aws.json': {
    family: 'cloud-integration',
    sites: [
      'aws.athena[0].authorizer cloud-integration-nested id,secret aws:AKIAIOSFODNN7EXAMPLE AKIAIOSFODNN7EXAMPLE',
      'aws.athena[1].authorizer.authorizer cloud-integration-nested id,secret aws:AKIAI44QH8DHBEXAMPLE AKIAI44QH8DHBEXAMPLE',
    ],
    skipped: ['aws.s3[0].authorizer AmbientIdentity'],
  },
  'cloud-integration-nested-gcp-crlf.json': {
    family: 'cloud-integration',
    sites: [`gcp.bigQuery[0].authorizer cloud-integration-nested key ${GCP_BILLING} ca9bc46db2d7`],
    skipped: ['gcp.bigQuery[1].authorizer AmbientIdentity'],
  },
  'federated-store-azure.yaml': {
    family: 'objstore',
    sites: ['config objstore-azure storage_account_key azure:kubecostfederated:afa377bfe49c afa377bfe49c'],
    skipped: [],
  },
  'federated-store-gcs-literal.yaml': {
    family: 'objstore',
    sites: [`config objstore-gcs service_account ${GCP_STORAGE} 44fa8c757c99`],
    skipped: [],
  },
  'federated-store-gcs-quoted.yaml': {
    family: 'objstore',
    sites: [`config objstore-gcs service_account ${GCP_STORAGE} 44fa8c757c99`],
    skipped: [],
  },
  'federated-store-s3-crlf.yaml': {
    family: 'objstore',
    sites: ['config objstore-s3 access_key,secret_key aws:AKIAEXAMPLEKEYID0007 AKIAEXAMPLEKEYID0007'],
    skipped: [],
  },
  'federated-store-s3.yaml': {
    family: 'objstore',
    sites: ['config objstore-s3 access_key,secret_key aws:AKIAEXAMPLEKEYID0005 AKIAEXAMPLEKEYID0005'],
    skipped: [],
  },
  'object-store-azure-connection-string.yaml': {
    family: 'objstore',
    sites: ['config objstore-azure storage_connection_string azure:kubecostthanos:c39e3a9d7182 c39e3a9d7182'],
    skipped: [],
  },
  'object-store-gcs-strip.yaml': {
    family: 'objstore',
    sites: [`config objstore-gcs service_account ${GCP_STORAGE} 44fa8c757c99`],
    skipped: [],
  },
  'object-store-s3-flow.yaml': {
    family: 'objstore',
    sites: ['config objstore-s3 access_key,secret_key aws:AKIAEXAMPLEKEYID0006 AKIAEXAMPLEKEYID0006'],
    skipped: [],
  },
  'object-store-s3-irsa.yaml': { family: 'objstore', sites: [], skipped: ['config AmbientIdentity'] },
  'service-key-alibaba.json': {
    family: 'service-key',
    sites: [
      '$ service-key-json alibaba_access_key_id,alibaba_secret_access_key alibaba:LTAI5tFAKEEXAMPLE0003 10c0a23fd587',
    ],
    skipped: [],
  },
  'service-key-aws.json': {
    family: 'service-key',
    sites: ['$ service-key-json aws_access_key_id,aws_secret_access_key aws:AKIAEXAMPLEKEYID0004 AKIAEXAMPLEKEYID0004'],
    skipped: [],
  },
  'service-key-azure-sp.json': { family: 'service-key', sites: [], skipped: ['$ UnsupportedCredential'] },
  'service-key-gcp.json': {
    family: 'service-key',
    sites: [`$ service-key-json  ${GCP_BILLING} ca9bc46db2d7`],
    skipped: [],
  },
};

function parse(file: string, bytes = readFixture(file)): ParsedSecret {
  return detectAndParse(bytes, locationOf(file));
}

function secretMaterial(credential: Credential): string {
  switch (credential.provider) {
    case 'aws':
      return credential.secretAccessKey.reveal();
    case 'gcp':
      return credential.kind === 'api-key' ? credential.apiKey.reveal() : credential.privateKey.reveal();
    case 'azure':
      return credential.accountKey.reveal();
    case 'alibaba':
      return credential.accessKeySecret.reveal();
  }
}

describe('the fixture catalog', () => {
  it('has an expectation for every fixture file and a file for every expectation', () => {
    expect([...FIXTURE_FILES].sort()).toEqual(Object.keys(EXPECTED).sort());
  });
});

describe.each(FIXTURE_FILES)('fixture %s', (file) => {
  const expected = EXPECTED[file];

  it('parses to the expected sites and skipped entries', () => {
    const parsed = parse(file);
    expect(parsed.family).toBe(expected?.family);
    expect(
      parsed.sites.map(
        (s) =>
          `${s.path} ${s.format} ${s.fields.join(',')} ${credentialIdentity(s.credential).id} ${credentialFingerprint(s.credential)}`,
      ),
    ).toEqual(expected?.sites);
    expect(parsed.skipped.map((s) => `${s.path} ${s.reason}`)).toEqual(expected?.skipped);
    for (const site of parsed.sites) {
      expect(site.location).toEqual(locationOf(file));
      if (site.credential.provider !== 'aws')
        expect(credentialFingerprint(site.credential)).toBe(fingerprint(secretMaterial(site.credential)));
    }
  });

  it('shows no secret when its sites are printed as JSON or inspected', () => {
    const parsed = parse(file);
    const printed = `${JSON.stringify(parsed)}\n${inspect(parsed, { depth: 10 })}\n${String(parsed.sites.map((s) => Object.values(s.credential).join(' ')))}`;
    for (const secret of FIXTURE_SECRETS) expect(printed).not.toContain(secret);
    if (parsed.sites.length > 0) expect(printed).toContain('[redacted fp=');
  });

  it('gives back the same bytes when a site is replaced by the credential it already holds', () => {
    const bytes = readFixture(file);
    for (const site of parse(file).sites) {
      expect(Buffer.from(replaceCredential(bytes, site, site.credential)).equals(Buffer.from(bytes))).toBe(true);
    }
  });

  it('holds the new credential at the replaced site, and every other site unchanged', () => {
    const bytes = readFixture(file);
    const before = parse(file);
    before.sites.forEach((site, index) => {
      const fresh = newCredentialFor(site, index);
      const after = parse(file, replaceCredential(bytes, site, fresh));
      expect(after.sites.map((s) => s.path)).toEqual(before.sites.map((s) => s.path));
      expect(after.skipped).toEqual(before.skipped);
      after.sites.forEach((s, i) => {
        const want = i === index ? fresh : before.sites[i]?.credential;
        expect(want && credentialsEqual(s.credential, want)).toBe(true);
      });
    });
  });

  it('rotates every site to exactly the golden file in rotated/', () => {
    let bytes = readFixture(file);
    const count = parse(file).sites.length;
    if (count === 0) return;
    for (let i = 0; i < count; i++) {
      const site = parse(file, bytes).sites[i];
      if (!site) throw new Error('site disappeared');
      bytes = replaceCredential(bytes, site, newCredentialFor(site, i));
    }
    expect(Buffer.from(bytes).toString('utf8')).toBe(readFileSync(`${ROTATED_DIR}${file}`, 'utf8'));
  });

  it('changes only the lines that hold the credential', () => {
    const bytes = readFixture(file);
    const before = Buffer.from(bytes).toString('utf8').split('\n');
    for (const [index, site] of parse(file).sites.entries()) {
      const after = Buffer.from(replaceCredential(bytes, site, newCredentialFor(site, index)))
        .toString('utf8')
        .split('\n');
      const changed = after.filter((line, i) => line !== before[i]);
      expect(changed.length).toBeGreaterThan(0);
      // Every changed line holds new key material, a new key id, or is part of a rewritten key JSON.
      if (after.length === before.length) {
        for (const line of changed) expect(line).toMatch(/ROTATED|rotated|cm90YXRlZC|ffeeddccbbaa/);
      }
    }
  });
});
