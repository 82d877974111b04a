/** A layout with simulated Kubecost components that really use their keys (in-memory key checks). */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SIM_RESOURCES, type TappedLog } from '../../src/sim/kube/index.js';
import { bindKubecostPrograms, memoryBackend, type FakeCredential, type LayoutName, type MemoryKeys } from '../../src/sim/kubecost/index.js';
import { startLayout, type LayoutWorld } from '../kubecost/layout-support.js';
import { waitFor } from '../support/kube.js';

export interface RotationWorld extends LayoutWorld {
  readonly keys: MemoryKeys;
  allow(credential: FakeCredential): void;
  /** Writes a key file for the CLI and returns its path. */
  keyFile(name: string, content: unknown): Promise<string>;
  /** Every log line any container wrote since the layout started, with where it came from. */
  readonly logs: TappedLog[];
}

export async function startRotationWorld(name: LayoutName): Promise<RotationWorld> {
  const keys: MemoryKeys = { aws: new Map(), gcp: new Set(), azure: new Map(), alibaba: new Map() };
  const backend = memoryBackend(keys);
  const logs: TappedLog[] = [];
  const world = await startLayout(name, undefined, (fleet) => {
    for (const cluster of fleet.clusters) {
      bindKubecostPrograms(cluster, backend, { intervalMs: 200, configReloadMs: 1000 });
      cluster.kubelet.tapLogs((entry) => logs.push({ ...entry, namespace: `${cluster.name}/${entry.namespace}` }));
    }
  });
  const allow = (c: FakeCredential) => {
    if (c.provider === 'aws') keys.aws.set(c.accessKeyId, c.secretAccessKey);
    else if (c.provider === 'gcp') keys.gcp.add(c.privateKeyId);
    else if (c.provider === 'azure') keys.azure.set(c.accountName, new Set([...(keys.azure.get(c.accountName) ?? []), c.accountKey]));
    else keys.alibaba.set(c.accessKeyId, c.accessKeySecret);
  };
  for (const c of world.layout.credentials.values()) allow(c);
  // Everything that can run is running (cluster-3 of "mixed" waits for a Secret that does not exist).
  await waitFor('the layout to be running', () =>
    world.fleet.clusters.every((c) => c.api.select(SIM_RESOURCES.pods, undefined).filter((p) => !String((p.metadata.labels ?? {}).app ?? '').includes('cost-analyzer') || p.metadata.namespace !== 'monitoring').every((p) => (p.status as { phase?: string } | undefined)?.phase === 'Running')),
  );
  const dir = join(world.kubeconfig, '..');
  return {
    ...world,
    keys,
    allow,
    keyFile: async (file, content) => {
      const path = join(dir, file);
      await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content), { mode: 0o600 });
      return path;
    },
    logs,
  };
}
