/**
 * The rollout preflight of a plan (issue 8 defect 7): before anything is written, every workload
 * the rotation would restart is read with its pods, and a rotation that could not roll out is
 * refused with what to do (ConfigError: exit 2, nothing written, no journal).
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { KubeClient, WorkloadKind } from '../kube/client.js';
import { ConfigError } from '../shared/errors.js';
import { podsOwnedBy } from '../verify/pods.js';
import { rolloutBlockers, type RolloutBlocker } from '../verify/readiness.js';
import type { Inventory } from '../kubecost/inventory.js';
import type { Fleet } from './journal/find.js';
import type { RotationPlan } from './plan-types.js';

/** What keeps the plan's restarts from rolling out, read from the clusters (one list per namespace and kind). */
export async function findRolloutBlockers(plan: RotationPlan, fleet: Fleet): Promise<RolloutBlocker[]> {
  const groups = new Map<
    string,
    { client: KubeClient; namespace: string; restarts: RotationPlan['restarts'][number][] }
  >();
  for (const r of plan.restarts) {
    const client = fleet.clients.get(r.cluster);
    if (!client) continue;
    const key = `${r.cluster}/${r.namespace}`;
    const group = groups.get(key) ?? { client, namespace: r.namespace, restarts: [] };
    group.restarts.push(r);
    groups.set(key, group);
  }
  const found = await Promise.all(
    [...groups.values()].map(async ({ client, namespace, restarts }) => {
      const kinds = [...new Set(restarts.map((r) => r.kind))];
      const [pods, ...lists] = await Promise.all([
        client.listPods(namespace, ''),
        ...kinds.map((kind) => client.listWorkloads(kind, namespace)),
      ]);
      const workloads = new Map(kinds.map((kind, i) => [kind, lists[i]?.items ?? []] as const));
      return restarts.flatMap((r) => {
        const workload = workloads.get(r.kind as WorkloadKind)?.find((w) => w.metadata?.name === r.name);
        if (!workload) return [];
        return rolloutBlockers(r, workload, podsOwnedBy(r.kind, workload, pods as V1Pod[]).pods);
      });
    }),
  );
  return found.flat();
}

/** Workloads to restart that reference a Secret (or data key) that does not exist: their pods cannot start. */
export function missingSecretBlockers(inventory: Inventory, plan: RotationPlan): RolloutBlocker[] {
  const restarted = new Set(plan.restarts.map((r) => `${r.cluster}/${r.namespace}/${r.kind}/${r.name}`));
  return inventory.warnings
    .filter((w) => w.code === 'MissingSecret' && restarted.has(`${w.cluster}/${w.namespace ?? ''}/${w.workload ?? ''}`))
    .map((w) => ({
      reason: 'MissingSecret',
      message: w.message,
      fix: `Create the missing Secret (or make the reference optional) in ${w.namespace ?? ''} on ${w.cluster}, then plan again.`,
      passableWithAllowUnready: false,
    }));
}

/** Refuses a plan whose restarts could not roll out; `allowUnready` lets pods that cannot start now through. */
export function refuseBlockedRollouts(blockers: readonly RolloutBlocker[], allowUnready: boolean): void {
  const refused = blockers.filter((b) => !(allowUnready && b.passableWithAllowUnready));
  if (refused.length === 0) return;
  throw new ConfigError(
    `${refused.length === 1 ? 'a workload' : `${refused.length} workloads`} this rotation restarts could not roll out, so nothing was written: ${refused.map((b) => b.message).join(' ')}`,
    refused.map((b) => b.fix).join(' '),
  );
}
