/**
 * Rollback: put the exact previous data back into every Secret this rotation may have written, and
 * restart their readers again. It never throws for a cluster that fails: it restores what it can on
 * every cluster, then ends RolledBack, or NeedsHuman with what is left to do.
 */
import type { V1Secret } from '@kubernetes/client-node';
import { KubeError } from '../../kube/errors.js';
import { ANNOTATION_FENCE } from '../../shared/labels.js';
import { carriesRotation, holdsNew, holdsOld, withoutRotationAnnotations, withValues } from '../journal/backup.js';
import type { PlannedWrite } from '../plan.js';
import {
  afterEffect,
  clientOf,
  describeError,
  emitStep,
  secretWith,
  StepCounter,
  withRetries,
  type StepContext,
} from './context.js';
import { undoIssue } from './issue.js';
import { restartWaves } from './restart.js';

type RestoreOutcome = 'restored' | 'already' | 'changed';

const refusedAsStale = (error: unknown) => error instanceof KubeError && error.failure === 'Conflict';

/**
 * Bumps the resourceVersion of a Secret that holds its previous data while a write of this rotation
 * may still land (it was sent and never answered): an annotation is set, then removed, so the data
 * and annotations end as they were, and a late write, which carries the old resourceVersion, fails
 * with 409. Returns false when the Secret changed meanwhile (look at it again).
 */
async function fence(ctx: StepContext, write: PlannedWrite, current: V1Secret): Promise<boolean> {
  const { plan, journal } = ctx;
  const kube = clientOf(ctx, write.cluster);
  const key = `${write.cluster}/${write.namespace}/${write.secret}`;
  const step = `fence:${key}`;
  await journal.begin(
    step,
    `fencing a write that may still land (resourceVersion ${current.metadata?.resourceVersion ?? ''})`,
    {},
    'rollback',
  );
  const annotations = { ...(current.metadata?.annotations ?? {}) };
  try {
    const marked = await kube.replaceSecret(
      secretWith(current, current.data ?? {}, { ...annotations, [ANNOTATION_FENCE]: plan.id }),
    );
    afterEffect(ctx);
    const unmarked = await kube.replaceSecret(secretWith(marked, current.data ?? {}, annotations));
    afterEffect(ctx);
    await journal.finish(step, `fenced at resourceVersion ${unmarked.metadata?.resourceVersion ?? ''}`, {}, 'rollback');
    emitStep(ctx, {
      kind: 'fence',
      step,
      object: { cluster: write.cluster, namespace: write.namespace, kind: 'Secret', name: write.secret },
      state: 'done',
      detail: `a late write of the new key can no longer land (resourceVersion ${unmarked.metadata?.resourceVersion ?? ''})`,
      counts: { done: 1, total: 1 },
    });
    return true;
  } catch (error: unknown) {
    if (refusedAsStale(error)) return false;
    throw error;
  }
}

/** Restores one Secret; returns what it found, or pushes what is left to do onto `leftOver`. */
async function restoreOne(
  ctx: StepContext,
  write: PlannedWrite,
  counter: StepCounter,
  leftOver: string[],
): Promise<RestoreOutcome | undefined> {
  const { plan, journal } = ctx;
  const key = `${write.cluster}/${write.namespace}/${write.secret}`;
  const step = `restore:${key}`;
  if (journal.record(step, 'rollback').state === 'done') return 'already';
  const backup = journal.backupOf(write);
  const oldValues = backup?.data;
  if (!backup || !oldValues) {
    leftOver.push(`the journal ${backup ? 'no longer holds the previous data' : 'has no backup'} of Secret ${key}`);
    return undefined;
  }
  const kube = clientOf(ctx, write.cluster);
  // A write that was sent and never answered may still land: until the Secret is fenced, it is not safe.
  const mayLand = () =>
    journal.record(write.step).state === 'started' && journal.record(`fence:${key}`, 'rollback').state !== 'done';
  let outcome = 'already' as RestoreOutcome;
  let restored: V1Secret | undefined;
  await journal.begin(step, `restoring the data read at resourceVersion ${backup.resourceVersion}`, {}, 'rollback');
  // A late write can land between a read and the next write: a 409 means look again.
  for (let look = 1; !restored; look++) {
    // Read inside each attempt: a restore that timed out but landed must not be sent again with a stale resourceVersion.
    const current = await withRetries(ctx, `reading Secret ${key}`, () =>
      kube.readSecret(write.namespace, write.secret),
    );
    try {
      // Only the data keys the rotation changed are compared and restored: edits to other keys stay.
      const annotations = withoutRotationAnnotations(current.metadata?.annotations, backup);
      if (holdsOld(current.data, backup)) {
        // Its owner (an ExternalSecret, Argo CD) may have put the old data back, leaving this rotation's annotations.
        let found = current;
        if (carriesRotation(current.metadata?.annotations, plan.id)) {
          found = await kube.replaceSecret(secretWith(current, current.data ?? {}, annotations));
          afterEffect(ctx);
        }
        if (mayLand() && !(await fence(ctx, write, found))) continue;
        restored = found;
      } else if (!holdsNew(current.data, backup)) {
        outcome = 'changed';
        restored = current;
      } else {
        restored = await withRetries(ctx, `restoring Secret ${key}`, () =>
          kube.replaceSecret(secretWith(current, withValues(current.data, oldValues), annotations)),
        );
        outcome = 'restored';
      }
    } catch (error: unknown) {
      if (!refusedAsStale(error) || look >= 5) throw error;
    }
  }
  if (outcome === 'changed') {
    leftOver.push(
      `Secret ${write.namespace}/${write.secret} on ${write.cluster} was changed by someone else after the rotation read it; it was left as it is (the previous values of the keys the rotation changed are in the journal)`,
    );
    await journal.fail(step, 'changed by someone else; left untouched', 'rollback');
    return outcome;
  }
  if (outcome === 'restored') afterEffect(ctx);
  await journal.finish(
    step,
    outcome === 'restored'
      ? `restored at resourceVersion ${restored.metadata?.resourceVersion ?? ''}`
      : 'already held the previous data',
    { changed: outcome === 'restored' },
    'rollback',
  );
  emitStep(ctx, {
    kind: 'restore',
    step,
    object: { cluster: write.cluster, namespace: write.namespace, kind: 'Secret', name: write.secret },
    state: 'done',
    detail: `previous data restored (key ${plan.credential.fingerprint})`,
    counts: counter.tick(),
    applied: outcome === 'restored',
    purpose: 'rollback',
  });
  return outcome;
}

/** Rolls back; ends the journal RolledBack, or NeedsHuman with what is left to do. */
export async function rollback(ctx: StepContext, reason: string): Promise<void> {
  const { plan, journal, deps } = ctx;
  if (journal.phase !== 'RollingBack') {
    await journal.advance('RollingBack', reason);
    deps.emit({ type: 'phase', rotation: plan.id, phase: 'RollingBack', message: reason });
  }
  const touched = plan.writes.filter((w) => ['done', 'started'].includes(journal.record(w.step).state));
  const leftOver: string[] = [];
  const counter = new StepCounter(touched.length);
  await Promise.all(
    touched.map(async (write) => {
      try {
        await restoreOne(ctx, write, counter, leftOver);
      } catch (error: unknown) {
        leftOver.push(
          `Secret ${write.namespace}/${write.secret} on ${write.cluster} could not be restored: ${describeError(error)}`,
        );
      }
    }),
  );
  // Restart the readers of the Secrets really changed back, and every workload the rotation restarted
  // (it may run with the new key); not the readers of a Secret that never held the new key.
  const changedBack = new Set(
    touched
      .filter((w) => {
        const record = journal.record(`restore:${w.cluster}/${w.namespace}/${w.secret}`, 'rollback');
        // Journals of schema 1 did not record `changed`; their detail says it.
        return record.changed ?? record.detail?.startsWith('restored at') === true;
      })
      .map((w) => `${w.cluster}/${w.namespace}/${w.secret}`),
  );
  const restarts = plan.restarts.filter(
    (r) =>
      journal.record(r.step).state !== 'pending' ||
      plan.sites.some(
        (s) =>
          changedBack.has(`${s.cluster}/${s.namespace}/${s.secret}`) &&
          s.cluster === r.cluster &&
          s.namespace === r.namespace &&
          s.consumers.some((c) => c.kind === r.kind && c.name === r.name),
      ),
  );
  try {
    await restartWaves(ctx, { restarts, book: 'rollback', token: `${plan.id}-rollback`, purpose: 'rollback' });
  } catch (error: unknown) {
    leftOver.push(
      `the previous data is back, but a restart did not complete: ${describeError(error)}; restart it by hand (kubectl rollout restart), then run "kubecost-rotate rollback ${plan.id}" again`,
    );
  }
  // A key minted for this rotation is deleted once no Secret holds it and no consumer runs with it.
  const undo = leftOver.length === 0 ? await undoIssue(ctx) : undefined;
  if (undo) leftOver.push(undo);
  if (leftOver.length > 0) {
    const message = leftOver.join('; ');
    await journal.end('NeedsHuman', message);
    deps.emit({ type: 'phase', rotation: plan.id, phase: 'NeedsHuman', message });
    return;
  }
  await journal.end('RolledBack', reason);
  deps.emit({ type: 'phase', rotation: plan.id, phase: 'RolledBack', message: reason });
}
