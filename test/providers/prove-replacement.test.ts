/**
 * The proof before staging (issue 8, defect 2): a key the user brings is proven against the old
 * key's principal and every site's resource before anything is written. A well-formed key the
 * provider does not know, a key of another principal, and a key that cannot reach a site's
 * resource all fail, with a sentence that says which.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proveReplacement, type ProviderCredential } from '../../src/providers/index.js';
import { SecretValue } from '../../src/shared/secret-value.js';
import { startCloudSim, trustCredential, type CloudSim } from '../../src/sim/cloud/index.js';
import {
  awsAccessKey,
  azureStorageKey,
  gcpServiceAccountKey,
  successorOf,
} from '../../src/sim/kubecost/credentials.js';
import { awsTargets } from './worlds.js';

let sim: CloudSim;
const signal = () => AbortSignal.timeout(30_000);
const once = { attempts: 1, firstDelayMs: 1, maxDelayMs: 1 };
const aws = (k: { accessKeyId: string; secretAccessKey: string }): ProviderCredential => ({
  provider: 'aws',
  accessKeyId: k.accessKeyId,
  secretAccessKey: new SecretValue(k.secretAccessKey),
});

beforeAll(async () => {
  sim = await startCloudSim();
});

afterAll(async () => {
  await sim.stop();
});

describe('proveReplacement', () => {
  const old = awsAccessKey('kubecost');
  beforeAll(() => trustCredential(sim, old));

  it('passes a new key of the same IAM user that reaches every resource', async () => {
    const next = awsAccessKey('kubecost');
    trustCredential(sim, next);
    const proof = await proveReplacement(
      { old: aws(old), next: aws(next), targets: await awsTargets(sim), endpoints: { sts: sim.endpoints.sts } },
      signal(),
    );
    expect(proof).toMatchObject({ ok: true, principal: { id: 'arn:aws:iam::123456789012:user/kubecost' } });
    expect(proof.summary).toBe(
      `${next.accessKeyId} authenticates as arn:aws:iam::123456789012:user/kubecost and reached 2 resources`,
    );
  });

  it('fails a well-formed AWS key the provider does not know, at the identity check', async () => {
    const unknown = awsAccessKey('kubecost');
    const proof = await proveReplacement(
      {
        old: aws(old),
        next: aws(unknown),
        targets: await awsTargets(sim),
        endpoints: { sts: sim.endpoints.sts },
        retry: once,
      },
      signal(),
    );
    expect(proof).toMatchObject({
      ok: false,
      targets: [],
      identity: { ok: false, kind: 'auth', code: 'InvalidClientTokenId' },
    });
    expect(proof.summary).toMatch(
      new RegExp(`^${unknown.accessKeyId} does not authenticate as arn:aws:iam::123456789012:user/kubecost`),
    );
  });

  it('fails a valid key of another IAM user', async () => {
    const other = awsAccessKey('someone-else');
    trustCredential(sim, other);
    const proof = await proveReplacement(
      { old: aws(old), next: aws(other), targets: [], endpoints: { sts: sim.endpoints.sts } },
      signal(),
    );
    expect(proof.identity).toMatchObject({ ok: false, code: 'PrincipalMismatch' });
    expect(proof.summary).toMatch(
      /belongs to arn:aws:iam::123456789012:user\/someone-else, not to arn:aws:iam::123456789012:user\/kubecost/,
    );
  });

  it('fails a key that authenticates but cannot reach a site’s bucket, naming the bucket', async () => {
    const next = awsAccessKey('kubecost');
    trustCredential(sim, next);
    const proof = await proveReplacement(
      {
        old: aws(old),
        next: aws(next),
        targets: [
          {
            kind: 's3',
            bucket: 'no-such-bucket-here',
            region: 'us-east-1',
            endpoint: sim.endpoints.s3,
            forcePathStyle: true,
          },
        ],
        endpoints: { sts: sim.endpoints.sts },
        retry: once,
      },
      signal(),
    );
    expect(proof.ok).toBe(false);
    expect(proof.identity.ok).toBe(true);
    expect(proof.summary).toMatch(
      /authenticates as .* but cannot use s3:\/\/no-such-bucket-here: not_found NoSuchBucket/,
    );
  });

  it('fails a GCP key of another service account, and an Azure key of another slot value', async () => {
    const gcpOld = gcpServiceAccountKey('kubecost', 'acme');
    const gcpOther = gcpServiceAccountKey('other', 'acme');
    trustCredential(sim, gcpOld);
    trustCredential(sim, gcpOther);
    const gcp = await proveReplacement(
      {
        old: { provider: 'gcp', keyJson: new SecretValue(gcpOld.json) },
        next: { provider: 'gcp', keyJson: new SecretValue(gcpOther.json) },
        targets: [],
        endpoints: { gcpToken: sim.endpoints.gcpToken },
      },
      signal(),
    );
    expect(gcp.identity).toMatchObject({ ok: false, code: 'PrincipalMismatch' });
    const azureOld = azureStorageKey('acmeprove', 'key1');
    trustCredential(sim, azureOld);
    const { next } = successorOf(azureOld);
    const azure = await proveReplacement(
      {
        old: { provider: 'azure', accountName: azureOld.accountName, accountKey: new SecretValue(azureOld.accountKey) },
        next: {
          provider: 'azure',
          accountName: azureOld.accountName,
          accountKey: new SecretValue(next.provider === 'azure' ? next.accountKey : ''),
        },
        targets: [],
        endpoints: { azureBlob: sim.endpoints.azureBlob },
        retry: once,
      },
      signal(),
    );
    // The successor was not made valid: azurite refuses it.
    expect(azure.identity).toMatchObject({ ok: false, kind: 'auth' });
  });

  it('says the principal cannot be compared when the old key no longer authenticates', async () => {
    const gone = awsAccessKey('kubecost');
    const proof = await proveReplacement(
      { old: aws(gone), next: aws(old), targets: [], endpoints: { sts: sim.endpoints.sts } },
      signal(),
    );
    expect(proof.identity).toMatchObject({ ok: false, code: 'PrincipalUnknown' });
    expect(proof.summary).toMatch(/no longer authenticates .* --no-probe/);
  });
});
