/**
 * Writing a journal state over its Secret: with the resourceVersion it read (two runners cannot
 * interleave), retried when the API server did not answer, and adopted when a save that got no
 * answer landed after all.
 */
import type { KubeClient } from '../../kube/client.js';
import { KubeError } from '../../kube/errors.js';
import type { Clock } from '../../shared/clock.js';
import { retry } from '../../shared/retry.js';
import { JournalConflictError } from '../errors.js';
import { documentOf, toSecret, type JournalState } from './codec.js';

/** Replaces the journal Secret with `state`, updating its resourceVersion; a conflict is a {@link JournalConflictError}. */
export async function storeJournal(
  client: KubeClient,
  namespace: string,
  state: JournalState,
  clock: Clock,
): Promise<void> {
  const { id } = state.doc;
  const name = state.doc.plan.journal.secret;
  await retry(
    async () => {
      try {
        const saved = await client.replaceSecret(toSecret(state, namespace));
        state.resourceVersion = saved.metadata?.resourceVersion ?? '';
      } catch (error: unknown) {
        if (!(error instanceof KubeError && error.mayHaveApplied)) throw error;
        // The save may have landed without an answer: adopt it if the stored journal is ours.
        const stored = await client.readSecret(namespace, name).catch(() => undefined);
        if (stored && documentOf(stored).updatedAt === state.doc.updatedAt) {
          state.resourceVersion = stored.metadata?.resourceVersion ?? '';
          return;
        }
        if (stored && stored.metadata?.resourceVersion !== state.resourceVersion)
          throw new JournalConflictError(id, name);
        throw error;
      }
    },
    {
      clock,
      policy: { attempts: 4, baseMs: 200 },
      retryable: (error) =>
        error instanceof KubeError && (error.retryable || error.failure === 'Timeout')
          ? error.retryAfterMs !== undefined
            ? { afterMs: error.retryAfterMs }
            : {}
          : false,
    },
  ).catch((error: unknown) => {
    if (error instanceof KubeError && error.failure === 'Conflict') throw new JournalConflictError(id, name);
    throw error;
  });
}
