/**
 * Whether a workload can roll out a restart at all (issue 8 defect 7), judged before anything is
 * written: a paused Deployment and an `OnDelete` StatefulSet never roll a changed template out by
 * themselves, and pods that cannot start now (crash loop, image pull, missing config) will not
 * start after a restart either. Pure: it reads the workload and its own pods.
 */
import type { V1Deployment, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import type { WorkloadKind } from '../kube/client.js';

/** Why a workload cannot roll out, and what to do about it. */
export interface RolloutBlocker {
  readonly reason: 'Paused' | 'OnDelete' | 'PodsCannotStart' | 'MissingSecret';
  readonly message: string;
  readonly fix: string;
  /** Whether `--allow-unready` may go on anyway (pods that fail now may start with the new key). */
  readonly passableWithAllowUnready: boolean;
}

/** Container waiting reasons that mean the pod cannot start by itself. */
const CANNOT_START = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

/** What keeps `kind namespace/name` on `cluster` from rolling out a restart; empty when nothing does. */
export function rolloutBlockers(
  where: { readonly cluster: string; readonly namespace: string; readonly kind: WorkloadKind; readonly name: string },
  workload: V1Deployment | V1StatefulSet,
  pods: readonly V1Pod[],
): RolloutBlocker[] {
  const { cluster, namespace, kind, name } = where;
  const what = `${kind} ${namespace}/${name} on ${cluster}`;
  const kubectl = `kubectl --context ${cluster} -n ${namespace}`;
  const out: RolloutBlocker[] = [];
  if (kind === 'Deployment' && (workload as V1Deployment).spec?.paused)
    out.push({
      reason: 'Paused',
      message: `${what} is paused (spec.paused): a restart would never roll out.`,
      fix: `Resume it (${kubectl} rollout resume deployment/${name}) or leave this credential for later, then plan again.`,
      passableWithAllowUnready: false,
    });
  if (kind === 'StatefulSet' && (workload as V1StatefulSet).spec?.updateStrategy?.type === 'OnDelete')
    out.push({
      reason: 'OnDelete',
      message: `${what} updates its pods only when they are deleted (updateStrategy OnDelete): a restart would not roll out.`,
      fix: `Switch it to RollingUpdate (${kubectl} patch statefulset ${name} -p '{"spec":{"updateStrategy":{"type":"RollingUpdate"}}}'), then plan again.`,
      passableWithAllowUnready: false,
    });
  const stuck = pods.flatMap((pod) =>
    [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]
      .filter((c) => CANNOT_START.has(c.state?.waiting?.reason ?? ''))
      .map((c) => `${pod.metadata?.name ?? ''}/${c.name}: ${c.state?.waiting?.reason ?? ''}`),
  );
  if (stuck.length > 0)
    out.push({
      reason: 'PodsCannotStart',
      message: `${what} has pods that cannot start (${stuck.join(', ')}): its rollout would not finish.`,
      fix: `Fix the workload first (${kubectl} describe ${kind.toLowerCase()} ${name}), or pass --allow-unready if the old key is why they fail and the new key will let them start.`,
      passableWithAllowUnready: true,
    });
  return out;
}
