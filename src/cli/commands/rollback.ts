/** `rollback ID`: restore the exact previous Secret data of a rotation and restart its readers. */
import { progressOutput, rotationService, type CommandContext } from '../context.js';
import { checkRotationId, selectionOf, type RotationFlags } from '../flags.js';
import { exitForRollback } from './outcome.js';

export async function rollbackCommand(
  ctx: CommandContext,
  id: string,
  flags: RotationFlags,
  stop?: AbortSignal,
): Promise<number> {
  checkRotationId(id);
  const outcome = await rotationService(ctx, flags, stop).rollback(
    id,
    selectionOf(ctx.io, flags, true),
    { force: flags.force === true },
    (plan) => progressOutput(ctx, flags, plan),
  );
  return exitForRollback(outcome.phase);
}
