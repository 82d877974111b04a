/**
 * The IO of verification: reads what the pure checks of chains.ts judge. Every read is bounded in
 * time and stops when `signal` aborts.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { KubeClient, WorkloadKind } from '../kube/client.js';
import type { Clock } from '../shared/clock.js';
import { ANNOTATION_RESTART } from '../shared/labels.js';
import { pollUntil } from '../shared/retry.js';
import { cloudCostStatus, type ConsumerEvidence, type StatusExpectation } from './chains.js';
import { labelSelectorText, podsOwnedBy } from './pods.js';
import type { Verdict } from './verdict.js';

/** A restarted workload to verify. */
export interface ConsumerTarget {
  readonly cluster: string;
  readonly namespace: string;
  readonly kind: WorkloadKind;
  readonly name: string;
  /** The containers that read a rotated site (their logs are read). */
  readonly containers: readonly string[];
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const isReady = (pod: V1Pod) => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** Reads a restarted workload, its live pods and the logs of the containers that read the key since each pod started. */
export async function gatherConsumer(
  kube: KubeClient,
  target: ConsumerTarget,
  token: string,
  writtenAt: number,
  signal?: AbortSignal,
): Promise<ConsumerEvidence> {
  const where = `${target.cluster}/${target.namespace}/${target.kind}/${target.name}`;
  const workload = await kube.readWorkload(target.kind, target.namespace, target.name, signal);
  if (workload.spec && 'replicas' in workload.spec && workload.spec.replicas === 0)
    return { target: where, token, scaledToZero: true, pods: [] };
  const listed = await kube.listPods(target.namespace, labelSelectorText(workload.spec?.selector), signal);
  // Through their owner, not by labels alone: an evicted pod or a debug copy with the same labels is not judged.
  const { pods, skipped } = podsOwnedBy(target.kind, workload, listed);
  return {
    target: where,
    token,
    scaledToZero: false,
    skipped,
    pods: await Promise.all(
      pods.map(async (pod) => {
        const name = pod.metadata?.name ?? '';
        const since = new Date(pod.status?.startTime ?? writtenAt).toISOString();
        const logs = await Promise.all(
          target.containers.map(async (container) => {
            try {
              return {
                container,
                since,
                text: await kube.readPodLog(target.namespace, name, container, since, signal),
              };
            } catch (error: unknown) {
              return { container, since, error: describeError(error) };
            }
          }),
        );
        return {
          name,
          token: pod.metadata?.annotations?.[ANNOTATION_RESTART],
          ready: isReady(pod),
          ...(pod.status?.startTime ? { startTime: new Date(pod.status.startTime).toISOString() } : {}),
          logs,
        };
      }),
    ),
  };
}

/** Where the cloud-cost status is served. */
export interface StatusEndpoint {
  readonly cluster: string;
  readonly namespace: string;
  readonly service: string;
  readonly port: number;
  readonly path: string;
}

/**
 * Reads the cloud-cost status through the API server's service proxy until it proves the key, or
 * the deadline passes; then the last verdict (unavailable when the status could not be read).
 */
export async function pollCloudCostStatus(
  kube: KubeClient,
  endpoint: StatusEndpoint,
  expectation: Omit<StatusExpectation, 'target'>,
  options: {
    readonly clock: Clock;
    readonly deadline: number;
    readonly intervalMs?: number;
    readonly signal?: AbortSignal;
  },
): Promise<Verdict> {
  const target = `${endpoint.cluster}/${endpoint.namespace}/svc/${endpoint.service}:${endpoint.port}${endpoint.path}`;
  let last: Verdict | undefined;
  const passed = await pollUntil(
    async () => {
      try {
        const body = await kube.getThroughServiceProxy(
          endpoint.namespace,
          endpoint.service,
          endpoint.port,
          endpoint.path,
          options.signal,
        );
        last = cloudCostStatus({ ...expectation, target }, body);
      } catch (error: unknown) {
        if (options.signal?.aborted) throw error;
        last = {
          check: 'cloud-cost-status',
          target,
          status: 'unavailable',
          reason: 'StatusUnreadable',
          evidence: describeError(error),
        };
      }
      return last.status === 'passed' ? last : undefined;
    },
    {
      clock: options.clock,
      intervalMs: options.intervalMs ?? 500,
      deadline: options.deadline,
      ...(options.signal ? { signal: options.signal } : {}),
    },
  );
  return passed ?? (last as Verdict);
}
