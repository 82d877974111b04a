/**
 * Crash points of the journal, injected: the crash matrix kills the process right after the Nth
 * journal save or the Nth external effect (before the journal records it). Production code runs
 * with {@link NO_HOOKS}.
 */
export interface JournalHooks {
  /** Called after every journal save that landed. */
  afterSave(): void;
  /** Called after every external effect (a Secret write, a restart), before the journal records it. */
  afterEffect(): void;
}

export const NO_HOOKS: JournalHooks = { afterSave: () => undefined, afterEffect: () => undefined };
