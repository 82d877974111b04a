/**
 * The transition table of a rotation (DESIGN §4): the forward path with and without a minted key,
 * the retirement after Verified, and the exits. Pure table tests.
 */
import { describe, expect, it } from 'vitest';
import {
  canTransition,
  FORWARD,
  isEnded,
  isVerified,
  nextStep,
  PHASES,
  RETIRE,
  TRANSITIONS,
  type Phase,
} from '../../src/rotation/machine.js';

/** Walks the path the steps take from `start`, as the runner does. */
function walk(start: Phase, issuing: boolean): Phase[] {
  const path = [start];
  for (let row = nextStep(start, issuing); row; row = nextStep(path.at(-1) as Phase, issuing)) path.push(row.to);
  for (const row of RETIRE) if (path.at(-1) === row.from) path.push(row.to);
  return path;
}

describe('the transition table', () => {
  it('names every phase once, with a row for each', () => {
    expect(new Set(PHASES).size).toBe(PHASES.length);
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...PHASES].sort());
    for (const to of Object.values(TRANSITIONS).flat()) expect(PHASES).toContain(to);
  });

  it('takes an --issue rotation through Issued, and one with a key brought along straight to Staged', () => {
    expect(walk('Planned', true)).toEqual([
      'Planned',
      'Issued',
      'Staged',
      'Written',
      'Restarted',
      'Verified',
      'Retiring',
      'Retired',
    ]);
    expect(walk('Planned', false)).toEqual([
      'Planned',
      'Staged',
      'Written',
      'Restarted',
      'Verified',
      'Retiring',
      'Retired',
    ]);
  });

  it('allows every step of both paths, and nothing that skips one', () => {
    for (const path of [walk('Planned', true), walk('Planned', false)])
      for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1] as Phase, path[i] as Phase)).toBe(true);
    expect(canTransition('Issued', 'Written')).toBe(false);
    expect(canTransition('Restarted', 'Retiring')).toBe(false);
    expect(canTransition('Verified', 'Retired')).toBe(false);
    expect(canTransition('Written', 'Issued')).toBe(false);
  });

  it('lets a minted key be undone before anything is written, and a retiring key be reactivated by a forced rollback', () => {
    expect(canTransition('Issued', 'RollingBack')).toBe(true);
    expect(canTransition('Issued', 'RolledBack')).toBe(true);
    expect(canTransition('Retiring', 'RollingBack')).toBe(true);
    // A deleted key cannot come back: nothing leaves Retired.
    expect(TRANSITIONS.Retired).toEqual([]);
    expect(TRANSITIONS.RolledBack).toEqual([]);
  });

  it('lets a human resume into the mint, the stage, the retirement or its grace period', () => {
    for (const to of ['Planned', 'Issued', 'Staged', 'Verified', 'Retiring', 'RollingBack'] as const)
      expect(canTransition('NeedsHuman', to)).toBe(true);
    expect(canTransition('NeedsHuman', 'Written')).toBe(false);
    expect(canTransition('NeedsHuman', 'Retired')).toBe(false);
  });

  it('ends at Verified, Retired and RolledBack, and counts Retiring and Retired as verified', () => {
    expect(PHASES.filter(isEnded)).toEqual(['Verified', 'Retired', 'RolledBack']);
    expect(PHASES.filter(isVerified)).toEqual(['Verified', 'Retiring', 'Retired']);
    // The forward path never starts from an ended phase.
    for (const row of FORWARD) expect(isEnded(row.from)).toBe(false);
  });
});
