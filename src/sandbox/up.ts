/**
 * `sandbox up`: serve a simulated fleet in the foreground until SIGINT/SIGTERM, optionally with a
 * Kubecost layout installed. Prints `ready` once every cluster serves and the kubeconfig is
 * written, so scripts can wait for that line.
 */
import { resolve } from 'node:path';
import type { CliIo } from '../cli/io.js';
import { parseDuration } from '../cli/flags.js';
import { startFleet, type Fleet, type PodTiming } from '../sim/kube/index.js';
import { LAYOUT_CLUSTERS, startSandbox, type LayoutName, type Sandbox } from '../sim/kubecost/index.js';
import { ConfigError } from '../shared/errors.js';

export interface SandboxUpOptions {
  layout: string;
  clusters?: string;
  kubeconfig: string;
  /** From pod creation to its containers running, as a duration (`2s`). */
  podStart?: string;
  /** From containers running to the pod being Ready, as a duration (`1s`). */
  podReady?: string;
}

/** The longest pod latency the sandbox takes (longer ones make every rollout wait it out). */
const MAX_POD_LATENCY_MS = 10 * 60_000;

function podLatency(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value, flag);
  if (ms > MAX_POD_LATENCY_MS)
    throw new ConfigError(
      `${flag} ${value} is longer than the sandbox takes (at most 10m).`,
      'Write it like 2s or 500ms.',
    );
  return ms;
}

/** The pod timing of `sandbox up --pod-start/--pod-ready` (the simulated kubelet's latencies). */
export function podTimingOf(options: Pick<SandboxUpOptions, 'podStart' | 'podReady'>): Partial<PodTiming> {
  const startMs = podLatency(options.podStart, '--pod-start');
  const readyMs = podLatency(options.podReady, '--pod-ready');
  return { ...(startMs !== undefined ? { startMs } : {}), ...(readyMs !== undefined ? { readyMs } : {}) };
}

/** A running sandbox: its fleet and, with a layout, its Kubecost installation and emulated clouds. */
export interface RunningSandbox {
  readonly fleet: Fleet;
  readonly sandbox: Sandbox | undefined;
  readonly kubeconfigPath: string;
  readonly clusters: number;
}

/** Checks the options of `sandbox up` and starts its fleet (also what bench/rotate-fleet runs). */
export async function startSandboxFleet(options: SandboxUpOptions): Promise<RunningSandbox> {
  const layout = options.layout === 'none' ? undefined : (options.layout as LayoutName);
  const minimum = layout ? LAYOUT_CLUSTERS[layout] : 1;
  const count = options.clusters === undefined ? (layout ? minimum : 3) : Number(options.clusters);
  if (!Number.isInteger(count) || count < 1 || count > 500) {
    throw new ConfigError(`--clusters must be a whole number from 1 to 500 (got "${options.clusters ?? ''}").`);
  }
  if (count < minimum)
    throw new ConfigError(
      `--layout ${options.layout} needs at least ${minimum} clusters (got --clusters ${count}).`,
      `Run with --clusters ${minimum}, or leave --clusters out.`,
    );
  const timing = podTimingOf(options);
  const kubeconfigPath = resolve(options.kubeconfig);
  const fleet = await startFleet({ clusters: count, kubeconfigPath, timing });
  const sandbox = layout ? await startSandbox(fleet, layout, kubeconfigPath) : undefined;
  return { fleet, sandbox, kubeconfigPath, clusters: count };
}

export async function sandboxUp(options: SandboxUpOptions, io: CliIo): Promise<void> {
  const { fleet, sandbox, kubeconfigPath, clusters: count } = await startSandboxFleet(options);
  const installed = sandbox?.layout;
  io.stdout.write(`kube-sim: ${count} cluster(s) serving; kubeconfig written to ${kubeconfigPath}\n`);
  for (const c of fleet.clusters) {
    const here = installed?.installations.filter((i) => i.cluster === c.name) ?? [];
    const what = here.map((i) => `Kubecost ${i.chart} ${i.role} (release ${i.release} in ${i.namespace})`).join('; ');
    io.stdout.write(`  context ${c.name}  ${c.url}${what ? `  ${what}` : ''}\n`);
  }
  io.stdout.write(
    `try: kubectl --kubeconfig ${kubeconfigPath} --context ${fleet.clusters[0]?.name ?? 'cluster-1'} get ns\n`,
  );
  if (installed) {
    io.stdout.write(`try: kubecost-rotate discover --kubeconfig ${kubeconfigPath} --all-contexts\n`);
    io.stdout.write(
      `     kubecost-rotate sandbox new-key --kubeconfig ${kubeconfigPath} --credential ID > new-key.json\n`,
    );
    io.stdout.write(
      `     kubecost-rotate rotate --kubeconfig ${kubeconfigPath} --all-contexts --credential ID --new-key-file new-key.json\n`,
    );
    io.stdout.write(
      `(the kubeconfig records the sandbox's emulated clouds in its kubecost-rotate.io/provider-endpoints extension, so the proof and the probes go there, never to a public endpoint; the same endpoints are in ${sandbox?.endpointsFile ?? ''})\n`,
    );
  }
  io.stdout.write('ready\n');
  await new Promise<void>((done) => {
    const unsubscribe = io.onSignal(() => {
      unsubscribe();
      done();
    });
  });
  await sandbox?.stop();
  await fleet.stop();
  io.stdout.write('kube-sim: stopped\n');
}
