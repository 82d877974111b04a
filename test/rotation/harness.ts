/**
 * Helpers for the crash and fault tests of rotations: running the CLI as a child process, taking
 * byte-exact snapshots of every Secret in a fleet, reading journals straight from kube-sim's
 * store, and recording (by store revision) when Secrets changed and pods started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { SIM_RESOURCES, type KubeObject, type SimCluster } from '../../src/sim/kube/index.js';
import { waitFor } from '../support/kube.js';
import type { RotationWorld } from './world.js';

export const MANAGED_BY_SELECTOR = 'app.kubernetes.io/managed-by=kubecost-rotate';
export const PHASE_LABEL = 'kubecost-rotate.io/phase';
export const RESTART_ANNOTATION = 'kubecost-rotate.io/restart';

// ----------------------------------------------------------------------------------- child process

export interface ChildRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** A CLI child process that is still running: signal it, and await how it ended. */
export interface StartedChild {
  readonly child: ChildProcess;
  readonly done: Promise<ChildRun>;
}

/** Starts `src/cli/main.ts` through tsx in a fresh Node process, from the repository root. */
export function startCliChild(
  argv: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): StartedChild {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...argv], {
    cwd: process.cwd(),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const done = new Promise<ChildRun>((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    // A hung child must not hang the suite: kill it and let the assertions on the signal fail.
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: Date.now() - started,
      });
    });
  });
  return { child, done };
}

/** Runs `src/cli/main.ts` through tsx in a fresh Node process, from the repository root. */
export function runCliChild(
  argv: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<ChildRun> {
  return startCliChild(argv, env, timeoutMs).done;
}

// ----------------------------------------------------------------------------------- snapshots

/** Everything of a Secret a rotation may touch, as plain JSON. */
export interface SecretState {
  readonly type: unknown;
  readonly data: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly labels: Record<string, string>;
}

export type SecretSnapshot = Map<string, SecretState>;

const isJournal = (o: KubeObject) => o.metadata.labels?.['app.kubernetes.io/managed-by'] === 'kubecost-rotate';

/** Every Secret of every cluster but the rotation journals, by cluster/namespace/name. */
export function snapshotSecrets(world: RotationWorld): SecretSnapshot {
  const snapshot: SecretSnapshot = new Map();
  for (const cluster of world.fleet.clusters) {
    for (const s of cluster.api.select(SIM_RESOURCES.secrets, undefined)) {
      if (isJournal(s)) continue;
      snapshot.set(`${cluster.name}/${s.metadata.namespace ?? ''}/${s.metadata.name ?? ''}`, {
        type: s.type,
        data: { ...((s.data as Record<string, string> | undefined) ?? {}) },
        annotations: { ...(s.metadata.annotations ?? {}) },
        labels: { ...(s.metadata.labels ?? {}) },
      });
    }
  }
  return snapshot;
}

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

/**
 * What differs between two snapshots, one line per Secret and part (names only: a failure message
 * must not print secret data). An empty list means byte-identical.
 */
export function snapshotDiff(
  before: SecretSnapshot,
  after: SecretSnapshot,
  ignore: ReadonlySet<string> = new Set(),
): string[] {
  const diffs: string[] = [];
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    if (ignore.has(key)) continue;
    const a = before.get(key);
    const b = after.get(key);
    if (!a || !b) {
      diffs.push(`${key}: ${a ? 'deleted' : 'created'}`);
      continue;
    }
    if (!sameRecord(a.data, b.data)) {
      const keys = [...new Set([...Object.keys(a.data), ...Object.keys(b.data)])].filter(
        (k) => a.data[k] !== b.data[k],
      );
      diffs.push(`${key}: data differs in ${keys.join(', ')}`);
    }
    if (!sameRecord(a.annotations, b.annotations))
      diffs.push(
        `${key}: annotations ${JSON.stringify(Object.keys(a.annotations).sort())} -> ${JSON.stringify(Object.keys(b.annotations).sort())}`,
      );
    if (!sameRecord(a.labels, b.labels)) diffs.push(`${key}: labels differ`);
    if (a.type !== b.type) diffs.push(`${key}: type ${String(a.type)} -> ${String(b.type)}`);
  }
  return diffs;
}

export const decode = (b64: string | undefined) => Buffer.from(b64 ?? '', 'base64').toString('utf8');

/** The text of one data key of a Secret. */
export function secretText(cluster: SimCluster, namespace: string, name: string, dataKey: string): string {
  const secret = cluster.api.get(SIM_RESOURCES.secrets, namespace, name);
  return decode((secret.data as Record<string, string> | undefined)?.[dataKey]);
}

/** Puts a Secret back exactly as a snapshot has it (used to repair the world after a failed case). */
export function restoreSecret(world: RotationWorld, key: string, state: SecretState): void {
  const [clusterName, namespace, name] = key.split('/') as [string, string, string];
  world.fleet.cluster(clusterName).apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, labels: { ...state.labels }, annotations: { ...state.annotations } },
    ...(state.type ? { type: state.type } : {}),
    data: { ...state.data },
  });
}

// ----------------------------------------------------------------------------------- journals

/** The parts of a journal document these tests read. */
export interface JournalView {
  readonly cluster: string;
  readonly name: string;
  readonly dataKeys: string[];
  readonly phaseLabel: string | undefined;
  readonly raw: string;
  readonly doc: {
    id: string;
    phase: string;
    reason?: string;
    plan: {
      journal: { cluster: string; namespace: string; secret: string };
      sites: {
        cluster: string;
        namespace: string;
        secret: string;
        dataKey: string;
        consumers: { kind: string; name: string }[];
      }[];
      writes: { step: string; cluster: string; namespace: string; secret: string }[];
      restarts: {
        step: string;
        cluster: string;
        namespace: string;
        kind: 'Deployment' | 'StatefulSet';
        name: string;
      }[];
    };
    steps: Record<string, { state: string }>;
  };
}

interface SecretLike {
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
  readonly data?: unknown;
}

/**
 * A head's journal.json with its plan whole: schema 4 keeps the plan's large part in the plan
 * Secret named by `planSecret`, which is looked for among `secrets` (the same list as the head).
 */
export function journalDocOf(raw: string, namespace: string | undefined, secrets: readonly SecretLike[]) {
  const doc = JSON.parse(raw) as JournalView['doc'] & { planSecret?: { name: string } };
  const planSecret = doc.planSecret
    ? secrets.find((p) => p.metadata?.name === doc.planSecret?.name && p.metadata?.namespace === namespace)
    : undefined;
  const planData = (planSecret?.data as Record<string, string> | undefined)?.['plan.json'];
  if (planData !== undefined) doc.plan = { ...doc.plan, ...(JSON.parse(decode(planData)) as object) };
  return doc;
}

export function journals(world: RotationWorld): JournalView[] {
  const found: JournalView[] = [];
  for (const cluster of world.fleet.clusters) {
    const secrets = cluster.api.select(SIM_RESOURCES.secrets, undefined, { labelSelector: MANAGED_BY_SELECTOR });
    for (const s of secrets) {
      const data = (s.data as Record<string, string> | undefined) ?? {};
      if (data['journal.json'] === undefined) continue; // a plan Secret: read with its head below
      const raw = decode(data['journal.json']);
      const doc = journalDocOf(raw, s.metadata.namespace, secrets);
      found.push({
        cluster: cluster.name,
        name: s.metadata.name ?? '',
        dataKeys: Object.keys(data).sort(),
        phaseLabel: s.metadata.labels?.[PHASE_LABEL],
        raw,
        doc,
      });
    }
  }
  return found;
}

export function journalById(world: RotationWorld, id: string): JournalView | undefined {
  return journals(world).find((j) => j.doc.id === id);
}

// ----------------------------------------------------------------------------------- recording

/**
 * Records, by store revision (one counter per cluster), when each Secret's data changed, when
 * each pod was created and how often each workload's pod template got a new restart token.
 */
/** What happened, in the order it happened on the fleet: journal saves (with their step states) and effects. */
export type RecordedEntry =
  | { readonly kind: 'save'; readonly steps: Readonly<Record<string, string>> }
  | { readonly kind: 'write'; readonly secret: string }
  | { readonly kind: 'restart'; readonly workload: string };

export class Recorder {
  readonly sequence: RecordedEntry[] = [];
  readonly secretWrites = new Map<string, number[]>();
  readonly podsAdded = new Map<string, number>();
  readonly restarts = new Map<string, string[]>();
  /** Saves of journal Secrets (create and every update). */
  journalSaves = 0;
  private readonly stops: (() => void)[] = [];

  constructor(world: RotationWorld) {
    for (const cluster of world.fleet.clusters) {
      this.stops.push(
        cluster.store.subscribe((event) => {
          const o = event.object;
          const key = `${cluster.name}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
          if (event.def === SIM_RESOURCES.secrets && event.type !== 'DELETED') {
            if (isJournal(o)) {
              if ((o.data as Record<string, string> | undefined)?.['journal.json'] === undefined) return; // a plan Secret
              this.journalSaves += 1;
              const doc = JSON.parse(decode((o.data as Record<string, string> | undefined)?.['journal.json'])) as {
                steps?: Record<string, { state: string }>;
              };
              this.sequence.push({
                kind: 'save',
                steps: Object.fromEntries(Object.entries(doc.steps ?? {}).map(([id, r]) => [id, r.state])),
              });
            } else if (JSON.stringify(o.data ?? {}) !== JSON.stringify(event.previous?.data ?? {})) {
              this.secretWrites.set(key, [...(this.secretWrites.get(key) ?? []), event.revision]);
              this.sequence.push({ kind: 'write', secret: key });
            }
          } else if (event.def === SIM_RESOURCES.pods && event.type === 'ADDED') {
            this.podsAdded.set(key, event.revision);
          } else if (event.def === SIM_RESOURCES.deployments || event.def === SIM_RESOURCES.statefulsets) {
            const token = (x: KubeObject | undefined) =>
              (x?.spec as { template?: { metadata?: { annotations?: Record<string, string> } } } | undefined)?.template
                ?.metadata?.annotations?.[RESTART_ANNOTATION];
            const now = token(o);
            const workload = `${cluster.name}/${o.metadata.namespace ?? ''}/${event.def.kind}/${o.metadata.name ?? ''}`;
            if (event.previous && now !== token(event.previous)) {
              this.restarts.set(workload, [...(this.restarts.get(workload) ?? []), String(now)]);
              this.sequence.push({ kind: 'restart', workload });
            }
          }
        }),
      );
    }
  }

  reset(): void {
    this.sequence.length = 0;
    this.secretWrites.clear();
    this.podsAdded.clear();
    this.restarts.clear();
    this.journalSaves = 0;
  }

  /** How many pod templates changed their restart token, in all. */
  get restartCount(): number {
    return [...this.restarts.values()].reduce((n, tokens) => n + tokens.length, 0);
  }

  /** How many times non-journal Secrets changed their data, in all. */
  get secretWriteCount(): number {
    return [...this.secretWrites.values()].reduce((n, revisions) => n + revisions.length, 0);
  }

  stop(): void {
    for (const stop of this.stops) stop();
  }
}

/**
 * The effects of a forward run that were not journaled before and after they happened (DESIGN §4):
 * the last journal save before each Secret write or restart must hold its step as started, and a
 * later save as done.
 */
export function effectsNotJournaledAround(
  sequence: readonly RecordedEntry[],
  plan: {
    writes: readonly { step: string; cluster: string; namespace: string; secret: string }[];
    restarts: readonly { step: string; cluster: string; namespace: string; kind: string; name: string }[];
  },
): string[] {
  const stepOf = new Map<string, string>([
    ...plan.writes.map((w): [string, string] => [`write ${w.cluster}/${w.namespace}/${w.secret}`, w.step]),
    ...plan.restarts.map((r): [string, string] => [`restart ${r.cluster}/${r.namespace}/${r.kind}/${r.name}`, r.step]),
  ]);
  const problems: string[] = [];
  sequence.forEach((entry, i) => {
    if (entry.kind === 'save') return;
    const what = entry.kind === 'write' ? `write ${entry.secret}` : `restart ${entry.workload}`;
    const step = stepOf.get(what);
    if (!step) return void problems.push(`${what}: not in the plan`);
    const saves = (from: number, to: number) =>
      sequence.slice(from, to).flatMap((e) => (e.kind === 'save' ? [e.steps] : []));
    const before = saves(0, i).at(-1);
    if (before?.[step] !== 'started')
      problems.push(`${what}: the last save before it has ${before?.[step] ?? 'no record'}`);
    if (!saves(i + 1, sequence.length).some((steps) => steps[step] === 'done'))
      problems.push(`${what}: no save after it records it done`);
  });
  return problems;
}

// ----------------------------------------------------------------------------------- workloads

function isReady(pod: KubeObject): boolean {
  const conditions = (pod.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** The live pods of a workload (selected by its matchLabels), without the terminating ones. */
export function livePods(
  cluster: SimCluster,
  namespace: string,
  kind: 'Deployment' | 'StatefulSet',
  name: string,
): KubeObject[] {
  const workload = cluster.api.get(
    kind === 'Deployment' ? SIM_RESOURCES.deployments : SIM_RESOURCES.statefulsets,
    namespace,
    name,
  );
  const labels =
    (workload.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)?.selector?.matchLabels ?? {};
  const labelSelector = Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return cluster.api
    .select(SIM_RESOURCES.pods, namespace, { labelSelector })
    .filter((p) => !p.metadata.deletionTimestamp);
}

export { isReady as podReady };

/** Pod templates (restart annotations) of every workload, to check that nothing was restarted. */
export function templateAnnotations(world: RotationWorld): Map<string, string> {
  const out = new Map<string, string>();
  for (const cluster of world.fleet.clusters) {
    for (const def of [SIM_RESOURCES.deployments, SIM_RESOURCES.statefulsets]) {
      for (const w of cluster.api.select(def, undefined)) {
        out.set(
          `${cluster.name}/${w.metadata.namespace ?? ''}/${def.kind}/${w.metadata.name ?? ''}`,
          JSON.stringify(
            (w.spec as { template?: { metadata?: { annotations?: unknown } } } | undefined)?.template?.metadata
              ?.annotations ?? {},
          ),
        );
      }
    }
  }
  return out;
}

/** Waits until no pod is terminating and every workload has all its replicas updated and ready. */
export async function settle(world: RotationWorld, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    'every workload to settle',
    () =>
      world.fleet.clusters.every((cluster) => {
        const pods = cluster.api.select(SIM_RESOURCES.pods, 'kubecost');
        if (pods.some((p) => p.metadata.deletionTimestamp)) return false;
        return [SIM_RESOURCES.deployments, SIM_RESOURCES.statefulsets].every((def) =>
          cluster.api.select(def, 'kubecost').every((w) => {
            const status = (w.status ?? {}) as {
              observedGeneration?: number;
              updatedReplicas?: number;
              readyReplicas?: number;
              replicas?: number;
            };
            const replicas = (w.spec as { replicas?: number } | undefined)?.replicas ?? 1;
            return (
              (status.observedGeneration ?? 0) >= (w.metadata.generation ?? 0) &&
              status.updatedReplicas === replicas &&
              status.readyReplicas === replicas &&
              status.replicas === replicas
            );
          }),
        );
      }),
    timeoutMs,
    50,
  );
}

/**
 * Deletes the journals of rotations that have not ended (left by a case that failed), so that
 * the next case is not refused as a second rotation in flight. Returns their ids.
 */
export function deleteUnfinishedJournals(world: RotationWorld): string[] {
  const deleted: string[] = [];
  for (const j of journals(world)) {
    if (j.doc.phase === 'Verified' || j.doc.phase === 'RolledBack') continue;
    world.fleet.cluster(j.cluster).api.delete(SIM_RESOURCES.secrets, j.doc.plan.journal.namespace, j.name);
    deleted.push(j.doc.id);
  }
  return deleted;
}
