/**
 * The `sandbox` commands: a simulated Kubecost fleet for trying everything without a cluster. This
 * folder is the only product code that may import the simulators (src/sim/), and it does so only
 * inside the commands' actions: --help never loads them, and an installation without them (the
 * emulated clouds are development dependencies) gets a clear message instead of a stack trace.
 */
import { Option, type Command } from 'commander';
import { ConfigError } from '../shared/errors.js';
import type { CliIo } from '../cli/io.js';
// Layout names from a module with no imports, so --help does not load the simulator.
import { LAYOUTS as SANDBOX_LAYOUTS } from '../sim/kubecost/layout-names.js';

export interface SandboxHost {
  readonly io: CliIo;
  readonly setExitCode: (code: number) => void;
  /** Runs a kubecost-rotate command line in this process (the demo's discover, rotate, history). */
  readonly runCli: (argv: readonly string[]) => Promise<number>;
}

/** Loads a sandbox module; its simulators and emulators come with a development checkout only. */
async function load<T>(importer: () => Promise<T>): Promise<T> {
  try {
    return await importer();
  } catch (error: unknown) {
    if ((error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new ConfigError(
      `the sandbox cannot start: ${error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)}.`,
      'The sandbox needs the development dependencies (the simulators and emulated clouds): run `npm ci` in a clone of the repository, without --omit=dev.',
    );
  }
}

export function registerSandboxCommands(program: Command, host: SandboxHost): void {
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
    .option('--pod-start <duration>', 'how long a simulated pod takes from creation to running (default 40ms)')
    .option('--pod-ready <duration>', 'how long a simulated pod takes from running to Ready (default 40ms)')
    .action(
      async (opts: { layout: string; clusters?: string; kubeconfig: string; podStart?: string; podReady?: string }) => {
        const { sandboxUp } = await load(() => import('./up.js'));
        await sandboxUp(opts, host.io);
      },
    );

  sandbox
    .command('demo')
    .description('a three-cluster federated fleet and one key rotation end to end, then stop (what npm start runs)')
    .action(async () => {
      const { sandboxDemo } = await load(() => import('./demo.js'));
      host.setExitCode(await sandboxDemo(host));
    });

  sandbox
    .command('new-key')
    .description(
      'create a new key for a credential of a running sandbox (valid next to the old one) and print its key file',
    )
    .requiredOption('--credential <id>', 'credential id, AWS key id or fingerprint (from discover)')
    .requiredOption('--kubeconfig <path>', 'the kubeconfig that sandbox up wrote')
    .action(async (opts: { credential: string; kubeconfig: string }) => {
      const { sandboxNewKey } = await load(() => import('./new-key.js'));
      host.setExitCode(await sandboxNewKey(opts, host.io));
    });
}
