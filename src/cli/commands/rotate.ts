/** `rotate`: one credential everywhere it lives, with restarts, verification and rollback. */
import { createInterface } from 'node:readline/promises';
import { ConfigError, ExitCode } from '../../shared/errors.js';
import { progressOutput, rotationService, type CommandContext } from '../context.js';
import {
  issuePolicyOf,
  planPolicyOf,
  readNewKey,
  rotationOptionsOf,
  selectionOf,
  type RotationFlags,
} from '../flags.js';
import { refuseFailedPreflight, refuseRetireItCannotDo } from '../../rotation/issue-flow.js';
import { refuseRetirePolicy } from '../../rotation/partial-fleet.js';
import { renderIssuePreflight } from '../../rotation/issuing.js';
import type { CliIo } from '../io.js';
import { renderPlanText } from '../render/plan.js';
import { exitForRotateRetire, exitForRotation, NO_PROBE_WARNING } from './outcome.js';

/** Asks on the terminal; Ctrl-C at the prompt (which readline takes in raw mode) is a no. */
async function confirm(io: CliIo, question: string): Promise<boolean> {
  const rl = createInterface({ input: io.stdin as NodeJS.ReadableStream, output: io.stderr as NodeJS.WritableStream });
  const interrupted = new AbortController();
  rl.on('SIGINT', () => interrupted.abort());
  try {
    return /^y(es)?$/i.test((await rl.question(question, { signal: interrupted.signal })).trim());
  } catch (error: unknown) {
    if (interrupted.signal.aborted) return false;
    throw error;
  } finally {
    rl.close();
  }
}

export async function rotateCommand(ctx: CommandContext, flags: RotationFlags, stop?: AbortSignal): Promise<number> {
  const { io } = ctx;
  if (!flags.credential)
    throw new ConfigError('--credential is required: the credential id or fingerprint from kubecost-rotate discover.');
  const policy = issuePolicyOf(flags);
  const newKey = flags.issue ? undefined : await readNewKey(flags, io);
  if (!newKey && !flags.issue)
    throw new ConfigError(
      'rotate needs the new key: --new-key-file FILE or --new-key-stdin, or --issue to mint it at the provider.',
      'Create the key at your provider first (kubecost-rotate sandbox new-key in the sandbox).',
    );
  const service = rotationService(ctx, flags, stop);
  const prepared = await service.prepare({
    selection: selectionOf(ctx.io, flags),
    ...(flags.namespace ? { namespace: flags.namespace } : {}),
    credential: flags.credential,
    ...(newKey ? { newKey } : {}),
    options: rotationOptionsOf(flags),
    ...planPolicyOf(flags),
    // A minted key is proven once it exists, before anything is written.
    prove: !flags.issue,
  });
  const { plan, proof } = prepared;
  const issue = flags.issue ? { preflight: await service.preflightIssue(prepared, policy), policy } : undefined;
  if (issue) {
    refuseFailedPreflight(issue.preflight);
    refuseRetireItCannotDo(issue.preflight, policy);
    refuseRetirePolicy(plan, policy.retire);
  }
  if (flags.probe === false) io.stderr.write(NO_PROBE_WARNING);
  if (flags.output !== 'json') {
    io.stdout.write(renderPlanText(plan) + (issue ? renderIssuePreflight(issue.preflight, policy) : ''));
    if (proof) io.stdout.write(`\n${proof.status === 'proven' ? 'Proven' : 'Not proven'}: ${proof.summary}.\n`);
  }
  if (!flags.yes) {
    if (!io.stdin.isTTY || flags.newKeyStdin)
      throw new ConfigError(
        'refusing to rotate without confirmation: stdin is not a terminal.',
        'Review `kubecost-rotate plan` and pass --yes.',
      );
    if (!(await confirm(io, `\nRotate ${plan.credential.id} at ${plan.sites.length} site(s)? [y/N] `))) {
      io.stderr.write('Nothing was changed.\n');
      return ExitCode.Failed;
    }
  }
  const outcome = await service.rotate(prepared, progressOutput(ctx, flags, plan), issue);
  if (!issue || policy.retire === 'none' || outcome.phase !== 'Verified') return exitForRotation(outcome.phase);
  // Verified: the old key is retired as --retire asks, on evidence, as `retire ID` would.
  const retired = await service.retire(
    outcome.rotation,
    selectionOf(ctx.io, flags),
    { policy: policy.retire, graceMs: policy.graceMs },
    (p) => progressOutput(ctx, flags, p),
  );
  return exitForRotateRetire(retired.phase);
}
