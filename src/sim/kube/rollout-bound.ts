/**
 * How long kube-sim's controllers take to roll a workload out, from its pod timing and the
 * workload's strategy: the floor under any rotation's restarts, which bench/rotate-fleet compares a
 * rotation with. A pure model of controllers.ts and daemonsets.ts (one node per cluster):
 *
 * - Deployment, RollingUpdate: the new ReplicaSet grows by maxSurge + maxUnavailable pods at a
 *   time (at least one), each batch available start + ready after it was created; terminating old
 *   pods do not count, so their grace is not waited for. Recreate: the old pods go first
 *   (terminate), then every new pod at once.
 * - StatefulSet, RollingUpdate: one pod at a time from the highest ordinal down to the partition,
 *   each deleted, gone (terminate), created again and ready before the next (OrderedReady and
 *   Parallel alike, as the real controller with the default maxUnavailable of 1).
 * - DaemonSet (one node): with maxSurge the new pod starts beside the old one; without, after the
 *   old one is gone.
 *
 * The controllers' own reaction time (a few milliseconds) is left out: this is a lower bound.
 */
import type { PodTiming } from '../node/types.js';
import { scaledValue } from './scaled.js';

/** What of a workload decides how long its rollout takes. */
export interface WorkloadShape {
  readonly kind: 'Deployment' | 'StatefulSet' | 'DaemonSet';
  readonly replicas: number;
  readonly strategy?: {
    readonly type?: string;
    readonly rollingUpdate?: {
      readonly maxSurge?: number | string;
      readonly maxUnavailable?: number | string;
      readonly partition?: number;
    };
  };
}

/** The shape of a Deployment, StatefulSet or DaemonSet object (its spec as stored). */
export function shapeOf(workload: {
  kind?: unknown;
  spec?: { replicas?: unknown; strategy?: unknown; updateStrategy?: unknown };
}): WorkloadShape {
  const kind = workload.kind === 'StatefulSet' || workload.kind === 'DaemonSet' ? workload.kind : 'Deployment';
  const strategy = (kind === 'Deployment' ? workload.spec?.strategy : workload.spec?.updateStrategy) as
    WorkloadShape['strategy'] | undefined;
  const replicas = kind === 'DaemonSet' ? 1 : typeof workload.spec?.replicas === 'number' ? workload.spec.replicas : 1;
  return { kind, replicas, ...(strategy ? { strategy } : {}) };
}

/** Milliseconds from a restart to `kubectl rollout status` saying the workload has rolled out. */
export function rolloutMs(shape: WorkloadShape, timing: PodTiming): number {
  const pod = timing.startMs + timing.readyMs;
  const { replicas } = shape;
  if (replicas <= 0) return 0;
  const type = shape.strategy?.type ?? 'RollingUpdate';
  const rolling = shape.strategy?.rollingUpdate ?? {};
  switch (shape.kind) {
    case 'Deployment': {
      if (type === 'Recreate') return timing.terminateMs + pod;
      const surge = scaledValue(rolling.maxSurge ?? '25%', replicas, true);
      let unavailable = scaledValue(rolling.maxUnavailable ?? '25%', replicas, false);
      if (surge === 0 && unavailable === 0) unavailable = 1;
      return Math.ceil(replicas / Math.max(1, surge + unavailable)) * pod;
    }
    case 'StatefulSet': {
      if (type === 'OnDelete') return Number.POSITIVE_INFINITY;
      const partition = Math.min(replicas, Math.max(0, rolling.partition ?? 0));
      return (replicas - partition) * (timing.terminateMs + pod);
    }
    case 'DaemonSet': {
      if (type === 'OnDelete') return Number.POSITIVE_INFINITY;
      const surge = scaledValue(rolling.maxSurge ?? 0, 1, true);
      return surge > 0 ? pod : timing.terminateMs + pod;
    }
  }
}

export interface RotationBoundInput {
  /** One Secret write (a read and an update), as measured. */
  readonly writeMs: number;
  /** The restarted workloads, wave by wave (writers, then readers on the primary, then the rest). */
  readonly waves: readonly (readonly WorkloadShape[])[];
  readonly verifyWindowMs: number;
  readonly timing: PodTiming;
}

export interface RotationBound {
  readonly totalMs: number;
  readonly writeMs: number;
  /** The longest rollout of each wave. */
  readonly wavesMs: readonly number[];
  readonly verifyWindowMs: number;
}

/**
 * The least a rotation can take: one Secret write (all are written at once), the longest rollout of
 * each wave (a wave starts when the one before has rolled out), and the verification window.
 */
export function rotationBound(input: RotationBoundInput): RotationBound {
  const wavesMs = input.waves
    .filter((wave) => wave.length > 0)
    .map((wave) => Math.max(...wave.map((w) => rolloutMs(w, input.timing))));
  return {
    totalMs: input.writeMs + wavesMs.reduce((a, b) => a + b, 0) + input.verifyWindowMs,
    writeMs: input.writeMs,
    wavesMs,
    verifyWindowMs: input.verifyWindowMs,
  };
}
