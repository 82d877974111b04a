/** `resume ID`: finish a rotation that stopped (crash, unreachable cluster, Ctrl-C) from its journal. */
import { progressOutput, rotationService, type CommandContext } from '../context.js';
import { checkRotationId, rotationOptionsOf, selectionOf, type RotationFlags } from '../flags.js';
import { exitForRotation } from './outcome.js';

export async function resumeCommand(
  ctx: CommandContext,
  id: string,
  flags: RotationFlags,
  stop?: AbortSignal,
): Promise<number> {
  checkRotationId(id);
  const outcome = await rotationService(ctx, flags, stop).resume(
    id,
    selectionOf(ctx.io, flags, true),
    rotationOptionsOf(flags),
    (plan) => progressOutput(ctx, flags, plan),
  );
  return exitForRotation(outcome.phase);
}
