/** The global options every cluster command takes (kubectl conventions, DESIGN §2). */
import { Option, type Command } from 'commander';

export interface GlobalOptions {
  kubeconfig?: string;
  context?: string[];
  allContexts?: boolean;
  namespace?: string;
  output?: string;
  color?: boolean;
  verbose?: boolean;
  requestTimeout?: string;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [
    ...(previous ?? []),
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  ];
}

/** Adds --kubeconfig, --context, --all-contexts, -n, -o, --no-color and -v to a command. */
export function withClusterOptions(command: Command): Command {
  return command
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)')
    .option(
      '--context <name>',
      'kubeconfig context to use; repeat (or separate with commas) for several clusters',
      collect,
    )
    .addOption(new Option('--all-contexts', 'use every context in the kubeconfig').conflicts('context'))
    .option('-n, --namespace <namespace>', 'only this namespace (default: all namespaces)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json', 'yaml']).default('table'))
    .option(
      '--request-timeout <duration>',
      'how long one call to a cluster may take before it is cancelled (default 15s)',
    )
    .option('--no-color', 'plain output without colour')
    .option('-v, --verbose', 'more detail');
}
