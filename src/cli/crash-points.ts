/**
 * The crash matrix's hook (tests only): KUBECOST_ROTATE_TEST_CRASH=journal:N kills this process with
 * SIGKILL right after the Nth journal save; effect:N right after the Nth external effect, before the
 * journal records it. With the prefix `pause-` (pause-effect:N) the process stops itself with SIGSTOP
 * there instead, so that a test can act at exactly that point (edit a Secret) and then SIGCONT it.
 */
import { NO_HOOKS, type JournalHooks } from '../rotation/journal/hooks.js';

export function crashPointsFrom(spec: string | undefined): JournalHooks {
  if (!spec) return NO_HOOKS;
  const pause = spec.startsWith('pause-');
  const [what, count] = (pause ? spec.slice('pause-'.length) : spec).split(':');
  const at = Number(count);
  let saves = 0;
  let effects = 0;
  const die = () => process.kill(process.pid, pause ? 'SIGSTOP' : 'SIGKILL');
  return {
    afterSave: () => {
      if (what === 'journal' && ++saves === at) die();
    },
    afterEffect: () => {
      if (what === 'effect' && ++effects === at) die();
    },
  };
}
