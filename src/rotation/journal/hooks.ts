import type { Phase } from '../machine.js';

/**
 * Crash points of the journal, injected: the crash matrix kills the process right after the Nth
 * journal save or the Nth external effect (before the journal records it), counted over the whole
 * run or only while the rotation is in a given phase (inside an automatic rollback). Production
 * code runs with {@link NO_HOOKS}.
 */
export interface JournalHooks {
  /** Called after every journal save that landed, with the phase that save recorded. */
  afterSave(phase: Phase): void;
  /** Called after every external effect (a Secret write, a restart), before the journal records it. */
  afterEffect(phase: Phase): void;
}

export const NO_HOOKS: JournalHooks = { afterSave: () => undefined, afterEffect: () => undefined };
