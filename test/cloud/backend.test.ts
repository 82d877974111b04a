/**
 * cloudSimBackend: the simulated Kubecost components' cloud access through the official SDKs
 * against cloud-sim. Each method works with a valid key and refuses a revoked or wrong one with
 * the provider's code and wording; and a fleet running a layout on it logs success until a key
 * is revoked, then the provider's refusal in the component's log format.
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cloudSimBackend,
  distrustCredential,
  prepareCloudForLayout,
  randomAzureKey,
  startCloudSim,
  trustCredential,
  type CloudSim,
  type CloudSimBackend,
} from '../../src/sim/cloud/index.js';
import { startFleet, type TappedLog } from '../../src/sim/kube/index.js';
import { CloudCallError, type ObjectStoreAccess } from '../../src/sim/kubecost/backend.js';
import {
  alibabaAccessKey,
  awsAccessKey,
  azureStorageKey,
  gcpServiceAccountKey,
  type GcpServiceAccountKey,
} from '../../src/sim/kubecost/credentials.js';
import {
  bindKubecostPrograms,
  installLayout,
  LAYOUT_CLUSTERS,
  type FakeCredential,
  type LayoutName,
} from '../../src/sim/kubecost/index.js';
import { scanLogForAuthFailures } from '../../src/verify/checks.js';
import { waitFor } from '../support/kube.js';

let sim: CloudSim;
let backend: CloudSimBackend;
/** RSA keys are slow to make: a few, made once. */
let gcpKey: GcpServiceAccountKey;
let gcpRevoked: GcpServiceAccountKey;

beforeAll(async () => {
  sim = await startCloudSim();
  backend = cloudSimBackend(sim);
  gcpKey = gcpServiceAccountKey('kubecost-federated', 'acme-platform');
  gcpRevoked = gcpServiceAccountKey('kubecost-federated', 'acme-platform');
  trustCredential(sim, gcpKey);
});

afterAll(async () => {
  backend.close();
  await sim.stop();
});

/** The CloudCallError a call rejects with (fails the test when it resolves or throws something else). */
async function refusal(promise: Promise<unknown>): Promise<CloudCallError> {
  try {
    await promise;
  } catch (error: unknown) {
    if (error instanceof CloudCallError) return error;
    throw error;
  }
  throw new Error('expected a CloudCallError');
}

const fields = (e: CloudCallError) => ({ code: e.code, message: e.message, status: e.status });

const S3_UNKNOWN_KEY = {
  code: 'InvalidAccessKeyId',
  message: 'The AWS Access Key Id you provided does not exist in our records.',
  status: 403,
};
const S3_WRONG_SECRET = {
  code: 'SignatureDoesNotMatch',
  message:
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
  status: 403,
};
const GCP_INVALID_GRANT = {
  code: 'invalid_grant',
  message: 'oauth2: "invalid_grant" "Invalid JWT Signature."',
  status: 400,
};
const AZURE_REFUSED = {
  code: 'AuthorizationFailure',
  message:
    'Server failed to authenticate the request. Make sure the value of the Authorization header is formed correctly including the signature.',
  status: 403,
};

const s3Store = (
  key: { accessKeyId: string; secretAccessKey: string },
  bucket = 'acme-kubecost-thanos',
): ObjectStoreAccess => ({
  type: 'S3',
  access: {
    bucket,
    endpoint: 's3.amazonaws.com',
    region: 'us-east-1',
    accessKeyId: key.accessKeyId,
    secretAccessKey: key.secretAccessKey,
  },
});
const gcsStore = (key: GcpServiceAccountKey, bucket = 'acme-kubecost-federated'): ObjectStoreAccess => ({
  type: 'GCS',
  access: { bucket, serviceAccountJson: key.json },
});
const azureStore = (
  account: string,
  accountKey: string,
  container = 'kubecost-federated',
  prefix?: string,
): ObjectStoreAccess => ({
  type: 'AZURE',
  access: { account, accountKey, container, ...(prefix ? { prefix } : {}) },
});

describe('cloudSimBackend object stores', () => {
  it('writes and reads S3 objects with a trusted key (into the bucket the config names, created on first use), and a missing object is not an error', async () => {
    const key = awsAccessKey('kubecost-thanos');
    trustCredential(sim, key);
    await backend.writeObject(s3Store(key, 'acme-s3-write-read'), '01JTEST/meta.json', '{"ulid":"01JTEST"}');
    const direct = new S3Client({
      region: 'us-east-1',
      endpoint: sim.endpoints.s3,
      forcePathStyle: true,
      credentials: key,
      maxAttempts: 1,
    });
    const read = await direct.send(new GetObjectCommand({ Bucket: 'acme-s3-write-read', Key: '01JTEST/meta.json' }));
    expect(await read.Body?.transformToString()).toBe('{"ulid":"01JTEST"}');
    direct.destroy();
    await expect(backend.readObject(s3Store(key, 'acme-s3-write-read'), '01JTEST/meta.json')).resolves.toBeUndefined();
    await expect(
      backend.readObject(s3Store(key, 'acme-s3-write-read'), 'no/such/object.json'),
    ).resolves.toBeUndefined();
    expect(sim.aws.listKeys('kubecost-thanos')).toEqual([
      expect.objectContaining({ accessKeyId: key.accessKeyId, lastUsedService: 's3' }),
    ]);
  });

  it('refuses a revoked S3 key with InvalidAccessKeyId and a wrong secret with SignatureDoesNotMatch, on writes and reads alike', async () => {
    const key = awsAccessKey('kubecost-thanos');
    trustCredential(sim, key);
    await backend.writeObject(s3Store(key), 'before-revocation', '{}');
    const wrong = { accessKeyId: key.accessKeyId, secretAccessKey: awsAccessKey('x').secretAccessKey };
    expect(fields(await refusal(backend.writeObject(s3Store(wrong), 'x', '{}')))).toEqual(S3_WRONG_SECRET);
    expect(fields(await refusal(backend.readObject(s3Store(wrong), 'before-revocation')))).toEqual(S3_WRONG_SECRET);
    distrustCredential(sim, key);
    expect(fields(await refusal(backend.writeObject(s3Store(key), 'x', '{}')))).toEqual(S3_UNKNOWN_KEY);
    expect(fields(await refusal(backend.readObject(s3Store(key), 'before-revocation')))).toEqual(S3_UNKNOWN_KEY);
  });

  it('writes and reads Cloud Storage objects with a trusted service-account key, and a missing object is not an error', async () => {
    await backend.writeObject(
      gcsStore(gcpKey, 'acme-gcs-write-read'),
      'federated/cluster-1/etl/2026-11-28.json',
      '{"etl":1}',
    );
    expect(sim.gcp.objectNames('acme-gcs-write-read')).toEqual(['federated/cluster-1/etl/2026-11-28.json']);
    await expect(
      backend.readObject(gcsStore(gcpKey, 'acme-gcs-write-read'), 'federated/cluster-1/etl/2026-11-28.json'),
    ).resolves.toBeUndefined();
    await expect(
      backend.readObject(gcsStore(gcpKey, 'acme-gcs-write-read'), 'federated/missing.json'),
    ).resolves.toBeUndefined();
  });

  it('refuses a revoked service-account key with oauth2 invalid_grant "Invalid JWT Signature.", even after its client got a token', async () => {
    trustCredential(sim, gcpRevoked);
    await backend.writeObject(gcsStore(gcpRevoked), 'with-a-token.json', '{}');
    distrustCredential(sim, gcpRevoked);
    expect(fields(await refusal(backend.writeObject(gcsStore(gcpRevoked), 'after.json', '{}')))).toEqual(
      GCP_INVALID_GRANT,
    );
    expect(fields(await refusal(backend.readObject(gcsStore(gcpRevoked), 'with-a-token.json')))).toEqual(
      GCP_INVALID_GRANT,
    );
    const never = {
      ...gcpRevoked,
      clientEmail: 'kubecost-nobody@acme-platform.iam.gserviceaccount.com',
      json: gcpRevoked.json.replace(/kubecost-federated@/g, 'kubecost-nobody@'),
    };
    expect(fields(await refusal(backend.readObject(gcsStore(never), 'x.json')))).toEqual({
      code: 'invalid_grant',
      message: 'oauth2: "invalid_grant" "Invalid grant: account not found"',
      status: 400,
    });
  });

  it('writes and reads Azure blobs (under the objstore prefix) with either key of the account, and a missing blob is not an error', async () => {
    const key1 = azureStorageKey('acmekubecostfed', 'key1');
    const key2 = azureStorageKey('acmekubecostfed', 'key2');
    trustCredential(sim, key1);
    trustCredential(sim, key2);
    await backend.writeObject(
      azureStore('acmekubecostfed', key1.accountKey, 'kubecost-federated', 'fleet-a'),
      'federated/cluster-1/etl.json',
      '{"etl":2}',
    );
    const container = new BlobServiceClient(
      sim.azure.blobUrl('acmekubecostfed'),
      new StorageSharedKeyCredential('acmekubecostfed', key2.accountKey),
    ).getContainerClient('kubecost-federated');
    expect(
      (await container.getBlockBlobClient('fleet-a/federated/cluster-1/etl.json').downloadToBuffer()).toString(),
    ).toBe('{"etl":2}');
    await expect(
      backend.readObject(
        azureStore('acmekubecostfed', key2.accountKey, 'kubecost-federated', 'fleet-a'),
        'federated/cluster-1/etl.json',
      ),
    ).resolves.toBeUndefined();
    await expect(
      backend.readObject(azureStore('acmekubecostfed', key2.accountKey), 'missing.json'),
    ).resolves.toBeUndefined();
  });

  it('refuses an Azure key that is no longer one of the account keys with AuthorizationFailure, on writes and reads', async () => {
    const key = azureStorageKey('acmekubecostfed', 'key1');
    trustCredential(sim, key);
    await backend.writeObject(azureStore('acmekubecostfed', key.accountKey), 'blob.json', '{}');
    distrustCredential(sim, key);
    expect(
      fields(await refusal(backend.writeObject(azureStore('acmekubecostfed', key.accountKey), 'blob.json', '{}'))),
    ).toEqual(AZURE_REFUSED);
    expect(
      fields(await refusal(backend.readObject(azureStore('acmekubecostfed', key.accountKey), 'blob.json'))),
    ).toEqual(AZURE_REFUSED);
  });
});

describe('cloudSimBackend billing integrations', () => {
  const athena = (key: { accessKeyId: string; secretAccessKey: string }, account = '123456789012') => ({
    region: 'us-east-1',
    workgroup: 'primary',
    database: 'athenacurcfn_kubecost_cur',
    outputLocation: `s3://aws-athena-query-results-${account}-us-east-1`,
    accessKeyId: key.accessKeyId,
    secretAccessKey: key.secretAccessKey,
  });

  it('runs an Athena query with a trusted key, its output bucket created on first use', async () => {
    const key = awsAccessKey('kubecost-billing');
    trustCredential(sim, key);
    // A query whose output bucket does not exist fails (QueryFailed): success proves the bucket was made.
    await expect(backend.athenaQuery(athena(key, '555555555555'))).resolves.toBeUndefined();
    expect(sim.aws.listKeys('kubecost-billing')[0]?.lastUsedService).toBe('athena');
  });

  it('refuses an Athena call with a revoked key (UnrecognizedClientException) or a wrong secret (InvalidSignatureException), status 400', async () => {
    const key = awsAccessKey('kubecost-billing');
    trustCredential(sim, key);
    const wrong = await refusal(
      backend.athenaQuery(athena({ accessKeyId: key.accessKeyId, secretAccessKey: awsAccessKey('x').secretAccessKey })),
    );
    expect([wrong.code, wrong.status]).toEqual(['InvalidSignatureException', 400]);
    expect(wrong.message).toMatch(
      /^The request signature we calculated does not match the signature you provided\. Check your AWS Secret Access Key and signing method\./,
    );
    distrustCredential(sim, key);
    expect(fields(await refusal(backend.athenaQuery(athena(key))))).toEqual({
      code: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
      status: 400,
    });
  });

  it('queries the BigQuery billing table (created on first use) with a trusted key, and refuses a revoked key with invalid_grant', async () => {
    const access = (key: GcpServiceAccountKey) => ({
      projectId: 'acme-billing',
      dataset: 'billing_export',
      table: 'gcp_billing_export_v1',
      keyJson: key.json,
    });
    await expect(backend.bigQuery(access(gcpKey))).resolves.toBeUndefined();
    trustCredential(sim, gcpRevoked);
    await backend.bigQuery(access(gcpRevoked));
    distrustCredential(sim, gcpRevoked);
    expect(fields(await refusal(backend.bigQuery(access(gcpRevoked))))).toEqual(GCP_INVALID_GRANT);
  });

  it('lists the Azure billing export container with either account key, and refuses any other key with AuthorizationFailure', async () => {
    const key = azureStorageKey('acmecostexports', 'key2');
    trustCredential(sim, key);
    await expect(
      backend.azureBillingList({ account: 'acmecostexports', accountKey: key.accountKey, container: 'costexports' }),
    ).resolves.toBeUndefined();
    expect(
      fields(
        await refusal(
          backend.azureBillingList({
            account: 'acmecostexports',
            accountKey: randomAzureKey(),
            container: 'costexports',
          }),
        ),
      ),
    ).toEqual(AZURE_REFUSED);
  });

  it('checks Alibaba keys against its in-memory map: unknown ids get InvalidAccessKeyId.NotFound', async () => {
    const key = alibabaAccessKey();
    const access = { accessKeyId: key.accessKeyId, accessKeySecret: key.accessKeySecret, region: 'cn-hangzhou' };
    expect(fields(await refusal(backend.alibabaBill(access)))).toEqual({
      code: 'InvalidAccessKeyId.NotFound',
      message: 'Specified access key is not found.',
      status: 404,
    });
    backend.alibabaKeys.set(key.accessKeyId, key.accessKeySecret);
    await expect(backend.alibabaBill(access)).resolves.toBeUndefined();
    expect((await refusal(backend.alibabaBill({ ...access, accessKeySecret: 'not-the-secret' }))).code).toBe(
      'SignatureDoesNotMatch',
    );
    backend.alibabaKeys.delete(key.accessKeyId);
    expect((await refusal(backend.alibabaBill(access))).code).toBe('InvalidAccessKeyId.NotFound');
  });
});

describe('cloudSimBackend clients and failures', () => {
  it('reuses one SDK client per credential, builds a new one for a new secret, and keeps at most maxClients', async () => {
    const own = cloudSimBackend(sim, { maxClients: 2 });
    const keys = [awsAccessKey('kubecost-cache'), awsAccessKey('kubecost-cache'), awsAccessKey('kubecost-cache')];
    for (const key of keys) trustCredential(sim, key);
    const [first, second, third] = keys as [(typeof keys)[0], (typeof keys)[0], (typeof keys)[0]];
    for (let i = 0; i < 10; i++) await own.writeObject(s3Store(first), `cache/${i}`, '{}');
    expect(own.stats()).toMatchObject({ clientsBuilt: 1, clientsCached: 1, requests: { 's3:PutObject': 10 } });
    await refusal(
      own.writeObject(
        s3Store({ accessKeyId: first.accessKeyId, secretAccessKey: second.secretAccessKey }),
        'cache/x',
        '{}',
      ),
    );
    expect(own.stats().clientsBuilt).toBe(2);
    await own.readObject(s3Store(second), 'cache/0');
    await own.readObject(s3Store(third), 'cache/0');
    expect(own.stats()).toMatchObject({ clientsBuilt: 4, clientsCached: 2 });
    own.close();
    expect(own.stats().clientsCached).toBe(0);
    await own.readObject(s3Store(third), 'cache/0');
  });

  it("makes concurrent writes and reads of one S3 object one at a time, so s3rver's non-atomic writes never answer InternalError", async () => {
    const key = awsAccessKey('kubecost-federated');
    trustCredential(sim, key);
    const store = s3Store(key, 'acme-s3-concurrent');
    const body = JSON.stringify({ etl: 'x'.repeat(64 * 1024) });
    await backend.writeObject(store, 'federated/cluster-1/etl.json', body);
    const calls = Array.from({ length: 40 }, (_, i) =>
      i % 2 === 0
        ? backend.writeObject(store, 'federated/cluster-1/etl.json', body)
        : backend.readObject(store, 'federated/cluster-1/etl.json'),
    );
    expect((await Promise.allSettled(calls)).filter((r) => r.status === 'rejected')).toEqual([]);
  });

  it('turns any other failure into a CloudCallError, without the secret: an unreachable cloud, a key file that is not JSON', async () => {
    const gone = await startCloudSim();
    const stale = cloudSimBackend(gone);
    await gone.stop();
    const key = awsAccessKey('kubecost-thanos');
    const unreachable = await refusal(stale.writeObject(s3Store(key), 'x', '{}'));
    expect(unreachable.code).toBe('ECONNREFUSED');
    expect(unreachable.message).not.toContain(key.secretAccessKey);
    const broken = await refusal(
      backend.bigQuery({
        projectId: 'acme-billing',
        dataset: 'd',
        table: 't',
        keyJson: '{"private_key": "-----BEGIN PRIVATE KEY-----\nMIIE',
      }),
    );
    expect(broken.code).toBe('invalid_key');
    expect(broken.message).not.toContain('MIIE');
    stale.close();
  });
});

// ------------------------------------------------------------------------------------ a fleet on the backend

interface RunningLayout {
  readonly logs: TappedLog[];
  readonly backend: CloudSimBackend;
  readonly credentials: Map<string, FakeCredential>;
  stop(): Promise<void>;
}

async function runLayout(name: LayoutName): Promise<RunningLayout> {
  const fleet = await startFleet({ clusters: LAYOUT_CLUSTERS[name] });
  const fleetBackend = cloudSimBackend(sim);
  const logs: TappedLog[] = [];
  for (const cluster of fleet.clusters) {
    bindKubecostPrograms(cluster, fleetBackend, { intervalMs: 200 });
    cluster.kubelet.tapLogs((entry) => logs.push({ ...entry, namespace: `${cluster.name}/${entry.namespace}` }));
  }
  // In the same tick as the install: no component runs before its keys are valid.
  const layout = installLayout(fleet, name);
  prepareCloudForLayout(sim, layout, fleetBackend.alibabaKeys);
  return {
    logs,
    backend: fleetBackend,
    credentials: layout.credentials,
    stop: async () => {
      await fleet.stop();
      fleetBackend.close();
    },
  };
}

/**
 * How long a fleet's components get to show a line: events waited for, bounded generously, since a
 * fleet starting beside a CPU-bound job takes many seconds (budgets of 3-5 s failed at load 11).
 */
const FLEET_WAIT_MS = 40_000;

const linesOf = (logs: readonly TappedLog[], container: string) =>
  logs.filter((l) => l.container === container).map((l) => l.line);

describe('a fleet whose Kubecost components use cloud-sim through cloudSimBackend', () => {
  it('v1-thanos: every component logs success and no auth failure; after the Thanos S3 key is revoked the sidecar and store log InvalidAccessKeyId', async () => {
    const world = await runLayout('v1-thanos');
    try {
      await waitFor(
        'a success line from every kind of component',
        () =>
          linesOf(world.logs, 'thanos-sidecar').some((l) => l.includes('msg="upload new block"')) &&
          linesOf(world.logs, 'thanos-store').some((l) =>
            l.includes('msg="successfully synchronized block metadata"'),
          ) &&
          linesOf(world.logs, 'thanos-compact').some((l) =>
            l.includes('msg="successfully synchronized block metadata"'),
          ) &&
          linesOf(world.logs, 'cost-model').some((l) =>
            / INF ETL: uploaded s3 object acme-kubecost-thanos\//.test(l),
          ) &&
          [
            '123456789012/s3://aws-athena-query-results-123456789012-us-east-1',
            'acme-billing/billing_export.gcp_billing_export_resource_v1_01AB23_45CD67_89EF01',
            '0bd50fdf-c923-4e1e-850c-196dd3dcc5d3/costexports',
          ].every((key) =>
            linesOf(world.logs, 'cost-model').some((l) => l.includes(`INF CloudCost[${key}]: ingestor: completed run`)),
          ),
        FLEET_WAIT_MS,
      );
      await new Promise((r) => setTimeout(r, 1000));
      const all = world.logs.map((l) => l.line);
      expect(scanLogForAuthFailures(all.join('\n'))).toEqual([]);
      expect(all.filter((l) => / ERR |level=error/.test(l))).toEqual([]);
      // Two clusters, a dozen components calling every 200 ms, and one client per credential:
      // the Thanos S3 key, the Athena key, the GCP key and the Azure key. One token for the GCP key.
      const stats = world.backend.stats();
      expect(stats).toMatchObject({ clientsBuilt: 4, requests: { 'gcp:token': 1 } });
      expect(stats.totalRequests).toBeGreaterThan(50);

      const thanosKey = world.credentials.get('thanos-s3');
      if (thanosKey?.provider !== 'aws') throw new Error('v1-thanos has an AWS thanos-s3 key');
      const revokedAt = world.logs.length;
      distrustCredential(sim, thanosKey);
      const after = () => world.logs.slice(revokedAt);
      const refused = await waitFor(
        'the sidecar and the store to log the refusal',
        () => {
          const sidecar = after().find((l) => l.container === 'thanos-sidecar' && l.line.startsWith('level=error'));
          const store = after().find((l) => l.container === 'thanos-store' && l.line.startsWith('level=error'));
          return sidecar && store ? { sidecar: sidecar.line, store: store.line } : undefined;
        },
        FLEET_WAIT_MS,
      );
      expect(refused.sidecar).toMatch(
        /^level=error ts=\S+ caller=shipper\.go:343 msg="shipping failed" block=01J\w+ err="upload chunks: upload file 01J\w+\/meta\.json: The AWS Access Key Id you provided does not exist in our records\. \(InvalidAccessKeyId\)"$/,
      );
      expect(refused.store).toMatch(
        /^level=error ts=\S+ caller=bucket\.go:641 msg="bucket store initial sync" err="The AWS Access Key Id you provided does not exist in our records\. \(InvalidAccessKeyId\)\\nBaseFetcher: iter bucket"$/,
      );
      expect(
        scanLogForAuthFailures(
          after()
            .map((l) => l.line)
            .join('\n'),
        ).map((f) => f.pattern),
      ).toEqual(['AWS InvalidAccessKeyId']);
      // The billing integrations use other keys and keep working.
      const billingAfter = await waitFor('an Athena run after the revocation', () =>
        after().find((l) =>
          l.line.includes(
            'INF CloudCost[123456789012/s3://aws-athena-query-results-123456789012-us-east-1]: ingestor: completed run',
          ),
        ),
      );
      expect(billingAfter.container).toBe('cost-model');
    } finally {
      await world.stop();
    }
  }, 180_000);

  const ATHENA_123 = '123456789012/s3://aws-athena-query-results-123456789012-us-east-1';
  const EXPECTED: Partial<
    Record<
      Exclude<LayoutName, 'v1-thanos'>,
      { integrations: string[]; store: 's3' | 'gcs' | 'azure'; readers: string[] }
    >
  > = {
    'v2-single': {
      integrations: [ATHENA_123, '0bd50fdf-c923-4e1e-850c-196dd3dcc5d3/costexports'],
      store: 'gcs',
      readers: [],
    },
    'v2-federated': {
      integrations: [
        '123456789012/acme-cur-exports',
        'acme-billing/billing_export.gcp_billing_export_resource_v1_01AB23_45CD67_89EF01',
        '0bd50fdf-c923-4e1e-850c-196dd3dcc5d3/costexports/daily',
      ],
      store: 'gcs',
      readers: ['aggregator', 'diagnostics'],
    },
    v3: {
      integrations: [
        '210987654321/s3://aws-athena-query-results-210987654321-us-east-1',
        'acme-billing/billing_export.gcp_billing_export_v1',
      ],
      store: 'azure',
      readers: ['aggregator'],
    },
    mixed: {
      integrations: [ATHENA_123, 'acme-billing/billing_export.gcp_billing_export_v1', '1234567890123456/cn-hangzhou'],
      store: 's3',
      readers: ['aggregator'],
    },
  };

  it.each(Object.keys(EXPECTED) as (keyof typeof EXPECTED)[])(
    '%s: every integration completes runs, the federated store is written (and read), and no line reports an auth failure',
    async (name) => {
      const expected = EXPECTED[name];
      if (!expected) throw new Error(`no expectations for ${name}`);
      const world = await runLayout(name);
      try {
        const lines = () => world.logs.map((l) => l.line);
        await waitFor(
          'a success line of every integration and store user',
          () => {
            const all = lines();
            return (
              expected.integrations.every((key) =>
                all.some((l) => l.includes(` INF CloudCost[${key}]: ingestor: completed run`)),
              ) &&
              all.some((l) => l.includes(` INF ETL: uploaded ${expected.store} object `)) &&
              expected.readers.every((c) =>
                linesOf(world.logs, c).some((l) => l.includes(` INF ETL: read ${expected.store} object `)),
              )
            );
          },
          FLEET_WAIT_MS,
        );
        await new Promise((r) => setTimeout(r, 1000));
        expect(scanLogForAuthFailures(lines().join('\n'))).toEqual([]);
        expect(lines().filter((l) => / ERR |level=error/.test(l))).toEqual([]);
      } finally {
        await world.stop();
      }
    },
    120_000,
  );
});
