/**
 * rotate-fleet benchmark: how close a fleet rotation comes to what its restarts need (issue 8).
 *
 *   npm run bench:rotate-fleet -- [--layout v2-federated|v1-thanos|v3] [--clusters 1,10,50,200]
 *       [--pod-start 2s] [--pod-ready 1s] [--verify-window 10s] [--runbook-max 50] [--quick]
 *
 * For each fleet size N: a sandbox fleet of the layout (the fleet `sandbox up --clusters N
 * --pod-start 2s --pod-ready 1s` serves, in this process), then
 * - `kubecost-rotate rotate` of the layout's fleet-wide key, run as a user runs it (the built CLI,
 *   bin/kubecost-rotate.js, in a child process: its start-up counts, its peak RSS is its own;
 *   BENCH_NODE_ARGS adds options to its node, BENCH_MEMORY_SAMPLES=FILE samples its memory every 500 ms,
 *   BENCH_EVENTS_FILE=FILE keeps its NDJSON progress events, BENCH_JOURNAL_FILE=FILE the journal Secrets at their largest);
 * - the bound: one Secret write (measured here) + the longest rollout of each wave of the plan
 *   (src/sim/kube/rollout-bound.ts, from the simulator's pod timing and each workload's strategy)
 *   + the verification window; and the rotation's time over it;
 * - API requests per cluster during the rotation (watches apart), for the primary and the
 *   secondaries; the journal's size and how many times it was saved;
 * - the manual runbook of the seed (service-key-rotation.txt) on the same fleet, with real kubectl,
 *   cluster after cluster: update the Secret, `rollout restart`, `rollout status`, `logs` of every
 *   consumer the plan names, then the readers on the primary; and the rotation's speed-up over it.
 *   It puts the previous key back (still valid), which is the same work. Above --runbook-max
 *   clusters it is extrapolated from the clusters measured at the largest N that ran it.
 *
 * The machine is shared: the figures are wall-clock times of one run each.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import type { V1Secret } from '@kubernetes/client-node';
import { selectClusters } from '../src/kube/kubeconfig.js';
import { KubeClient } from '../src/kube/client.js';
import { fromSecret } from '../src/rotation/journal/codec.js';
import { startSandboxFleet, type RunningSandbox } from '../src/sandbox/up.js';
import { DEFAULT_TIMING, rotationBound, shapeOf, SIM_RESOURCES as R } from '../src/sim/kube/index.js';
import type { KubeObject, SimCluster } from '../src/sim/kube/index.js';
import { LAYOUT_CLUSTERS, successorOf, type FakeCredential, type LayoutName } from '../src/sim/kubecost/index.js';
import { LABEL_MANAGED_BY, LABEL_ROTATION, MANAGED_BY } from '../src/shared/labels.js';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

/** The fleet-wide key each layout rotates. */
const FLEET_KEY: Partial<Record<LayoutName, string>> = {
  'v2-federated': 'federated-gcs',
  'v1-thanos': 'thanos-s3',
  v3: 'federated-azure',
};

function credentialId(c: FakeCredential): string {
  switch (c.provider) {
    case 'aws':
      return `aws:${c.accessKeyId}`;
    case 'gcp':
      return `gcp:${c.clientEmail}:${c.privateKeyId}`;
    case 'azure':
      return `azure:${c.accountName}`;
    default:
      throw new Error(`the bench rotates AWS, GCP or Azure keys, not ${c.provider}`);
  }
}

function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as 'ms' | 's' | 'm'];
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The built CLI must be as new as the sources it was built from. */
function checkBuilt(): void {
  const built = join(root, 'dist', 'cli', 'main.js');
  if (!existsSync(built)) throw new Error('dist/ is missing: run `npm run build` first');
  const builtAt = statSync(built).mtimeMs;
  const newer: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && statSync(path).mtimeMs > builtAt) newer.push(path);
    }
  };
  walk(join(root, 'src'));
  if (newer.length > 0)
    throw new Error(`dist/ is older than ${newer.length} source file(s) (${newer[0]}): run \`npm run build\` first`);
}

/** Ownership the rotation would refuse (the layout's ExternalSecret): the bench measures an unowned fleet. */
function dropOwners(cluster: SimCluster): void {
  for (const secret of cluster.store.peekAll(R.secrets)) {
    const labels = { ...(secret.metadata.labels ?? {}) };
    const owned = Object.keys(labels).some((k) => k.startsWith('reconcile.external-secrets.io'));
    if (!owned && !(secret.metadata.ownerReferences ?? []).length) continue;
    for (const k of Object.keys(labels)) if (k.startsWith('reconcile.external-secrets.io')) delete labels[k];
    const { ownerReferences: _owners, ...metadata } = secret.metadata;
    void _owners;
    cluster.apply({ ...secret, metadata: { ...metadata, labels } });
  }
}

function rolledOut(w: KubeObject): boolean {
  const spec = (w.spec ?? {}) as { replicas?: number };
  const status = (w.status ?? {}) as Record<string, unknown>;
  const replicas = spec.replicas ?? 1;
  if (w.kind === 'DaemonSet') return status.numberAvailable === status.desiredNumberScheduled;
  if (w.kind === 'StatefulSet')
    return (status.readyReplicas ?? 0) === replicas && status.currentRevision === status.updateRevision;
  return (status.availableReplicas ?? 0) === replicas && (status.updatedReplicas ?? 0) === replicas;
}

/** Waits until every workload of the fleet has rolled out (the sandbox's first start). */
async function settle(sandbox: RunningSandbox, what: string): Promise<void> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    const pending = sandbox.fleet.clusters.flatMap((c) =>
      [R.deployments, R.statefulsets, R.daemonsets].flatMap((def) => c.store.peekAll(def)).filter((w) => !rolledOut(w)),
    );
    if (pending.length === 0) return;
    if (Date.now() > deadline) throw new Error(`${what}: ${pending.length} workload(s) never rolled out`);
    await sleep(250);
  }
}

interface Counts {
  readonly all: number;
  readonly watches: number;
  readonly calls: ReadonlyMap<string, number>;
}

function countsOf(cluster: SimCluster): Counts {
  let watches = 0;
  for (const [call, n] of cluster.stats.calls) if (call.startsWith('watch ')) watches += n;
  return { all: cluster.stats.requests, watches, calls: new Map(cluster.stats.calls) };
}

function delta(before: Counts, after: Counts): { requests: number; watches: number; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  for (const [k, n] of after.calls)
    if (n - (before.calls.get(k) ?? 0) > 0) calls.set(k, n - (before.calls.get(k) ?? 0));
  const watches = after.watches - before.watches;
  return { requests: after.all - before.all - watches, watches, calls };
}

/** One Secret write as the tool does it (a read and an update), median of five, on the primary. */
async function measureWrite(kubeconfig: string, cluster: SimCluster): Promise<number> {
  cluster.apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'bench-write', namespace: 'default' },
    data: { x: 'eA==' },
  });
  const [target] = selectClusters({ kubeconfig, contexts: [cluster.name], allContexts: false, env: process.env });
  if (!target) throw new Error('no context for the primary');
  const kube = new KubeClient(target);
  const times: number[] = [];
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now();
    const current = await kube.readSecret('default', 'bench-write');
    await kube.replaceSecret({ ...current, data: { x: Buffer.from(String(i)).toString('base64') } } as V1Secret);
    if (i > 0) times.push(performance.now() - t0); // the first one opens the connection
  }
  return median(times);
}

interface RotateRun {
  readonly seconds: number;
  readonly code: number;
  readonly phase: string;
  readonly rssMiB: number;
  /** Seconds from the start to each phase the rotation reached. */
  readonly phases: Record<string, number>;
  readonly stderr: string;
}

async function runRotate(args: readonly string[], dir: string): Promise<RotateRun> {
  const rssFile = join(dir, 'rss.json');
  const t0 = performance.now();
  const start = Date.now();
  const child = spawn(
    process.execPath,
    [
      // BENCH_NODE_ARGS: more options for the CLI's node (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
      ...(process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
      '--import',
      join(root, 'bench', 'rss-at-exit.ts'),
      join(root, 'bin', 'kubecost-rotate.js'),
      ...args,
    ],
    { env: { ...process.env, BENCH_RSS_FILE: rssFile, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 70)));
  const seconds = (performance.now() - t0) / 1000;
  if (process.env.BENCH_EVENTS_FILE) await writeFile(process.env.BENCH_EVENTS_FILE, stdout);
  const phases: Record<string, number> = {};
  let phase = '?';
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const event = JSON.parse(line) as { type: string; phase?: string; time?: string };
    if (event.type === 'phase' && event.phase && event.time)
      phases[event.phase] = (Date.parse(event.time) - start) / 1000;
    if (event.type === 'result' && event.phase) phase = event.phase;
  }
  const rss = existsSync(rssFile) ? (JSON.parse(readFileSync(rssFile, 'utf8')) as { maxRSSKiB: number }) : undefined;
  return { seconds, code, phase, rssMiB: (rss?.maxRSSKiB ?? NaN) / 1024, phases, stderr };
}

interface Runbook {
  readonly seconds: number;
  /** Seconds spent on each cluster (wave 1), in order. */
  readonly perCluster: readonly number[];
  readonly kubectlCalls: number;
  readonly authErrors: number;
}

/**
 * The seed's runbook with real kubectl, cluster after cluster: update the Secret, restart every
 * consumer, wait for its rollout, read its logs; then the readers on the primary.
 */
async function runRunbook(
  kubeconfig: string,
  dir: string,
  plan: ReturnType<typeof fromSecret>['doc']['plan'],
  backups: ReturnType<typeof fromSecret>['backups'],
): Promise<Runbook> {
  let calls = 0;
  let authErrors = 0;
  const kubectl = async (context: string, ...args: string[]) => {
    calls += 1;
    const { stdout } = await exec('kubectl', ['--kubeconfig', kubeconfig, '--context', context, ...args], {
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  };
  const consumer = async (r: (typeof plan.restarts)[number], step: 'restart' | 'status' | 'logs') => {
    const ref = `${r.kind.toLowerCase()}/${r.name}`;
    if (step === 'restart') await kubectl(r.cluster, '-n', r.namespace, 'rollout', 'restart', ref);
    else if (step === 'status') await kubectl(r.cluster, '-n', r.namespace, 'rollout', 'status', ref, '--timeout=10m');
    else
      for (const container of r.containers) {
        const logs = await kubectl(r.cluster, '-n', r.namespace, 'logs', ref, '-c', container, '--since=10m');
        authErrors += (
          logs.match(
            /AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch|invalid_grant|AuthenticationFailed|\b40[13]\b/g,
          ) ?? []
        ).length;
      }
  };
  const clusters = [...new Set(plan.writes.map((w) => w.cluster))];
  const perCluster: number[] = [];
  const t0 = performance.now();
  for (const cluster of clusters) {
    const c0 = performance.now();
    for (const w of plan.writes.filter((x) => x.cluster === cluster)) {
      const backup = backups.get(`${w.cluster}/${w.namespace}/${w.secret}`);
      if (!backup) throw new Error(`no backup of ${w.secret} on ${w.cluster}`);
      const patch = join(dir, 'patch.json');
      await writeFile(patch, JSON.stringify({ data: backup.data }), { mode: 0o600 });
      await kubectl(cluster, '-n', w.namespace, 'patch', 'secret', w.secret, '--type', 'merge', '--patch-file', patch);
    }
    const here = plan.restarts.filter((r) => r.cluster === cluster && r.wave === 1);
    for (const step of ['restart', 'status', 'logs'] as const) for (const r of here) await consumer(r, step);
    perCluster.push((performance.now() - c0) / 1000);
  }
  for (const wave of [2, 3])
    for (const step of ['restart', 'status', 'logs'] as const)
      for (const r of plan.restarts.filter((x) => x.wave === wave)) await consumer(r, step);
  return { seconds: (performance.now() - t0) / 1000, perCluster, kubectlCalls: calls, authErrors };
}

interface Result {
  readonly layout: string;
  readonly n: number;
  readonly clusters: number;
  readonly rotate: RotateRun;
  readonly boundS: number;
  readonly boundParts: string;
  readonly primary: ReturnType<typeof delta>;
  readonly secondaryMax: number;
  readonly secondaryMedian: number;
  readonly journalKiB: number;
  readonly journalSaves: number;
  /** The bytes of the journal's Secrets written (create and update), per write. */
  readonly journalKiBPerWrite: number;
  readonly runbook?: Runbook & { extrapolated: boolean };
}

const dataBytes = (s: KubeObject) =>
  Object.values((s.data ?? {}) as Record<string, string>).reduce((n, v) => n + Buffer.from(v, 'base64').length, 0);

/** The journal's Secrets: the head (journal.json) and, from schema 4, its plan Secret. */
const isJournalSecret = (s: KubeObject) => {
  const data = (s.data ?? {}) as Record<string, string>;
  return (
    s.metadata.labels?.[LABEL_MANAGED_BY] === MANAGED_BY &&
    (data['journal.json'] !== undefined || data['plan.json'] !== undefined)
  );
};

/**
 * Counts the writes of journal Secrets on the primary and the bytes they carried;
 * BENCH_JOURNAL_FILE=FILE keeps each journal Secret at its largest in FILE.N<n>.json (to see what its bytes are).
 */
function watchJournalWrites(primary: SimCluster, n: number): { writes: number; bytes: number; stop(): void } {
  const largest = new Map<string, { bytes: number; object: KubeObject }>();
  const seen = { writes: 0, bytes: 0 };
  const unsubscribe = primary.store.subscribe((event) => {
    if (event.def !== R.secrets || event.type === 'DELETED' || !isJournalSecret(event.object)) return;
    const bytes = dataBytes(event.object);
    seen.writes += 1;
    seen.bytes += bytes;
    const name = event.object.metadata.name ?? '';
    if ((largest.get(name)?.bytes ?? -1) < bytes) largest.set(name, { bytes, object: event.object });
  });
  return Object.assign(seen, {
    stop: () => {
      unsubscribe();
      const file = process.env.BENCH_JOURNAL_FILE;
      if (file) writeFileSync(`${file}.N${n}.json`, JSON.stringify([...largest.values()].map((l) => l.object)));
    },
  });
}

async function measure(
  layout: LayoutName,
  n: number,
  options: { podStart: string; podReady: string; verifyWindow: string; runbook: boolean; extra: readonly string[] },
  perClusterRunbook: { secondary?: number },
): Promise<Result> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-rotate-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const clusters = Math.max(n, LAYOUT_CLUSTERS[layout]);
  const sandbox = await startSandboxFleet({
    layout,
    clusters: String(clusters),
    kubeconfig,
    podStart: options.podStart,
    podReady: options.podReady,
  });
  try {
    const { fleet } = sandbox;
    const layoutKeys = sandbox.sandbox?.layout;
    if (!sandbox.sandbox || !layoutKeys) throw new Error('no layout');
    for (const c of fleet.clusters) dropOwners(c);
    await settle(sandbox, `${layout} N=${clusters}`);
    const primary = fleet.clusters[0] as SimCluster;
    const writeMs = await measureWrite(kubeconfig, primary);
    const old = layoutKeys.credentials.get(FLEET_KEY[layout] ?? '');
    if (!old) throw new Error(`layout ${layout} has no fleet-wide key`);
    const { next, keyFile } = successorOf(old);
    sandbox.sandbox.allow(next);
    const keyPath = join(dir, 'new-key.json');
    await writeFile(keyPath, keyFile, { mode: 0o600 });

    const before = fleet.clusters.map(countsOf);
    const written = watchJournalWrites(primary, n);
    const rotate = await runRotate(
      [
        'rotate',
        '--kubeconfig',
        kubeconfig,
        '--all-contexts',
        '--credential',
        credentialId(old),
        '--new-key-file',
        keyPath,
        '--yes',
        '--verify-window',
        options.verifyWindow,
        '--provider-endpoints',
        sandbox.sandbox.endpointsFile,
        '-o',
        'json',
        ...options.extra,
      ],
      dir,
    );
    const after = fleet.clusters.map(countsOf);
    written.stop();
    if (rotate.code !== 0)
      process.stderr.write(`# rotate exited ${rotate.code} (${rotate.phase}):\n${rotate.stderr.slice(-2000)}\n`);
    const perCluster = fleet.clusters.map((_, i) => delta(before[i] as Counts, after[i] as Counts));
    const secondaries = perCluster.slice(1).map((d) => d.requests);

    const journalSecrets = primary.store.peekAll(R.secrets).filter(isJournalSecret);
    const head = journalSecrets.find((s) => (s.data as Record<string, string>)['journal.json'] !== undefined);
    if (!head) throw new Error('no journal on the primary');
    const journalBytes = journalSecrets.reduce((n, s) => n + dataBytes(s), 0);
    const planSecret = journalSecrets.find(
      (s) => s !== head && s.metadata.labels?.[LABEL_ROTATION] === head.metadata.labels?.[LABEL_ROTATION],
    );
    const state = fromSecret(head as unknown as V1Secret, planSecret as unknown as V1Secret | undefined);
    const plan = state.doc.plan;
    const workload = (r: (typeof plan.restarts)[number]) => {
      const def =
        r.kind === 'StatefulSet' ? R.statefulsets : (r.kind as string) === 'DaemonSet' ? R.daemonsets : R.deployments;
      const found = fleet.cluster(r.cluster).store.peek(def, r.namespace, r.name);
      if (!found) throw new Error(`no ${r.kind} ${r.name} on ${r.cluster}`);
      return shapeOf(found);
    };
    const waves = [1, 2, 3].map((wave) => plan.restarts.filter((r) => r.wave === wave).map(workload));
    const bound = rotationBound({
      writeMs,
      waves,
      verifyWindowMs: durationMs(options.verifyWindow),
      timing: {
        startMs: durationMs(options.podStart),
        readyMs: durationMs(options.podReady),
        terminateMs: DEFAULT_TIMING.terminateMs,
      },
    });
    const primaryWrites = plan.writes.filter((w) => w.cluster === primary.name).length;
    const journalSaves = (perCluster[0]?.calls.get('update secrets') ?? 0) - primaryWrites;
    if (written.writes !== journalSaves + journalSecrets.length)
      process.stderr.write(`# ${written.writes} journal writes seen, ${journalSaves} saves counted\n`);

    let runbook: (Runbook & { extrapolated: boolean }) | undefined;
    if (options.runbook) {
      await settle(sandbox, 'after the rotation');
      const measured = await runRunbook(kubeconfig, dir, plan, state.backups);
      runbook = { ...measured, extrapolated: false };
      const rest = measured.perCluster.slice(1);
      if (rest.length > 0) perClusterRunbook.secondary = rest.reduce((a, b) => a + b, 0) / rest.length;
    } else if (perClusterRunbook.secondary !== undefined) {
      // The primary and the readers as measured at a smaller N are not known here: secondaries only, a floor.
      const seconds = perClusterRunbook.secondary * clusters;
      runbook = { seconds, perCluster: [], kubectlCalls: 0, authErrors: 0, extrapolated: true };
    }
    return {
      layout,
      n,
      clusters,
      rotate,
      boundS: bound.totalMs / 1000,
      boundParts: `write ${bound.writeMs.toFixed(0)} ms + waves ${bound.wavesMs.map((w) => (w / 1000).toFixed(2)).join(' + ')} s + window ${bound.verifyWindowMs / 1000} s`,
      primary: perCluster[0] as ReturnType<typeof delta>,
      secondaryMax: Math.max(0, ...secondaries),
      secondaryMedian: secondaries.length > 0 ? median(secondaries) : 0,
      journalKiB: journalBytes / 1024,
      journalSaves,
      journalKiBPerWrite: written.bytes / Math.max(1, written.writes) / 1024,
      ...(runbook ? { runbook } : {}),
    };
  } finally {
    await sandbox.sandbox?.stop();
    await sandbox.fleet.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

function report(r: Result): string {
  const ratio = r.rotate.seconds / r.boundS;
  const phases = Object.entries(r.rotate.phases)
    .map(([p, s]) => `${p} ${s.toFixed(1)}`)
    .join(', ');
  const top = [...r.primary.calls]
    .filter(([k]) => !k.startsWith('watch '))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const lines = [
    `## ${r.layout} N=${r.n}${r.clusters !== r.n ? ` (the layout needs ${r.clusters} clusters)` : ''}: rotate ${r.rotate.seconds.toFixed(1)} s, exit ${r.rotate.code} ${r.rotate.phase}`,
    `  bound ${r.boundS.toFixed(1)} s (${r.boundParts}); rotate/bound ${ratio.toFixed(2)}`,
    `  phases reached at (s): ${phases}`,
    `  API requests (watches apart): primary ${r.primary.requests} (+${r.primary.watches} watches; ${top}); secondary max ${r.secondaryMax}, median ${r.secondaryMedian}`,
    `  journal ${r.journalKiB.toFixed(1)} KiB, saved ${r.journalSaves} time(s), ${r.journalKiBPerWrite.toFixed(1)} KiB written per write; rotate peak RSS ${r.rotate.rssMiB.toFixed(0)} MiB`,
  ];
  if (r.runbook)
    lines.push(
      `  runbook ${r.runbook.seconds.toFixed(1)} s${r.runbook.extrapolated ? ' (extrapolated from the secondaries measured at a smaller N: a floor)' : ` (${r.runbook.kubectlCalls} kubectl calls, ${r.runbook.authErrors} auth error(s) in logs)`}; speed-up ${(r.runbook.seconds / r.rotate.seconds).toFixed(1)}×`,
    );
  return lines.join('\n');
}

function table(results: readonly Result[]): string {
  const rows = results.map((r) =>
    [
      r.layout,
      r.clusters,
      r.rotate.seconds.toFixed(1),
      r.boundS.toFixed(1),
      (r.rotate.seconds / r.boundS).toFixed(2),
      r.runbook ? `${r.runbook.seconds.toFixed(0)}${r.runbook.extrapolated ? ' (extrap.)' : ''}` : '–',
      r.runbook ? `${(r.runbook.seconds / r.rotate.seconds).toFixed(1)}×` : '–',
      r.primary.requests,
      r.secondaryMax,
      r.rotate.rssMiB.toFixed(0),
      r.journalKiB.toFixed(0),
      r.journalSaves,
      r.journalKiBPerWrite.toFixed(0),
    ].join(' | '),
  );
  return [
    '| layout | N | rotate s | bound s | ratio | runbook s | speed-up | primary req | secondary req (max) | peak RSS MiB | journal KiB | journal saves | KiB per save |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r} |`),
  ].join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      layout: { type: 'string', multiple: true },
      clusters: { type: 'string' },
      'pod-start': { type: 'string', default: '2s' },
      'pod-ready': { type: 'string', default: '1s' },
      'verify-window': { type: 'string', default: '10s' },
      'runbook-max': { type: 'string' },
      'max-parallel-clusters': { type: 'string' },
      quick: { type: 'boolean', default: false },
    },
  });
  checkBuilt();
  const layouts = (values.layout ?? ['v2-federated']) as LayoutName[];
  for (const l of layouts)
    if (!FLEET_KEY[l]) throw new Error(`--layout ${l}: one of ${Object.keys(FLEET_KEY).join(', ')}`);
  const sizes = (values.clusters ?? (values.quick ? '1,10' : '1,10,50,200')).split(',').map(Number);
  const runbookMax = Number(values['runbook-max'] ?? (values.quick ? '3' : '50'));
  const extra = values['max-parallel-clusters'] ? ['--max-parallel-clusters', values['max-parallel-clusters']] : [];
  const { stdout: kubectlVersion } = await exec('kubectl', ['version', '--client', '-o', 'json']).catch(() => ({
    stdout: '{}',
  }));
  console.log(
    `# rotate-fleet bench: layouts ${layouts.join(', ')}, N = ${sizes.join(', ')}, pods ${values['pod-start']} start / ${values['pod-ready']} ready, --verify-window ${values['verify-window']}, runbook up to N=${runbookMax}`,
  );
  console.log(
    `# machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}, kubectl ${(JSON.parse(kubectlVersion) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion ?? '?'}; figures are one run each on a machine shared with other jobs`,
  );
  const results: Result[] = [];
  let exitCode = 0;
  for (const layout of layouts) {
    const perClusterRunbook: { secondary?: number } = {};
    for (const n of sizes) {
      const result = await measure(
        layout,
        n,
        {
          podStart: values['pod-start'],
          podReady: values['pod-ready'],
          verifyWindow: values['verify-window'],
          runbook: n <= runbookMax,
          extra,
        },
        perClusterRunbook,
      );
      console.log(report(result));
      if (result.rotate.code !== 0) exitCode = 1;
      results.push(result);
    }
  }
  console.log(`\n${table(results)}`);
  return exitCode;
}

process.exitCode = await main();
