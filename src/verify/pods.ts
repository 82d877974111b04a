/**
 * Which pods are a workload's own (issue 8 defect 6): found through their owner, never by labels
 * alone. Pure. A Deployment's pods are owned by one of its ReplicaSets (named
 * `<deployment>-<pod-template-hash>`, the hash the pod carries); a StatefulSet's by the StatefulSet
 * itself (its uid). A pod that finished (Succeeded, Failed: an evicted pod), is being deleted, or
 * has another owner or none (a `kubectl debug --copy-to` copy with the same labels) is skipped.
 */
import type { V1LabelSelector, V1ObjectMeta, V1Pod } from '@kubernetes/client-node';
import type { WorkloadKind } from '../kube/client.js';

/** A label selector in the syntax of `labelSelector=`: matchLabels and matchExpressions. Empty selects everything. */
export function labelSelectorText(selector: V1LabelSelector | undefined): string {
  const terms = Object.entries(selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector?.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(',');
    switch (e.operator) {
      case 'In':
        terms.push(`${e.key} in (${values})`);
        break;
      case 'NotIn':
        terms.push(`${e.key} notin (${values})`);
        break;
      case 'Exists':
        terms.push(e.key);
        break;
      case 'DoesNotExist':
        terms.push(`!${e.key}`);
        break;
      default:
        // The API server refuses any other operator in a workload; select nothing rather than everything.
        throw new Error(`unknown label selector operator "${e.operator}" on key ${e.key}`);
    }
  }
  return terms.join(',');
}

/** A pod left out of verification, and why. */
export interface SkippedPod {
  readonly name: string;
  readonly why: string;
}

/** The workload's own live pods among `pods`, and the others with why they were left out. */
export function podsOwnedBy(
  kind: WorkloadKind,
  workload: { readonly metadata?: V1ObjectMeta },
  pods: readonly V1Pod[],
): { readonly pods: V1Pod[]; readonly skipped: SkippedPod[] } {
  const name = workload.metadata?.name ?? '';
  const uid = workload.metadata?.uid;
  const own: V1Pod[] = [];
  const skipped: SkippedPod[] = [];
  for (const pod of pods) {
    const podName = pod.metadata?.name ?? '';
    if (pod.metadata?.deletionTimestamp) continue;
    const phase = pod.status?.phase;
    const owner = pod.metadata?.ownerReferences?.find((r) => r.controller === true);
    const mine =
      kind === 'Deployment'
        ? owner?.kind === 'ReplicaSet' && owner.name === `${name}-${pod.metadata?.labels?.['pod-template-hash'] ?? ''}`
        : owner?.kind === kind && owner.name === name && (!uid || !owner.uid || owner.uid === uid);
    if (!mine)
      skipped.push({
        name: podName,
        why: owner ? `owned by ${owner.kind} ${owner.name}, not ${kind} ${name}` : 'no owner: not one of its pods',
      });
    else if (phase === 'Succeeded' || phase === 'Failed')
      skipped.push({ name: podName, why: `${phase}${pod.status?.reason ? ` (${pod.status.reason})` : ''}` });
    else own.push(pod);
  }
  return { pods: own, skipped };
}
