/**
 * discover benchmark: wall time and memory of `discover --all-contexts` over 200 simulated
 * clusters (a v2-federated fleet: one primary, 199 secondaries, each with its federated store).
 *
 *   npx tsx bench/discover.ts [--clusters 200] [--runs 3]
 *
 * The fleet runs in this process; discovery runs in a child process (the CLI, as a user runs
 * it), so its memory is its own: the child reports its peak RSS. Targets: under 5 s, under 300 MiB.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';

const run = promisify(execFile);
type CliModule = { main: (argv: readonly string[]) => Promise<number> };

function figure(name: string, value: number, unit: string, target?: { op: '<' | '>'; value: number }): string {
  const shown = value >= 100 ? value.toFixed(0) : value.toFixed(3);
  if (!target) return `${name}: ${shown} ${unit}`;
  const ok = target.op === '<' ? value < target.value : value > target.value;
  return `${name}: ${shown} ${unit} (target ${target.op} ${target.value}, ratio ${(value / target.value).toFixed(3)}) ${ok ? 'OK' : 'MISSED'}`;
}

async function child(kubeconfig: string): Promise<void> {
  // The compiled CLI is what users run; fall back to the sources (through tsx) without a build.
  const compiled = new URL('../dist/cli/main.js', import.meta.url);
  const { main } = (
    existsSync(compiled) ? await import(compiled.href) : await import('../src/cli/main.js')
  ) as CliModule;
  process.stderr.write(`# child runs ${existsSync(compiled) ? 'dist/ (compiled)' : 'src/ through tsx'}\n`);
  const out: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string) => (out.push(chunk), true)) as typeof process.stdout.write;
  const t0 = performance.now();
  const code = await main(['discover', '--kubeconfig', kubeconfig, '--all-contexts', '-o', 'json']);
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write = write;
  const doc = JSON.parse(out.join('')) as {
    installations: unknown[];
    sites: unknown[];
    credentials: unknown[];
    problems: unknown[];
  };
  const rssMiB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(
    `${JSON.stringify({ code, seconds, rssMiB, installations: doc.installations.length, sites: doc.sites.length, credentials: doc.credentials.length, problems: doc.problems.length })}\n`,
  );
}

async function parent(): Promise<number> {
  const { values } = parseArgs({
    options: { clusters: { type: 'string', default: '200' }, runs: { type: 'string', default: '3' } },
  });
  const clusters = Number(values.clusters);
  const runs = Number(values.runs);
  const { startFleet } = await import('../src/sim/kube/index.js');
  const { installLayout } = await import('../src/sim/kubecost/index.js');
  const dir = await mkdtemp(join(tmpdir(), 'bench-discover-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const fleet = await startFleet({ clusters, kubeconfigPath: kubeconfig });
  let exitCode = 0;
  try {
    installLayout(fleet, 'v2-federated');
    console.log(
      `# discover bench: ${clusters} clusters (v2-federated: 1 primary, ${clusters - 1} secondaries), ${runs} runs, node ${process.version}`,
    );
    const self = fileURLToPath(import.meta.url);
    const results: {
      seconds: number;
      rssMiB: number;
      installations: number;
      sites: number;
      credentials: number;
      problems: number;
      code: number;
    }[] = [];
    for (let i = 0; i < runs; i++) {
      const { stdout, stderr } = await run(process.execPath, [...process.execArgv, self, '--child', kubeconfig], {
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, BENCH_DISCOVER_CHILD: '1' },
      });
      if (i === 0) process.stdout.write(stderr);
      const result = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as (typeof results)[number];
      results.push(result);
      console.log(
        `# run ${i + 1}: ${result.seconds.toFixed(3)} s, peak RSS ${result.rssMiB.toFixed(1)} MiB, ${result.installations} installations, ${result.sites} sites, ${result.credentials} credentials, ${result.problems} problems, exit ${result.code}`,
      );
      if (result.installations !== clusters || result.problems !== 0 || result.code !== 0) exitCode = 1;
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    console.log(figure('discover_wall_s (median)', median(results.map((r) => r.seconds)), 's', { op: '<', value: 5 }));
    console.log(
      figure('discover_peak_rss_mib (median)', median(results.map((r) => r.rssMiB)), 'MiB', { op: '<', value: 300 }),
    );
    console.log(figure('clusters_per_s', clusters / median(results.map((r) => r.seconds)), 'clusters/s'));
  } finally {
    await fleet.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return exitCode;
}

if (process.env.BENCH_DISCOVER_CHILD === '1') {
  const kubeconfig = process.argv[process.argv.indexOf('--child') + 1] ?? '';
  await child(kubeconfig);
} else {
  process.exitCode = await parent();
}
