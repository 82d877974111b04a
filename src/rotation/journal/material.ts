/**
 * How long a journal keeps key material (issue 8, defect 11). The new key and the new values of the
 * Secrets are dropped when the rotation is Verified (they are in the Secrets; digests stay). The old
 * values stay for `rollback --force` until the old key is retired (the retire step drops them) or
 * the backup expires (`--keep-backup`, 7 days after Verified by default), whichever comes first. A
 * RolledBack rotation keeps none.
 */
import type { SecretBackup } from './backup.js';
import type { JournalState } from './codec.js';
import type { JournalDocument } from './document.js';
import { isEnded } from '../machine.js';

/** How long the old data of a Verified rotation is kept by default (`rotate --keep-backup`). */
export const DEFAULT_KEEP_BACKUP_MS = 7 * 24 * 3_600_000;

/** What a journal keeps of the Secrets' old data (absent in journals of schema 2 and before Verified). */
export interface BackupRetention {
  /** Until when the old data is kept (set when the rotation is Verified). */
  readonly keepUntil?: string;
  /** When the old data was dropped, and why (the old key was retired, the backup expired). */
  readonly droppedAt?: string;
  readonly droppedBecause?: string;
}

/** When a Verified rotation was verified (its timeline says), if it was. */
function verifiedAt(doc: JournalDocument): number | undefined {
  const entry = [...doc.timeline].reverse().find((e) => e.phase === 'Verified');
  return entry ? Date.parse(entry.at) : undefined;
}

/** Until when a rotation's old data is kept; undefined while it is needed whatever the time (not Verified). */
export function keepUntil(doc: JournalDocument): number | undefined {
  if (doc.retention?.keepUntil) return Date.parse(doc.retention.keepUntil);
  const at = doc.phase === 'Verified' || doc.phase === 'Retiring' ? verifiedAt(doc) : undefined;
  return at === undefined ? undefined : at + (doc.plan.options.keepBackupMs ?? DEFAULT_KEEP_BACKUP_MS);
}

/** Whether a rotation's old data has outlived its retention (it is then dropped when the journal is next read). */
export function backupExpired(doc: JournalDocument, now: Date): boolean {
  const until = keepUntil(doc);
  return doc.retention?.droppedAt === undefined && until !== undefined && now.getTime() >= until;
}

/** Whether a journal still holds any old data of its Secrets. */
export function holdsOldData(state: { readonly backups: ReadonlyMap<string, SecretBackup> }): boolean {
  return [...state.backups.values()].some((b) => b.data !== undefined);
}

/** Drops the new values of every backup (the digests stay). */
export function dropNewData(state: JournalState): void {
  for (const [key, backup] of state.backups) {
    const { newData: _dropped, ...rest } = backup;
    state.backups.set(key, rest);
  }
}

/** Drops the old values of every backup (the digests stay) and records when and why. */
export function dropOldData(state: JournalState, at: Date, because: string): void {
  dropNewData(state);
  for (const [key, backup] of state.backups) {
    const { data: _dropped, ...rest } = backup;
    state.backups.set(key, rest);
  }
  state.doc.retention = { ...state.doc.retention, droppedAt: at.toISOString(), droppedBecause: because };
}

/**
 * Drops what an ended rotation no longer needs: the new key and the new values once Verified (or
 * later), everything once RolledBack. Returns whether anything was dropped.
 */
export function dropMaterialFor(state: JournalState): boolean {
  const { phase } = state.doc;
  if (!isEnded(phase) && phase !== 'Retiring') return false;
  const backups = [...state.backups.values()];
  const leftover =
    state.newKey !== undefined ||
    backups.some((b) => b.newData !== undefined) ||
    (phase === 'RolledBack' && backups.length > 0);
  delete state.newKey;
  dropNewData(state);
  if (phase === 'RolledBack') state.backups.clear();
  return leftover;
}
