/** `plan`: the ordered change set of one rotation, with a redacted diff. Writes nothing. */
import { ConfigError, ExitCode } from '../../shared/errors.js';
import { rotationService, type CommandContext } from '../context.js';
import {
  issuePolicyOf,
  planPolicyOf,
  readNewKey,
  rotationOptionsOf,
  selectionOf,
  type RotationFlags,
} from '../flags.js';
import { planSteps, renderPlanText } from '../render/plan.js';
import { parseOutputFormat, renderDocument } from '../render/table.js';
import { renderIssuePreflight } from '../../rotation/issuing.js';
import { NO_PROBE_WARNING } from './outcome.js';
import { refuseRetireItCannotDo } from '../../rotation/issue-flow.js';
import { refuseRetirePolicy } from '../../rotation/partial-fleet.js';

export async function planCommand(ctx: CommandContext, flags: RotationFlags): Promise<number> {
  const format = parseOutputFormat(flags.output);
  if (!flags.credential)
    throw new ConfigError('--credential is required: the credential id or fingerprint from kubecost-rotate discover.');
  const policy = issuePolicyOf(flags);
  const newKey = await readNewKey(flags, ctx.io);
  const service = rotationService(ctx, flags);
  const prepared = await service.prepare({
    selection: selectionOf(ctx.io, flags),
    ...(flags.namespace ? { namespace: flags.namespace } : {}),
    credential: flags.credential,
    ...(newKey ? { newKey } : {}),
    options: rotationOptionsOf(flags),
    ...planPolicyOf(flags),
  });
  const { plan } = prepared;
  if (flags.probe === false) ctx.io.stderr.write(NO_PROBE_WARNING);
  if (flags.issue) refuseRetirePolicy(plan, policy.retire);
  const issue = flags.issue ? await service.preflightIssue(prepared, policy) : undefined;
  if (issue) refuseRetireItCannotDo(issue, policy);
  ctx.io.stdout.write(
    format === 'table'
      ? renderPlanText(plan) + (issue ? renderIssuePreflight(issue, policy) : '')
      : renderDocument(format, {
          ...plan,
          steps: planSteps(plan),
          ...(issue
            ? { issue: { policy, principal: issue.principal, keys: issue.inspection.keys, preflight: issue.result } }
            : {}),
        }),
  );
  if (issue && !issue.result.ok) {
    const [first] = issue.result.refusals;
    ctx.io.stderr.write(
      `error: --issue is refused before anything is changed: ${issue.result.refusals.map((r) => r.message).join('; ')}\n${first ? `hint: ${first.remedy}\n` : ''}`,
    );
    return ExitCode.Usage;
  }
  return ExitCode.Ok;
}
