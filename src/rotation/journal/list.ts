/** Listing the journals of a cluster: their heads, each read with its plan Secret from the same list. */
import type { KubeClient } from '../../kube/client.js';
import type { Clock } from '../../shared/clock.js';
import { MANAGED_BY_SELECTOR } from '../../shared/labels.js';
import { dropExpiredBackups } from '../retention.js';
import { documentOf } from './codec.js';
import type { JournalDocument } from './document.js';
import { isPlanSecret } from './plan-part.js';

/**
 * The journals on a cluster (for history and resume by id), or in one namespace of it; only
 * journal.json is read, never the key material. Given a clock, backups that expired are dropped
 * first (best effort: retention.ts).
 */
export async function listJournals(client: KubeClient, namespace?: string, clock?: Clock): Promise<JournalDocument[]> {
  const listed = await client.listSecretsByLabel(MANAGED_BY_SELECTOR, namespace);
  // A plan Secret is read with its head (same namespace); one without a head (an orphan) is ignored.
  const plans = new Map(
    listed.filter(isPlanSecret).map((s) => [`${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`, s]),
  );
  const journals = listed
    .filter((s) => s.data?.['journal.json'])
    .map((head) => ({
      head,
      plan: plans.get(`${head.metadata?.namespace ?? ''}/${head.metadata?.name ?? ''}-plan`),
    }));
  return clock ? dropExpiredBackups(client, journals, clock) : journals.map((j) => documentOf(j.head, j.plan));
}
