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

/** A site as one line: id, format, and its consumers as kind/name:container(mount path)[role]. */
export function siteLines(inventory: Inventory): string[] {
  return inventory.sites.map(
    (s) =>
      `${s.id} ${s.format} <- ${s.consumers.map((c) => `${c.kind}/${c.name}:${c.container}(${c.mount} ${c.path})[${c.role}]`).join(' ') || 'nobody'}`,
  );
}
