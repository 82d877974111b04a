/** Starts a fleet with a Kubecost layout installed, and discovers it through the real clients. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discover } from '../../src/kubecost/discover.js';
import type { Inventory } from '../../src/kubecost/inventory.js';
import { selectClusters } from '../../src/kube/kubeconfig.js';
import { startFleet, type Fleet } from '../../src/sim/kube/index.js';
import { installLayout, LAYOUT_CLUSTERS, type InstalledLayout, type LayoutName } from '../../src/sim/kubecost/index.js';

export interface LayoutWorld {
  readonly fleet: Fleet;
  readonly layout: InstalledLayout;
  readonly kubeconfig: string;
  discover(options?: { namespace?: string; contexts?: string[] }): Promise<Inventory>;
  stop(): Promise<void>;
}

export async function startLayout(
  name: LayoutName,
  clusters = LAYOUT_CLUSTERS[name],
  beforeInstall?: (fleet: Fleet) => void,
): Promise<LayoutWorld> {
  const dir = await mkdtemp(join(tmpdir(), `kubecost-rotate-${name}-`));
  const kubeconfig = join(dir, 'kubeconfig');
  const fleet = await startFleet({ clusters, kubeconfigPath: kubeconfig });
  beforeInstall?.(fleet);
  const layout = installLayout(fleet, name);
  return {
    fleet,
    layout,
    kubeconfig,
    discover: (options = {}) =>
      discover(
        selectClusters({ kubeconfig, ...(options.contexts ? { contexts: options.contexts } : { allContexts: true }) }),
        { ...(options.namespace ? { namespace: options.namespace } : {}), timeoutMs: 3000 },
      ),
    stop: async () => {
      await fleet.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Consumers as kind/name:container(mount path)[role]. */
function consumerText(consumers: Inventory['sites'][number]['consumers']): string {
  return (
    consumers.map((c) => `${c.kind}/${c.name}:${c.container}(${c.mount} ${c.path})[${c.role}]`).join(' ') || 'nobody'
  );
}

/** A site as one line: id, format, kind, and its consumers as kind/name:container(mount path)[role]. */
export function siteLines(inventory: Inventory): string[] {
  return inventory.sites.map((s) => `${s.id} ${s.format} ${s.kind} <- ${consumerText(s.consumers)}`);
}

/** A place with no key as one line: id, format, why, and its consumers. */
export function keylessLines(inventory: Inventory): string[] {
  return inventory.keylessSites.map((k) => `${k.id} ${k.format} ${k.reason} <- ${consumerText(k.consumers)}`);
}

/** An installation as one line: cluster, namespace/release, layout, role, chart. */
export function installationLines(inventory: Inventory): string[] {
  return inventory.installations.map(
    (i) => `${i.cluster} ${i.namespace}/${i.release} ${i.layout} ${i.role} ${i.chartVersion ?? '-'}`,
  );
}

/** Warnings as `code cluster/namespace/secret workload`, sorted. */
export function warningLines(inventory: Inventory): string[] {
  return inventory.warnings
    .map((w) => `${w.code} ${w.cluster}/${w.namespace ?? ''}/${w.secret ?? ''}${w.workload ? ` ${w.workload}` : ''}`)
    .sort();
}
