/**
 * Rotations meeting the faults of real fleets (DESIGN §4): someone edits a Secret during the
 * rotation, a cluster is unreachable or forbidden before anything is written, a cluster goes
 * away after some Secrets were written. Then the secret canary over everything these runs
 * printed or left behind. The fleet is v1-thanos: the Thanos S3 key lives in one Secret on each
 * of two clusters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIM_RESOURCES, type ActiveFault } from '../../src/sim/kube/index.js';
import { fakeAwsKey, layoutSecretValues, type FakeCredential } from '../../src/sim/kubecost/index.js';
import { scanLogForAuthFailures } from '../../src/verify/checks.js';
import { leakedSecrets, runCliInProcess, type CliRun } from '../support/capture.js';
import { waitFor } from '../support/kube.js';
import { leaseName } from '../../src/rotation/lease.js';
import {
  decode,
  deleteUnfinishedJournals,
  journalById,
  journals,
  livePods,
  PHASE_LABEL,
  Recorder,
  RESTART_ANNOTATION,
  restoreSecret,
  secretText,
  settle,
  snapshotDiff,
  snapshotSecrets,
  startCliChild,
  templateAnnotations,
  type SecretSnapshot,
  type SecretState,
} from './harness.js';
import { startRotationWorld, type RotationWorld } from './world.js';

type AwsKey = FakeCredential & { provider: 'aws' };

let world: RotationWorld;
let recorder: Recorder;
let installed: SecretSnapshot;
let thanosKey: AwsKey; // as installed
const newKeys: AwsKey[] = [];
/** Everything every run printed, for the canary. */
const printed: string[] = [];
const cluster1 = () => world.fleet.cluster('cluster-1');
const cluster2 = () => world.fleet.cluster('cluster-2');
const THANOS = 'kubecost-thanos';
const THANOS_SECRETS = ['cluster-1/kubecost/kubecost-thanos', 'cluster-2/kubecost/kubecost-thanos'];

beforeAll(async () => {
  world = await startRotationWorld('v1-thanos', { backend: 'memory' });
  recorder = new Recorder(world);
  installed = snapshotSecrets(world);
  thanosKey = world.layout.credentials.get('thanos-s3') as AwsKey;
});

afterAll(async () => {
  recorder.stop();
  await world.stop();
});

/**
 * Every case starts from the fleet as installed (Secrets a previous case left changed are put
 * back), settled, with no rotation in flight, and records only its own changes.
 */
async function startCase(): Promise<void> {
  deleteUnfinishedJournals(world);
  const now = snapshotSecrets(world);
  for (const [key, state] of installed)
    if (snapshotDiff(new Map([[key, state]]), new Map([[key, now.get(key) as SecretState]])).length > 0)
      restoreSecret(world, key, state);
  await settle(world);
  recorder.reset();
}

/** A fresh Thanos key, valid at the (simulated) provider alongside the old one, and its key file. */
async function freshKey(name: string): Promise<{ next: AwsKey; keyFile: string }> {
  const next = fakeAwsKey(thanosKey.user) as AwsKey;
  world.allow(next);
  newKeys.push(next);
  return {
    next,
    keyFile: await world.keyFile(`${name}.json`, {
      accessKeyId: next.accessKeyId,
      secretAccessKey: next.secretAccessKey,
    }),
  };
}

async function cli(argv: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    const run = await runCliInProcess(argv);
    printed.push(run.stdout, run.stderr);
    return run;
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** The Thanos key cluster-1's Secret holds now (each rotation below starts from it). */
function currentKey(): AwsKey {
  const id = /access_key: "(AKIA[A-Z2-7]{16})"/.exec(
    secretText(cluster1(), 'kubecost', THANOS, 'object-store.yaml'),
  )?.[1];
  const key = [thanosKey, ...newKeys].find((k) => k.accessKeyId === id);
  if (!key) throw new Error(`cluster-1's Thanos Secret holds an unknown key ${String(id)}`);
  return key;
}

const rotate = (keyFile: string, extra: string[] = []) =>
  cli(
    [
      'rotate',
      '--kubeconfig',
      world.kubeconfig,
      '--all-contexts',
      '--credential',
      currentKey().accessKeyId,
      '--new-key-file',
      keyFile,
      '--yes',
      '--verify-window',
      '300ms',
      '--rollout-timeout',
      '30s',
      ...extra,
    ],
    { KUBECOST_ROTATE_RETRY_BASE_MS: '50' },
  );

/** Calls `action` once, synchronously, when a journal on cluster-1 is first saved in `phase`. */
function onJournalPhase(phase: string, action: () => void): () => void {
  let done = false;
  return cluster1().store.subscribe((event) => {
    if (done || event.def !== SIM_RESOURCES.secrets || event.object.metadata.labels?.[PHASE_LABEL] !== phase) return;
    if (event.object.metadata.labels['app.kubernetes.io/managed-by'] !== 'kubecost-rotate') return;
    done = true;
    action();
  });
}

/** The one journal created since `known` was taken. */
function newJournal(known: ReadonlySet<string>) {
  const created = journals(world).filter((j) => !known.has(j.doc.id));
  expect(created.map((j) => j.doc.id)).toHaveLength(1);
  return created[0] as NonNullable<(typeof created)[number]>;
}

const journalIds = () => new Set(journals(world).map((j) => j.doc.id));
const rotatedText = (before: SecretSnapshot, key: string, old: AwsKey, next: AwsKey) =>
  decode(before.get(key)?.data['object-store.yaml'])
    .replaceAll(old.accessKeyId, next.accessKeyId)
    .replaceAll(old.secretAccessKey, next.secretAccessKey);

describe('a concurrent edit of a target Secret', () => {
  let before: SecretSnapshot;
  let edited: SecretState | undefined;
  let run: CliRun;
  let journal: ReturnType<typeof newJournal>;

  beforeAll(async () => {
    await startCase();
    const { keyFile } = await freshKey('concurrent-edit');
    before = snapshotSecrets(world);
    const known = journalIds();
    // When the rotation has read and backed up every Secret, someone adds a data key to cluster-2's.
    const stop = onJournalPhase('Staged', () => {
      const current = cluster2().api.get(SIM_RESOURCES.secrets, 'kubecost', THANOS);
      const data = {
        ...(current.data as Record<string, string>),
        'owner-note.txt': Buffer.from('rotated by the platform team on Monday\n').toString('base64'),
      };
      const saved = cluster2().apply({ ...current, data });
      edited = {
        type: saved.type,
        data: { ...(saved.data as Record<string, string>) },
        annotations: { ...(saved.metadata.annotations ?? {}) },
        labels: { ...(saved.metadata.labels ?? {}) },
      };
    });
    try {
      // One cluster at a time: cluster-1's Secret is written before cluster-2's edit is found.
      run = await rotate(keyFile, ['--max-parallel-clusters', '1']);
    } finally {
      stop();
    }
    journal = newJournal(known);
  });

  it('stops with exit 1 and a message naming the edited Secret and the resourceVersion change', () => {
    expect(edited, 'the edit happened while the journal said Staged').toBeDefined();
    const output = run.stdout + run.stderr;
    expect(run.code, output).toBe(1);
    expect(output).toMatch(
      /Secret kubecost\/kubecost-thanos on cluster-2 changed since it was read \(resourceVersion \d+ → \d+\): someone else edited it/,
    );
    expect(output).toMatch(/rotation \S+: RolledBack\./);
    expect(journal.doc.reason).toContain('kubecost/kubecost-thanos on cluster-2');
  });

  it('leaves the edited Secret exactly as its editor left it', () => {
    const after = snapshotSecrets(world).get('cluster-2/kubecost/kubecost-thanos');
    expect(after).toEqual(edited);
    expect(recorder.secretWrites.get('cluster-2/kubecost/kubecost-thanos')).toHaveLength(1); // the edit, and nothing else
  });

  it('rolls back the Secret it had written, and every other Secret is byte-identical to before', () => {
    expect(
      recorder.secretWrites.get('cluster-1/kubecost/kubecost-thanos'),
      'cluster-1 was written, then restored',
    ).toHaveLength(2);
    expect(snapshotDiff(before, snapshotSecrets(world), new Set(['cluster-2/kubecost/kubecost-thanos']))).toEqual([]);
  });

  it('ends the rotation RolledBack, so the journal drops its key material and the credential can be rotated again', () => {
    expect(journal.doc.phase).toBe('RolledBack');
    expect(journal.phaseLabel).toBe('RolledBack');
    expect(journal.dataKeys).toEqual(['journal.json']);
  });
});

describe('a cluster that cannot be used before anything is written', () => {
  async function rotateAgainstBrokenCluster(name: string, breakIt: () => () => void) {
    await startCase();
    const { keyFile } = await freshKey(name);
    const before = snapshotSecrets(world);
    const templates = templateAnnotations(world);
    const known = journalIds();
    const logStart = world.logs.length;
    const lift = breakIt();
    let run: CliRun;
    try {
      run = await rotate(keyFile);
    } finally {
      lift();
    }
    return { run, before, templates, known, logStart };
  }

  function expectNothingChanged(result: Awaited<ReturnType<typeof rotateAgainstBrokenCluster>>) {
    expect(snapshotDiff(result.before, snapshotSecrets(world))).toEqual([]);
    expect(templateAnnotations(world)).toEqual(result.templates);
    expect([...recorder.restarts.keys()]).toEqual([]);
    expect([...recorder.podsAdded.keys()]).toEqual([]);
    // A journal, if one was made, ended RolledBack and keeps no key material.
    for (const j of journals(world).filter((x) => !result.known.has(x.doc.id))) {
      expect(j.doc.phase).toBe('RolledBack');
      expect(j.dataKeys).toEqual(['journal.json']);
    }
    expect(
      scanLogForAuthFailures(
        world.logs
          .slice(result.logStart)
          .map((l) => l.line)
          .join('\n'),
      ),
    ).toEqual([]);
  }

  it('rotate exits non-zero, names the cluster and changes nothing anywhere when a cluster is unreachable', async () => {
    const result = await rotateAgainstBrokenCluster('unreachable-first', () => {
      const fault = cluster2().faults.add({ drop: true });
      return () => cluster2().faults.remove(fault);
    });
    const output = result.run.stdout + result.run.stderr;
    expect(result.run.code, output).not.toBe(0);
    expect(output).toContain('cluster-2');
    expectNothingChanged(result);
  });

  it('rotate exits non-zero, names the cluster and the Secret and changes nothing anywhere when a cluster forbids reading Secrets', async () => {
    const result = await rotateAgainstBrokenCluster('forbidden-first', () =>
      cluster2().access.deny({ verb: 'get', resource: 'secrets' }),
    );
    const output = result.run.stdout + result.run.stderr;
    expect(result.run.code, output).not.toBe(0);
    expect(output).toContain('kubecost/kubecost-thanos on cluster-2');
    expect(output).toMatch(/forbidden/i);
    expectNothingChanged(result);
  });
});

describe('a cluster that becomes unreachable after some Secrets were written', () => {
  /** Rotates one cluster at a time and cuts cluster-2 off (Secrets only) as soon as every Secret is staged. */
  async function rotateIntoOutage(name: string) {
    const old = currentKey();
    const { next, keyFile } = await freshKey(name);
    const before = snapshotSecrets(world);
    const known = journalIds();
    let fault: ActiveFault | undefined;
    let requestsAtFault = 0;
    const stop = onJournalPhase('Staged', () => {
      requestsAtFault = cluster2().requests.length;
      fault = cluster2().faults.add({ drop: true, resource: 'secrets' });
    });
    let run: CliRun;
    try {
      run = await rotate(keyFile, ['--max-parallel-clusters', '1']);
    } finally {
      stop();
    }
    const journal = newJournal(known);
    const attempts = cluster2()
      .requests.slice(requestsAtFault)
      .filter((r) => r.facts?.resource === 'secrets' && r.facts.name === THANOS);
    return { old, next, before, run, journal, fault, attempts };
  }

  let outage: Awaited<ReturnType<typeof rotateIntoOutage>>;

  describe('then resumed', () => {
    let resume: CliRun;

    beforeAll(async () => {
      await startCase();
      outage = await rotateIntoOutage('outage-resume');
    });

    it('retries the write with back-off, then stops as NeedsHuman (exit 3) with a resumable journal', () => {
      expect(outage.fault?.hits, 'the fault was armed and hit').toBeGreaterThan(0);
      expect(outage.run.code, outage.run.stdout + outage.run.stderr).toBe(3);
      expect(outage.run.stderr).toMatch(
        /writing Secret cluster-2\/kubecost\/kubecost-thanos failed .*retrying in 0\.05 s \(attempt 2 of 4\)/,
      );
      expect(outage.run.stderr).toMatch(/retrying in 0\.1 s \(attempt 3 of 4\)/);
      expect(outage.run.stderr).toMatch(/retrying in 0\.2 s \(attempt 4 of 4\)/);
      expect(outage.attempts.length).toBeGreaterThanOrEqual(4);
      expect(outage.journal.doc.phase).toBe('NeedsHuman');
      expect(outage.journal.dataKeys.filter((k) => !k.startsWith('blob.'))).toEqual([
        'backups.json',
        'journal.json',
        'new-key',
      ]);
      expect(outage.journal.dataKeys.filter((k) => k.startsWith('blob.')).length).toBeGreaterThan(0);
      expect(outage.run.stdout).toContain(`kubecost-rotate resume ${outage.journal.doc.id}`);
    });

    it('leaves the old key in cluster-2 and says truthfully how many Secrets hold the new key', () => {
      expect(secretText(cluster1(), 'kubecost', THANOS, 'object-store.yaml')).toBe(
        rotatedText(outage.before, THANOS_SECRETS[0] as string, outage.old, outage.next),
      );
      expect(snapshotDiff(outage.before, snapshotSecrets(world), new Set([THANOS_SECRETS[0] as string]))).toEqual([]);
      expect(outage.run.stdout + outage.run.stderr).toContain('1 of 2 Secret(s) hold the new key');
    });

    it('finishes with resume once the cluster is back: exit 0, Verified, every site and consumer on the new key', async () => {
      if (outage.fault) cluster2().faults.remove(outage.fault);
      const logStart = world.logs.length;
      resume = await cli(['resume', outage.journal.doc.id, '--kubeconfig', world.kubeconfig]);
      expect(resume.code, resume.stderr).toBe(0);
      expect(resume.stdout).toMatch(/: Verified\./);
      expect(journalById(world, outage.journal.doc.id)?.doc.phase).toBe('Verified');
      for (const key of THANOS_SECRETS) {
        const [clusterName] = key.split('/') as [string];
        expect(secretText(world.fleet.cluster(clusterName), 'kubecost', THANOS, 'object-store.yaml'), key).toBe(
          rotatedText(outage.before, key, outage.old, outage.next),
        );
      }
      for (const r of outage.journal.doc.plan.restarts) {
        for (const pod of livePods(world.fleet.cluster(r.cluster), r.namespace, r.kind, r.name))
          expect(pod.metadata.annotations?.[RESTART_ANNOTATION], `${r.cluster}/${pod.metadata.name ?? ''}`).toBe(
            outage.journal.doc.id,
          );
      }
      expect(
        scanLogForAuthFailures(
          world.logs
            .slice(logStart)
            .map((l) => l.line)
            .join('\n'),
        ),
      ).toEqual([]);
    });
  });

  describe('then rolled back', () => {
    beforeAll(async () => {
      await startCase();
      outage = await rotateIntoOutage('outage-rollback');
    });

    it('restores every Secret byte for byte with rollback once the cluster is back', async () => {
      expect(outage.run.code).toBe(3);
      expect(outage.journal.doc.phase).toBe('NeedsHuman');
      if (outage.fault) cluster2().faults.remove(outage.fault);
      const rollback = await cli(['rollback', outage.journal.doc.id, '--kubeconfig', world.kubeconfig]);
      expect(rollback.code, rollback.stderr).toBe(0);
      const journal = journalById(world, outage.journal.doc.id);
      expect(journal?.doc.phase).toBe('RolledBack');
      expect(journal?.dataKeys).toEqual(['journal.json']);
      expect(snapshotDiff(outage.before, snapshotSecrets(world))).toEqual([]);
    });
  });
});

describe('defect 4: a write the API server refused', () => {
  let run: CliRun;
  let before: SecretSnapshot;
  let journal: ReturnType<typeof newJournal>;

  beforeAll(async () => {
    await startCase();
    const { keyFile } = await freshKey('refused-write');
    before = snapshotSecrets(world);
    const known = journalIds();
    // cluster-2 refuses the update of its Thanos Secret (an answer: 403), after cluster-1's was written.
    const lift = cluster2().access.deny({ verb: 'update', resource: 'secrets', namespace: 'kubecost', name: THANOS });
    try {
      run = await rotate(keyFile, ['--max-parallel-clusters', '1']);
    } finally {
      lift();
    }
    journal = newJournal(known);
  });

  it('is reported as not written, naming the refusal, never as "may or may not have been applied"', () => {
    const output = run.stdout + run.stderr;
    expect(run.code, output).toBe(1);
    expect(output).not.toContain('may or may not');
    expect(output).toMatch(
      /Secret kubecost\/kubecost-thanos on cluster-2 was not written: the API server refused it \(HTTP 403/,
    );
    expect(journal.doc.steps['write:cluster-2/kubecost/kubecost-thanos']?.state).toBe('failed');
    expect(journal.doc.phase).toBe('RolledBack');
  });

  it('rolls back the Secret it did write, and restarts only the readers of that Secret', () => {
    expect(snapshotDiff(before, snapshotSecrets(world))).toEqual([]);
    expect(recorder.secretWrites.get('cluster-1/kubecost/kubecost-thanos')).toHaveLength(2);
    expect(recorder.secretWrites.get('cluster-2/kubecost/kubecost-thanos')).toBeUndefined();
    const restarted = [...recorder.restarts.keys()];
    expect(restarted.length).toBeGreaterThan(0);
    expect(restarted.filter((w) => !w.startsWith('cluster-1/'))).toEqual([]);
  });
});

describe('defect 4: an immutable Secret', () => {
  it('is refused by plan and rotate before anything is written, naming it and what to do', async () => {
    await startCase();
    const original = cluster2().api.get(SIM_RESOURCES.secrets, 'kubecost', THANOS);
    cluster2().apply({ ...original, immutable: true });
    try {
      const { keyFile } = await freshKey('immutable');
      const before = snapshotSecrets(world);
      const known = journalIds();
      for (const command of ['plan', 'rotate']) {
        const run = await cli([
          command,
          '--kubeconfig',
          world.kubeconfig,
          '--all-contexts',
          '--credential',
          currentKey().accessKeyId,
          '--new-key-file',
          keyFile,
          ...(command === 'rotate' ? ['--yes'] : []),
        ]);
        expect(run.code, run.stdout + run.stderr).toBe(2);
        expect(run.stderr).toContain('Secret kubecost/kubecost-thanos on cluster-2 is immutable');
        expect(run.stderr).toMatch(/hint: .*immutable/);
      }
      expect(snapshotDiff(before, snapshotSecrets(world))).toEqual([]);
      expect(journals(world).filter((j) => !known.has(j.doc.id))).toEqual([]);
    } finally {
      // An immutable Secret can only be replaced: put the installed one back.
      cluster2().api.delete(SIM_RESOURCES.secrets, 'kubecost', THANOS);
      cluster2().apply({
        ...original,
        immutable: false,
        metadata: { ...original.metadata, resourceVersion: undefined },
      });
    }
  });
});

describe('defect 1: a write that lands after its time-out', () => {
  /** How long cluster-2 holds each write attempt of its Thanos Secret before applying it (the client gives up after 1 s). */
  const LATENCY_MS = 12_000;
  let run: CliRun;
  let before: SecretSnapshot;
  let journal: ReturnType<typeof newJournal>;

  beforeAll(async () => {
    await startCase();
    const { keyFile } = await freshKey('late-write');
    before = snapshotSecrets(world);
    const known = journalIds();
    const fault = cluster2().faults.add({
      verb: 'update',
      resource: 'secrets',
      namespace: 'kubecost',
      name: THANOS,
      latencyMs: LATENCY_MS,
      // The four attempts of the rotation's write; the rollback's own writes are answered at once.
      count: 4,
    });
    const started = Date.now();
    try {
      run = await rotate(keyFile, ['--max-parallel-clusters', '1', '--request-timeout', '1s']);
      // Every delayed update was sent before rotate returned: let each one reach the API server.
      await new Promise((r) => setTimeout(r, Math.max(0, started + LATENCY_MS + 5_000 - Date.now()) + 1_000));
    } finally {
      cluster2().faults.remove(fault);
    }
    journal = newJournal(known);
  }, 90_000);

  it('gave up on the write, rolled back and ended RolledBack before the delayed writes arrived', () => {
    const output = run.stdout + run.stderr;
    expect(run.code, output).toBe(1);
    expect(output).toContain('no answer from the API server within 1 s');
    expect(journalById(world, journal.doc.id)?.doc.phase).toBe('RolledBack');
  });

  it('fenced the Secret whose write was left unsure, so that the writes landing later were refused: every Secret is as before', () => {
    const doc = journalById(world, journal.doc.id)?.doc as unknown as { rollback: Record<string, { state: string }> };
    expect(snapshotDiff(before, snapshotSecrets(world))).toEqual([]);
    expect(recorder.secretWrites.get('cluster-2/kubecost/kubecost-thanos')).toBeUndefined();
    expect(doc.rollback['fence:cluster-2/kubecost/kubecost-thanos']?.state).toBe('done');
  });
});

describe('defect 1: a write that was sent but not applied when the process died', () => {
  const LATENCY_MS = 8_000;

  it('is fenced by rollback before RolledBack, so that it cannot land afterwards: every Secret is as before', async () => {
    await startCase();
    const { keyFile } = await freshKey('died-mid-write');
    const before = snapshotSecrets(world);
    const known = journalIds();
    const fault = cluster2().faults.add({
      verb: 'update',
      resource: 'secrets',
      namespace: 'kubecost',
      name: THANOS,
      latencyMs: LATENCY_MS,
      count: 1,
    });
    try {
      const { child, done } = startCliChild(
        [
          'rotate',
          '--kubeconfig',
          world.kubeconfig,
          '--all-contexts',
          '--credential',
          currentKey().accessKeyId,
          '--new-key-file',
          keyFile,
          '--yes',
          '--max-parallel-clusters',
          '1',
          '--verify-window',
          '300ms',
        ],
        { KUBECOST_ROTATE_RETRY_BASE_MS: '50' },
      );
      // Killed as soon as its write of cluster-2's Secret reached the API server, which holds it.
      await waitFor('the write of cluster-2 to be sent', () => fault.hits === 1, 30_000);
      const sentAt = Date.now();
      child.kill('SIGKILL');
      const killed = await done;
      printed.push(killed.stdout, killed.stderr);
      expect(killed.signal).toBe('SIGKILL');
      const journal = newJournal(known);
      expect(journal.doc.steps['write:cluster-2/kubecost/kubecost-thanos']?.state).toBe('started');
      const rollback = await cli(['rollback', journal.doc.id, '--kubeconfig', world.kubeconfig]);
      expect(rollback.code, rollback.stdout + rollback.stderr).toBe(0);
      expect(Date.now() - sentAt, 'the rollback ended before the held write was applied').toBeLessThan(LATENCY_MS);
      // Let the held write reach the store (or be refused).
      await new Promise((r) => setTimeout(r, Math.max(0, sentAt + LATENCY_MS + 1_000 - Date.now())));
      expect(journalById(world, journal.doc.id)?.doc.phase).toBe('RolledBack');
      expect(snapshotDiff(before, snapshotSecrets(world))).toEqual([]);
    } finally {
      cluster2().faults.remove(fault);
    }
  }, 90_000);
});

describe('defect 10: Ctrl-C (SIGINT) and SIGTERM', () => {
  const cases = [
    { signal: 'SIGINT', phase: 'Restarted', while: 'during the verification window' },
    { signal: 'SIGTERM', phase: 'Written', while: 'while the restarts roll out' },
  ] as const;

  for (const c of cases)
    it(`${c.signal} ${c.while} stops at the next safe point: NeedsHuman, the Lease released, the commands to resume or roll back printed, and resume then finishes`, async () => {
      await startCase();
      const { keyFile } = await freshKey(`signal-${c.signal}`);
      const old = currentKey();
      const known = journalIds();
      const { child, done } = startCliChild(
        [
          'rotate',
          '--kubeconfig',
          world.kubeconfig,
          '--all-contexts',
          '--credential',
          old.accessKeyId,
          '--new-key-file',
          keyFile,
          '--yes',
          '--verify-window',
          '60s',
        ],
        { KUBECOST_ROTATE_RETRY_BASE_MS: '50' },
      );
      let sentAt = 0;
      const stop = onJournalPhase(c.phase, () => {
        sentAt = Date.now();
        child.kill(c.signal);
      });
      const run = await done;
      const endedAt = Date.now();
      stop();
      printed.push(run.stdout, run.stderr);
      expect(sentAt, `the journal reached ${c.phase}`).toBeGreaterThan(0);
      expect(run.signal, run.stderr).toBeNull();
      expect(run.code, run.stdout + run.stderr).toBe(3);
      expect(endedAt - sentAt, 'it stopped without waiting out the window or the rollouts').toBeLessThan(30_000);
      const journal = newJournal(known);
      expect(journal.doc.phase).toBe('NeedsHuman');
      expect(journal.doc.reason).toContain(`stopped by ${c.signal}`);
      expect(run.stdout).toContain(`kubecost-rotate resume ${journal.doc.id}`);
      expect(run.stdout).toContain(`kubecost-rotate rollback ${journal.doc.id}`);
      expect(
        cluster1()
          .api.select(SIM_RESOURCES.leases, 'kubecost')
          .map((l) => l.metadata.name),
      ).not.toContain(leaseName(`aws:${old.accessKeyId}`));
      const resumed = await cli([
        'resume',
        journal.doc.id,
        '--kubeconfig',
        world.kubeconfig,
        '--verify-window',
        '300ms',
      ]);
      expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
      expect(journalById(world, journal.doc.id)?.doc.phase).toBe('Verified');
    }, 90_000);
});

describe('defect 15: waiting like a good API client', () => {
  it('waits for rollouts with watches (a list and a watch per namespace and kind), not by polling each workload', async () => {
    await startCase();
    const { keyFile } = await freshKey('watched-rollouts');
    const known = journalIds();
    const from = world.fleet.clusters.map((c) => c.requests.length);
    const run = await rotate(keyFile);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const plan = newJournal(known).doc.plan;
    const workloadRequests = world.fleet.clusters.flatMap((c, i) =>
      c.requests.slice(from[i]).filter((r) => ['deployments', 'statefulsets'].includes(r.facts?.resource ?? '')),
    );
    const verbs = (verb: string) => workloadRequests.filter((r) => r.facts?.verb === verb).length;
    expect(verbs('watch'), 'rollouts are watched').toBeGreaterThan(0);
    // One read per restarted workload, for its verification; none while waiting for rollouts.
    expect(verbs('get')).toBeLessThanOrEqual(plan.restarts.length);
    expect(verbs('list')).toBeLessThanOrEqual(
      2 *
        new Set(
          (plan.restarts as { cluster: string; namespace: string; kind: string; wave?: number }[]).map(
            (r) => `${r.cluster}/${r.namespace}/${r.kind}/${r.wave ?? 0}`,
          ),
        ).size,
    );
  });

  it("honours a 429's Retry-After on a write, then finishes", async () => {
    await startCase();
    const { keyFile } = await freshKey('throttled-write');
    // kube-sim answers a 429 with retryAfterSeconds: 1, as the API server's priority and fairness does.
    const fault = cluster2().faults.add({
      verb: 'update',
      resource: 'secrets',
      namespace: 'kubecost',
      name: THANOS,
      status: 429,
      count: 1,
    });
    try {
      const run = await rotate(keyFile);
      expect(fault.hits).toBe(1);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.stderr).toMatch(
        /writing Secret cluster-2\/kubecost\/kubecost-thanos failed .*retrying in 1 s \(attempt 2 of 4\)/,
      );
    } finally {
      cluster2().faults.remove(fault);
    }
  });
});

describe('the secret canary', () => {
  const secrets = () => [...layoutSecretValues(world.layout), ...newKeys.map((k) => k.secretAccessKey)];

  it('finds no secret value in anything printed by the runs above', () => {
    expect(printed.length).toBeGreaterThanOrEqual(12);
    expect(leakedSecrets(printed.join('\n'), secrets())).toEqual([]);
  });

  it('finds no secret value in any Kubernetes Event, Secret annotation or journal document', () => {
    const events = world.fleet.clusters.flatMap((c) => c.api.select(SIM_RESOURCES.events, undefined));
    expect(events.filter((e) => e.reason === 'KeyRotated').length).toBeGreaterThan(0);
    expect(
      leakedSecrets(
        events
          .map((e) => `${String(e.reason)} ${String(e.message)} ${JSON.stringify(e.metadata.annotations ?? {})}`)
          .join('\n'),
        secrets(),
      ),
    ).toEqual([]);
    const annotations = world.fleet.clusters
      .flatMap((c) => c.api.select(SIM_RESOURCES.secrets, undefined))
      .map((s) => JSON.stringify(s.metadata.annotations ?? {}));
    expect(leakedSecrets(annotations.join('\n'), secrets())).toEqual([]);
    const docs = journals(world);
    expect(docs.length).toBeGreaterThanOrEqual(4);
    expect(leakedSecrets(docs.map((j) => j.raw).join('\n'), secrets())).toEqual([]);
  });
});
