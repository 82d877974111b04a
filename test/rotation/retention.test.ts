/** When a backup expires (journal/material.ts): a table of journal documents, a pure function. */
import { describe, expect, it } from 'vitest';
import type { JournalDocument } from '../../src/rotation/journal/document.js';
import { backupExpired, DEFAULT_KEEP_BACKUP_MS } from '../../src/rotation/journal/material.js';

const VERIFIED_AT = '2026-12-01T10:00:00.000Z';
const at = (ms: number) => new Date(Date.parse(VERIFIED_AT) + ms);

function doc(tweaks: Partial<JournalDocument> & { keepBackupMs?: number }): JournalDocument {
  const { keepBackupMs, ...rest } = tweaks;
  return {
    phase: 'Verified',
    plan: { options: keepBackupMs === undefined ? {} : { keepBackupMs } },
    timeline: [{ at: VERIFIED_AT, phase: 'Verified', message: 'verified' }],
    ...rest,
  } as unknown as JournalDocument;
}

describe('a backup', () => {
  const cases: { what: string; doc: JournalDocument; now: Date; expired: boolean }[] = [
    {
      what: 'of a Verified rotation, 7 days after by default',
      doc: doc({}),
      now: at(DEFAULT_KEEP_BACKUP_MS),
      expired: true,
    },
    {
      what: 'of a Verified rotation, a minute before',
      doc: doc({}),
      now: at(DEFAULT_KEEP_BACKUP_MS - 60_000),
      expired: false,
    },
    {
      what: 'kept for --keep-backup 1h, after it',
      doc: doc({ keepBackupMs: 3_600_000 }),
      now: at(3_600_000),
      expired: true,
    },
    {
      what: 'with its keepUntil recorded, after it',
      doc: doc({ retention: { keepUntil: at(60_000).toISOString() } }),
      now: at(60_000),
      expired: true,
    },
    {
      what: 'being rolled back (--force), long after its keepUntil',
      doc: doc({ phase: 'RollingBack', retention: { keepUntil: at(60_000).toISOString() } }),
      now: at(10 * DEFAULT_KEEP_BACKUP_MS),
      expired: false,
    },
    {
      what: 'of a rotation stopped for a human',
      doc: doc({ phase: 'NeedsHuman' }),
      now: at(10 * DEFAULT_KEEP_BACKUP_MS),
      expired: false,
    },
    {
      what: 'already dropped',
      doc: doc({ retention: { keepUntil: VERIFIED_AT, droppedAt: VERIFIED_AT, droppedBecause: 'retired' } }),
      now: at(DEFAULT_KEEP_BACKUP_MS),
      expired: false,
    },
  ];
  for (const c of cases)
    it(`${c.what}: ${c.expired ? 'expired' : 'kept'}`, () => expect(backupExpired(c.doc, c.now)).toBe(c.expired));
});
