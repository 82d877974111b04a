/** Exit codes of the rotation commands, from the phase a rotation was left in (DESIGN §2). */
import type { Phase } from '../../rotation/machine.js';
import { ExitCode } from '../../shared/errors.js';

/** rotate and resume: 0 verified (or its old key retired), 1 rolled back, 3 needs a human (or a grace period runs). */
export function exitForRotation(phase: Phase): number {
  if (phase === 'Verified' || phase === 'Retired') return ExitCode.Ok;
  if (phase === 'RolledBack') return ExitCode.Failed;
  return ExitCode.NeedsHuman;
}

/** rollback: 0 once rolled back, 3 otherwise. */
export function exitForRollback(phase: Phase): number {
  return phase === 'RolledBack' ? ExitCode.Ok : ExitCode.NeedsHuman;
}

/** What `--no-probe` costs, said every time it is used (plan and rotate). */
export const NO_PROBE_WARNING =
  'WARNING: --no-probe: the new key is NOT proven at its provider before it is written, and no site is probed after the restarts.\n' +
  '         A key the provider does not know would be written everywhere and every consumer restarted onto it before verification rolls it back.\n';

/**
 * rotate --issue --retire deactivate|delete, after Verified: 0 once the old key is retired or its
 * grace period runs (resume deletes it after), 3 while the evidence did not allow it (refused, too
 * early to tell: the result names the command that retires it later).
 */
export function exitForRotateRetire(phase: Phase): number {
  return phase === 'Retired' || phase === 'Retiring' ? ExitCode.Ok : ExitCode.NeedsHuman;
}

/** retire: 0 once the old key is retired; 3 while it is not (refused, too early to tell, a grace period running, stopped). */
export function exitForRetire(phase: Phase): number {
  return phase === 'Retired' ? ExitCode.Ok : ExitCode.NeedsHuman;
}
