/** `retire ID`: retire the old key of a Verified rotation at the provider, on evidence (issue 10). */
import { ConfigError } from '../../shared/errors.js';
import { progressOutput, rotationService, type CommandContext } from '../context.js';
import { checkRotationId, parseDuration, selectionOf, type RotationFlags } from '../flags.js';
import { exitForRetire } from './outcome.js';

/** `--retire deactivate|delete` and `--grace DURATION`; unset, the journal's (else deactivate, 24h). */
export function retireRequestOf(flags: RotationFlags): { policy?: 'deactivate' | 'delete'; graceMs?: number } {
  const { retire } = flags;
  if (retire !== undefined && retire !== 'deactivate' && retire !== 'delete')
    throw new ConfigError(
      `--retire ${retire} is not a policy retire can carry out.`,
      'Use --retire deactivate (the old key made inactive) or --retire delete (deactivated, then deleted after --grace).',
    );
  return {
    ...(retire !== undefined ? { policy: retire } : {}),
    ...(flags.grace !== undefined ? { graceMs: parseDuration(flags.grace, '--grace') } : {}),
  };
}

export async function retireCommand(
  ctx: CommandContext,
  id: string,
  flags: RotationFlags,
  stop?: AbortSignal,
): Promise<number> {
  checkRotationId(id);
  const request = retireRequestOf(flags);
  const outcome = await rotationService(ctx, flags, stop).retire(
    id,
    selectionOf(ctx.io, flags, true),
    request,
    (plan) => progressOutput(ctx, flags, plan),
  );
  return exitForRetire(outcome.phase);
}
