/**
 * A layout whose simulated Kubecost components really use their keys. By default against
 * cloud-sim through the official SDKs (S3, Athena, GCS, BigQuery, Azure Blob), with the direct
 * probe of rotations pointed at it; or, for the long crash matrix, against an in-memory key set.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  distrustCredential,
  startCloudSim,
  trustCredential,
  cloudSimBackend,
  prepareCloudForLayout,
  provisionResources,
  type CloudSim,
} from '../../src/sim/cloud/index.js';
import { SIM_RESOURCES, type TappedLog } from '../../src/sim/kube/index.js';
import {
  bindKubecostPrograms,
  memoryBackend,
  withGcpPricing,
  type CloudBackend,
  type FakeCredential,
  type LayoutName,
  type MemoryKeys,
} from '../../src/sim/kubecost/index.js';
import { startLayout, type LayoutWorld } from '../kubecost/layout-support.js';
import { waitFor } from '../support/kube.js';

export interface RotationWorld extends LayoutWorld {
  /** Makes a key valid at its (emulated) provider, next to the others. */
  allow(credential: FakeCredential): void;
  /** Revokes a key at its provider. */
  revoke(credential: FakeCredential): void;
  /** Writes a key file for the CLI and returns its path. */
  keyFile(name: string, content: unknown): Promise<string>;
  /** Every log line any container wrote since the layout started, with where it came from. */
  readonly logs: TappedLog[];
  /** Flags that point the rotation's direct probe at this world's clouds (empty for the in-memory backend: no probe). */
  readonly probeFlags: string[];
  readonly cloud?: CloudSim;
}

export async function startRotationWorld(
  name: LayoutName,
  options: { backend?: 'cloud' | 'memory' } = {},
): Promise<RotationWorld> {
  const useCloud = (options.backend ?? 'cloud') === 'cloud';
  const gcpApiKeys = new Set<string>();
  const keys: MemoryKeys = { aws: new Map(), gcp: new Set(), azure: new Map(), alibaba: new Map(), gcpApiKeys };
  const cloud = useCloud ? await startCloudSim() : undefined;
  const simBackend = cloud ? cloudSimBackend(cloud, { alibabaKeys: keys.alibaba }) : undefined;
  // GCP API keys have no emulator: the pricing API checks the same set with either backend.
  const backend: CloudBackend = simBackend ? withGcpPricing(simBackend, gcpApiKeys) : memoryBackend(keys);
  const logs: TappedLog[] = [];
  const world = await startLayout(name, undefined, (fleet) => {
    for (const cluster of fleet.clusters) {
      bindKubecostPrograms(cluster, backend, { intervalMs: 200, configReloadMs: 1000 });
      cluster.kubelet.tapLogs((entry) => logs.push({ ...entry, namespace: `${cluster.name}/${entry.namespace}` }));
    }
  });
  const allow = (c: FakeCredential) => {
    if (c.provider === 'alibaba') keys.alibaba.set(c.accessKeyId, c.accessKeySecret);
    else if (c.provider === 'gcp-api-key') gcpApiKeys.add(c.apiKey);
    else if (cloud) trustCredential(cloud, c);
    else if (c.provider === 'aws') keys.aws.set(c.accessKeyId, c.secretAccessKey);
    else if (c.provider === 'gcp') keys.gcp.add(c.privateKeyId);
    else keys.azure.set(c.accountName, new Set([...(keys.azure.get(c.accountName) ?? []), c.accountKey]));
  };
  const revoke = (c: FakeCredential) => {
    if (c.provider === 'alibaba') keys.alibaba.delete(c.accessKeyId);
    else if (c.provider === 'gcp-api-key') gcpApiKeys.delete(c.apiKey);
    else if (cloud) distrustCredential(cloud, c);
    else if (c.provider === 'aws') keys.aws.delete(c.accessKeyId);
    else if (c.provider === 'gcp') keys.gcp.delete(c.privateKeyId);
    else keys.azure.get(c.accountName)?.delete(c.accountKey);
  };
  // In the same tick as the install: no component starts before its keys are valid.
  if (cloud) prepareCloudForLayout(cloud, world.layout, keys.alibaba);
  for (const c of world.layout.credentials.values()) if (!cloud || c.provider === 'gcp-api-key') allow(c);
  // The buckets, containers and tables the Secrets name exist before anything reads them, as at a real cloud.
  if (cloud) await provisionResources(cloud, world.layout.documents ?? []);
  // Everything that can run is running (cluster-3 of "mixed" waits for a Secret that does not exist).
  await waitFor('the layout to be running', () =>
    world.fleet.clusters.every((c) =>
      c.api
        .select(SIM_RESOURCES.pods, undefined)
        .filter((p) => p.metadata.namespace !== 'monitoring')
        .every((p) => (p.status as { phase?: string } | undefined)?.phase === 'Running'),
    ),
  );
  const dir = join(world.kubeconfig, '..');
  const probeFlags: string[] = [];
  if (cloud) {
    const endpoints = join(dir, 'provider-endpoints.json');
    await writeFile(endpoints, JSON.stringify(cloud.endpoints));
    probeFlags.push('--provider-endpoints', endpoints);
  }
  return {
    ...world,
    allow,
    revoke,
    logs,
    probeFlags,
    ...(cloud ? { cloud } : {}),
    keyFile: async (file, content) => {
      const path = join(dir, file);
      await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content), { mode: 0o600 });
      return path;
    },
    stop: async () => {
      await world.stop();
      simBackend?.close();
      await cloud?.stop();
    },
  };
}
