/**
 * The retention of a Verified rotation's backups (issue 8, defect 11; journal/material.ts says what
 * is kept): an expired backup is dropped when its journal is next listed or opened, and a rollback
 * asked of a rotation whose backups are gone is refused, saying why and what to do instead.
 */
import type { V1Secret } from '@kubernetes/client-node';
import type { KubeClient } from '../kube/client.js';
import type { Clock } from '../shared/clock.js';
import { ConfigError } from '../shared/errors.js';
import { documentOf, fromSecret } from './journal/codec.js';
import type { SecretBackup } from './journal/backup.js';
import type { JournalDocument } from './journal/document.js';
import type { RotationPlan } from './plan.js';

/** The parts of an opened journal (journal/journal.ts) that retention needs. */
interface OpenJournal {
  readonly id: string;
  readonly phase: JournalDocument['phase'];
  readonly doc: Readonly<JournalDocument>;
  readonly plan: RotationPlan;
  readonly backups: ReadonlyMap<string, SecretBackup>;
  dropBackups(because: string): Promise<void>;
}
import { backupExpired, DEFAULT_KEEP_BACKUP_MS, dropOldData, holdsOldData } from './journal/material.js';
import { storeJournal } from './journal/store.js';

const days = (ms: number) =>
  ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : `${ms / 1000}s`;

/** Why an expired backup was dropped, for the journal and the refusal of a later rollback. */
export function expiredBecause(doc: JournalDocument): string {
  return `the backup expired ${days(doc.plan.options.keepBackupMs ?? DEFAULT_KEEP_BACKUP_MS)} after the rotation was verified (--keep-backup)`;
}

/**
 * Drops the old data of every listed journal (its head and plan Secrets) whose backup expired; returns every journal's document
 * as it now stands. Best effort: a journal that cannot be written now (read-only access, someone
 * else saving it) keeps its backup until the next listing, and a rollback of it is refused anyway.
 */
export async function dropExpiredBackups(
  client: KubeClient,
  journals: readonly { readonly head: V1Secret; readonly plan?: V1Secret | undefined }[],
  clock: Clock,
): Promise<JournalDocument[]> {
  const now = clock.now();
  return Promise.all(
    journals.map(async ({ head: secret, plan }) => {
      const doc = documentOf(secret, plan);
      try {
        if (!backupExpired(doc, now)) return doc;
        const state = fromSecret(secret, plan);
        if (!holdsOldData(state)) return doc;
        dropOldData(state, now, expiredBecause(state.doc));
        state.doc.updatedAt = now.toISOString();
        await storeJournal(client, secret.metadata?.namespace ?? '', state, clock);
        return state.doc;
      } catch {
        // Left for the next listing; an unreadable journal is reported by whoever reads it.
        return doc;
      }
    }),
  );
}

/** Drops an opened journal's backup if it expired (rollback and resume open journals this way). */
export async function dropIfExpired(journal: OpenJournal, clock: Clock): Promise<void> {
  if (backupExpired(journal.doc, clock.now()) && holdsOldData(journal))
    await journal.dropBackups(expiredBecause(journal.doc));
}

/**
 * Refuses a rollback of a rotation that no longer holds the previous data of its Secrets (after
 * dropping an expired backup): the old key was retired, or the backup expired.
 */
export async function refuseUnrollbackable(journal: OpenJournal, clock: Clock): Promise<void> {
  await dropIfExpired(journal, clock);
  const { retention } = journal.doc;
  const { plan } = journal;
  if (retention?.droppedAt !== undefined)
    throw new ConfigError(
      `rotation ${journal.id} can no longer be rolled back: the previous data of its Secrets was dropped from the journal at ${retention.droppedAt} (${retention.droppedBecause ?? 'no reason recorded'}). Its Secrets hold key ${plan.newKey.keyId ?? plan.newKey.fingerprint}.`,
      `To change the key again, rotate it: kubecost-rotate rotate --credential ${plan.newKey.keyId ?? plan.newKey.fingerprint} --new-key-file FILE (with a new key, or the old key ${plan.credential.keyId ?? plan.credential.fingerprint} if it is still active at the provider).`,
    );
  // Planned or Issued, nothing was staged (a minted key is deleted by the rollback steps).
  if (journal.phase !== 'Planned' && journal.phase !== 'Issued' && !holdsOldData(journal))
    throw new ConfigError(
      `rotation ${journal.id} no longer holds the previous data of its Secrets, so it cannot be rolled back.`,
    );
}
