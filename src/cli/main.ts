/**
 * Entry point: parse the command line, dispatch to a lazily loaded command, and turn errors into
 * exit codes. This is the only top-level catch in the program. `main` takes its streams,
 * environment and signals (no module state), so it runs the same in a test or in the sandbox demo.
 */
import { Command, CommanderError, Option } from 'commander';
import { createRequire } from 'node:module';
import { KubeError } from '../kube/errors.js';
import { JournalUnreadableError } from '../rotation/journal/document.js';
import {
  ClustersUnreadableError,
  JournalConflictError,
  LeaseError,
  LeaseHeldError,
  PartialFleetError,
  StoppedError,
} from '../rotation/errors.js';
import { systemClock } from '../shared/clock.js';
import { ConfigError, ExitCode, ExitError } from '../shared/errors.js';
import type { CommandContext } from './context.js';
import type { RotationFlags } from './flags.js';
import { processIo, type CliIo } from './io.js';
import { withClusterOptions, type GlobalOptions } from './options.js';

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

/** The exit code a command sets (commander's actions return nothing). */
interface Run {
  exitCode: number;
}

/** The refusals of plan and rotate a user may go past, one flag per risk (`--force` is rollback's; refused here). */
function refusalOverrides(command: Command): Command {
  return command
    .option(
      '--allow-unready',
      'go on although a workload to restart has pods that cannot start now (crash loop, image pull): for when the old key is why',
    )
    .option(
      '--allow-bare-pods',
      'go on although Pods without a controller read the key (they keep the old key until recreated)',
    )
    .addOption(new Option('--force').hideHelp())
    .option('--allow-owned', 'write Secrets an ExternalSecret, a SealedSecret or Argo CD manages (they may revert it)')
    .option(
      '--partial',
      'rotate only the selected contexts although other contexts of the kubeconfig hold the same key (they keep the old key, so it is not to be retired)',
    );
}

function rotationOptions(command: Command): Command {
  return withClusterOptions(command)
    .option('--verify-window <duration>', 'how long to watch the restarted workloads for auth failures (default 60s)')
    .option('--rollout-timeout <duration>', 'how long one workload may take to roll out (default 10m)')
    .option('--max-parallel-clusters <n>', 'clusters written and restarted at once (default 8)')
    .option(
      '--provider-endpoints <file>',
      'JSON file of provider endpoints for the direct probe: {"s3","athena","gcs","bigquery","gcpToken","azureBlob"} (default: $KUBECOST_ROTATE_PROVIDER_ENDPOINTS, else the public endpoints)',
    )
    .option('--probe-timeout <duration>', 'how long the direct probe of one site may take (default 60s)')
    .option(
      '--require <checks>',
      'checks that must all pass for the rotation to count as verified, comma-separated: pods-restarted, secret-holds-new-key, logs, cloud-cost-status, probe (default: at least one cloud-cost-status or probe passes, none fails)',
    )
    .option(
      '--no-probe',
      'skip the direct probe of each site at its provider (when the provider cannot be reached from here)',
    );
}

/**
 * Runs a command that changes clusters with Ctrl-C (SIGINT) and SIGTERM turned into a request to stop
 * at its next safe point: the journal then says NeedsHuman, the Lease is given up, and the result
 * names the commands that resume or roll back.
 */
async function stoppable(ctx: CommandContext, fn: (stop: AbortSignal) => Promise<number>): Promise<number> {
  const stop = new AbortController();
  const unsubscribe = ctx.io.onSignal((signal) => {
    ctx.io.stderr.write(
      `\n${signal}: stopping at the next safe point (the journal records how far the rotation got); send it again to quit at once.\n`,
    );
    stop.abort(signal);
  });
  try {
    return await fn(stop.signal);
  } finally {
    unsubscribe();
  }
}

async function buildProgram(ctx: CommandContext, run: Run): Promise<Command> {
  const program = new Command('kubecost-rotate')
    .description(
      'Rotate the cloud keys a Kubecost installation depends on, without downtime, across one cluster or a fleet.',
    )
    .version(version, '--version', 'print the version and exit')
    .helpOption('-h, --help', 'show help')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (text) => ctx.io.stdout.write(text),
      writeErr: (text) => ctx.io.stderr.write(text),
    })
    .exitOverride();

  withClusterOptions(
    program
      .command('discover')
      .description(
        'find Kubecost installations, every Secret site holding a cloud key, and the workloads that read it',
      ),
  ).action(async (_opts: unknown, command: Command) => {
    const { discoverCommand } = await import('./commands/discover.js');
    run.exitCode = await discoverCommand(ctx, command.opts<GlobalOptions>());
  });

  refusalOverrides(
    rotationOptions(
      program.command('plan').description('print the ordered change set of one rotation; writes nothing'),
    ),
  )
    .requiredOption('--credential <id>', 'credential id, AWS key id or fingerprint (from discover)')
    .option('--new-key-file <file>', 'the new key (JSON key file), to show its fingerprint in the plan')
    .option('--new-key-stdin', 'read the new key from standard input')
    .option('--issue', 'mint the new key at the provider: check its limits and permissions now (writes nothing)')
    .option(
      '--retire <policy>',
      'with --issue: retire the old key after verification: none, deactivate or delete (default deactivate)',
    )
    .option(
      '--grace <duration>',
      'with --issue --retire delete: time between deactivating and deleting the old key (default 24h)',
    )
    .option(
      '--delete-inactive',
      'with --issue: delete an inactive key of the principal that takes the slot the new key needs',
    )
    .action(async (_opts: unknown, command: Command) => {
      const { planCommand } = await import('./commands/plan.js');
      run.exitCode = await planCommand(ctx, command.opts<RotationFlags>());
    });

  refusalOverrides(
    rotationOptions(
      program
        .command('rotate')
        .description('rotate one credential everywhere it lives, with restarts, verification and rollback'),
    ),
  )
    .requiredOption('--credential <id>', 'credential id, AWS key id or fingerprint (from discover)')
    .option(
      '--new-key-file <file>',
      'the new key: AWS {"accessKeyId","secretAccessKey"}, a GCP service-account key file, Azure {"accountName","accountKey"}',
    )
    .option('--new-key-stdin', 'read the new key from standard input')
    .option('--yes', 'do not ask for confirmation')
    .option(
      '--keep-backup <duration>',
      'how long the journal keeps the previous data of the Secrets after Verified, for rollback --force (default 7d; dropped sooner once the old key is retired)',
    )
    .option('--issue', 'mint the new key at the provider (the old key stays active until it is retired)')
    .option('--retire <policy>', 'with --issue: retire the old key after verification: none (for now, the only one)')
    .option('--grace <duration>', 'with --issue --retire delete: time between deactivating and deleting the old key')
    .option(
      '--delete-inactive',
      'with --issue: delete an inactive key of the principal that takes the slot the new key needs',
    )
    .action(async (_opts: unknown, command: Command) => {
      const { rotateCommand } = await import('./commands/rotate.js');
      run.exitCode = await stoppable(ctx, (stop) => rotateCommand(ctx, command.opts<RotationFlags>(), stop));
    });

  rotationOptions(
    program
      .command('resume')
      .description('finish a rotation that stopped (crash, unreachable cluster) from its journal')
      .argument('<id>', 'rotation id'),
  ).action(async (id: string, _opts: unknown, command: Command) => {
    const { resumeCommand } = await import('./commands/resume.js');
    run.exitCode = await stoppable(ctx, (stop) => resumeCommand(ctx, id, command.opts<RotationFlags>(), stop));
  });

  withClusterOptions(
    program
      .command('rollback')
      .description('restore the exact previous Secret data of a rotation and restart its readers')
      .argument('<id>', 'rotation id'),
  )
    .option('--force', 'roll back a rotation that was already verified (only while the old key is still active)')
    .option(
      '--provider-endpoints <file>',
      'JSON file of provider endpoints where a key minted with --issue is deleted (default: $KUBECOST_ROTATE_PROVIDER_ENDPOINTS, else the public endpoints)',
    )
    .action(async (id: string, _opts: unknown, command: Command) => {
      const { rollbackCommand } = await import('./commands/rollback.js');
      run.exitCode = await stoppable(ctx, (stop) => rollbackCommand(ctx, id, command.opts<RotationFlags>(), stop));
    });

  withClusterOptions(
    program
      .command('retire')
      .description(
        'retire the old key of a verified rotation at the provider, on evidence: deactivate it, delete it after the grace',
      )
      .argument('<id>', 'rotation id'),
  )
    .option('--retire <policy>', "deactivate or delete (default: the rotation's, else deactivate)")
    .option(
      '--grace <duration>',
      'with --retire delete: time between deactivating and deleting the old key (default 24h)',
    )
    .option('--provider-endpoints <file>', 'JSON file of provider endpoints (iam, sts, gcpIam, azureArm...)')
    .action(async (id: string, _opts: unknown, command: Command) => {
      const { retireCommand } = await import('./commands/retire.js');
      run.exitCode = await stoppable(ctx, (stop) => retireCommand(ctx, id, command.opts<RotationFlags>(), stop));
    });

  withClusterOptions(
    program
      .command('history')
      .description('list rotations and their phases (journals on the selected clusters; default all contexts)'),
  ).action(async (_opts: unknown, command: Command) => {
    const { historyCommand } = await import('./commands/history.js');
    run.exitCode = await historyCommand(ctx, command.opts<GlobalOptions>());
  });

  await addSandbox(program, ctx, run);
  return program;
}

/**
 * The sandbox commands come from src/sandbox/, which only a development checkout has (it needs the
 * simulators and the emulated clouds). Without it, `sandbox` says how to get it.
 */
async function addSandbox(program: Command, ctx: CommandContext, run: Run): Promise<void> {
  try {
    const { registerSandboxCommands } = await import('../sandbox/commands.js');
    registerSandboxCommands(program, {
      io: ctx.io,
      setExitCode: (code) => (run.exitCode = code),
      runCli: (argv) => main(argv, ctx.io),
    });
  } catch (error: unknown) {
    if ((error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    program
      .command('sandbox', { hidden: true })
      .allowUnknownOption()
      .allowExcessArguments()
      .action(() => {
        ctx.io.stderr.write(
          'error: the sandbox is not part of this installation of kubecost-rotate (it ships without the simulators).\n' +
            'hint: clone the repository and run `npm ci && npm start` there to try it.\n',
        );
        run.exitCode = ExitCode.Usage;
      });
  }
}

/**
 * An unexpected error, safe to print: its name, its message with anything that could be key material
 * (PEM blocks, long runs of base64 or hex) masked, and only the code locations of its stack (a stack
 * line names functions and files, never values; the frames' source text is not printed).
 */
export function redactedDetail(error: unknown): string {
  const mask = (text: string) =>
    text
      .replace(/-----BEGIN [^-]+-----[\s\S]*?(-----END [^-]+-----|$)/g, '<redacted PEM>')
      .replace(/[A-Za-z0-9+/=_-]{16,}/g, '<redacted>');
  if (!(error instanceof Error)) return mask(String(error)).slice(0, 500);
  const frames = (error.stack ?? '')
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .slice(0, 10)
    .map((line) => line.replaceAll(process.cwd(), '<cwd>'));
  return [`${error.name}: ${mask(error.message.split('\n')[0] ?? '').slice(0, 500)}`, ...frames].join('\n');
}

/** Prints what went wrong and returns the exit code (DESIGN §2). */
function report(error: unknown, io: CliIo): number {
  if (error instanceof CommanderError) {
    // help and version exit through here with code 0; usage errors were already printed.
    return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
  }
  if (error instanceof ExitError) return error.code;
  if (error instanceof KubeError || error instanceof JournalUnreadableError) {
    // A cluster call failed outside a rotation's own handling (before a journal existed, or reading one).
    io.stderr.write(`error: ${error.message}\n`);
    return ExitCode.Failed;
  }
  if (error instanceof LeaseError || error instanceof ClustersUnreadableError) {
    io.stderr.write(`error: ${error.message}\nhint: ${error.hint}\n`);
    return ExitCode.Failed;
  }
  if (error instanceof ConfigError || error instanceof LeaseHeldError || error instanceof PartialFleetError) {
    io.stderr.write(`error: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}`);
    return ExitCode.Usage;
  }
  if (error instanceof StoppedError) {
    io.stderr.write(`${error.message}\n`);
    return ExitCode.Interrupted;
  }
  if (error instanceof JournalConflictError) {
    io.stderr.write(`error: ${error.message}\n`);
    return ExitCode.NeedsHuman;
  }
  io.stderr.write(`internal error (a bug in kubecost-rotate ${version}; please report it): ${redactedDetail(error)}\n`);
  return ExitCode.Internal;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const ctx: CommandContext = { io, clock: systemClock };
  const run: Run = { exitCode: ExitCode.Ok };
  try {
    const program = await buildProgram(ctx, run);
    await program.parseAsync([...argv], { from: 'user' });
    return run.exitCode;
  } catch (error: unknown) {
    return report(error, io);
  }
}

// Run directly (tsx src/cli/main.ts ...) as well as through bin/.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  process.exitCode = await main(process.argv.slice(2), processIo());
}
