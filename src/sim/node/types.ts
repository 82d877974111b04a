/**
 * The node agent's vocabulary: pod latencies, log entries, container states, and the narrow
 * backend through which the agent talks to its cluster (kube-sim's object store in process, or a
 * real API server over HTTPS). The agent itself knows nothing of either.
 */
import type { KubeObject } from '../kube/types.js';

export interface PodTiming {
  /** From pod creation to containers running. */
  startMs: number;
  /** From containers running to the pod being Ready. */
  readyMs: number;
  /** From deletion to the pod object being gone (never longer than the pod's termination grace). */
  terminateMs: number;
}

export interface TimingRule {
  namespace?: string;
  /** 'Deployment/name' or 'StatefulSet/name'. */
  workload?: string;
  labels?: Record<string, string>;
  timing: Partial<PodTiming>;
}

export interface LogEntry {
  readonly ms: number;
  readonly line: string;
}

/** A log line as a tap sees it: with the pod and container it came from (kept after the pod is gone). */
export interface TappedLog extends LogEntry {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
}

export type ContainerState =
  | { kind: 'waiting'; reason: string; message?: string }
  | { kind: 'running'; startedAt: number }
  | { kind: 'terminated'; exitCode: number; reason: string; startedAt: number; finishedAt: number };

/** What the log endpoints need to know of a container: its state, last termination and logs. */
export interface ContainerView {
  readonly state: ContainerState;
  readonly lastTerminated: (ContainerState & { kind: 'terminated' }) | undefined;
  readonly logs: readonly LogEntry[];
  readonly previousLogs: readonly LogEntry[];
}

/** The agent's clock: SimClock satisfies it (real time that tests may jump forward). */
export interface NodeClock {
  now(): number;
  date(): Date;
  /** RFC 3339 with second precision, as Kubernetes writes metav1.Time. */
  timestamp(ms?: number): string;
  setTimeout(fn: () => void, ms: number): { cancel(): void };
}

export type ConfigKind = 'Secret' | 'ConfigMap';

/** What the agent receives from its backend. */
export interface NodeEventSink {
  /** A pod bound to this node was added, changed or removed (the backend's newest view of it). */
  pod(type: 'ADDED' | 'MODIFIED' | 'DELETED', pod: KubeObject): void;
  /** A Secret or ConfigMap that pods may mount changed (or appeared, or went away). */
  configChanged(kind: ConfigKind, namespace: string, name: string): void;
}

/** The agent's only way to its cluster. Every call but `prepare` is synchronous for the agent; a backend queues its own I/O. */
export interface NodeBackend {
  start(sink: NodeEventSink): void;
  stop(): void;
  /**
   * Makes what a pod references (Secrets, ConfigMaps, service account tokens) readable through
   * `configData` and `serviceAccountToken`. Returns undefined when that is already so, else a
   * promise that settles (never rejects) once every reference has been fetched or failed.
   */
  prepare(pod: KubeObject): Promise<void> | undefined;
  /** A Secret's decoded data or a ConfigMap's data and binaryData; undefined when it does not exist. Throws when it cannot be read. */
  configData(kind: ConfigKind, namespace: string, name: string): Map<string, Buffer> | undefined;
  /** The token of a projected serviceAccountToken source. Throws when it cannot be had. */
  serviceAccountToken(pod: KubeObject, source: { audience?: string; expirationSeconds?: number }): string;
  /** Reports the pod's status as the agent computed it (the backend may coalesce writes). */
  updatePodStatus(pod: KubeObject, status: Record<string, unknown>): void;
  /** The containers of a terminating pod have stopped: remove the pod object (uid-checked). */
  finishDeletion(namespace: string, name: string, uid: string): void;
  /** Records an Event about a pod, from the kubelet. */
  recordEvent(pod: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void;
}
