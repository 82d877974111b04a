/**
 * Entry point: parse the command line, dispatch to a lazily loaded command, and turn errors into
 * exit codes. This is the only top-level catch in the program.
 */
import { Command, CommanderError, Option } from 'commander';
import { createRequire } from 'node:module';
import { ConfigError, ExitCode, ExitError } from '../shared/errors.js';
import { KubeError } from '../kube/errors.js';
import { withClusterOptions, type GlobalOptions } from './options.js';
// Layout names from a module with no imports, so --help does not load the simulator.
import { LAYOUTS as SANDBOX_LAYOUTS } from '../sim/kubecost/layout-names.js';

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

/** Set by a command that finishes with something other than success (for example partial discovery). */
let exitCode: number = ExitCode.Ok;

function buildProgram(): Command {
  const program = new Command('kubecost-rotate')
    .description(
      'Rotate the cloud keys a Kubecost installation depends on, without downtime, across one cluster or a fleet.',
    )
    .version(version, '--version', 'print the version and exit')
    .helpOption('-h, --help', 'show help')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  withClusterOptions(
    program
      .command('discover')
      .description(
        'find Kubecost installations, every Secret site holding a cloud key, and the workloads that read it',
      ),
  ).action(async (_opts: unknown, command: Command) => {
    const { discoverCommand } = await import('./commands/discover.js');
    exitCode = await discoverCommand(command.opts<GlobalOptions>());
  });

  const rotationOptions = (command: Command) =>
    withClusterOptions(command)
      .option('--verify-window <duration>', 'how long to watch the restarted workloads for auth failures (default 60s)')
      .option('--rollout-timeout <duration>', 'how long one workload may take to roll out (default 10m)')
      .option('--max-parallel-clusters <n>', 'clusters written and restarted at once (default 8)')
      .option(
        '--provider-endpoints <file>',
        'JSON file of provider endpoints for the direct probe: {"s3","athena","gcs","bigquery","gcpToken","azureBlob"} (default: $KUBECOST_ROTATE_PROVIDER_ENDPOINTS, else the public endpoints)',
      )
      .option(
        '--no-probe',
        'skip the direct probe of each site at its provider (when the provider cannot be reached from here)',
      );

  rotationOptions(program.command('plan').description('print the ordered change set of one rotation; writes nothing'))
    .requiredOption('--credential <id>', 'credential id, AWS key id or fingerprint (from discover)')
    .option('--new-key-file <file>', 'the new key (JSON key file), to show its fingerprint in the plan')
    .option('--new-key-stdin', 'read the new key from standard input')
    .action(async (_opts: unknown, command: Command) => {
      const { planCommand } = await import('./commands/rotation.js');
      exitCode = await planCommand(command.opts());
    });

  rotationOptions(
    program
      .command('rotate')
      .description('rotate one credential everywhere it lives, with restarts, verification and rollback'),
  )
    .requiredOption('--credential <id>', 'credential id, AWS key id or fingerprint (from discover)')
    .option(
      '--new-key-file <file>',
      'the new key: AWS {"accessKeyId","secretAccessKey"}, a GCP service-account key file, Azure {"accountName","accountKey"}',
    )
    .option('--new-key-stdin', 'read the new key from standard input')
    .option('--yes', 'do not ask for confirmation')
    .action(async (_opts: unknown, command: Command) => {
      const { rotateCommand } = await import('./commands/rotation.js');
      exitCode = await rotateCommand(command.opts());
    });

  rotationOptions(
    program
      .command('resume')
      .description('finish a rotation that stopped (crash, unreachable cluster) from its journal')
      .argument('<id>', 'rotation id'),
  ).action(async (id: string, _opts: unknown, command: Command) => {
    const { resumeCommand } = await import('./commands/rotation.js');
    exitCode = await resumeCommand(id, command.opts());
  });

  withClusterOptions(
    program
      .command('rollback')
      .description('restore the exact previous Secret data of a rotation and restart its readers')
      .argument('<id>', 'rotation id'),
  )
    .option('--force', 'roll back a rotation that was already verified (only while the old key is still active)')
    .action(async (id: string, _opts: unknown, command: Command) => {
      const { rollbackCommand } = await import('./commands/rotation.js');
      exitCode = await rollbackCommand(id, command.opts());
    });

  withClusterOptions(
    program
      .command('history')
      .description('list rotations and their phases (journals on the selected clusters; default all contexts)'),
  ).action(async (_opts: unknown, command: Command) => {
    const { historyCommand } = await import('./commands/rotation.js');
    exitCode = await historyCommand(command.opts());
  });

  const sandbox = program
    .command('sandbox')
    .description('a simulated Kubecost fleet, for trying everything without a cluster');
  sandbox
    .command('up')
    .description('serve simulated clusters in the foreground; prints "ready" when serving, stops on Ctrl-C')
    .addOption(
      new Option('--layout <layout>', 'Kubecost installation to put in the clusters')
        .choices(['none', ...SANDBOX_LAYOUTS])
        .default('none'),
    )
    .addOption(new Option('--clusters <n>', 'number of clusters (default: what the layout needs, or 3)'))
    .requiredOption('--kubeconfig <path>', 'where to write the kubeconfig (one context per cluster)')
    .action(async (opts: { layout: string; clusters?: string; kubeconfig: string }) => {
      const { sandboxUp } = await import('./commands/sandbox-up.js');
      await sandboxUp(opts);
    });

  sandbox
    .command('demo')
    .description('a three-cluster federated fleet and one key rotation end to end, then stop (what npm start runs)')
    .action(async () => {
      const { sandboxDemo } = await import('./commands/sandbox-demo.js');
      exitCode = await sandboxDemo();
    });

  sandbox
    .command('new-key')
    .description(
      'create a new key for a credential of a running sandbox (valid next to the old one) and print its key file',
    )
    .requiredOption('--credential <id>', 'credential id, AWS key id or fingerprint (from discover)')
    .requiredOption('--kubeconfig <path>', 'the kubeconfig that sandbox up wrote')
    .action(async (opts: { credential: string; kubeconfig: string }) => {
      const { sandboxNewKey } = await import('./commands/sandbox-new-key.js');
      exitCode = await sandboxNewKey(opts);
    });

  return program;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  exitCode = ExitCode.Ok;
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error: unknown) {
    if (error instanceof CommanderError) {
      // help and version exit through here with code 0; usage errors were already printed.
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    if (error instanceof ExitError) return error.code;
    if (error instanceof KubeError) {
      // A cluster call failed outside a rotation's own handling (before a journal existed, or reading one).
      process.stderr.write(`error: ${error.message}\n`);
      return ExitCode.Failed;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`error: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}`);
      return ExitCode.Usage;
    }
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(
      `internal error (a bug in kubecost-rotate ${version}; please report it):\n${detail.replaceAll(process.cwd(), '<cwd>')}\n`,
    );
    return ExitCode.Internal;
  }
}

// Run directly (tsx src/cli/main.ts ...) as well as through bin/.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  process.exitCode = await main(process.argv.slice(2));
}
