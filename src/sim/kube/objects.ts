/** Small helpers over pod and workload objects, shared by the controllers, the kubelet and the server. */
import { createHash, randomBytes } from 'node:crypto';
import type { ClusterApi } from './api.js';
import { resourceByKind, type ResourceDef } from './resources.js';
import { isRecord, type KubeObject, type OwnerReference } from './types.js';

function mustResource(kind: string): ResourceDef {
  const def = resourceByKind(kind);
  if (!def) throw new Error(`kube-sim: resource ${kind} is not defined`);
  return def;
}

export const R = {
  namespaces: mustResource('Namespace'),
  secrets: mustResource('Secret'),
  configmaps: mustResource('ConfigMap'),
  serviceaccounts: mustResource('ServiceAccount'),
  pods: mustResource('Pod'),
  services: mustResource('Service'),
  events: mustResource('Event'),
  deployments: mustResource('Deployment'),
  statefulsets: mustResource('StatefulSet'),
  replicasets: mustResource('ReplicaSet'),
  daemonsets: mustResource('DaemonSet'),
  controllerrevisions: mustResource('ControllerRevision'),
  jobs: mustResource('Job'),
  cronjobs: mustResource('CronJob'),
  leases: mustResource('Lease'),
  nodes: mustResource('Node'),
  endpoints: mustResource('Endpoints'),
  endpointslices: mustResource('EndpointSlice'),
} as const;

export function rec(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

export function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function num(value: unknown, fallback = 0): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

export function ownedBy(obj: KubeObject, owner: KubeObject): boolean {
  return controllerOf(obj)?.uid === owner.metadata.uid;
}

export function ownerReference(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion ?? 'v1',
    kind: owner.kind ?? '',
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** A short stable hash of a pod template, in the alphabet Kubernetes uses for pod-template-hash. */
export function templateHash(template: unknown, length = 10): string {
  const digest = createHash('sha256')
    .update(JSON.stringify(template ?? {}))
    .digest();
  let out = '';
  for (let i = 0; i < length; i++) out += SAFE_ALPHABET[(digest[i] ?? 0) % SAFE_ALPHABET.length];
  return out;
}

export function condition(obj: KubeObject, type: string): Record<string, unknown> | undefined {
  return arr(rec(obj.status).conditions)
    .map(rec)
    .find((c) => c.type === type);
}

export function isTerminating(obj: KubeObject): boolean {
  return obj.metadata.deletionTimestamp !== undefined;
}

export function isPodReady(pod: KubeObject): boolean {
  return !isTerminating(pod) && condition(pod, 'Ready')?.status === 'True';
}

/** Ready for at least minReadySeconds (the Deployment/ReplicaSet notion of available). */
export function isPodAvailable(pod: KubeObject, minReadySeconds: number, now: number): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = Date.parse(String(condition(pod, 'Ready')?.lastTransitionTime ?? ''));
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= now;
}

/** Records a Kubernetes Event about `obj`, as the controllers and kubelet do. */
export function recordEvent(
  api: ClusterApi,
  obj: KubeObject,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  component: string,
): void {
  const namespace = obj.metadata.namespace ?? 'default';
  const now = api.clock.timestamp();
  try {
    api.create(R.events, namespace, {
      metadata: { name: `${obj.metadata.name ?? 'object'}.${randomBytes(8).toString('hex')}`, namespace },
      involvedObject: {
        kind: obj.kind,
        namespace,
        name: obj.metadata.name,
        uid: obj.metadata.uid,
        apiVersion: obj.apiVersion,
        resourceVersion: obj.metadata.resourceVersion,
      },
      reason,
      message,
      type,
      source: { component },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      reportingComponent: component,
    });
  } catch {
    // Events are best effort, as in Kubernetes (the namespace may be going away).
  }
}
