/**
 * The journal document (`journal.json`): the plan, the phase, every step's state and the verdicts.
 * No secret value, fingerprints only. Versioned, and older versions are migrated on read.
 */
import type { CloudId, KeyRef as ProviderKeyRef, Principal } from '../../providers/index.js';
import type { CheckName, Verdict, VerdictReason } from '../../verify/verdict.js';
import type { Phase } from '../machine.js';
import type { KeyMaterial } from '../new-key.js';
import type { NewKeyRef, RotationPlan } from '../plan.js';
import type { BackupRetention } from './material.js';

export type { SecretBackup } from './backup.js';

/**
 * 3: backups hold only the changed data keys, with digests; the values are dropped as material.ts says.
 * 4: the plan's large immutable part is in a plan Secret of its own (plan-part.ts), written once.
 */
export const SCHEMA_VERSION = 4;

export type StepState = 'pending' | 'started' | 'done' | 'failed';

export interface StepRecord {
  state: StepState;
  startedAt?: string;
  endedAt?: string;
  /** What happened, safe to print. */
  detail?: string;
  resourceVersionBefore?: string;
  resourceVersionAfter?: string;
  /** The pod-template token of a restart, to recognise it after a crash. */
  token?: string;
  /** A restore that wrote the previous data back (not one that found it there already). */
  changed?: boolean;
}

export interface JournalEntry {
  readonly at: string;
  readonly phase: Phase;
  readonly message: string;
}

export interface JournalDocument {
  schemaVersion: typeof SCHEMA_VERSION;
  id: string;
  phase: Phase;
  plan: RotationPlan;
  /** Forward steps (stage, write, restart), by step id. */
  steps: Record<string, StepRecord>;
  /** Rollback steps (restore, fence, restart), by step id. */
  rollback: Record<string, StepRecord>;
  verdicts: Verdict[];
  timeline: JournalEntry[];
  createdAt: string;
  updatedAt: string;
  /** Why the rotation stopped, when it did not verify. */
  reason?: string;
  /** How long the old data of the Secrets is kept, and when it was dropped (schema 3). */
  retention?: BackupRetention;
  /** The old key's retirement at the provider, once asked for (retire-flow.ts). */
  retire?: RetireRecord;
  /** The key this rotation mints at the provider (`rotate --issue`); absent for a key the user brings. */
  issue?: IssueRecord;
}

/**
 * The retirement of the old key: the policy, the key at the provider by reference (no secret), and
 * each effect recorded before (`*Started`) and after it happened. Times are ISO 8601.
 */
export interface RetireRecord {
  policy: 'deactivate' | 'delete';
  graceMs: number;
  /** The old key at the provider (principal, key id; Azure: slot and fingerprint). */
  ref?: ProviderKeyRef;
  deactivateStarted?: string;
  deactivatedAt?: string;
  /** When the old key may be deleted: deactivatedAt + grace. */
  deleteAfter?: string;
  deleteStarted?: string;
  deletedAt?: string;
  reactivateStarted?: string;
  reactivatedAt?: string;
  /** What the last evidence check showed, one line each (no secret). */
  evidence?: string[];
  /** Why an attempt was refused, the last time one was. */
  refused?: string;
}

/**
 * A key minted at the provider, by reference only (no key material: the journal holds the minted
 * key's material in `new-key`, as it holds a key the user brings). The intent is recorded before
 * the provider is called, so a crash between the call and the next save leaves a key that `resume`
 * and `rollback` can find among the principal's keys: one not in `keysBefore`.
 */
export interface IssueRecord {
  readonly provider: CloudId;
  readonly principal: Principal;
  /** The key the sites hold (Azure: its slot and the fingerprint of its value). */
  readonly replacing: ProviderKeyRef;
  /** The principal's keys when the intent was recorded. */
  readonly keysBefore: readonly ProviderKeyRef[];
  /** Keys deleted before minting (`--delete-inactive`). */
  readonly deleteFirst: readonly ProviderKeyRef[];
  /** intent: recorded before the call (a key may be minted); issued: `ref` is the minted key; deleted: rolled back. */
  readonly state: 'intent' | 'issued' | 'deleted';
  readonly ref?: ProviderKeyRef;
  /** ISO 8601. */
  readonly intentAt: string;
  readonly issuedAt?: string;
  /** What `--retire` and `--grace` asked for, for the retire step. */
  readonly retire: 'none' | 'deactivate' | 'delete';
  readonly graceMs: number;
}

/** A key just minted (`rotate --issue`): its material (kept in `new-key`, never here), its reference, the phase message. */
export interface MintedKey {
  readonly key: KeyMaterial;
  readonly ref: NewKeyRef;
  readonly message: string;
}

/** Thrown when a journal cannot be read: edited by hand, truncated, or from a newer kubecost-rotate. */
export class JournalUnreadableError extends Error {
  override readonly name = 'JournalUnreadableError';
}

interface V1Verdict {
  readonly check: Verdict['check'];
  readonly target: string;
  readonly ok: boolean;
  readonly evidence: string;
}

/** The reason a version-1 verdict gets: [when it passed, when it did not]. */
const V1_REASONS: Readonly<Record<CheckName, readonly [VerdictReason, VerdictReason]>> = {
  'pods-restarted': ['PodsRestarted', 'PodsNotRestarted'],
  logs: ['NoAuthFailure', 'AuthFailureLogged'],
  'cloud-cost-status': ['ConnectionSuccessful', 'ConnectionNotProven'],
  'secret-holds-new-key': ['SecretHoldsNewKey', 'SecretChanged'],
  probe: ['ProbePassed', 'ProbeFailed'],
};

/** Reads a journal document of any known version into the current one. */
export function migrate(raw: unknown, secretName: string): JournalDocument {
  const doc = raw as { schemaVersion?: unknown; verdicts?: unknown[] } & Record<string, unknown>;
  if (doc.schemaVersion === SCHEMA_VERSION) return doc as unknown as JournalDocument;
  // Version 3 keeps the whole plan inline (codec.ts reads either), version 2 differs in its backups
  // too (whole Secrets' data), which codec.ts reads.
  if (doc.schemaVersion === 3 || doc.schemaVersion === 2)
    return { ...(doc as unknown as JournalDocument), schemaVersion: SCHEMA_VERSION };
  if (doc.schemaVersion === 1) {
    // Version 1 had a boolean verdict; a check then either passed or did not.
    const verdicts = ((doc.verdicts ?? []) as V1Verdict[]).map((v): Verdict => ({
      check: v.check,
      target: v.target,
      status: v.ok ? 'passed' : 'failed',
      reason: V1_REASONS[v.check][v.ok ? 0 : 1],
      evidence: v.evidence,
    }));
    return { ...(doc as unknown as JournalDocument), schemaVersion: SCHEMA_VERSION, verdicts };
  }
  throw new JournalUnreadableError(
    `journal ${secretName} has schema version ${String(doc.schemaVersion)}, which this kubecost-rotate does not know; use a newer version`,
  );
}
