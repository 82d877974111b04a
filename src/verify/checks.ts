/**
 * Pure verification checks (DESIGN §6): kubectl's rollout-status rules, the log lines that mean a
 * cloud refused a key (reference §6; the wordings live in kubecost/log-signals.ts), and the
 * cloud-cost status document (reference §5).
 */
import type { V1DaemonSet, V1Deployment, V1StatefulSet } from '@kubernetes/client-node';

export interface RolloutStatus {
  readonly done: boolean;
  /** kubectl's wording of what is being waited for. */
  readonly message: string;
  /** The rollout can no longer finish by itself (ProgressDeadlineExceeded, OnDelete...). */
  readonly failed?: boolean;
}

/** kubectl `rollout status` for a Deployment (pkg/polymorphichelpers/rollout_status.go). */
export function deploymentRollout(d: V1Deployment): RolloutStatus {
  const name = d.metadata?.name ?? '';
  const status = d.status ?? {};
  if ((d.metadata?.generation ?? 0) > (status.observedGeneration ?? 0))
    return { done: false, message: 'Waiting for deployment spec update to be observed...' };
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded')
    return { done: false, failed: true, message: `deployment "${name}" exceeded its progress deadline` };
  const replicas = d.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  if (updated < replicas)
    return {
      done: false,
      message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${replicas} new replicas have been updated...`,
    };
  if ((status.replicas ?? 0) > updated)
    return {
      done: false,
      message: `Waiting for deployment "${name}" rollout to finish: ${(status.replicas ?? 0) - updated} old replicas are pending termination...`,
    };
  if ((status.availableReplicas ?? 0) < updated)
    return {
      done: false,
      message: `Waiting for deployment "${name}" rollout to finish: ${status.availableReplicas ?? 0} of ${updated} updated replicas are available...`,
    };
  return { done: true, message: `deployment "${name}" successfully rolled out` };
}

/** kubectl `rollout status` for a StatefulSet. */
export function statefulSetRollout(s: V1StatefulSet): RolloutStatus {
  const status = s.status;
  if (s.spec?.updateStrategy?.type && s.spec.updateStrategy.type !== 'RollingUpdate')
    return { done: false, failed: true, message: 'rollout status is only available for RollingUpdate strategy type' };
  if (!status || !status.observedGeneration || (s.metadata?.generation ?? 0) > status.observedGeneration)
    return { done: false, message: 'Waiting for statefulset spec update to be observed...' };
  const replicas = s.spec?.replicas ?? 1;
  if ((status.readyReplicas ?? 0) < replicas)
    return { done: false, message: `Waiting for ${replicas - (status.readyReplicas ?? 0)} pods to be ready...` };
  const partition = s.spec?.updateStrategy?.rollingUpdate?.partition;
  if (partition !== undefined) {
    if ((status.updatedReplicas ?? 0) < replicas - partition)
      return {
        done: false,
        message: `Waiting for partitioned roll out to finish: ${status.updatedReplicas ?? 0} out of ${replicas - partition} new pods have been updated...`,
      };
    return {
      done: true,
      message: `partitioned roll out complete: ${status.updatedReplicas ?? 0} new pods have been updated...`,
    };
  }
  if (status.updateRevision !== status.currentRevision)
    return {
      done: false,
      message: `waiting for statefulset rolling update to complete ${status.updatedReplicas ?? 0} pods at revision ${status.updateRevision ?? ''}...`,
    };
  return {
    done: true,
    message: `statefulset rolling update complete ${status.currentReplicas ?? 0} pods at revision ${status.currentRevision ?? ''}...`,
  };
}

/** kubectl `rollout status` for a DaemonSet (polymorphichelpers.DaemonSetStatusViewer). */
export function daemonSetRollout(d: V1DaemonSet): RolloutStatus {
  const name = d.metadata?.name ?? '';
  if (d.spec?.updateStrategy?.type && d.spec.updateStrategy.type !== 'RollingUpdate')
    return { done: false, failed: true, message: 'rollout status is only available for RollingUpdate strategy type' };
  const status = d.status;
  if ((d.metadata?.generation ?? 0) > (status?.observedGeneration ?? 0))
    return { done: false, message: 'Waiting for daemon set spec update to be observed...' };
  const desired = status?.desiredNumberScheduled ?? 0;
  const updated = status?.updatedNumberScheduled ?? 0;
  if (updated < desired)
    return {
      done: false,
      message: `Waiting for daemon set "${name}" rollout to finish: ${updated} out of ${desired} new pods have been updated...`,
    };
  const available = status?.numberAvailable ?? 0;
  if (available < desired)
    return {
      done: false,
      message: `Waiting for daemon set "${name}" rollout to finish: ${available} of ${desired} updated pods are available...`,
    };
  return { done: true, message: `daemon set "${name}" successfully rolled out` };
}

/** A cloud's "this key is not accepted" in a log line, by wording (reference §6, §1.10): the kubecost table. */
export {
  AUTH_FAILURE_PATTERNS,
  POSITIVE_SIGNALS,
  reloadedIntegrations,
  scanLogForAuthFailures,
  scanLogForPositiveSignals,
  type LogFinding,
  type LogPattern as AuthFailurePattern,
} from '../kubecost/log-signals.js';

export interface CloudIntegrationStatus {
  readonly key: string;
  readonly provider: string;
  readonly connectionStatus: string;
  /** The sanitized AWS authorizer id, where the status shows one. */
  readonly authorizerId?: string;
  /** When the integration last ran (ms since the epoch), if the status says. */
  readonly lastRun?: number;
}

function findAuthorizerId(config: unknown): string | undefined {
  if (typeof config !== 'object' || config === null) return undefined;
  const authorizer = (config as { authorizer?: unknown }).authorizer;
  if (typeof authorizer !== 'object' || authorizer === null) return undefined;
  const a = authorizer as { id?: unknown; authorizer?: unknown };
  if (typeof a.id === 'string') return a.id;
  return findAuthorizerId(a);
}

/** Reads the `/model/cloudCost/status` document: `{code, data: [{key, provider, connectionStatus, config}]}`. */
export function parseCloudCostStatus(body: unknown): CloudIntegrationStatus[] {
  const doc = typeof body === 'string' ? (JSON.parse(body) as unknown) : body;
  const data = typeof doc === 'object' && doc !== null ? (doc as { data?: unknown }).data : undefined;
  if (!Array.isArray(data)) throw new Error('the status document has no data array');
  return data.map((entry: unknown) => {
    const e = (entry ?? {}) as Record<string, unknown>;
    const authorizerId = findAuthorizerId(e.config);
    const lastRun = Date.parse(String(e.lastRun ?? ''));
    return {
      key: String(e.key ?? ''),
      provider: String(e.provider ?? ''),
      connectionStatus: String(e.connectionStatus ?? ''),
      ...(authorizerId ? { authorizerId } : {}),
      // Go's zero time (0001-01-01) means "never ran".
      ...(Number.isFinite(lastRun) && lastRun > 0 ? { lastRun } : {}),
    };
  });
}
