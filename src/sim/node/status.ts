/**
 * A pod's status as the kubelet reports it: phase, the conditions with their transition times,
 * startTime, pod and host IPs, and one containerStatus per container with restarts, last state
 * and waiting reasons.
 */
import type { ContainerState } from './types.js';
import { arr, rec } from './resolve.js';

export interface ContainerFacts {
  readonly name: string;
  readonly image: string;
  readonly state: ContainerState;
  readonly lastTerminated: (ContainerState & { kind: 'terminated' }) | undefined;
  readonly ready: boolean;
  readonly restartCount: number;
}

export interface PodFacts {
  readonly uid: string;
  readonly podIP: string;
  readonly hostIP: string;
  readonly startTime: number | undefined;
  readonly terminating: boolean;
  readonly containers: readonly ContainerFacts[];
  /** The status last reported (or the pod's stored one): keeps transition times and fields others set. */
  readonly previous: Record<string, unknown>;
}

export function computePodStatus(facts: PodFacts, now: number, stamp: (ms: number) => string): Record<string, unknown> {
  const { containers } = facts;
  const started = facts.startTime !== undefined;
  const allRunning = containers.every((c) => c.state.kind === 'running');
  const allReady = !facts.terminating && containers.every((c) => c.ready && c.state.kind === 'running');
  const previous = arr(facts.previous.conditions).map(rec);
  const cond = (type: string, ok: boolean) => {
    const status = ok ? 'True' : 'False';
    const old = previous.find((c) => c.type === type);
    return {
      type,
      status,
      lastProbeTime: null,
      lastTransitionTime: old?.status === status ? old.lastTransitionTime : stamp(now),
    };
  };
  const terminated = (t: ContainerState & { kind: 'terminated' }, containerID: string) => ({
    exitCode: t.exitCode,
    reason: t.reason,
    startedAt: stamp(t.startedAt),
    finishedAt: stamp(t.finishedAt),
    containerID,
  });
  const containerStatuses = containers.map((c) => {
    const id = containerId(facts.uid, c.name, c.restartCount);
    const state =
      c.state.kind === 'running'
        ? { running: { startedAt: stamp(c.state.startedAt) } }
        : c.state.kind === 'waiting'
          ? { waiting: { reason: c.state.reason, ...(c.state.message ? { message: c.state.message } : {}) } }
          : { terminated: terminated(c.state, id) };
    const last = c.lastTerminated
      ? { terminated: terminated(c.lastTerminated, containerId(facts.uid, c.name, c.restartCount - 1)) }
      : {};
    return {
      name: c.name,
      image: c.image,
      imageID: `${c.image}@sha256:kube-sim`,
      containerID: id,
      ready: c.ready,
      started: c.state.kind === 'running',
      restartCount: c.restartCount,
      state,
      lastState: last,
    };
  });
  return {
    phase: started && containers.some((c) => c.state.kind === 'running' || c.restartCount > 0) ? 'Running' : 'Pending',
    conditions: [
      cond('PodScheduled', true),
      cond('Initialized', started),
      cond('ContainersReady', allReady && allRunning),
      cond('Ready', allReady && allRunning),
    ],
    hostIP: facts.hostIP,
    hostIPs: [{ ip: facts.hostIP }],
    ...(started ? { podIP: facts.podIP, podIPs: [{ ip: facts.podIP }], startTime: stamp(facts.startTime ?? now) } : {}),
    containerStatuses,
    qosClass: typeof facts.previous.qosClass === 'string' ? facts.previous.qosClass : 'BestEffort',
  };
}

function containerId(uid: string, container: string, restart: number): string {
  return `sim://${uid}/${container}/${restart}`;
}
