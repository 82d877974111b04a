/** `plan`: the ordered change set of one rotation, with a redacted diff. Writes nothing. */
import { ConfigError, ExitCode } from '../../shared/errors.js';
import { rotationService, type CommandContext } from '../context.js';
import { readNewKey, rotationOptionsOf, selectionOf, type RotationFlags } from '../flags.js';
import { planSteps, renderPlanText } from '../render/plan.js';
import { parseOutputFormat, renderDocument } from '../render/table.js';
import { NO_PROBE_WARNING } from './outcome.js';

export async function planCommand(ctx: CommandContext, flags: RotationFlags): Promise<number> {
  const format = parseOutputFormat(flags.output);
  if (!flags.credential)
    throw new ConfigError('--credential is required: the credential id or fingerprint from kubecost-rotate discover.');
  const newKey = await readNewKey(flags, ctx.io);
  const { plan } = await rotationService(ctx, flags).prepare({
    selection: selectionOf(ctx.io, flags),
    ...(flags.namespace ? { namespace: flags.namespace } : {}),
    credential: flags.credential,
    ...(newKey ? { newKey } : {}),
    options: rotationOptionsOf(flags),
  });
  if (flags.probe === false) ctx.io.stderr.write(NO_PROBE_WARNING);
  ctx.io.stdout.write(
    format === 'table' ? renderPlanText(plan) : renderDocument(format, { ...plan, steps: planSteps(plan) }),
  );
  return ExitCode.Ok;
}
