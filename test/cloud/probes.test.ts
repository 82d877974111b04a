/**
 * Provider probes against cloud-sim: each target kind with a valid key, a wrong secret, an unknown
 * key and a revoked key, missing resources and an unreachable endpoint; and a canary over every
 * result and error: no secret appears in any of them.
 */
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  probe,
  ProbeMismatchError,
  type ProbeResult,
  type ProbeTarget,
  type ProviderCredential,
} from '../../src/providers/index.js';
import { SecretValue } from '../../src/shared/secret-value.js';
import { distrustCredential, startCloudSim, trustCredential, type CloudSim } from '../../src/sim/cloud/index.js';
import {
  awsAccessKey,
  azureStorageKey,
  gcpServiceAccountKey,
  secretValuesOf,
  type AwsAccessKey,
  type AzureStorageKey,
  type GcpServiceAccountKey,
} from '../../src/sim/kubecost/credentials.js';

let sim: CloudSim;
/** Every secret any test handed to a probe, and everything that came back: the canary reads these. */
const secretsSeen: string[] = [];
const outputs: string[] = [];

beforeAll(async () => {
  sim = await startCloudSim();
  await sim.aws.ensureBucket('acme-kubecost-federated');
  await sim.aws.ensureBucket('aws-athena-query-results-123456789012-us-east-1');
  sim.gcp.ensureBucket('acme-kubecost-etl-backup');
  sim.gcp.ensureTable('acme-billing', 'billing_export', 'gcp_billing_export_v1');
  sim.azure.setAccountKeys('acmecostexports', azureStorageKey('acmecostexports').accountKey);
  await sim.azure.ensureContainer('acmecostexports', 'costexports');
});

afterAll(async () => {
  await sim.stop();
});

function asProviderCredential(credential: AwsAccessKey | GcpServiceAccountKey | AzureStorageKey): ProviderCredential {
  secretsSeen.push(...secretValuesOf(credential), ...(credential.provider === 'gcp' ? [credential.json] : []));
  switch (credential.provider) {
    case 'aws':
      return {
        provider: 'aws',
        accessKeyId: credential.accessKeyId,
        secretAccessKey: new SecretValue(credential.secretAccessKey),
      };
    case 'gcp':
      return { provider: 'gcp', keyJson: new SecretValue(credential.json) };
    case 'azure':
      return {
        provider: 'azure',
        accountName: credential.accountName,
        accountKey: new SecretValue(credential.accountKey),
      };
  }
}

/** Runs a probe and records its result (or error message) for the canary. */
async function run(
  credential: AwsAccessKey | GcpServiceAccountKey | AzureStorageKey,
  target: ProbeTarget,
  signal = AbortSignal.timeout(20_000),
): Promise<ProbeResult> {
  try {
    const result = await probe(asProviderCredential(credential), target, signal);
    outputs.push(JSON.stringify(result));
    return result;
  } catch (error: unknown) {
    outputs.push(error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error));
    throw error;
  }
}

const targets = {
  s3: (): ProbeTarget => ({
    kind: 's3',
    bucket: 'acme-kubecost-federated',
    region: 'us-east-1',
    endpoint: sim.endpoints.s3,
    prefix: 'finops',
  }),
  athena: (): ProbeTarget => ({
    kind: 'athena',
    region: 'us-east-1',
    workgroup: 'primary',
    database: 'athenacurcfn_kubecost_cur',
    outputLocation: 's3://aws-athena-query-results-123456789012-us-east-1/',
    endpoint: sim.endpoints.athena,
  }),
  gcs: (): ProbeTarget => ({
    kind: 'gcs',
    bucket: 'acme-kubecost-etl-backup',
    endpoint: sim.endpoints.gcs,
    tokenUrl: sim.endpoints.gcpToken,
  }),
  bigquery: (): ProbeTarget => ({
    kind: 'bigquery',
    projectId: 'acme-billing',
    dataset: 'billing_export',
    table: 'gcp_billing_export_v1',
    endpoint: sim.endpoints.bigquery,
    tokenUrl: sim.endpoints.gcpToken,
  }),
  'azure-blob': (): ProbeTarget => ({
    kind: 'azure-blob',
    account: 'acmecostexports',
    container: 'costexports',
    endpoint: sim.azure.blobUrl('acmecostexports'),
  }),
} as const;

type Kind = keyof typeof targets;

/** RSA keys are slow to make: one spare GCP key, made once, signs "wrong secret" key files. */
let spareGcpKey: GcpServiceAccountKey | undefined;

/** A fresh valid credential for the kind, trusted by the sim. */
function validCredential(kind: Kind): AwsAccessKey | GcpServiceAccountKey | AzureStorageKey {
  if (kind === 's3' || kind === 'athena') {
    const key = awsAccessKey('kubecost-probe');
    trustCredential(sim, key);
    return key;
  }
  if (kind === 'gcs' || kind === 'bigquery') {
    const key = gcpServiceAccountKey('kubecost-probe', 'acme-billing');
    trustCredential(sim, key);
    return key;
  }
  const keys = sim.azure.keysOf('acmecostexports');
  return { provider: 'azure', accountName: 'acmecostexports', slot: 'key1', accountKey: keys?.key1 ?? '' };
}

/** The same identity and key id with the wrong secret. */
function wrongSecret(
  credential: AwsAccessKey | GcpServiceAccountKey | AzureStorageKey,
): AwsAccessKey | GcpServiceAccountKey | AzureStorageKey {
  if (credential.provider === 'aws') return { ...credential, secretAccessKey: awsAccessKey('other').secretAccessKey };
  if (credential.provider === 'azure')
    return { ...credential, accountKey: azureStorageKey(credential.accountName).accountKey };
  spareGcpKey ??= gcpServiceAccountKey('spare', 'acme-billing');
  const json = JSON.stringify({ ...(JSON.parse(credential.json) as object), private_key: spareGcpKey.privateKey });
  return { ...credential, privateKey: spareGcpKey.privateKey, json };
}

const AUTH_CODES: Record<Kind, { wrongSecret: string; unknown: string }> = {
  s3: { wrongSecret: 'SignatureDoesNotMatch', unknown: 'InvalidAccessKeyId' },
  athena: { wrongSecret: 'InvalidSignatureException', unknown: 'UnrecognizedClientException' },
  gcs: { wrongSecret: 'invalid_grant', unknown: 'invalid_grant' },
  bigquery: { wrongSecret: 'invalid_grant', unknown: 'invalid_grant' },
  'azure-blob': { wrongSecret: 'AuthorizationFailure', unknown: 'AuthorizationFailure' },
};

const EVIDENCE: Record<Kind, RegExp> = {
  s3: /^PutObject\+GetObject\+DeleteObject s3:\/\/acme-kubecost-federated\/finops\/kubecost-rotate-probe\/[0-9a-f]{16} as AKIA[A-Z0-9]{16}$/,
  athena:
    /^StartQueryExecution\+GetQueryExecution of SELECT 1 in workgroup primary, database athenacurcfn_kubecost_cur, output s3:\/\/aws-athena-query-results-123456789012-us-east-1\/ -> SUCCEEDED \(query [0-9a-f-]{36}\) as AKIA[A-Z0-9]{16}$/,
  gcs: /^token\+objects\.insert\+objects\.get\+objects\.delete gs:\/\/acme-kubecost-etl-backup\/kubecost-rotate-probe\/[0-9a-f]{16} as kubecost-probe@acme-billing\.iam\.gserviceaccount\.com \(key [0-9a-f]{8}…\)$/,
  bigquery:
    /^token\+tables\.get\+jobs\.query\(dryRun\) on bigquery table acme-billing\.billing_export\.gcp_billing_export_v1 as kubecost-probe@acme-billing\.iam\.gserviceaccount\.com \(key [0-9a-f]{8}…\)$/,
  'azure-blob':
    /^upload\+download\+delete azure:\/\/acmecostexports\/costexports\/kubecost-rotate-probe\/[0-9a-f]{16} as account acmecostexports key fp=[0-9a-f]{12}$/,
};

describe.each(Object.keys(targets) as Kind[])('probe of a %s target', (kind) => {
  it('succeeds with a valid key and names what it did', async () => {
    const result = await run(validCredential(kind), targets[kind]());
    expect(result).toEqual({ ok: true, evidence: expect.stringMatching(EVIDENCE[kind]) as unknown });
  });

  it('reports a wrong secret as an auth failure', async () => {
    const result = await run(wrongSecret(validCredential(kind)), targets[kind]());
    expect(result).toMatchObject({ ok: false, kind: 'auth', code: AUTH_CODES[kind].wrongSecret });
  });

  it('reports an unknown key as an auth failure', async () => {
    const unknown: AwsAccessKey | GcpServiceAccountKey | AzureStorageKey =
      kind === 's3' || kind === 'athena'
        ? awsAccessKey('kubecost-probe')
        : kind === 'azure-blob'
          ? azureStorageKey('acmecostexports')
          : wrongSecret({ ...validCredential(kind), privateKeyId: 'f'.repeat(40) } as GcpServiceAccountKey);
    const result = await run(unknown, targets[kind]());
    expect(result).toMatchObject({ ok: false, kind: 'auth', code: AUTH_CODES[kind].unknown });
  });

  it('reports a key revoked after it worked as an auth failure', async () => {
    const credential = validCredential(kind);
    expect(await run(credential, targets[kind]())).toMatchObject({ ok: true });
    if (credential.provider === 'azure') sim.azure.regenerateKey(credential.accountName, credential.slot);
    else distrustCredential(sim, credential);
    const result = await run(credential, targets[kind]());
    expect(result).toMatchObject({ ok: false, kind: 'auth' });
    if (!result.ok) expect(result.message.length).toBeGreaterThan(0);
  });
});

describe('probes', () => {
  it('leave no probe object behind', async () => {
    const aws = validCredential('s3') as AwsAccessKey;
    const s3Result = await run(aws, targets.s3());
    const key = /s3:\/\/acme-kubecost-federated\/(\S+)/.exec(s3Result.evidence)?.[1] ?? '';
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: sim.endpoints.s3,
      forcePathStyle: true,
      credentials: aws,
      maxAttempts: 1,
    });
    await expect(
      client.send(new GetObjectCommand({ Bucket: 'acme-kubecost-federated', Key: key })),
    ).rejects.toMatchObject({ name: 'NoSuchKey' });

    await run(validCredential('gcs'), targets.gcs());
    expect(sim.gcp.objectNames('acme-kubecost-etl-backup')).toEqual([]);

    const azure = validCredential('azure-blob') as AzureStorageKey;
    await run(azure, targets['azure-blob']());
    const container = new BlobServiceClient(
      sim.azure.blobUrl('acmecostexports'),
      new StorageSharedKeyCredential('acmecostexports', azure.accountKey),
    ).getContainerClient('costexports');
    const names: string[] = [];
    for await (const blob of container.listBlobsFlat()) names.push(blob.name);
    expect(names).toEqual([]);
  });

  it('report a missing bucket, container, table or output bucket as not_found', async () => {
    expect(
      await run(validCredential('s3'), { ...targets.s3(), bucket: 'no-such-bucket' } as ProbeTarget),
    ).toMatchObject({ ok: false, kind: 'not_found', code: 'NoSuchBucket' });
    expect(
      await run(validCredential('athena'), {
        ...targets.athena(),
        outputLocation: 's3://no-such-results/',
      } as ProbeTarget),
    ).toMatchObject({
      ok: false,
      kind: 'not_found',
      code: 'QueryFailed',
      message: 'Unable to verify/create output bucket no-such-results',
    });
    expect(
      await run(validCredential('gcs'), { ...targets.gcs(), bucket: 'no-such-bucket' } as ProbeTarget),
    ).toMatchObject({ ok: false, kind: 'not_found', code: 'notFound' });
    expect(
      await run(validCredential('bigquery'), { ...targets.bigquery(), table: 'gcp_billing_export_v2' } as ProbeTarget),
    ).toMatchObject({
      ok: false,
      kind: 'not_found',
      evidence: expect.stringMatching(/^token\+tables\.get\(failed\) on bigquery table/) as unknown,
    });
    expect(
      await run(validCredential('azure-blob'), {
        ...targets['azure-blob'](),
        container: 'no-such-container',
      } as ProbeTarget),
    ).toMatchObject({ ok: false, kind: 'not_found', code: 'ContainerNotFound' });
  });

  it('report an unreachable endpoint as transient', async () => {
    const closed = 'http://127.0.0.1:9';
    const refused = { ok: false, kind: 'transient', code: 'ECONNREFUSED' };
    expect(await run(validCredential('s3'), { ...targets.s3(), endpoint: closed } as ProbeTarget)).toMatchObject(
      refused,
    );
    expect(
      await run(validCredential('gcs'), { ...targets.gcs(), tokenUrl: `${closed}/token` } as ProbeTarget),
    ).toMatchObject(refused);
    expect(
      await run(validCredential('azure-blob'), {
        ...targets['azure-blob'](),
        endpoint: `${closed}/acmecostexports`,
      } as ProbeTarget),
    ).toMatchObject(refused);
  });

  it('report a GCP key file that is not one without echoing it', async () => {
    const result = await probe(
      { provider: 'gcp', keyJson: new SecretValue('{"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEv') },
      targets.gcs(),
      AbortSignal.timeout(5000),
    );
    expect(result).toEqual({
      ok: false,
      kind: 'auth',
      code: 'InvalidKeyFile',
      message: expect.stringContaining('not a JSON key file') as unknown,
      evidence: 'read the service-account key file',
    });
    expect(JSON.stringify(result)).not.toContain('MIIEv');
  });

  it('refuse a credential of the wrong provider, and stop with the reason when aborted', async () => {
    await expect(
      probe(asProviderCredential(awsAccessKey('x')), targets.gcs(), AbortSignal.timeout(5000)),
    ).rejects.toBeInstanceOf(ProbeMismatchError);
    const controller = new AbortController();
    controller.abort(new Error('rotation cancelled'));
    await expect(run(validCredential('s3'), targets.s3(), controller.signal)).rejects.toThrow('rotation cancelled');
  });

  it('never put a secret in a result or an error (canary over every probe above)', () => {
    expect(outputs.length).toBeGreaterThan(25);
    const leaks = secretsSeen
      .filter((secret) => secret.length >= 8)
      .filter((secret) => outputs.some((text) => text.includes(secret)));
    expect(leaks).toEqual([]);
  });
});
