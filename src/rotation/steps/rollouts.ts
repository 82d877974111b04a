/**
 * Waiting for rollouts, by kubectl's rules, with watches: one list and one watch per cluster,
 * namespace and kind, judged at every change. A watch that goes quiet is re-listed after
 * {@link RESYNC_MS}; one that cannot be opened falls back to a list every {@link FALLBACK_MS}. Every
 * wait ends at the rollout deadline, or at a stop request.
 */
import type { V1DaemonSet, V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import type { Workload } from '../../kube/client.js';
import { ANNOTATION_RESTART } from '../../shared/labels.js';
import { daemonSetRollout, deploymentRollout, statefulSetRollout, type RolloutStatus } from '../../verify/checks.js';
import type { PlannedRestart } from '../plan.js';
import {
  checkStop,
  clientOf,
  emitStep,
  pause,
  StopRotation,
  withRetries,
  type StepContext,
  type StepCounter,
} from './context.js';

/** The longest a watch runs before the workloads are listed again (a watch can break without a word). */
export const RESYNC_MS = 30_000;
/** Between two lists when watches cannot be opened. */
export const FALLBACK_MS = 2_000;

function rolloutOf(kind: PlannedRestart['kind'], workload: Workload): RolloutStatus {
  switch (kind) {
    case 'Deployment':
      return deploymentRollout(workload as V1Deployment);
    case 'StatefulSet':
      return statefulSetRollout(workload as V1StatefulSet);
    case 'DaemonSet':
      return daemonSetRollout(workload as V1DaemonSet);
  }
}

const objectOf = (r: PlannedRestart) => ({ cluster: r.cluster, namespace: r.namespace, kind: r.kind, name: r.name });

/** Which rollouts to judge: a workload counts once its restart is issued, so watching can start before. */
export interface RolloutWatch {
  /** Whether the restart of this workload was issued before the watch began (by an earlier run). */
  readonly issued: (r: PlannedRestart) => boolean;
  /** The pod-template token of the pass: a workload seen carrying it has been restarted. */
  readonly token: string;
  /** Stops watching, quietly (the restarts failed; their error is the one that counts). */
  readonly abandon?: AbortSignal;
}

const restartTokenOf = (w: V1Deployment | V1StatefulSet) =>
  w.spec?.template.metadata?.annotations?.[ANNOTATION_RESTART];

/**
 * Waits until every workload has rolled out, within the rollout timeout. Watching starts at once,
 * while the restarts are being issued: a workload is judged from the moment its restart is seen.
 */
export async function awaitRollouts(
  ctx: StepContext,
  restarts: readonly PlannedRestart[],
  counter: StepCounter,
  watch: RolloutWatch,
): Promise<void> {
  const { plan, deps } = ctx;
  const deadline = deps.clock.now().getTime() + plan.options.rolloutTimeoutMs;
  deps.emit({
    type: 'wait',
    rotation: plan.id,
    for: 'rollout',
    message: `waiting for ${restarts.length} rollout(s) to finish: ${restarts.map((r) => `${r.cluster} ${r.kind}/${r.name}`).join(', ')}`,
    until: new Date(deadline).toISOString(),
  });
  const groups = new Map<string, PlannedRestart[]>();
  for (const r of restarts) {
    const key = `${r.cluster}/${r.namespace}/${r.kind}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  // Once one group fails (or the restarts did), the others stop watching.
  const failed = new AbortController();
  if (watch.abandon?.aborted) return;
  watch.abandon?.addEventListener('abort', () => failed.abort(), { once: true });
  await Promise.all(
    [...groups.values()].map((group) =>
      awaitGroup(ctx, group, deadline, counter, failed.signal, watch).catch((error: unknown) => {
        failed.abort();
        throw error;
      }),
    ),
  );
}

/** Waits for the workloads of one cluster, namespace and kind. */
async function awaitGroup(
  ctx: StepContext,
  group: readonly PlannedRestart[],
  deadline: number,
  counter: StepCounter,
  failed: AbortSignal,
  watch: RolloutWatch,
): Promise<void> {
  const { plan, deps } = ctx;
  const first = group[0] as PlannedRestart;
  const kube = clientOf(ctx, first.cluster);
  const pending = new Map(group.map((r) => [r.name, r]));
  const last = new Map<string, RolloutStatus>();
  const signals = [failed, ...(deps.stop ? [deps.stop] : [])];
  /** Judges one workload as seen; throws when its rollout can no longer finish. */
  const judge = (workload: Workload) => {
    const r = pending.get(workload.metadata?.name ?? '');
    if (!r) return;
    // Not restarted yet: its current state says nothing about the rollout to come.
    if (!watch.issued(r) && restartTokenOf(workload) !== watch.token) return;
    const status = rolloutOf(r.kind, workload);
    last.set(r.name, status);
    if (status.failed)
      throw new StopRotation('roll-back', `${r.kind} ${r.namespace}/${r.name} on ${r.cluster}: ${status.message}`);
    if (!status.done) return;
    pending.delete(r.name);
    emitStep(ctx, {
      kind: 'rollout',
      step: r.step,
      object: objectOf(r),
      state: 'done',
      detail: status.message,
      counts: counter.tick(),
    });
  };
  const timedOut = () => {
    const [name, r] = [...pending][0] as [string, PlannedRestart];
    return new StopRotation(
      'roll-back',
      `${r.kind} ${r.namespace}/${name} on ${r.cluster} did not finish rolling out within ${plan.options.rolloutTimeoutMs / 1000} s: ${last.get(name)?.message ?? 'not seen yet'}`,
    );
  };
  while (pending.size > 0) {
    checkStop(ctx);
    if (failed.aborted) return;
    const left = deadline - deps.clock.now().getTime();
    if (left <= 0) throw timedOut();
    const list = await withRetries(ctx, `listing ${first.kind}s in ${first.namespace} on ${first.cluster}`, () =>
      kube.listWorkloads(first.kind, first.namespace, AbortSignal.any(signals)),
    );
    for (const workload of list.items) judge(workload);
    if (pending.size === 0) return;
    const ended = new AbortController();
    let thrown: unknown;
    const watching = AbortSignal.any([...signals, ended.signal, deps.clock.timeout(Math.min(left, RESYNC_MS))]);
    try {
      await kube.watchWorkloads(
        first.kind,
        first.namespace,
        list.resourceVersion,
        (type, workload) => {
          try {
            // An ERROR (such as 410 Gone: the resourceVersion is too old) ends the watch: list again.
            if (type === 'ERROR') return ended.abort();
            judge(workload);
            if (pending.size === 0) ended.abort();
          } catch (error: unknown) {
            thrown = error;
            ended.abort();
          }
        },
        watching,
      );
    } catch {
      // The watch could not be opened or broke: fall back to listing, a bounded number of times per deadline.
      await pause(ctx, Math.min(FALLBACK_MS, Math.max(0, deadline - deps.clock.now().getTime())));
    }
    if (thrown) throw thrown;
  }
}
