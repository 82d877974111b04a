/**
 * `discover` on every sandbox layout gives the same JSON on the real control plane as on kube-sim:
 * the same rendered objects (same Secrets, same keys) are applied to a kube-sim fleet and to real
 * clusters of the same names, and `discover -o json --all-contexts` runs on each through its
 * kubeconfig. Nothing is normalised: discovery reads Secrets, workloads and ServiceAccounts, and
 * reports only what it derives from them (no uid, timestamp, resourceVersion or server address).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet } from '../../src/sim/kube/index.js';
import { LAYOUT_CLUSTERS, LAYOUTS, renderLayout } from '../../src/sim/kubecost/index.js';
import { runCliInProcess } from '../support/capture.js';
import { ownClustersFromEnv } from './support/own-cluster.js';
import { keepLogsOnFailure, startRealWorld, type RealWorld } from './support/world.js';

let world: RealWorld | undefined;
keepLogsOnFailure(() => world);
/** REAL_CLUSTER_KUBECONFIG: clusters of your own instead of kcp's (see support/own-cluster.ts). */
const own = ownClustersFromEnv();

beforeAll(async () => {
  // The mixed layout needs five clusters; the others are rendered for the first three.
  if (!own) world = await startRealWorld({ clusters: 5 });
});

afterAll(async () => {
  await own?.clear();
  await world?.stop();
});

/** kube-sim's answer for the same rendered layout. */
async function onKubeSim(names: readonly string[], rendered: ReturnType<typeof renderLayout>) {
  const dir = await mkdtemp(join(tmpdir(), 'kubecost-rotate-discover-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const fleet = await startFleet({ clusters: names, kubeconfigPath: kubeconfig });
  try {
    for (const c of fleet.clusters) for (const o of rendered.objects.get(c.name) ?? []) c.apply(o);
    return await runCliInProcess(['discover', '-o', 'json', '--kubeconfig', kubeconfig, '--all-contexts']);
  } finally {
    await fleet.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

describe('discover on the real control plane', () => {
  for (const name of LAYOUTS) {
    const clusters = own ? LAYOUT_CLUSTERS[name] : Math.max(3, LAYOUT_CLUSTERS[name]);
    const enough = !own || own.contexts.length >= clusters;
    it.skipIf(!enough)(`gives the same JSON as on kube-sim for the ${name} layout (${clusters} clusters)`, async () => {
      const names = own
        ? own.contexts.slice(0, clusters)
        : Array.from({ length: clusters }, (_, i) => `cluster-${i + 1}`);
      const rendered = renderLayout(name, names);
      let kubeconfig: string;
      if (own) {
        await own.clear();
        await own.install(rendered);
        kubeconfig = own.kubeconfig;
      } else {
        await world?.install(name, { rendered, running: false });
        kubeconfig = world?.kubeconfig ?? '';
      }
      const argv = ['discover', '-o', 'json', '--kubeconfig', kubeconfig, '--context', names.join(',')];
      const real = world ? await world.cli(argv) : await runCliInProcess(argv);
      const sim = await onKubeSim(names, rendered);
      expect(real.stderr).toBe(sim.stderr);
      expect(JSON.parse(real.stdout)).toEqual(JSON.parse(sim.stdout));
      expect(real.code).toBe(sim.code);
      expect(JSON.parse(real.stdout)).toMatchObject({ installations: expect.arrayContaining([expect.anything()]) });
    });
  }
});
