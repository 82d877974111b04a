/**
 * Write: put the new bytes into every Secret, each write carrying the resourceVersion it read, with
 * the journal recording it before and after. It looks before it acts (a write an earlier run sent
 * may have landed) and never calls a sent write "not written": once sent, it is written or unknown.
 */
import type { V1Secret } from '@kubernetes/client-node';
import { KubeError } from '../../kube/errors.js';
import { forEachGrouped } from '../../shared/pool.js';
import { ANNOTATION_FINGERPRINT, ANNOTATION_ROTATION } from '../../shared/labels.js';
import { holdsNew, holdsOld, withValues } from '../journal/backup.js';
import type { PlannedWrite } from '../plan.js';
import {
  afterEffect,
  checkStop,
  clientOf,
  describeError,
  emitStep,
  secretWith,
  StepCounter,
  stopRequested,
  StopRotation,
  withRetries,
  type StepContext,
} from './context.js';

/** Why a write that was answered (or never sent) did not happen, for its journal record. */
function notWrittenBecause(error: unknown): string {
  if (error instanceof KubeError)
    return error.failure === 'Conflict'
      ? 'modified by someone else'
      : error.code !== undefined
        ? `refused by the API server (HTTP ${error.code} ${error.failure})`
        : `never sent (${error.failure})`;
  return error instanceof StopRotation ? 'modified by someone else since it was read' : describeError(error);
}

/**
 * Writes every planned Secret; on failure, says what must happen next (StopRotation). One journal
 * save records every write about to be made, before the first is sent (a crash from then on leaves
 * each `started`: resume and rollback look at the Secret before doing anything to it); the records
 * of writes that happened are saved as they come, grouped, and all are saved before the phase ends.
 */
export async function writeAll(ctx: StepContext): Promise<void> {
  const { plan, journal } = ctx;
  const counter = new StepCounter(plan.writes.length);
  for (const w of plan.writes) if (journal.record(w.step).state === 'done') counter.tick();
  const fresh = plan.writes.filter((w) => !['done', 'started'].includes(journal.record(w.step).state));
  const begun = new Set(fresh.map((w) => w.step));
  const attempted = new Set<string>();
  const finishes: Promise<void>[] = [];
  try {
    checkStop(ctx);
    await journal.beginMany(
      fresh.map((w) => {
        const rv = journal.backupOf(w)?.resourceVersion ?? '';
        return {
          id: w.step,
          detail: `writing new key ${plan.newKey.fingerprint} at resourceVersion ${rv}`,
          extra: { resourceVersionBefore: rv },
        };
      }),
    );
    await forEachGrouped(
      plan.writes,
      (w) => w.cluster,
      plan.options.maxParallelClusters,
      (w) => {
        attempted.add(w.step);
        return writeOne(ctx, w, counter, { begun: begun.has(w.step), finishes });
      },
    );
    await Promise.all(finishes);
  } catch (error: unknown) {
    await Promise.allSettled(finishes);
    // The writes never sent did not happen: say so, so that nothing fences or waits for them.
    await journal
      .failMany(
        fresh.filter((w) => !attempted.has(w.step) && journal.record(w.step).state === 'started').map((w) => w.step),
        'not written: the rotation stopped before this write',
      )
      .catch(() => undefined);
    const states = plan.writes.map((w) => journal.record(w.step).state);
    const written = states.filter((s) => s === 'done').length;
    const unsure = states.filter((s) => s === 'started').length;
    const needsHuman = error instanceof StopRotation && error.outcome === 'needs-human';
    if (written === 0 && unsure === 0 && !needsHuman) throw new StopRotation('end-unchanged', describeError(error));
    if (error instanceof KubeError || needsHuman) {
      throw new StopRotation(
        'needs-human',
        `${describeError(error)}. ${written} of ${plan.writes.length} Secret(s) hold the new key${unsure > 0 ? ` and ${unsure} may or may not (the write was sent but not confirmed)` : ''}; the old key still works everywhere. ${stopRequested(ctx) ? 'Run' : 'Fix the cause, then run'} "kubecost-rotate resume ${plan.id}" to finish or "kubecost-rotate rollback ${plan.id}" to undo.`,
      );
    }
    throw new StopRotation('roll-back', describeError(error));
  }
}

/** Writes one Secret (or adopts a write that already happened), recording it before and after. */
async function writeOne(
  ctx: StepContext,
  write: PlannedWrite,
  counter: StepCounter,
  batch: { readonly begun: boolean; readonly finishes: Promise<void>[] },
): Promise<void> {
  const { plan, journal } = ctx;
  checkStop(ctx);
  const key = `${write.cluster}/${write.namespace}/${write.secret}`;
  const object = { cluster: write.cluster, namespace: write.namespace, kind: 'Secret', name: write.secret } as const;
  if (journal.record(write.step).state === 'done') return;
  const backup = journal.backupOf(write);
  const newValues = backup?.newData;
  if (!backup || !newValues)
    throw new StopRotation('needs-human', `the journal has no backup of Secret ${key}; it cannot be written safely`);
  const kube = clientOf(ctx, write.cluster);
  // Saved with the next grouped save; writeAll waits for every one before the phase ends.
  const written = (current: V1Secret, detail: string, applied: boolean) => {
    const saved = journal.finish(
      write.step,
      `${detail} at resourceVersion ${current.metadata?.resourceVersion ?? ''}`,
      { resourceVersionAfter: current.metadata?.resourceVersion ?? '' },
    );
    saved.catch(() => undefined); // awaited (and its failure thrown) by writeAll
    batch.finishes.push(saved);
    emitStep(ctx, {
      kind: 'write',
      step: write.step,
      object,
      state: 'done',
      detail: `new key ${plan.newKey.fingerprint} written (was ${plan.credential.fingerprint})`,
      counts: counter.tick(),
      applied,
    });
  };
  if (!batch.begun && journal.record(write.step).state === 'started') {
    // A crash (or a timeout) may have happened after the write: look before writing again.
    const current = await withRetries(ctx, `reading Secret ${key}`, () =>
      kube.readSecret(write.namespace, write.secret),
    );
    if (holdsNew(current.data, backup))
      return written(current, 'written (found after a restart of kubecost-rotate)', false);
    if (!holdsOld(current.data, backup)) {
      throw new StopRotation(
        'needs-human',
        `Secret ${write.namespace}/${write.secret} on ${write.cluster} was changed by someone else during the rotation (it holds neither the old nor the new data). Nothing more was written to it.`,
      );
    }
  }
  if (!batch.begun)
    await journal.begin(
      write.step,
      `writing new key ${plan.newKey.fingerprint} at resourceVersion ${backup.resourceVersion}`,
      { resourceVersionBefore: backup.resourceVersion },
    );
  emitStep(ctx, {
    kind: 'write',
    step: write.step,
    object,
    state: 'started',
    detail: `writing ${write.sites.length} site(s)`,
    counts: counter.counts,
  });
  let result: V1Secret;
  let sent = false;
  // An attempt that got no answer, or a server error after it was sent: it may still land.
  let unsure = false;
  try {
    result = await withRetries(ctx, `writing Secret ${key}`, async () => {
      const current = await kube.readSecret(write.namespace, write.secret);
      if (holdsNew(current.data, backup)) return current; // the previous attempt landed
      if (current.metadata?.resourceVersion !== backup.resourceVersion) {
        throw new StopRotation(
          'roll-back',
          `Secret ${write.namespace}/${write.secret} on ${write.cluster} changed since it was read (resourceVersion ${backup.resourceVersion} → ${current.metadata?.resourceVersion ?? '?'}): someone else edited it during the rotation. Nothing was written to it.`,
        );
      }
      const annotations = {
        ...(current.metadata?.annotations ?? {}),
        [ANNOTATION_ROTATION]: plan.id,
        [ANNOTATION_FINGERPRINT]: plan.newKey.fingerprint,
      };
      sent = true;
      try {
        // The changed keys only: every other key is sent back as read (the resourceVersion proves it).
        return await kube.replaceSecret(secretWith(current, withValues(current.data, newValues), annotations));
      } catch (error: unknown) {
        if (!(error instanceof KubeError) || error.mayHaveApplied) unsure = true;
        throw error;
      }
    });
  } catch (error: unknown) {
    if (unsure) {
      const current = await kube.readSecret(write.namespace, write.secret).catch(() => undefined);
      if (current && holdsNew(current.data, backup)) {
        afterEffect(ctx);
        return written(current, 'written (the answer came late)', true);
      }
      // Left 'started': rollback and resume look at the Secret (and fence it) before doing anything to it.
      throw error instanceof StopRotation
        ? error
        : new StopRotation(
            'roll-back',
            `${describeError(error)} while writing Secret ${key}: no answer came, so the write may or may not have been applied`,
          );
    }
    // Every attempt was answered, or none was sent: nothing of this rotation is in the Secret.
    await journal.fail(write.step, `not written: ${notWrittenBecause(error)}`).catch(() => undefined);
    if (error instanceof KubeError && error.failure === 'Conflict')
      throw new StopRotation(
        'roll-back',
        `Secret ${write.namespace}/${write.secret} on ${write.cluster} was modified by someone else between read and write (resourceVersion conflict). Nothing was written to it.`,
      );
    if (error instanceof KubeError && sent)
      throw new StopRotation(
        'roll-back',
        `Secret ${write.namespace}/${write.secret} on ${write.cluster} was not written: the API server refused it (HTTP ${error.code ?? '?'} ${error.failure}: ${error.detail}). Nothing was written to it.`,
      );
    throw error;
  }
  afterEffect(ctx);
  written(result, 'written', true);
}
