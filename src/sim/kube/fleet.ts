/**
 * startFleet: many simulated clusters in one process, one kubeconfig with a context per cluster,
 * and one clock for all of them. This is what tests and `sandbox up` run against.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SimClock } from './clock.js';
import { SimCluster } from './cluster.js';
import type { PodTiming } from './kubelet.js';
import { renderKubeconfig } from './kubeconfig.js';

export interface FleetOptions {
  /** How many clusters (named cluster-1..N), or their names (also the kubeconfig context names). */
  readonly clusters: number | readonly string[];
  /** Also write the kubeconfig to this path (mode 0600). */
  readonly kubeconfigPath?: string;
  /** Pod latencies for every cluster; defaults suit tests (tens of milliseconds). */
  readonly timing?: Partial<PodTiming>;
  /** How long a Secret update takes to reach mounted volumes (a real kubelet: up to a minute or more). */
  readonly kubeletSyncDelayMs?: number;
  readonly clock?: SimClock;
  /** How many store events each cluster keeps for watches that start from a resourceVersion. */
  readonly historyLimit?: number;
  /** How many recent requests each cluster keeps for assertions (default 500). */
  readonly requestLogLimit?: number;
  /** How many clusters start at once. */
  readonly startConcurrency?: number;
}

export const DEFAULT_TIMING: PodTiming = { startMs: 40, readyMs: 40, terminateMs: 30 };
export const DEFAULT_SYNC_DELAY_MS = 300;

export class Fleet {
  constructor(
    readonly clusters: readonly SimCluster[],
    readonly clock: SimClock,
  ) {}

  /** The cluster with this name (= kubeconfig context). */
  cluster(name: string): SimCluster {
    const found = this.clusters.find((c) => c.name === name);
    if (!found)
      throw new Error(`kube-sim: no cluster named ${name} (have ${this.clusters.map((c) => c.name).join(', ')})`);
    return found;
  }

  /** The kubeconfig YAML (admin token per cluster). */
  kubeconfig(currentContext?: string): string {
    return renderKubeconfig(
      this.clusters.map((c) => ({ context: c.name, server: c.url, caPem: c.caPem, token: c.adminToken })),
      currentContext,
    );
  }

  async writeKubeconfig(path: string): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, this.kubeconfig(), { mode: 0o600 });
    await chmod(path, 0o600);
  }

  async stop(): Promise<void> {
    await Promise.all(this.clusters.map((c) => c.stop()));
    this.clock.cancelAll();
  }
}

export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const names =
    typeof options.clusters === 'number'
      ? Array.from({ length: options.clusters }, (_, i) => `cluster-${i + 1}`)
      : [...options.clusters];
  if (new Set(names).size !== names.length) throw new Error('kube-sim: cluster names must be unique');
  const clock = options.clock ?? new SimClock();
  const timing = { ...DEFAULT_TIMING, ...options.timing };
  const concurrency = options.startConcurrency ?? 16;
  const clusters: SimCluster[] = [];
  try {
    for (let i = 0; i < names.length; i += concurrency) {
      const batch = names.slice(i, i + concurrency);
      clusters.push(
        ...(await Promise.all(
          batch.map((name) =>
            SimCluster.start({
              name,
              clock,
              timing,
              kubeletSyncDelayMs: options.kubeletSyncDelayMs ?? DEFAULT_SYNC_DELAY_MS,
              ...(options.historyLimit ? { historyLimit: options.historyLimit } : {}),
              requestLogLimit: options.requestLogLimit ?? 500,
            }),
          ),
        )),
      );
    }
  } catch (error: unknown) {
    await Promise.all(clusters.map((c) => c.stop()));
    throw error;
  }
  const fleet = new Fleet(clusters, clock);
  if (options.kubeconfigPath) await fleet.writeKubeconfig(options.kubeconfigPath);
  return fleet;
}
