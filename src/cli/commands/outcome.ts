/** Exit codes of the rotation commands, from the phase a rotation was left in (DESIGN §2). */
import type { Phase } from '../../rotation/machine.js';
import { ExitCode } from '../../shared/errors.js';

/** rotate and resume: 0 verified, 1 rolled back, 3 needs a human. */
export function exitForRotation(phase: Phase): number {
  if (phase === 'Verified') return ExitCode.Ok;
  if (phase === 'RolledBack') return ExitCode.Failed;
  return ExitCode.NeedsHuman;
}

/** rollback: 0 once rolled back, 3 otherwise. */
export function exitForRollback(phase: Phase): number {
  return phase === 'RolledBack' ? ExitCode.Ok : ExitCode.NeedsHuman;
}
