/**
 * The frame of every use case that goes on from a journal (resume, rollback, retire): the
 * rotation's progress stream, the credential's Lease where the journal lives, and the journal
 * reloaded under it (another run may have changed it while this one waited for the Lease).
 */
import type { Journal } from './journal/journal.js';
import type { RotationPlan } from './plan.js';
import type { ProgressStream } from './progress.js';
import { withLease, type LeaseSettings } from './service-lease.js';

/** Where a command's progress goes: a stream, or one made once the rotation's plan is known (resume, rollback). */
export type ProgressOutput = ProgressStream | ((plan: RotationPlan) => ProgressStream);

export const streamFor = (output: ProgressOutput, plan: RotationPlan): ProgressStream =>
  typeof output === 'function' ? output(plan) : output;

/**
 * Runs `fn` on an opened journal while holding its credential's Lease (the purpose recorded is
 * `purpose` and the rotation's id), once the journal is reloaded.
 */
export function withJournal<T>(
  settings: LeaseSettings,
  journal: Journal,
  purpose: string,
  output: ProgressOutput,
  fn: (stream: ProgressStream) => Promise<T>,
): Promise<T> {
  const stream = streamFor(output, journal.plan);
  const where = { client: journal.client, namespace: journal.namespace };
  return withLease(settings, where, journal.plan, `${purpose} ${journal.id}`, stream, async () => {
    await journal.reload();
    return fn(stream);
  });
}
