/**
 * Restart: give each workload that reads a changed Secret a new pod-template token (what `kubectl
 * rollout restart` does), wave after wave, and wait for the rollouts by kubectl's rules. A restart
 * is recognised by its token after a crash, so it is never done twice.
 */
import { forEachGrouped } from '../../shared/pool.js';
import { ANNOTATION_KUBECTL_RESTARTED_AT, ANNOTATION_RESTART } from '../../shared/labels.js';
import type { StepBook } from '../journal/journal.js';
import type { PlannedRestart } from '../plan.js';
import { awaitRollouts } from './rollouts.js';
import { afterEffect, checkStop, clientOf, emitStep, StepCounter, withRetries, type StepContext } from './context.js';

export interface RestartPass {
  readonly restarts: readonly PlannedRestart[];
  /** Forward restarts are recorded in `steps`, rollback ones in `rollback`. */
  readonly book: StepBook;
  /** The pod-template token: the rotation id, or `<id>-rollback`. */
  readonly token: string;
  readonly purpose: 'rotate' | 'rollback';
}

const objectOf = (r: PlannedRestart) => ({ cluster: r.cluster, namespace: r.namespace, kind: r.kind, name: r.name });

/**
 * Restarts the workloads of a pass in waves (writers, then readers, then the rest), each wave rolled
 * out before the next. Each rollout is watched from the moment its restart is issued, not after the
 * whole wave was; once a rollout fails, no further restart of the wave is issued.
 */
export async function restartWaves(ctx: StepContext, pass: RestartPass): Promise<void> {
  const restarted = new StepCounter(pass.restarts.length);
  const rolledOut = new StepCounter(pass.restarts.length);
  for (const wave of [1, 2, 3] as const) {
    const inWave = pass.restarts.filter((r) => r.wave === wave);
    if (inWave.length === 0) continue;
    const abandon = new AbortController();
    // Restarted by an earlier run (resume): judged as they are. The others once they carry the token.
    const earlier = new Set(inWave.filter((r) => ctx.journal.record(r.step, pass.book).state === 'done'));
    const rollouts = awaitRollouts(ctx, inWave, rolledOut, {
      issued: (r) => earlier.has(r),
      token: pass.token,
      abandon: abandon.signal,
    });
    let rolloutFailure: { error: unknown } | undefined;
    rollouts.catch((error: unknown) => (rolloutFailure = { error }));
    // One save records every restart of the wave about to be issued; their ends are saved grouped.
    const fresh = inWave.filter((r) => !['done', 'started'].includes(ctx.journal.record(r.step, pass.book).state));
    const batch = { begun: new Set(fresh.map((r) => r.step)), finishes: [] as Promise<void>[] };
    try {
      checkStop(ctx);
      await ctx.journal.beginMany(
        fresh.map((r) => ({
          id: r.step,
          detail: `restarting ${r.kind} ${r.namespace}/${r.name} (wave ${r.wave})`,
          extra: { token: pass.token },
        })),
        pass.book,
      );
      await forEachGrouped(
        inWave,
        (r) => r.cluster,
        ctx.plan.options.maxParallelClusters,
        async (r) => {
          if (rolloutFailure) throw rolloutFailure.error;
          await restartOne(ctx, pass, r, restarted, batch);
        },
      );
      await Promise.all(batch.finishes);
    } catch (error: unknown) {
      abandon.abort();
      await Promise.allSettled(batch.finishes);
      await rollouts.catch(() => undefined);
      throw error;
    }
    await rollouts;
  }
}

/** Restarts one workload (or adopts a restart that already happened). */
async function restartOne(
  ctx: StepContext,
  pass: RestartPass,
  r: PlannedRestart,
  counter: StepCounter,
  batch: { readonly begun: ReadonlySet<string>; readonly finishes: Promise<void>[] },
): Promise<void> {
  const { journal } = ctx;
  checkStop(ctx);
  const record = journal.record(r.step, pass.book);
  if (record.state === 'done') return void counter.tick();
  const kube = clientOf(ctx, r.cluster);
  const begun = batch.begun.has(r.step);
  if (!begun && record.state === 'started') {
    const current = await withRetries(ctx, `reading ${r.kind} ${r.name}`, () =>
      kube.readWorkload(r.kind, r.namespace, r.name),
    );
    if (current.spec?.template.metadata?.annotations?.[ANNOTATION_RESTART] === (record.token ?? pass.token)) {
      await journal.finish(r.step, 'restart found applied after a restart of kubecost-rotate', {}, pass.book);
      return void counter.tick();
    }
  }
  if (!begun)
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
  // Saved with the next grouped save; restartWaves waits for every one before the wave ends.
  const saved = journal.finish(r.step, `restart requested with token ${pass.token}`, {}, pass.book);
  saved.catch(() => undefined); // awaited (and its failure thrown) by restartWaves
  batch.finishes.push(saved);
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
