/** Test helpers: real @kubernetes/client-node clients for a simulated cluster, object builders, waiting. */
import * as k8s from '@kubernetes/client-node';
import type { Fleet } from '../../src/sim/kube/index.js';

/** One KubeConfig per context: client-node looks up credentials from the *current* context on every request. */
export function kubeConfigFor(fleet: Fleet, context: string, token?: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(fleet.kubeconfig(context));
  kc.setCurrentContext(context);
  if (token) {
    const cluster = kc.getCurrentCluster();
    const ctx = kc.getContextObject(context);
    if (!cluster || !ctx) throw new Error(`no context ${context}`);
    const custom = new k8s.KubeConfig();
    custom.loadFromOptions({
      clusters: [cluster],
      users: [{ name: 'custom', token }],
      contexts: [{ name: context, cluster: cluster.name, user: 'custom' }],
      currentContext: context,
    });
    return custom;
  }
  return kc;
}

export function clientsFor(fleet: Fleet, context: string, token?: string) {
  const kc = kubeConfigFor(fleet, context, token);
  return {
    kc,
    core: kc.makeApiClient(k8s.CoreV1Api),
    apps: kc.makeApiClient(k8s.AppsV1Api),
    coordination: kc.makeApiClient(k8s.CoordinationV1Api),
  };
}

export const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
export const strategicMergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch);

/** The parsed Status body of an ApiException from client-node. */
export function statusOf(error: unknown): {
  code?: number;
  reason?: string;
  message?: string;
  kind?: string;
  details?: Record<string, unknown>;
} {
  if (!(error instanceof k8s.ApiException)) throw error;
  const body: unknown = error.body;
  if (typeof body !== 'string') return (body ?? {}) as ReturnType<typeof statusOf>;
  try {
    return JSON.parse(body) as ReturnType<typeof statusOf>;
  } catch {
    // Not a Status: a proxied program's own answer.
    return { message: body };
  }
}

/** Awaits a promise that must fail with an ApiException, and returns its Status body. */
export async function expectApiError(
  promise: Promise<unknown>,
): Promise<ReturnType<typeof statusOf> & { httpCode: number }> {
  try {
    await promise;
  } catch (error: unknown) {
    if (!(error instanceof k8s.ApiException)) throw error;
    return { ...statusOf(error), httpCode: error.code };
  }
  throw new Error('expected the request to fail, but it succeeded');
}

/** Polls until `check` returns a truthy value, or fails with `what` after the timeout. */
export type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 15_000,
  intervalMs = 20,
): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as Truthy<T>;
    } catch (error: unknown) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface WorkloadSpec {
  name: string;
  namespace?: string;
  replicas?: number;
  containers?: k8s.V1Container[];
  volumes?: k8s.V1Volume[];
  strategy?: Record<string, unknown>;
  labels?: Record<string, string>;
}

function podTemplate(spec: WorkloadSpec) {
  const labels = { app: spec.name, ...(spec.labels ?? {}) };
  return {
    metadata: { labels },
    spec: {
      containers: spec.containers ?? [{ name: 'app', image: 'example/app:1' }],
      ...(spec.volumes ? { volumes: spec.volumes } : {}),
    },
  };
}

export function deployment(spec: WorkloadSpec) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: spec.name, namespace: spec.namespace ?? 'default', labels: { app: spec.name } },
    spec: {
      replicas: spec.replicas ?? 1,
      selector: { matchLabels: { app: spec.name } },
      ...(spec.strategy ? { strategy: spec.strategy } : {}),
      template: podTemplate(spec),
    },
  };
}

export function statefulSet(spec: WorkloadSpec & { partition?: number }) {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: spec.name, namespace: spec.namespace ?? 'default', labels: { app: spec.name } },
    spec: {
      replicas: spec.replicas ?? 1,
      serviceName: spec.name,
      selector: { matchLabels: { app: spec.name } },
      ...(spec.partition !== undefined
        ? { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: spec.partition } } }
        : {}),
      template: podTemplate(spec),
    },
  };
}

export function secret(
  name: string,
  namespace: string,
  stringData: Record<string, string>,
  labels?: Record<string, string>,
) {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, ...(labels ? { labels } : {}) },
    type: 'Opaque',
    stringData,
  };
}

/** kubectl's `rollout status` rules for a Deployment (pkg/polymorphichelpers/rollout_status.go). */
export function deploymentRolledOut(d: k8s.V1Deployment): boolean {
  const status = d.status ?? {};
  if ((d.metadata?.generation ?? 0) > (status.observedGeneration ?? 0)) return false;
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded')
    throw new Error(`deployment ${d.metadata?.name ?? ''} exceeded its progress deadline`);
  const replicas = d.spec?.replicas ?? 1;
  if ((status.updatedReplicas ?? 0) < replicas) return false;
  if ((status.replicas ?? 0) > (status.updatedReplicas ?? 0)) return false;
  if ((status.availableReplicas ?? 0) < (status.updatedReplicas ?? 0)) return false;
  return true;
}

/** kubectl's `rollout status` rules for a StatefulSet with RollingUpdate. */
export function statefulSetRolledOut(s: k8s.V1StatefulSet): boolean {
  const status = s.status;
  if (!status || !status.observedGeneration || (s.metadata?.generation ?? 0) > status.observedGeneration) return false;
  const replicas = s.spec?.replicas ?? 1;
  if ((status.readyReplicas ?? 0) < replicas) return false;
  const partition = s.spec?.updateStrategy?.rollingUpdate?.partition;
  if (partition !== undefined) return (status.updatedReplicas ?? 0) >= replicas - partition;
  return status.updateRevision === status.currentRevision;
}
