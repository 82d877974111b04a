/**
 * What goes wrong, on the real control plane (three clusters, the v1-thanos layout: the Thanos S3
 * key in a Secret on every cluster, eleven workloads restarted in two waves): a bad key is caught
 * and rolled back byte for byte; a rotation killed with SIGKILL at a sample of its journal saves and
 * external effects is finished by `resume` and, killed again at the same point, undone by
 * `rollback`; a Secret edited by someone else mid-rotation stops it; another live run's Lease keeps
 * it out; and the real `kubectl rollout status` agrees with what the tool said of every rollout.
 */
import * as k8s from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.js';
import { selectClusters } from '../../src/kube/kubeconfig.js';
import { leaseName, RotationLease } from '../../src/rotation/lease.js';
import { systemClock } from '../../src/shared/clock.js';
import { fakeAwsKey, layoutSecretValues, type FakeCredential } from '../../src/sim/kubecost/index.js';
import { leakedSecrets } from '../support/capture.js';
import { decode, snapshotDiff, type JournalView } from '../rotation/harness.js';
import { deleteUnfinishedRealJournals, realJournals, snapshotRealSecrets } from './support/secrets.js';
import { keepLogsOnFailure, startRealWorld, type RealWorld } from './support/world.js';

type AwsKey = FakeCredential & { provider: 'aws' };

let world: RealWorld;
keepLogsOnFailure(() => world);
const printed: string[] = [];
const keys: string[] = [];

beforeAll(async () => {
  world = await startRealWorld({ clusters: 3 });
  await world.install('v1-thanos');
});

afterAll(async () => {
  await world?.stop();
});

const rotateArgs = (credential: string, keyFile: string, extra: string[] = []) => [
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
  '1s',
  '--rollout-timeout',
  '60s',
  // Some copies are managed by an ExternalSecret or Argo CD (no controller reverts them here).
  '--allow-owned',
  ...extra,
];

let fresh = 0;
/** A new key for `name` (valid at the emulated provider next to the current one) and its key file. */
async function freshKey(name: string): Promise<{ old: AwsKey; next: AwsKey; keyFile: string }> {
  const old = world.layout.credentials.get(name) as AwsKey;
  const next = fakeAwsKey(old.user) as AwsKey;
  world.allow(next);
  keys.push(next.secretAccessKey);
  const keyFile = await world.keyFile(`${name}-${++fresh}.json`, {
    accessKeyId: next.accessKeyId,
    secretAccessKey: next.secretAccessKey,
  });
  return { old, next, keyFile };
}

/** Waits until every workload of every cluster is updated and ready, nothing terminating. */
async function settle(): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    let settled = true;
    for (const c of world.fleet.clusters) {
      const apps = world.api(c.name, k8s.AppsV1Api);
      const pods = (await world.api(c.name, k8s.CoreV1Api).listNamespacedPod({ namespace: 'kubecost' })).items;
      const workloads = [
        ...(await apps.listNamespacedDeployment({ namespace: 'kubecost' })).items,
        ...(await apps.listNamespacedStatefulSet({ namespace: 'kubecost' })).items,
      ];
      settled &&=
        pods.every((p) => !p.metadata?.deletionTimestamp) &&
        workloads.every(
          (w) =>
            (w.status?.observedGeneration ?? 0) >= (w.metadata?.generation ?? 0) &&
            w.status?.updatedReplicas === (w.spec?.replicas ?? 1) &&
            w.status?.readyReplicas === (w.spec?.replicas ?? 1) &&
            w.status?.replicas === (w.spec?.replicas ?? 1),
        );
    }
    if (settled) return;
    if (Date.now() > deadline) throw new Error('the workloads did not settle within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function journalById(id: string): Promise<JournalView | undefined> {
  return (await realJournals(world)).find((j) => j.doc.id === id);
}

function kubectl(...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('kubectl', [`--kubeconfig=${world.kubeconfig}`, ...args], { timeout: 90_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

describe('a rotation that succeeds', () => {
  it('reports every rollout as the real `kubectl rollout status` does, and kubectl agrees afterwards', async () => {
    await settle();
    const { next, old, keyFile } = await freshKey('thanos-s3');
    const run = await world.cli(rotateArgs(old.accessKeyId, keyFile));
    printed.push(run.stdout, run.stderr);
    expect(run.code, run.stdout.slice(-2000)).toBe(0);
    world.layout.credentials.set('thanos-s3', next);
    const said = [
      ...run.stdout.matchAll(/\[(cluster-\d)\] ✓ (deployment|statefulset) "([^"]+)" successfully rolled out/g),
    ];
    expect(said.length).toBe(11);
    for (const [, cluster, kind, name] of said) {
      const status = await kubectl(
        `--context=${cluster}`,
        'rollout',
        'status',
        '-n',
        'kubecost',
        `${kind}/${name}`,
        '--timeout=30s',
      );
      expect(status, `${cluster} ${kind}/${name}`).toEqual({
        code: 0,
        out: `${kind} "${name}" successfully rolled out\n`,
      });
    }
    // The restarted pods are the ones kubectl sees: every one carries the rotation's restart token.
    const id = /rotation (\S+): Verified\./.exec(run.stdout)?.[1];
    const pods = (await world.api('cluster-1', k8s.CoreV1Api).listNamespacedPod({ namespace: 'kubecost' })).items;
    const restarted = pods.filter((p) => p.metadata?.annotations?.['kubecost-rotate.io/restart'] === id);
    expect(restarted.length).toBe(said.filter(([, cluster]) => cluster === 'cluster-1').length);
  });
});

describe('a bad new key', () => {
  /** A key whose id exists at the provider, in a file with a mistyped secret. */
  async function mistypedKey() {
    await settle();
    const { old, next } = await freshKey('billing-aws');
    const wrongSecret = `${next.secretAccessKey.slice(0, 39)}${next.secretAccessKey.endsWith('A') ? 'B' : 'A'}`;
    keys.push(wrongSecret);
    const keyFile = await world.keyFile('typo.json', { accessKeyId: next.accessKeyId, secretAccessKey: wrongSecret });
    return { old, keyFile };
  }

  it('is refused before anything is written (exit 2, no journal), naming the provider error', async () => {
    const { old, keyFile } = await mistypedKey();
    const before = await snapshotRealSecrets(world);
    const journals = (await realJournals(world)).length;
    const run = await world.cli([...rotateArgs(old.accessKeyId, keyFile), ...world.probeFlags]);
    printed.push(run.stdout, run.stderr);
    expect(run.code, run.stdout.slice(-2000) + run.stderr).toBe(2);
    expect(run.stderr).toMatch(/SignatureDoesNotMatch|InvalidSignatureException/);
    expect(snapshotDiff(before, await snapshotRealSecrets(world))).toEqual([]);
    expect((await realJournals(world)).length).toBe(journals);
  });

  it('with --no-probe is written unproven, caught by verification, rolled back (exit 1), every Secret byte-identical', async () => {
    const { old, keyFile } = await mistypedKey();
    const before = await snapshotRealSecrets(world);
    const run = await world.cli([...rotateArgs(old.accessKeyId, keyFile), '--no-probe']);
    printed.push(run.stdout, run.stderr);
    expect(run.code, run.stdout.slice(-2000)).toBe(1);
    expect(run.stderr).toMatch(/WARNING/);
    expect(run.stdout).toMatch(/FAIL\s+logs .*AWS SignatureDoesNotMatch/);
    expect(run.stdout).toMatch(/rotation \S+: RolledBack\./);
    expect(snapshotDiff(before, await snapshotRealSecrets(world))).toEqual([]);
  });
});

describe('a rotation killed with SIGKILL', () => {
  // A sample of the crash matrix (test/rotation/crash.test.ts runs every point on kube-sim): after
  // the journal says the Secrets are staged, right after the first Secret write (before the journal
  // records it), and in the middle of the first restart wave (effects 1-3 are the Secret writes).
  const points = ['journal:3', 'effect:1', 'effect:5'];

  async function killedAt(point: string) {
    await deleteUnfinishedRealJournals(world);
    await settle();
    const { old, next, keyFile } = await freshKey('thanos-s3');
    const before = await snapshotRealSecrets(world);
    const known = new Set((await realJournals(world)).map((j) => j.doc.id));
    const child = await world.child(rotateArgs(old.accessKeyId, keyFile), { KUBECOST_ROTATE_TEST_CRASH: point }).done;
    printed.push(child.stdout, child.stderr);
    const created = (await realJournals(world)).filter((j) => !known.has(j.doc.id));
    return { old, next, before, child, journal: created[0], created: created.length };
  }

  for (const point of points) {
    it(`at ${point} is finished by resume: exit 0, Verified, every Thanos Secret on the new key and nothing else changed`, async () => {
      const killed = await killedAt(point);
      expect(killed.child.signal, killed.child.stderr).toBe('SIGKILL');
      expect(killed.created).toBe(1);
      const id = killed.journal?.doc.id ?? '';
      const resume = await world.cli(['resume', id, '--kubeconfig', world.kubeconfig]);
      printed.push(resume.stdout, resume.stderr);
      expect(resume.code, resume.stdout.slice(-1500) + resume.stderr).toBe(0);
      expect(resume.stdout).toMatch(new RegExp(`rotation ${id}: Verified\\.`));
      const journal = await journalById(id);
      expect(journal?.doc.phase).toBe('Verified');
      expect(journal?.dataKeys).not.toContain('new-key');
      const after = await snapshotRealSecrets(world);
      const written = new Set(journal?.doc.plan.writes.map((w) => `${w.cluster}/${w.namespace}/${w.secret}`));
      expect(written.size).toBe(3);
      for (const key of written) {
        const was = killed.before.get(key)?.data ?? {};
        for (const dataKey of Object.keys(was))
          expect(
            decode(after.get(key)?.data[dataKey]) ===
              decode(was[dataKey])
                .replaceAll(killed.old.accessKeyId, killed.next.accessKeyId)
                .replaceAll(killed.old.secretAccessKey, killed.next.secretAccessKey),
            `${key} ${dataKey} holds the new key and every other byte as before`,
          ).toBe(true);
      }
      expect(snapshotDiff(killed.before, after, written)).toEqual([]);
      world.layout.credentials.set('thanos-s3', killed.next);
    });

    it(`at ${point} is undone by rollback: exit 0, RolledBack, every Secret byte-identical to before`, async () => {
      const killed = await killedAt(point);
      expect(killed.child.signal, killed.child.stderr).toBe('SIGKILL');
      expect(killed.created).toBe(1);
      const id = killed.journal?.doc.id ?? '';
      const rollback = await world.cli(['rollback', id, '--kubeconfig', world.kubeconfig, '--force']);
      printed.push(rollback.stdout, rollback.stderr);
      expect(rollback.code, rollback.stdout.slice(-1500) + rollback.stderr).toBe(0);
      const journal = await journalById(id);
      expect(journal?.doc.phase).toBe('RolledBack');
      expect(journal?.dataKeys).toEqual(['journal.json']);
      expect(snapshotDiff(killed.before, await snapshotRealSecrets(world))).toEqual([]);
    });
  }
});

describe('a concurrent edit of a target Secret', () => {
  it("stops the rotation (exit 1) naming the edited Secret, keeps the editor's bytes and rolls back the rest", async () => {
    await deleteUnfinishedRealJournals(world);
    await settle();
    const { old, keyFile } = await freshKey('thanos-s3');
    const before = await snapshotRealSecrets(world);
    // One cluster at a time; the process stops itself right after its first write (cluster-1's Secret).
    const started = world.child(rotateArgs(old.accessKeyId, keyFile, ['--max-parallel-clusters', '1']), {
      KUBECOST_ROTATE_TEST_CRASH: 'pause-effect:1',
    });
    const core2 = world.api('cluster-2', k8s.CoreV1Api);
    const stopped = await waitForStopped(started.child.pid ?? 0);
    expect(stopped, 'the rotate process stopped after its first write').toBe(true);
    const current = await core2.readNamespacedSecret({ name: 'kubecost-thanos', namespace: 'kubecost' });
    const edited = await core2.replaceNamespacedSecret({
      name: 'kubecost-thanos',
      namespace: 'kubecost',
      body: {
        ...current,
        data: {
          ...current.data,
          'owner-note.txt': Buffer.from('rotated by the platform team on Monday\n').toString('base64'),
        },
      },
    });
    started.child.kill('SIGCONT');
    const run = await started.done;
    printed.push(run.stdout, run.stderr);
    const output = run.stdout + run.stderr;
    expect(run.code, output.slice(-2000)).toBe(1);
    expect(output).toMatch(
      /Secret kubecost\/kubecost-thanos on cluster-2 changed since it was read \(resourceVersion \d+ → \d+\): someone else edited it/,
    );
    expect(output).toMatch(/rotation \S+: RolledBack\./);
    const after = await snapshotRealSecrets(world);
    expect(after.get('cluster-2/kubecost/kubecost-thanos')?.data).toEqual(edited.data);
    expect(snapshotDiff(before, after, new Set(['cluster-2/kubecost/kubecost-thanos']))).toEqual([]);
  });
});

/** Whether process `pid` reaches the stopped state (T in /proc/PID/stat) within 60 s. */
async function waitForStopped(pid: number): Promise<boolean> {
  const { readFileSync } = await import('node:fs');
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'T') return true;
    } catch {
      return false;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

describe('one kubecost-rotate at a time', () => {
  it("waits for a live run's Lease until its deadline, saying so, then refuses (exit 2) and writes nothing", async () => {
    await deleteUnfinishedRealJournals(world);
    await settle();
    const { old, keyFile } = await freshKey('billing-aws');
    const [target] = selectClusters({ kubeconfig: world.kubeconfig, contexts: ['cluster-1'] });
    const client = new KubeClient(target as NonNullable<typeof target>);
    const other = await RotationLease.acquire({
      client,
      namespace: 'kubecost',
      credentialId: `aws:${old.accessKeyId}`,
      purpose: 'rotate by someone else',
      clock: systemClock,
      durationSeconds: 2,
    });
    const before = await snapshotRealSecrets(world);
    try {
      const refused = await world.cli(rotateArgs(old.accessKeyId, keyFile));
      printed.push(refused.stdout, refused.stderr);
      expect(refused.code, refused.stderr).toBe(2);
      expect(refused.stderr).toMatch(
        /waiting for \S+ rotate by someone else to release the Lease .* \(until \d\d:\d\d:\d\d\)/,
      );
      expect(refused.stderr).toContain(`another kubecost-rotate is working on credential aws:${old.accessKeyId}`);
      expect(snapshotDiff(before, await snapshotRealSecrets(world))).toEqual([]);
    } finally {
      await other.release();
    }
    expect(await client.readLease('kubecost', leaseName(`aws:${old.accessKeyId}`))).toBeUndefined();
  });
});

describe('everything printed', () => {
  it('holds no secret value, and the node agents reported no background failure', () => {
    expect(leakedSecrets(printed.join('\n'), [...layoutSecretValues(world.layout), ...keys])).toEqual([]);
    expect(world.agentErrors).toEqual([]);
  });
});
