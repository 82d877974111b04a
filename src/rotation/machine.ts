/**
 * The phases of a rotation and the transitions between them, as one table (DESIGN §4). The
 * journal refuses any other transition. A rotation with `--issue` mints its key first (Issued);
 * one with a retire policy goes on after Verified to Retiring (the old key deactivated, the grace
 * period running) and Retired (the old key deleted, or deactivated for good).
 */

export type Phase =
  /** The journal exists; nothing was read or written yet (with --issue: the intent to mint is recorded). */
  | 'Planned'
  /** The new key was minted at the provider and its reference is in the journal; no Secret was touched. */
  | 'Issued'
  /** Every Secret was read, still holds the old key, and is backed up with its new bytes. */
  | 'Staged'
  /** Every Secret holds the new key. */
  | 'Written'
  /** Every consumer was restarted and rolled out. */
  | 'Restarted'
  /** Every check passed: every consumer uses the new key. */
  | 'Verified'
  /** The old key is being retired: deactivated, the grace period running before it is deleted. */
  | 'Retiring'
  /** The old key is retired at the provider (deleted, or deactivated when the policy stops there). */
  | 'Retired'
  /** The previous data is being put back (and a minted key deleted, a deactivated one reactivated). */
  | 'RollingBack'
  /** Every Secret holds its previous data (or nothing was ever changed). */
  | 'RolledBack'
  /** Stopped where a human must decide: resume or roll back. */
  | 'NeedsHuman';

export const PHASES: readonly Phase[] = [
  'Planned',
  'Issued',
  'Staged',
  'Written',
  'Restarted',
  'Verified',
  'Retiring',
  'Retired',
  'RollingBack',
  'RolledBack',
  'NeedsHuman',
];

/** The phases a rotation can go to from each phase. */
export const TRANSITIONS: Readonly<Record<Phase, readonly Phase[]>> = {
  Planned: ['Issued', 'Staged', 'RollingBack', 'RolledBack', 'NeedsHuman'],
  // Nothing is written yet: a failure deletes the minted key (RollingBack) and ends.
  Issued: ['Staged', 'RollingBack', 'RolledBack', 'NeedsHuman'],
  Staged: ['Written', 'RollingBack', 'RolledBack', 'NeedsHuman'],
  Written: ['Restarted', 'RollingBack', 'NeedsHuman'],
  Restarted: ['Verified', 'RollingBack', 'NeedsHuman'],
  // Retiring: on evidence, after Verified. RollingBack only with rollback --force, while the old key is still active.
  Verified: ['Retiring', 'RollingBack', 'NeedsHuman'],
  // The grace period: delete (Retired); evidence that the old key is still used stops it (NeedsHuman);
  // rollback --force reactivates the old key first.
  Retiring: ['Retired', 'RollingBack', 'NeedsHuman'],
  Retired: [],
  RollingBack: ['RolledBack', 'NeedsHuman'],
  RolledBack: [],
  // resume goes on from the phase the facts show; retire goes on with the old key's retirement; rollback undoes.
  NeedsHuman: ['Planned', 'Issued', 'Staged', 'Verified', 'Retiring', 'RollingBack', 'RolledBack', 'NeedsHuman'],
};

/** The forward path: the step that moves a rotation from each phase to the next. */
export type ForwardStepName = 'stage' | 'write' | 'restart' | 'verify';

/** The forward path of a rotation that mints its key; without --issue it starts at `stage` from Planned. */
export const FORWARD: readonly { readonly from: Phase; readonly step: ForwardStepName; readonly to: Phase }[] = [
  { from: 'Planned', step: 'stage', to: 'Staged' },
  { from: 'Issued', step: 'stage', to: 'Staged' },
  { from: 'Staged', step: 'write', to: 'Written' },
  { from: 'Written', step: 'restart', to: 'Restarted' },
  { from: 'Restarted', step: 'verify', to: 'Verified' },
];

/** The step that mints the key of an --issue rotation, before staging. */
export const ISSUE_STEP = { from: 'Planned', step: 'issue', to: 'Issued' } as const;

/** The next step from `phase`: with `issuing`, Planned mints the key first; otherwise the forward path. */
export function nextStep(
  phase: Phase,
  issuing: boolean,
): { readonly from: Phase; readonly step: ForwardStepName | 'issue'; readonly to: Phase } | undefined {
  if (phase === 'Planned' && issuing) return ISSUE_STEP;
  return FORWARD.find((r) => r.from === phase);
}

/** The steps after Verified: deactivate (Verified → Retiring), then delete after the grace (Retiring → Retired). */
export type RetireStepName = 'deactivate' | 'delete';
export const RETIRE: readonly { readonly from: Phase; readonly step: RetireStepName; readonly to: Phase }[] = [
  { from: 'Verified', step: 'deactivate', to: 'Retiring' },
  { from: 'Retiring', step: 'delete', to: 'Retired' },
];

/** Phases after which nothing more happens by itself (Verified: unless a retire policy goes on, by `retire ID`). */
export function isEnded(phase: Phase): boolean {
  return phase === 'Verified' || phase === 'RolledBack' || phase === 'Retired';
}

/** Phases in which the new key is in use everywhere (a forward rotation that got past verification). */
export function isVerified(phase: Phase): boolean {
  return phase === 'Verified' || phase === 'Retiring' || phase === 'Retired';
}

export function canTransition(from: Phase, to: Phase): boolean {
  return TRANSITIONS[from].includes(to);
}
