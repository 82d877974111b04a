/**
 * The phases of a rotation and the transitions between them, as one table (DESIGN §4). The
 * journal refuses any other transition. Minting and retiring keys (Issued, Retiring, Retired) add
 * their rows here.
 */

export type Phase =
  /** The journal exists; nothing was read or written yet. */
  | 'Planned'
  /** Every Secret was read, still holds the old key, and is backed up with its new bytes. */
  | 'Staged'
  /** Every Secret holds the new key. */
  | 'Written'
  /** Every consumer was restarted and rolled out. */
  | 'Restarted'
  /** Every check passed: every consumer uses the new key. */
  | 'Verified'
  /** The previous data is being put back. */
  | 'RollingBack'
  /** Every Secret holds its previous data (or nothing was ever changed). */
  | 'RolledBack'
  /** Stopped where a human must decide: resume or roll back. */
  | 'NeedsHuman';

/** The phases a rotation can go to from each phase. */
export const TRANSITIONS: Readonly<Record<Phase, readonly Phase[]>> = {
  Planned: ['Staged', 'RollingBack', 'RolledBack', 'NeedsHuman'],
  Staged: ['Written', 'RollingBack', 'RolledBack', 'NeedsHuman'],
  Written: ['Restarted', 'RollingBack', 'NeedsHuman'],
  Restarted: ['Verified', 'RollingBack', 'NeedsHuman'],
  // Only with rollback --force, while the old key is still active.
  Verified: ['RollingBack'],
  RollingBack: ['RolledBack', 'NeedsHuman'],
  RolledBack: [],
  // resume goes on from Staged (or Planned, before anything was staged); rollback undoes.
  NeedsHuman: ['Planned', 'Staged', 'RollingBack', 'RolledBack', 'NeedsHuman'],
};

/** The forward path: the step that moves a rotation from each phase to the next. */
export type ForwardStepName = 'stage' | 'write' | 'restart' | 'verify';

export const FORWARD: readonly { readonly from: Phase; readonly step: ForwardStepName; readonly to: Phase }[] = [
  { from: 'Planned', step: 'stage', to: 'Staged' },
  { from: 'Staged', step: 'write', to: 'Written' },
  { from: 'Written', step: 'restart', to: 'Restarted' },
  { from: 'Restarted', step: 'verify', to: 'Verified' },
];

/** Phases after which nothing more happens by itself. */
export function isEnded(phase: Phase): boolean {
  return phase === 'Verified' || phase === 'RolledBack';
}

export function canTransition(from: Phase, to: Phase): boolean {
  return TRANSITIONS[from].includes(to);
}
