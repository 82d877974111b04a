/**
 * Restart: give each workload that reads a changed Secret a new pod-template token (what `kubectl
 * rollout restart` does), wave after wave, and wait for the rollouts by kubectl's rules. A restart
 * is recognised by its token after a crash, so it is never done twice.
 */
import { forEachGrouped } from '../../shared/pool.js';
import { ANNOTATION_KUBECTL_RESTARTED_AT, ANNOTATION_RESTART } from '../../shared/labels.js';
import { deploymentRollout, statefulSetRollout, type RolloutStatus } from '../../verify/checks.js';
import type { StepBook } from '../journal/journal.js';
import type { PlannedRestart } from '../plan.js';
import {
  afterEffect,
  checkStop,
  clientOf,
  emitStep,
  pause,
  StepCounter,
  StopRotation,
  withRetries,
  type StepContext,
} from './context.js';

export interface RestartPass {
  readonly restarts: readonly PlannedRestart[];
  /** Forward restarts are recorded in `steps`, rollback ones in `rollback`. */
  readonly book: StepBook;
  /** The pod-template token: the rotation id, or `<id>-rollback`. */
  readonly token: string;
  readonly purpose: 'rotate' | 'rollback';
}

function rolloutOf(kind: PlannedRestart['kind'], workload: unknown): RolloutStatus {
  return kind === 'Deployment' ? deploymentRollout(workload as never) : statefulSetRollout(workload as never);
}

const objectOf = (r: PlannedRestart) => ({ cluster: r.cluster, namespace: r.namespace, kind: r.kind, name: r.name });

/** Restarts the workloads of a pass in waves (writers, then readers, then the rest), each wave rolled out before the next. */
export async function restartWaves(ctx: StepContext, pass: RestartPass): Promise<void> {
  const restarted = new StepCounter(pass.restarts.length);
  const rolledOut = new StepCounter(pass.restarts.length);
  for (const wave of [1, 2, 3] as const) {
    const inWave = pass.restarts.filter((r) => r.wave === wave);
    if (inWave.length === 0) continue;
    await forEachGrouped(
      inWave,
      (r) => r.cluster,
      ctx.plan.options.maxParallelClusters,
      (r) => restartOne(ctx, pass, r, restarted),
    );
    await waitRollouts(ctx, inWave, rolledOut);
  }
}

/** Restarts one workload (or adopts a restart that already happened). */
async function restartOne(ctx: StepContext, pass: RestartPass, r: PlannedRestart, counter: StepCounter): Promise<void> {
  const { journal } = ctx;
  checkStop(ctx);
  const record = journal.record(r.step, pass.book);
  if (record.state === 'done') return void counter.tick();
  const kube = clientOf(ctx, r.cluster);
  if (record.state === 'started') {
    const current = await withRetries(ctx, `reading ${r.kind} ${r.name}`, () =>
      kube.readWorkload(r.kind, r.namespace, r.name),
    );
    if (current.spec?.template.metadata?.annotations?.[ANNOTATION_RESTART] === (record.token ?? pass.token)) {
      await journal.finish(r.step, 'restart found applied after a restart of kubecost-rotate', {}, pass.book);
      return void counter.tick();
    }
  }
  await journal.begin(
    r.step,
    `restarting ${r.kind} ${r.namespace}/${r.name} (wave ${r.wave})`,
    { token: pass.token },
    pass.book,
  );
  emitStep(ctx, {
    kind: 'restart',
    step: r.step,
    object: objectOf(r),
    state: 'started',
    detail: `restart ${r.kind}/${r.name} (wave ${r.wave})`,
    counts: counter.counts,
    purpose: pass.purpose,
  });
  // The same annotations on every attempt: a retried patch is a no-op, not a second restart.
  const annotations = {
    [ANNOTATION_KUBECTL_RESTARTED_AT]: ctx.deps.clock
      .now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z'),
    [ANNOTATION_RESTART]: pass.token,
  };
  await withRetries(ctx, `restarting ${r.kind} ${r.name}`, () =>
    kube.annotatePodTemplate(r.kind, r.namespace, r.name, annotations),
  );
  afterEffect(ctx);
  await journal.finish(r.step, `restart requested with token ${pass.token}`, {}, pass.book);
  emitStep(ctx, {
    kind: 'restart',
    step: r.step,
    object: objectOf(r),
    state: 'done',
    detail: `restart of ${r.kind}/${r.name} requested`,
    counts: counter.tick(),
    applied: true,
    purpose: pass.purpose,
  });
}

/** Waits until every workload has rolled out, by kubectl's rules, within the rollout timeout. */
async function waitRollouts(
  ctx: StepContext,
  restarts: readonly PlannedRestart[],
  counter: StepCounter,
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
  let failed = false;
  await Promise.all(
    restarts.map(async (r) => {
      while (!failed) {
        const workload = await withRetries(ctx, `reading ${r.kind} ${r.name}`, () =>
          clientOf(ctx, r.cluster).readWorkload(r.kind, r.namespace, r.name),
        );
        const status = rolloutOf(r.kind, workload);
        if (status.done) {
          emitStep(ctx, {
            kind: 'rollout',
            step: r.step,
            object: objectOf(r),
            state: 'done',
            detail: status.message,
            counts: counter.tick(),
          });
          return;
        }
        if (status.failed || deps.clock.now().getTime() > deadline) {
          failed = true;
          throw new StopRotation(
            'roll-back',
            status.failed
              ? `${r.kind} ${r.namespace}/${r.name} on ${r.cluster}: ${status.message}`
              : `${r.kind} ${r.namespace}/${r.name} on ${r.cluster} did not finish rolling out within ${plan.options.rolloutTimeoutMs / 1000} s: ${status.message}`,
          );
        }
        await pause(ctx, 250);
      }
    }),
  );
}
