/**
 * Transient failures on the storage path of the simulated Kubecost programs: like the SDKs the
 * real programs use, cloudSimBackend tries a call again (a bounded number of times) after a reset
 * connection or a 5xx, and never after a refusal of the key; and a 3.x component logs its
 * auth-failure line only for a refusal, so a busy emulator is not taken for a revoked key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cloudSimBackend,
  distrustCredential,
  prepareCloudForLayout,
  startCloudSim,
  trustCredential,
  type CloudSim,
  type CloudSimBackend,
} from '../../src/sim/cloud/index.js';
import { startFleet, type TappedLog } from '../../src/sim/kube/index.js';
import { CloudCallError, type ObjectStoreAccess } from '../../src/sim/kubecost/backend.js';
import {
  awsAccessKey,
  azureStorageKey,
  gcpServiceAccountKey,
  type GcpServiceAccountKey,
} from '../../src/sim/kubecost/credentials.js';
import { bindKubecostPrograms, installLayout, LAYOUT_CLUSTERS } from '../../src/sim/kubecost/index.js';
import { scanLogForAuthFailures } from '../../src/verify/checks.js';
import { startFaultProxy, type Fault, type FaultProxy } from '../support/fault-proxy.js';
import { waitFor } from '../support/kube.js';

/** Events waited for, bounded generously: a fleet beside a CPU-bound job is slow to start. */
const FLEET_WAIT_MS = 30_000;

let sim: CloudSim;
let proxies: { s3: FaultProxy; gcs: FaultProxy; azureBlob: FaultProxy };
let backend: CloudSimBackend;
let gcpKey: GcpServiceAccountKey;

beforeAll(async () => {
  sim = await startCloudSim();
  proxies = {
    s3: await startFaultProxy(sim.endpoints.s3),
    gcs: await startFaultProxy(sim.endpoints.gcs),
    azureBlob: await startFaultProxy(sim.endpoints.azureBlob),
  };
  backend = cloudSimBackend(sim, {
    endpoints: { s3: proxies.s3.url, gcs: proxies.gcs.url, azureBlob: proxies.azureBlob.url },
  });
  gcpKey = gcpServiceAccountKey('kubecost-federated', 'acme-platform');
  trustCredential(sim, gcpKey);
});

afterAll(async () => {
  backend.close();
  await Promise.all(Object.values(proxies).map((p) => p.stop()));
  await sim.stop();
});

type Store = 'S3' | 'GCS' | 'AZURE';
const proxyOf = (store: Store) => (store === 'S3' ? proxies.s3 : store === 'GCS' ? proxies.gcs : proxies.azureBlob);

/** A store the backend can write with a trusted key, and one whose key cloud-sim refuses. */
function stores(store: Store): { good: ObjectStoreAccess; refused: ObjectStoreAccess } {
  if (store === 'S3') {
    const good = awsAccessKey('kubecost-transient');
    trustCredential(sim, good);
    const access = (k: typeof good) => ({
      bucket: 'acme-transient',
      endpoint: 's3.amazonaws.com',
      region: 'us-east-1',
      accessKeyId: k.accessKeyId,
      secretAccessKey: k.secretAccessKey,
    });
    return {
      good: { type: 'S3', access: access(good) },
      refused: { type: 'S3', access: access(awsAccessKey('kubecost-transient')) },
    };
  }
  if (store === 'GCS') {
    return {
      good: { type: 'GCS', access: { bucket: 'acme-transient', serviceAccountJson: gcpKey.json } },
      // The same service account and key id with a key cloud-sim does not trust: invalid_grant.
      refused: {
        type: 'GCS',
        access: { bucket: 'acme-transient', serviceAccountJson: gcpKey.json.replace(/"kubecost-federated@/, '"x@') },
      },
    };
  }
  const good = azureStorageKey('acmetransient', 'key1');
  trustCredential(sim, good);
  const access = (accountKey: string) => ({ account: 'acmetransient', accountKey, container: 'transient' });
  return {
    good: { type: 'AZURE', access: access(good.accountKey) },
    refused: { type: 'AZURE', access: access(azureStorageKey('acmetransient', 'key2').accountKey) },
  };
}

/** Only the data-plane calls of the store (not GCS's token request). */
const dataPlane = (store: Store) => (req: { url?: string | undefined }) =>
  store !== 'GCS' || /^\/(upload\/)?storage\//.test(req.url ?? '');

describe('cloudSimBackend on a storage path that fails once', () => {
  const cases: [Store, Fault][] = [
    ['S3', 'reset'],
    ['S3', 503],
    ['GCS', 'reset'],
    ['GCS', 503],
    ['AZURE', 'reset'],
    ['AZURE', 503],
  ];
  it.each(cases)('%s: a write that meets a %s once is tried again and succeeds', async (store, fault) => {
    const { good } = stores(store);
    await backend.writeObject(good, 'warm-up', '{}');
    const proxy = proxyOf(store);
    const before = proxy.injected.length;
    const seen = proxy.requests();
    proxy.inject(fault, 1, dataPlane(store));
    await expect(backend.writeObject(good, `after-${String(fault)}`, '{}')).resolves.toBeUndefined();
    expect(proxy.injected.slice(before)).toHaveLength(1);
    // The faulted request and its retry.
    expect(proxy.requests() - seen).toBeGreaterThanOrEqual(2);
  });

  it.each(['S3', 'GCS', 'AZURE'] as Store[])(
    '%s: gives up after three tries of a fault that persists, with a network error that is no refusal of the key',
    async (store) => {
      const { good } = stores(store);
      await backend.writeObject(good, 'warm-up', '{}');
      const proxy = proxyOf(store);
      const before = proxy.injected.length;
      proxy.inject('reset', 10, dataPlane(store));
      const error = await backend.writeObject(good, 'never', '{}').then(
        () => undefined,
        (e: unknown) => e,
      );
      const injected = proxy.injected.length - before;
      proxy.clear();
      expect(error).toBeInstanceOf(CloudCallError);
      expect(injected).toBe(3);
      expect((error as CloudCallError).status).toBeUndefined();
      expect(
        scanLogForAuthFailures(`${(error as CloudCallError).message} (${(error as CloudCallError).code})`),
      ).toEqual([]);
    },
  );

  it.each(['S3', 'GCS', 'AZURE'] as Store[])(
    '%s: a refused key is answered once, not tried again, and stays an auth failure',
    async (store) => {
      const { refused } = stores(store);
      const proxy = proxyOf(store);
      const seen = proxy.requests();
      const error = await backend.writeObject(refused, 'refused', '{}').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CloudCallError);
      const e = error as CloudCallError;
      expect(scanLogForAuthFailures(`${e.message} (${e.code})`)).not.toEqual([]);
      // GCS: the token request is refused (it goes to the token endpoint, not through the proxy).
      expect(proxy.requests() - seen).toBe(store === 'GCS' ? 0 : 1);
    },
  );
});

describe('a Kubecost 3.x fleet whose federated store (Azure) resets a connection', () => {
  it('logs no auth failure and carries on after a reset; logs a warning without refusal wording when every retry fails; and still logs its auth-failure line for a revoked key', async () => {
    const proxy = await startFaultProxy(sim.endpoints.azureBlob);
    const fleetBackend = cloudSimBackend(sim, { endpoints: { azureBlob: proxy.url } });
    const fleet = await startFleet({ clusters: LAYOUT_CLUSTERS.v3 });
    const logs: TappedLog[] = [];
    try {
      for (const cluster of fleet.clusters) {
        bindKubecostPrograms(cluster, fleetBackend, { intervalMs: 200 });
        cluster.kubelet.tapLogs((entry) => logs.push(entry));
      }
      const layout = installLayout(fleet, 'v3');
      prepareCloudForLayout(sim, layout, fleetBackend.alibabaKeys);
      const uploads = (from: number) =>
        logs.slice(from).filter((l) => l.line.includes(' INF ETL: uploaded azure object '));
      const lines = (from: number) =>
        logs
          .slice(from)
          .map((l) => l.line)
          .join('\n');
      await waitFor('a first upload to the federated store', () => uploads(0).length > 0, FLEET_WAIT_MS);

      // One reset: the SDK's retry carries the write through.
      const resetAt = logs.length;
      proxy.inject('reset', 1, (req) => req.method === 'PUT');
      await waitFor('the reset to be injected', () => proxy.injected.length === 1, FLEET_WAIT_MS);
      await waitFor('two uploads after the reset', () => uploads(resetAt).length >= 2, FLEET_WAIT_MS);
      expect(scanLogForAuthFailures(lines(resetAt))).toEqual([]);
      expect(lines(resetAt)).not.toMatch(/cluster storage failed/);

      // Every write reset for a while (every try of a write fails): a warning, no refusal wording,
      // and once the resets stop the next write succeeds.
      const outageAt = logs.length;
      proxy.inject('reset', Number.POSITIVE_INFINITY, (req) => req.method === 'PUT');
      const warning = await waitFor(
        'the warning of a failed write',
        () => logs.slice(outageAt).find((l) => l.line.includes('cluster storage failed')),
        FLEET_WAIT_MS,
      );
      proxy.clear();
      expect(warning.line).toMatch(
        / WRN ClusterStorage: write to cluster storage failed: .*ECONNRESET.*\. retry in 5s$/,
      );
      const warnedAt = logs.indexOf(warning);
      await waitFor('an upload after the warning', () => uploads(warnedAt).length > 0, FLEET_WAIT_MS);
      expect(scanLogForAuthFailures(lines(outageAt))).toEqual([]);

      // A genuine refusal is still an auth failure.
      const storeKey = layout.credentials.get('federated-azure');
      if (storeKey?.provider !== 'azure') throw new Error('v3 has an Azure federated-azure key');
      const revokedAt = logs.length;
      distrustCredential(sim, storeKey);
      await waitFor(
        'the auth-failure line',
        () =>
          logs.slice(revokedAt).some((l) => l.line.includes('ClusterStorage: failed to connecting cluster storage')),
        FLEET_WAIT_MS,
      );
      expect(scanLogForAuthFailures(lines(revokedAt)).map((f) => f.pattern)).toContain(
        'Kubecost ClusterStorage connection failure',
      );
    } finally {
      await fleet.stop();
      fleetBackend.close();
      await proxy.stop();
    }
  }, 180_000);
});
