/**
 * The crash matrix (DESIGN §4, invariant 2): `rotate` runs as a child process on a v1-thanos
 * fleet (the Thanos S3 key shared by two clusters: two Secrets, six workloads in two restart
 * waves) and is killed with SIGKILL right after each journal save (journal:1..N) and right after
 * each external effect, before the journal records it (effect:1..M). Every such kill must be
 * finishable with `resume` and, on another run killed at the same point, undoable with
 * `rollback`, byte for byte.
 *
 * Two fleets run side by side: one for the resume chain, one for the rollback chain. Each case
 * rotates the Thanos key to a fresh key (old and new both valid, as at the provider during a
 * rotation) and checks the world it leaves, so the cases do not depend on each other.
 */
import { afterAll, beforeAll, describe, expect, it, type ExpectStatic } from 'vitest';
import { SIM_RESOURCES } from '../../src/sim/kube/index.js';
import { fakeAwsKey, layoutSecretValues, type FakeCredential } from '../../src/sim/kubecost/index.js';
import { scanLogForAuthFailures } from '../../src/verify/checks.js';
import { leakedSecrets, runCliInProcess, type CliRun } from '../support/capture.js';
import {
  decode,
  deleteUnfinishedJournals,
  journalById,
  journals,
  livePods,
  podReady,
  Recorder,
  restoreSecret,
  RESTART_ANNOTATION,
  runCliChild,
  settle,
  snapshotDiff,
  snapshotSecrets,
  type ChildRun,
  effectsNotJournaledAround,
  type JournalView,
  type RecordedEntry,
  type SecretSnapshot,
} from './harness.js';
import { startRotationWorld, type RotationWorld } from './world.js';

type AwsKey = FakeCredential & { provider: 'aws' };

/** One fleet with everything a chain of crash cases needs. */
interface Chain {
  readonly name: string;
  readonly world: RotationWorld;
  readonly recorder: Recorder;
  /** Every Secret as installed. */
  readonly initial: SecretSnapshot;
  /** The Secrets that hold the Thanos key (cluster/namespace/name). */
  readonly thanosSecrets: readonly string[];
  /** Every Thanos key this chain has used, by access key id. */
  readonly keys: Map<string, AwsKey>;
  /** Everything printed by every run of this chain (for the secret canary). */
  readonly printed: string[];
  /** Wall time per case, for the report. */
  readonly timings: { point: string; child: number; after: number }[];
}

const rotateArgs = (world: RotationWorld, credential: string, keyFile: string) => [
  'rotate',
  '--kubeconfig',
  world.kubeconfig,
  '--all-contexts',
  '--credential',
  credential,
  '--new-key-file',
  keyFile,
  '--yes',
  '--verify-window',
  '300ms',
  '--rollout-timeout',
  '30s',
];

/**
 * The in-process resume and rollback runs of the two chains take turns, so that each chain's
 * child processes get the machine's cores while the other chain's in-process run waits.
 */
let cliLock: Promise<unknown> = Promise.resolve();
function runCliSerialized(argv: readonly string[]): Promise<CliRun> {
  const run = cliLock.then(() => runCliInProcess(argv));
  cliLock = run.catch(() => undefined);
  return run;
}

const ACCESS_KEY = /access_key: "(AKIA[A-Z2-7]{16})"/;

async function startChain(name: string): Promise<Chain> {
  const world = await startRotationWorld('v1-thanos', { backend: 'memory' });
  const thanos = world.layout.credentials.get('thanos-s3') as AwsKey;
  const initial = snapshotSecrets(world);
  const thanosSecrets = [...initial]
    .filter(([, s]) => Object.values(s.data).some((v) => decode(v).includes(thanos.accessKeyId)))
    .map(([key]) => key);
  return {
    name,
    world,
    recorder: new Recorder(world),
    initial,
    thanosSecrets,
    keys: new Map([[thanos.accessKeyId, thanos]]),
    printed: [],
    timings: [],
  };
}

/** The Thanos key every Thanos Secret holds now; a world left inconsistent by a failed case is put back as installed first. */
function currentKey(chain: Chain, mustBeInitial: boolean): AwsKey {
  const now = snapshotSecrets(chain.world);
  const ids = chain.thanosSecrets.map(
    (key) =>
      ACCESS_KEY.exec(
        Object.values(now.get(key)?.data ?? {})
          .map(decode)
          .join('\n'),
      )?.[1],
  );
  const consistent = ids.every((id) => id !== undefined && id === ids[0] && chain.keys.has(id));
  const others = snapshotDiff(chain.initial, now, mustBeInitial ? new Set() : new Set(chain.thanosSecrets));
  if (!consistent || others.length > 0) {
    for (const [key, state] of chain.initial) restoreSecret(chain.world, key, state);
    return chain.keys.get(
      ACCESS_KEY.exec(
        Object.values(chain.initial.get(chain.thanosSecrets[0] ?? '')?.data ?? {})
          .map(decode)
          .join('\n'),
      )?.[1] ?? '',
    ) as AwsKey;
  }
  return chain.keys.get(ids[0] as string) as AwsKey;
}

interface CrashedRun {
  readonly old: AwsKey;
  readonly next: AwsKey;
  readonly before: SecretSnapshot;
  readonly logStart: number;
  readonly child: ChildRun;
  /** The journal the killed run created, if it got that far. */
  readonly journal: JournalView | undefined;
  readonly newJournals: number;
}

/** Starts a rotation to a fresh key in a child process that kills itself at `point`. */
async function crashAt(chain: Chain, point: string, mustStartFromInitial: boolean): Promise<CrashedRun> {
  const { world } = chain;
  deleteUnfinishedJournals(world);
  await settle(world);
  const old = currentKey(chain, mustStartFromInitial);
  const next = fakeAwsKey(old.user) as AwsKey;
  world.allow(next);
  chain.keys.set(next.accessKeyId, next);
  const keyFile = await world.keyFile(`thanos-${chain.name}-${point.replace(':', '-')}.json`, {
    accessKeyId: next.accessKeyId,
    secretAccessKey: next.secretAccessKey,
  });
  await settle(world);
  const before = snapshotSecrets(world);
  const known = new Set(journals(world).map((j) => j.doc.id));
  const logStart = world.logs.length;
  chain.recorder.reset();
  const child = await runCliChild(rotateArgs(world, old.accessKeyId, keyFile), { KUBECOST_ROTATE_TEST_CRASH: point });
  chain.printed.push(child.stdout, child.stderr);
  const created = journals(world).filter((j) => !known.has(j.doc.id));
  return { old, next, before, logStart, child, journal: created[0], newJournals: created.length };
}

function authFailuresSince(world: RotationWorld, start: number) {
  return scanLogForAuthFailures(
    world.logs
      .slice(start)
      .map((l) => `${l.namespace}/${l.pod}/${l.container}: ${l.line}`)
      .join('\n'),
  );
}

/** The last revision at which a Secret's data changed (this case), on its cluster's revision counter. */
function lastWrite(chain: Chain, key: string): number | undefined {
  return chain.recorder.secretWrites.get(key)?.at(-1);
}

/** The Secrets (cluster/namespace/name) a restarted workload reads, from the plan. */
function secretsRead(plan: JournalView['doc']['plan'], r: JournalView['doc']['plan']['restarts'][number]): string[] {
  return [
    ...new Set(
      plan.sites
        .filter(
          (s) =>
            s.cluster === r.cluster &&
            s.namespace === r.namespace &&
            s.consumers.some((c) => c.kind === r.kind && c.name === r.name),
        )
        .map((s) => `${s.cluster}/${s.namespace}/${s.secret}`),
    ),
  ];
}

/**
 * Kills `rotate` at `point` and checks what holds whatever comes next: it died by SIGKILL, made at
 * most one journal, and changed nothing if it died before the journal existed (then there is
 * nothing to resume or roll back, and the caller stops).
 */
async function killAt(chain: Chain, point: string, forRollback: boolean, soft: ExpectStatic) {
  const run = await crashAt(chain, point, forRollback);
  const at = (what: string) => `[${chain.name} ${point}] ${what}`;
  // Saves are grouped (one write carries every save asked for meanwhile), so their count moves with the
  // machine's timing: a run may end Verified in fewer saves than the full run made. Then the point was not
  // reached: say so, check the rotation really ended Verified, and there is nothing to resume or roll back.
  if (point.startsWith('journal:') && run.child.code === 0 && run.journal?.doc.phase === 'Verified') {
    console.info(`crash matrix: ${chain.name} ${point} not reached, the run ended Verified in fewer saves`);
    soft.soft(run.child.stdout, at('the run that did not reach the point ends Verified')).toMatch(/: Verified\./);
    if (forRollback) {
      // The rollback chain starts each point from the old key: undo the verified rotation (--force).
      const undo = await runCliSerialized([
        'rollback',
        run.journal.doc.id,
        '--kubeconfig',
        chain.world.kubeconfig,
        '--force',
      ]);
      chain.printed.push(undo.stdout, undo.stderr);
      soft
        .soft(undo.code, at(`the verified rotation is rolled back with --force (${undo.stderr.slice(0, 300)})`))
        .toBe(0);
    }
    chain.timings.push({ point, child: run.child.ms, after: 0 });
    return { run, at, journal: undefined };
  }
  soft
    .soft(
      run.child.signal,
      at(
        `the rotate process dies by SIGKILL (exit ${String(run.child.code)}; stderr: ${run.child.stderr.slice(0, 400)})`,
      ),
    )
    .toBe('SIGKILL');
  soft.soft(run.newJournals, at('one journal was created')).toBeLessThanOrEqual(1);
  if (!run.journal) {
    soft
      .soft(snapshotDiff(run.before, snapshotSecrets(chain.world)), at('without a journal, nothing changed'))
      .toEqual([]);
    chain.timings.push({ point, child: run.child.ms, after: 0 });
  }
  return { run, at, journal: run.journal };
}

/** (a) Kill at `point`, then `resume`: the rotation finishes as if nothing had happened. */
async function crashThenResume(chain: Chain, point: string, soft: ExpectStatic): Promise<void> {
  const { world } = chain;
  const { run, at, journal: killed } = await killAt(chain, point, false, soft);
  if (!killed) return;
  const id = killed.doc.id;
  const startedAt = Date.now();
  const resume = await runCliSerialized(['resume', id, '--kubeconfig', world.kubeconfig]);
  chain.timings.push({ point, child: run.child.ms, after: Date.now() - startedAt });
  chain.printed.push(resume.stdout, resume.stderr);
  soft
    .soft(
      resume.code,
      at(`resume exits 0 (stderr: ${resume.stderr.slice(0, 600)}; last output: ${resume.stdout.slice(-600)})`),
    )
    .toBe(0);
  soft.soft(resume.stdout, at('resume reports Verified')).toMatch(new RegExp(`rotation ${id}: Verified\\.`));

  const journal = journalById(world, id);
  soft.soft(journal?.doc.phase, at('the journal ends Verified')).toBe('Verified');
  soft.soft(journal?.phaseLabel, at('the journal phase label says Verified')).toBe('Verified');
  soft
    .soft(
      journal?.dataKeys.includes('new-key'),
      at('the journal no longer holds the new key once the rotation has ended'),
    )
    .toBe(false);
  if (!journal) return;
  const plan = journal.doc.plan;

  // Every site holds the new key, byte-exact; nothing else changed.
  const after = snapshotSecrets(world);
  const written = new Set(plan.writes.map((w) => `${w.cluster}/${w.namespace}/${w.secret}`));
  soft.soft([...written].sort(), at('the plan writes every Thanos Secret')).toEqual([...chain.thanosSecrets].sort());
  for (const key of written) {
    const was = run.before.get(key)?.data ?? {};
    const now = after.get(key)?.data ?? {};
    soft.soft(Object.keys(now).sort(), at(`${key} keeps its data keys`)).toEqual(Object.keys(was).sort());
    for (const dataKey of Object.keys(was)) {
      const expected = decode(was[dataKey])
        .replaceAll(run.old.accessKeyId, run.next.accessKeyId)
        .replaceAll(run.old.secretAccessKey, run.next.secretAccessKey);
      soft
        .soft(
          decode(now[dataKey]) === expected,
          at(`${key} ${dataKey} holds the new key and every other byte as before`),
        )
        .toBe(true);
    }
  }
  soft.soft(snapshotDiff(run.before, after, written), at('no other Secret changed')).toEqual([]);

  // Every consumer runs a ready pod created after its Secret got the new key, restarted exactly once.
  for (const r of plan.restarts) {
    const cluster = world.fleet.cluster(r.cluster);
    const workload = `${r.cluster}/${r.namespace}/${r.kind}/${r.name}`;
    const writtenAt = Math.max(...secretsRead(plan, r).map((key) => lastWrite(chain, key) ?? Number.POSITIVE_INFINITY));
    const pods = livePods(cluster, r.namespace, r.kind, r.name);
    soft.soft(pods.length, at(`${workload} has running pods`)).toBeGreaterThan(0);
    for (const pod of pods) {
      const name = `${r.cluster}/${r.namespace}/${pod.metadata.name ?? ''}`;
      soft
        .soft(pod.metadata.annotations?.[RESTART_ANNOTATION], at(`${name} carries the restart token of the rotation`))
        .toBe(id);
      soft.soft(podReady(pod), at(`${name} is ready`)).toBe(true);
      soft
        .soft(
          (chain.recorder.podsAdded.get(name) ?? 0) > writtenAt,
          at(`${name} was created after its Secret got the new key`),
        )
        .toBe(true);
    }
    soft.soft(chain.recorder.restarts.get(workload), at(`${workload} was restarted exactly once`)).toEqual([id]);
  }
  soft
    .soft([...chain.recorder.restarts.keys()].sort(), at('only the planned workloads were restarted'))
    .toEqual(plan.restarts.map((r) => `${r.cluster}/${r.namespace}/${r.kind}/${r.name}`).sort());
  soft.soft(authFailuresSince(world, run.logStart), at('no auth failure was logged')).toEqual([]);
}

/** (b) Kill at `point`, then `rollback`: every Secret is back byte for byte. */
async function crashThenRollback(chain: Chain, point: string, soft: ExpectStatic): Promise<void> {
  const { world } = chain;
  const { run, at, journal: killed } = await killAt(chain, point, true, soft);
  if (!killed) return;
  const id = killed.doc.id;
  const startedAt = Date.now();
  const rollback = await runCliSerialized(['rollback', id, '--kubeconfig', world.kubeconfig, '--force']);
  chain.timings.push({ point, child: run.child.ms, after: Date.now() - startedAt });
  chain.printed.push(rollback.stdout, rollback.stderr);
  soft
    .soft(
      rollback.code,
      at(`rollback exits 0 (stderr: ${rollback.stderr.slice(0, 600)}; last output: ${rollback.stdout.slice(-600)})`),
    )
    .toBe(0);

  const journal = journalById(world, id);
  soft.soft(journal?.doc.phase, at('the journal ends RolledBack')).toBe('RolledBack');
  soft.soft(journal?.phaseLabel, at('the journal phase label says RolledBack')).toBe('RolledBack');
  soft.soft(journal?.dataKeys, at('the journal keeps no key material once rolled back')).toEqual(['journal.json']);
  soft
    .soft(
      snapshotDiff(run.before, snapshotSecrets(world)),
      at('every Secret is byte-identical to before the rotation (data, annotations, labels, type)'),
    )
    .toEqual([]);

  // A workload that was restarted onto the new key runs a pod created after its Secret was restored.
  if (journal) {
    for (const r of journal.doc.plan.restarts) {
      const workload = `${r.cluster}/${r.namespace}/${r.kind}/${r.name}`;
      if (!chain.recorder.restarts.get(workload)?.includes(id)) continue;
      const restoredAt = Math.max(
        ...secretsRead(journal.doc.plan, r).map((key) => lastWrite(chain, key) ?? Number.POSITIVE_INFINITY),
      );
      for (const pod of livePods(world.fleet.cluster(r.cluster), r.namespace, r.kind, r.name)) {
        const name = `${r.cluster}/${r.namespace}/${pod.metadata.name ?? ''}`;
        soft
          .soft(
            (chain.recorder.podsAdded.get(name) ?? 0) > restoredAt,
            at(`${name} was created after its Secret got the old key back`),
          )
          .toBe(true);
      }
    }
  }
  soft.soft(authFailuresSince(world, run.logStart), at('no auth failure was logged')).toEqual([]);
}

function canaryValues(chain: Chain): string[] {
  return [...layoutSecretValues(chain.world.layout), ...[...chain.keys.values()].map((k) => k.secretAccessKey)];
}

function summary(chain: Chain): string {
  const total = chain.timings.reduce((n, t) => n + t.child + t.after, 0);
  const slowest = [...chain.timings].sort((a, b) => b.child + b.after - (a.child + a.after))[0];
  return `${chain.name}: ${chain.timings.length} cases in ${(total / 1000).toFixed(1)} s (child runs ${(chain.timings.reduce((n, t) => n + t.child, 0) / 1000).toFixed(1)} s); slowest ${slowest?.point ?? '-'} ${slowest ? slowest.child + slowest.after : 0} ms`;
}

describe('a rotation killed at any instant', () => {
  let resumeChain: Chain;
  let rollbackChain: Chain;
  let fullRun: {
    child: ChildRun;
    journal: JournalView | undefined;
    saves: number;
    sequence: RecordedEntry[];
    secretWrites: number;
    restarts: number;
    before: SecretSnapshot;
  };
  let points: string[] = [];

  beforeAll(async () => {
    [resumeChain, rollbackChain] = await Promise.all([startChain('resume'), startChain('rollback')]);
    // Count the journal saves and external effects of a full run (a crash point past the end arms the hook without firing).
    const chain = resumeChain;
    const old = currentKey(chain, true);
    const next = fakeAwsKey(old.user) as AwsKey;
    chain.world.allow(next);
    chain.keys.set(next.accessKeyId, next);
    const keyFile = await chain.world.keyFile('thanos-count.json', {
      accessKeyId: next.accessKeyId,
      secretAccessKey: next.secretAccessKey,
    });
    await settle(chain.world);
    const before = snapshotSecrets(chain.world);
    chain.recorder.reset();
    const child = await runCliChild(rotateArgs(chain.world, old.accessKeyId, keyFile), {
      KUBECOST_ROTATE_TEST_CRASH: 'journal:1000000',
    });
    chain.printed.push(child.stdout, child.stderr);
    const journal = journals(chain.world)[0];
    fullRun = {
      child,
      journal,
      saves: chain.recorder.journalSaves,
      sequence: [...chain.recorder.sequence],
      secretWrites: chain.recorder.secretWriteCount,
      restarts: chain.recorder.restartCount,
      before,
    };
    points = [
      ...Array.from({ length: fullRun.saves }, (_, i) => `journal:${i + 1}`),
      ...Array.from({ length: fullRun.secretWrites + fullRun.restarts }, (_, i) => `effect:${i + 1}`),
    ];
  }, 120_000);

  afterAll(async () => {
    resumeChain.recorder.stop();
    rollbackChain.recorder.stop();
    await Promise.all([resumeChain.world.stop(), rollbackChain.world.stop()]);
  });

  it('counts the journal saves and external effects of a full run, which ends Verified', () => {
    expect(fullRun.child.signal).toBeNull();
    expect(fullRun.child.code, fullRun.child.stderr).toBe(0);
    expect(fullRun.journal?.doc.phase).toBe('Verified');
    const plan = fullRun.journal?.doc.plan;
    // A rich step list: Secrets on two clusters, restarts on both, in two waves.
    expect(new Set(plan?.writes.map((w) => w.cluster))).toEqual(new Set(['cluster-1', 'cluster-2']));
    expect(plan?.restarts.length).toBeGreaterThanOrEqual(6);
    // Every planned effect happened exactly once, and each was journaled before and after.
    expect(fullRun.secretWrites).toBe(plan?.writes.length);
    expect(fullRun.restarts).toBe(plan?.restarts.length);
    // Saves are grouped (one write carries the records of parallel steps), never skipped.
    expect(plan && effectsNotJournaledAround(fullRun.sequence, plan)).toEqual([]);
    expect(fullRun.saves).toBeGreaterThanOrEqual(5);
    console.info(
      `crash matrix: a full run makes ${fullRun.saves} journal saves and ${fullRun.secretWrites + fullRun.restarts} external effects (${fullRun.secretWrites} Secret writes, ${fullRun.restarts} restarts); child run ${fullRun.child.ms} ms`,
    );
  });

  it.concurrent(
    'resume finishes the rotation after a kill at every journal save and every external effect',
    async ({ expect: soft }) => {
      soft(points.length).toBeGreaterThan(20);
      for (const point of points) await crashThenResume(resumeChain, point, soft);
      soft(resumeChain.timings.map((t) => t.point)).toEqual(points);
      soft(
        leakedSecrets(resumeChain.printed.join('\n'), canaryValues(resumeChain)),
        'no secret value was printed',
      ).toEqual([]);
      console.info(summary(resumeChain));
    },
    480_000,
  );

  it.concurrent(
    'rollback restores every Secret byte for byte after a kill at every journal save and every external effect',
    async ({ expect: soft }) => {
      soft(points.length).toBeGreaterThan(20);
      for (const point of points) await crashThenRollback(rollbackChain, point, soft);
      soft(rollbackChain.timings.map((t) => t.point)).toEqual(points);
      soft(
        leakedSecrets(rollbackChain.printed.join('\n'), canaryValues(rollbackChain)),
        'no secret value was printed',
      ).toEqual([]);
      // The annotations the rotation left on Events are fine; its Secrets carry no key material after rollback.
      const journalsLeft = journals(rollbackChain.world).filter((j) => j.dataKeys.some((k) => k !== 'journal.json'));
      soft(
        journalsLeft.map((j) => `${j.doc.id} ${j.doc.phase} ${j.dataKeys.join(',')}`),
        'no journal keeps key material',
      ).toEqual([]);
      soft(
        rollbackChain.world.fleet.clusters
          .flatMap((c) => c.api.select(SIM_RESOURCES.events, undefined))
          .filter((e) => leakedSecrets(String(e.message ?? ''), canaryValues(rollbackChain)).length > 0),
      ).toEqual([]);
      console.info(summary(rollbackChain));
    },
    480_000,
  );
});
