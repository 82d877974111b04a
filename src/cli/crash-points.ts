/**
 * The crash matrix's hook (tests only): KUBECOST_ROTATE_TEST_CRASH=journal:N kills this process with
 * SIGKILL right after the Nth journal save; effect:N right after the Nth external effect, before the
 * journal records it. rollback-journal:N and rollback-effect:N count only the saves and effects made
 * while the rotation is RollingBack, so a test can kill a run inside its automatic rollback. With the
 * prefix `pause-` (pause-effect:N) the process stops itself with SIGSTOP there instead, so that a test
 * can act at exactly that point (edit a Secret) and then SIGCONT it.
 */
import { NO_HOOKS, type JournalHooks } from '../rotation/journal/hooks.js';
import type { Phase } from '../rotation/machine.js';

export function crashPointsFrom(spec: string | undefined): JournalHooks {
  if (!spec) return NO_HOOKS;
  const pause = spec.startsWith('pause-');
  const [what, count] = (pause ? spec.slice('pause-'.length) : spec).split(':');
  const at = Number(count);
  const inRollback = what?.startsWith('rollback-') === true;
  const kind = inRollback ? what?.slice('rollback-'.length) : what;
  const counts = (phase: Phase) => !inRollback || phase === 'RollingBack';
  let saves = 0;
  let effects = 0;
  const die = () => process.kill(process.pid, pause ? 'SIGSTOP' : 'SIGKILL');
  return {
    afterSave: (phase) => {
      if (kind === 'journal' && counts(phase) && ++saves === at) die();
    },
    afterEffect: (phase) => {
      if (kind === 'effect' && counts(phase) && ++effects === at) die();
    },
  };
}
