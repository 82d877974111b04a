/** Finding journals across a fleet: by rotation id (or a unique prefix), and all of them for history. */
import type { KubeClient } from '../../kube/client.js';
import type { Clock } from '../../shared/clock.js';
import { dropIfExpired } from '../retention.js';
import { ConfigError } from '../../shared/errors.js';
import type { JournalDocument } from './document.js';
import { Journal, listJournals, type JournalDeps } from './journal.js';

/** The clusters a command works on, by context name. */
export interface Fleet {
  readonly clients: ReadonlyMap<string, KubeClient>;
}

export interface JournalListing {
  readonly rotations: readonly (JournalDocument & { readonly cluster: string })[];
  /** Clusters whose journals could not be read, with why. */
  readonly problems: readonly string[];
}

/**
 * Every journal on the fleet's clusters, newest first; a cluster that cannot be read is a problem, not
 * an error. Given a clock, expired backups are dropped on the way (retention.ts).
 */
export async function listRotations(fleet: Fleet, clock?: Clock): Promise<JournalListing> {
  const rotations: (JournalDocument & { cluster: string })[] = [];
  const problems: string[] = [];
  await Promise.all(
    [...fleet.clients].map(async ([cluster, client]) => {
      try {
        for (const doc of await listJournals(client, undefined, clock)) rotations.push({ ...doc, cluster });
      } catch (error: unknown) {
        problems.push(`${cluster}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }),
  );
  rotations.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return { rotations, problems };
}

/** Finds a rotation's journal on the selected clusters, by id or unique prefix. */
export async function findJournal(
  fleet: Fleet,
  id: string,
): Promise<{ cluster: string; namespace: string; doc: JournalDocument }> {
  const found: { cluster: string; namespace: string; doc: JournalDocument }[] = [];
  const failures: string[] = [];
  await Promise.all(
    [...fleet.clients].map(async ([cluster, client]) => {
      try {
        for (const doc of await listJournals(client))
          if (doc.id === id || (id.length >= 8 && doc.id.startsWith(id)))
            found.push({ cluster, namespace: doc.plan.journal.namespace, doc });
      } catch (error: unknown) {
        failures.push(`${cluster}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }),
  );
  if (found.length === 1 && found[0]) return found[0];
  if (found.length > 1)
    throw new ConfigError(
      `"${id}" matches ${found.length} rotations: ${found.map((f) => f.doc.id).join(', ')}.`,
      'Give the full rotation id.',
    );
  throw new ConfigError(
    `no rotation "${id}" on the selected clusters${failures.length ? ` (could not read: ${failures.join('; ')})` : ''}.`,
    'Run kubecost-rotate history --all-contexts to list rotations; the journal lives on the primary cluster.',
  );
}

/**
 * Opens a rotation's journal on the fleet's clusters (dropping its backup if it expired); every
 * cluster the rotation spans must be in the fleet.
 */
export async function openJournal(fleet: Fleet, id: string, deps: JournalDeps): Promise<Journal> {
  const found = await findJournal(fleet, id);
  const home = fleet.clients.get(found.cluster) as KubeClient;
  const journal = await Journal.load(home, found.namespace, found.doc.id, deps);
  await dropIfExpired(journal, deps.clock).catch(() => undefined); // a rollback refuses an expired backup anyway
  const missing = [...new Set(journal.plan.sites.map((s) => s.cluster))].filter((c) => !fleet.clients.has(c));
  if (missing.length > 0)
    throw new ConfigError(
      `rotation ${journal.id} spans clusters not in the selection: ${missing.join(', ')}.`,
      'Run it with --all-contexts, or name every cluster with --context.',
    );
  return journal;
}
