import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FAKE_PEM_NEW,
  FIXTURE_FILES,
  locationOf,
  newCredentialFor,
  newGcpKeyText,
  readFixture,
} from '../../../test/fixtures/secret-formats/catalog.js';
import {
  alibabaAccessKey,
  awsAccessKey,
  azureStorageAccountKey,
  credentialsEqual,
  detectAndParse,
  gcpApiKey,
  gcpServiceAccountKey,
  replaceCredential,
  SecretFormatError,
  type Credential,
  type SecretFormatErrorCode,
  type Site,
} from './index.js';

const wellFormed = (s: string): boolean =>
  !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
const anyText = fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }).filter(wellFormed);
const printable = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 });
const secretText = fc.oneof(anyText, printable);

/** Every site of every fixture, with its file. */
const ALL_SITES: { file: string; site: Site }[] = FIXTURE_FILES.flatMap((file) =>
  detectAndParse(readFixture(file), locationOf(file)).sites.map((site) => ({ file, site })),
);

/** An arbitrary new credential of the site's provider, with strings that need escaping in JSON and YAML. */
function arbitraryCredentialFor(site: Site): fc.Arbitrary<Credential> {
  const c = site.credential;
  switch (c.provider) {
    case 'aws':
      return fc.tuple(secretText, secretText).map(([id, secret]) => awsAccessKey(id, secret));
    case 'alibaba':
      return fc.tuple(secretText, secretText).map(([id, secret]) => alibabaAccessKey(id, secret));
    case 'azure': {
      const inConnectionString = site.fields.some((f) => /connection/i.test(f));
      return secretText
        .filter((k) => !inConnectionString || (!k.includes(';') && k.trim() !== ''))
        .map((key) => azureStorageAccountKey(c.accountName, key));
    }
    case 'gcp':
      if (c.kind === 'api-key') return fc.stringMatching(/^[0-9A-Za-z_-]{35}$/).map((tail) => gcpApiKey(`AIza${tail}`));
      // A blank private_key_id (a real one is 40 hex) cannot be written into YAML that parses back: the rewrite refuses it.
      return fc
        .tuple(
          secretText.filter((k) => k.trim() !== ''),
          anyText,
        )
        .map(([keyId, body]) =>
          gcpServiceAccountKey(
            newGcpKeyText(
              c.clientEmail,
              c.projectId,
              keyId,
              `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`,
            ),
          ),
        );
  }
}

function codeOf(run: () => unknown): SecretFormatErrorCode | undefined {
  try {
    run();
  } catch (error: unknown) {
    if (error instanceof SecretFormatError) return error.code;
    throw error;
  }
  return undefined;
}

describe('replaceCredential', () => {
  it('writes any new credential so that the value parses back to it, with every other site unchanged', () => {
    for (const { file, site } of ALL_SITES) {
      const bytes = readFixture(file);
      const before = detectAndParse(bytes, locationOf(file)).sites;
      fc.assert(
        fc.property(arbitraryCredentialFor(site), (fresh) => {
          const after = detectAndParse(replaceCredential(bytes, site, fresh), locationOf(file)).sites;
          expect(after.length).toBe(before.length);
          for (const [i, s] of after.entries()) {
            const want = s.path === site.path ? fresh : before[i]?.credential;
            expect(want && credentialsEqual(s.credential, want)).toBe(true);
          }
        }),
        { numRuns: 40 },
      );
    }
  });

  it('is idempotent: replacing again with the same new credential changes nothing', () => {
    for (const { file, site } of ALL_SITES) {
      const fresh = newCredentialFor(site, 7);
      const once = replaceCredential(readFixture(file), site, fresh);
      const moved = detectAndParse(once, locationOf(file)).sites.find((s) => s.path === site.path);
      if (!moved) throw new Error('site lost');
      expect(Buffer.from(replaceCredential(once, moved, fresh)).equals(Buffer.from(once))).toBe(true);
    }
  });

  it('does not modify the bytes it is given', () => {
    const file = 'federated-store-s3.yaml';
    const bytes = readFixture(file);
    const copy = Buffer.from(bytes);
    const [site] = detectAndParse(bytes, locationOf(file)).sites;
    if (!site) throw new Error('fixture has no site');
    replaceCredential(bytes, site, newCredentialFor(site));
    expect(Buffer.from(bytes).equals(copy)).toBe(true);
  });

  it('writes a GCP key with other fields than the old one in the old key object layout', () => {
    const file = 'cloud-integration-legacy-all.json';
    const bytes = readFixture(file);
    const site = detectAndParse(bytes, locationOf(file)).sites.find((s) => s.provider === 'gcp');
    if (site?.credential.provider !== 'gcp' || site.credential.kind === 'api-key')
      throw new Error('fixture has no GCP service-account key site');
    const key = JSON.parse(newGcpKeyText(site.credential.clientEmail, site.credential.projectId, 'abc123')) as Record<
      string,
      string
    >;
    delete key['universe_domain'];
    key['extra_field'] = 'x';
    const fresh = gcpServiceAccountKey(JSON.stringify(key));
    const out = Buffer.from(replaceCredential(bytes, site, fresh)).toString('utf8');
    expect(out).toContain('\t\t\t\t"private_key_id": "abc123",\n\t\t\t\t"private_key": ');
    expect(out).toContain(
      '\t\t\t\t"client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/kubecost-storage%40kubecost-demo-123456.iam.gserviceaccount.com",\n\t\t\t\t"extra_field": "x"\n\t\t\t}',
    );
    expect(out).not.toContain('universe_domain');
    const reparsed = detectAndParse(new TextEncoder().encode(out), locationOf(file)).sites.find(
      (s) => s.path === site.path,
    );
    expect(reparsed && credentialsEqual(reparsed.credential, fresh)).toBe(true);
  });

  it('keeps a one-line GCP key on one line inside a |- block scalar', () => {
    const file = 'object-store-gcs-strip.yaml';
    const bytes = readFixture(file);
    const [site] = detectAndParse(bytes, locationOf(file)).sites;
    if (!site) throw new Error('fixture has no site');
    const out = Buffer.from(replaceCredential(bytes, site, newCredentialFor(site))).toString('utf8');
    const lines = out.split('\n');
    expect(lines[3]).toBe('  service_account: |-  # key for kubecost-storage@');
    expect(lines[4]?.startsWith('    {"type": "service_account", ')).toBe(true);
    expect(lines[5]).toBe('  use_grpc: false');
    expect(out).toContain(JSON.stringify(FAKE_PEM_NEW));
  });

  const refusals: Record<
    string,
    {
      file: string;
      credential: (site: Site) => Credential;
      pick?: (site: Site) => boolean;
      code: SecretFormatErrorCode;
    }
  > = {
    'refuses a credential of another provider': {
      file: 'service-key-aws.json',
      credential: () => azureStorageAccountKey('a', 'b'),
      code: 'ProviderMismatch',
    },
    'refuses an Azure key for another storage account': {
      file: 'federated-store-azure.yaml',
      credential: () => azureStorageAccountKey('someotheraccount', 'a2V5'),
      code: 'AccountMismatch',
    },
    'refuses an empty secret': {
      file: 'cloud-integration-nested-aws.json',
      credential: () => awsAccessKey('AKIANEWEXAMPLE000001', ''),
      code: 'InvalidCredential',
    },
    'refuses an empty key id': {
      file: 'object-store-s3-flow.yaml',
      credential: () => awsAccessKey('', 'secret'),
      code: 'InvalidCredential',
    },
    'refuses a secret holding an unpaired surrogate': {
      file: 'service-key-alibaba.json',
      credential: () => alibabaAccessKey('LTAI5tNEW', 'bad\uD800'),
      code: 'InvalidCredential',
    },
    'refuses an account key with ";" inside a connection string': {
      file: 'object-store-azure-connection-string.yaml',
      credential: (site) =>
        azureStorageAccountKey(site.credential.provider === 'azure' ? site.credential.accountName : '', 'a;b'),
      code: 'InvalidCredential',
    },
  };
  for (const [name, { file, credential, pick, code }] of Object.entries(refusals)) {
    it(name, () => {
      const bytes = readFixture(file);
      const site = detectAndParse(bytes, locationOf(file)).sites.find(pick ?? (() => true));
      if (!site) throw new Error('fixture has no site');
      expect(codeOf(() => replaceCredential(bytes, site, credential(site)))).toBe(code);
    });
  }

  it('refuses a site whose credential changed since it was read', () => {
    const file = 'cloud-integration-nested-aws.json';
    const bytes = readFixture(file);
    const [site] = detectAndParse(bytes, locationOf(file)).sites;
    if (!site) throw new Error('fixture has no site');
    const changedMeanwhile = replaceCredential(bytes, site, newCredentialFor(site, 1));
    expect(codeOf(() => replaceCredential(changedMeanwhile, site, newCredentialFor(site, 2)))).toBe('StaleSite');
  });

  it('refuses a site that is no longer in the value', () => {
    const aws = detectAndParse(
      readFixture('cloud-integration-nested-aws.json'),
      locationOf('cloud-integration-nested-aws.json'),
    ).sites[1];
    if (!aws) throw new Error('fixture has no second site');
    const other = readFixture('cloud-integration-nested-all.json');
    expect(codeOf(() => replaceCredential(other, aws, newCredentialFor(aws)))).toBe('SiteNotFound');
  });

  it('names the place and never the new secret when it refuses a replacement', () => {
    const file = 'federated-store-azure.yaml';
    const bytes = readFixture(file);
    const [site] = detectAndParse(bytes, locationOf(file)).sites;
    if (!site) throw new Error('fixture has no site');
    try {
      replaceCredential(bytes, site, azureStorageAccountKey('otheraccount', 'TOPSECRETNEWKEY=='));
      expect.unreachable('the replacement should be refused');
    } catch (error: unknown) {
      expect(error).toBeInstanceOf(SecretFormatError);
      const e = error as SecretFormatError;
      expect(e.message).toContain(
        'cluster "prod-east", Secret "kubecost/kubecost-keys", key "federated-store.yaml", at config',
      );
      expect(`${e.message} ${e.hint ?? ''} ${JSON.stringify(e)}`).not.toContain('TOPSECRETNEWKEY');
    }
  });
});
