/** `rotate`: one credential everywhere it lives, with restarts, verification and rollback. */
import { createInterface } from 'node:readline/promises';
import { ConfigError, ExitCode } from '../../shared/errors.js';
import { progressOutput, rotationService, type CommandContext } from '../context.js';
import { planPolicyOf, readNewKey, rotationOptionsOf, selectionOf, type RotationFlags } from '../flags.js';
import type { CliIo } from '../io.js';
import { renderPlanText } from '../render/plan.js';
import { exitForRotation, NO_PROBE_WARNING } from './outcome.js';

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
  const newKey = await readNewKey(flags, io);
  if (!newKey)
    throw new ConfigError(
      'rotate needs the new key: --new-key-file FILE or --new-key-stdin.',
      'Create the key at your provider first (kubecost-rotate sandbox new-key in the sandbox).',
    );
  const service = rotationService(ctx, flags, stop);
  const prepared = await service.prepare({
    selection: selectionOf(ctx.io, flags),
    ...(flags.namespace ? { namespace: flags.namespace } : {}),
    credential: flags.credential,
    newKey,
    options: rotationOptionsOf(flags),
    ...planPolicyOf(flags),
    prove: true,
  });
  const { plan, proof } = prepared;
  if (flags.probe === false) io.stderr.write(NO_PROBE_WARNING);
  if (flags.output !== 'json') {
    io.stdout.write(renderPlanText(plan));
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
  const outcome = await service.rotate(prepared, progressOutput(ctx, flags, plan));
  return exitForRotation(outcome.phase);
}
