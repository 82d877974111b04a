/**
 * The verdict policy on a v2-federated fleet (issue 7 §7): a check that cannot run (services/proxy
 * or pods/log denied) is `unavailable` with its reason, never passed and never failed; the default
 * policy still needs positive evidence (here the direct probe), `--require` asks for named checks,
 * and a bad `--require` is refused before anything is written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIM_RESOURCES } from '../../src/sim/kube/index.js';
import { fakeAwsKey, type FakeCredential } from '../../src/sim/kubecost/index.js';
import { runCliInProcess } from '../support/capture.js';
import { snapshotDiff, snapshotSecrets, MANAGED_BY_SELECTOR } from './harness.js';
import { startRotationWorld, type RotationWorld } from './world.js';

type AwsKey = FakeCredential & { provider: 'aws' };
let world: RotationWorld;
const primary = () => world.fleet.cluster('cluster-1');

beforeAll(async () => {
  world = await startRotationWorld('v2-federated');
});
afterAll(() => world.stop());

const journals = () =>
  world.fleet.clusters.flatMap((c) =>
    c.api.select(SIM_RESOURCES.secrets, undefined, { labelSelector: MANAGED_BY_SELECTOR }),
  );

interface Event {
  type: string;
  verdict?: { check: string; status: string; reason: string; evidence: string };
  phase?: string;
  message?: string;
  verification?: {
    verified: boolean;
    policy: { source: string; require: string[]; evidence: string[]; description: string };
    checks: { check: string; role: string; passed: number; failed: number; unavailable: number; reasons: string[] }[];
  };
}

/** Rotates the cloud integration's AWS key with `extra` flags, as NDJSON; keeps the layout's idea of the key in step. */
async function rotate(extra: string[]) {
  const old = world.layout.credentials.get('billing-aws') as AwsKey;
  const next = fakeAwsKey(old.user) as AwsKey;
  world.allow(next);
  const run = await runCliInProcess([
    'rotate',
    '--kubeconfig',
    world.kubeconfig,
    '--all-contexts',
    '--credential',
    old.accessKeyId,
    '--new-key-file',
    await world.keyFile('next.json', { accessKeyId: next.accessKeyId, secretAccessKey: next.secretAccessKey }),
    '--yes',
    '--verify-window',
    '1500ms',
    '--rollout-timeout',
    '30s',
    '-o',
    'json',
    ...world.probeFlags,
    ...extra,
  ]);
  const events = run.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Event);
  const result = events.find((e) => e.type === 'result');
  if (result?.phase === 'Verified') world.layout.credentials.set('billing-aws', next);
  const verdicts = events.flatMap((e) => (e.verdict ? [e.verdict] : []));
  return { run, result, verdicts, of: (check: string) => verdicts.filter((v) => v.check === check) };
}

describe('a cluster whose API server may not proxy to the cloud-cost status (services/proxy denied)', () => {
  let lift: () => void;
  beforeAll(() => {
    lift = primary().access.deny({ verb: 'get', resource: 'services/proxy' });
  });
  afterAll(() => lift());

  it('reports the status check unavailable with its reason, and verifies under the default policy since the probe passed', async () => {
    const { run, result, of } = await rotate([]);
    expect(run.code).toBe(0);
    const status = of('cloud-cost-status');
    expect(status).toHaveLength(1);
    expect(status[0]).toMatchObject({ status: 'unavailable', reason: 'StatusUnreadable' });
    expect(status[0]?.evidence).toMatch(/forbidden/i);
    expect(of('probe').length).toBeGreaterThan(0);
    expect(of('probe').every((v) => v.status === 'passed' && v.reason === 'ProbePassed')).toBe(true);
    expect(result).toMatchObject({
      phase: 'Verified',
      verification: {
        verified: true,
        policy: { source: 'default', evidence: ['cloud-cost-status', 'probe'] },
      },
    });
    expect(result?.verification?.checks.find((c) => c.check === 'cloud-cost-status')).toMatchObject({
      role: 'evidence',
      passed: 0,
      failed: 0,
      unavailable: 1,
      reasons: ['StatusUnreadable'],
    });
  });

  it('refuses the rotation as unverified with --require cloud-cost-status: rolled back, exit 1, every Secret as it was', async () => {
    const before = snapshotSecrets(world);
    const { run, result, of } = await rotate(['--require', 'cloud-cost-status']);
    expect(run.code).toBe(1);
    expect(of('cloud-cost-status')[0]).toMatchObject({ status: 'unavailable', reason: 'StatusUnreadable' });
    expect(of('cloud-cost-status').some((v) => v.status === 'failed')).toBe(false);
    expect(result?.phase).toBe('RolledBack');
    expect(result?.message).toMatch(
      /not verified under the --require policy: required check cloud-cost-status was unavailable/,
    );
    expect(result?.verification).toMatchObject({
      verified: false,
      policy: { source: '--require', require: ['pods-restarted', 'secret-holds-new-key', 'cloud-cost-status'] },
    });
    expect(snapshotDiff(before, snapshotSecrets(world))).toEqual([]);
  });
});

describe('an operator without pods/log', () => {
  it('gets every logs check unavailable (LogsUnreadable), never passed, and the rotation verified by the status and the probe', async () => {
    const lift = primary().access.deny({ verb: 'get', resource: 'pods/log' });
    try {
      const { run, result, of } = await rotate([]);
      expect(run.code).toBe(0);
      const logs = of('logs');
      expect(logs.length).toBeGreaterThan(0);
      expect(logs.every((v) => v.status === 'unavailable' && v.reason === 'LogsUnreadable')).toBe(true);
      expect(of('cloud-cost-status')[0]).toMatchObject({ status: 'passed', reason: 'ConnectionSuccessful' });
      expect(result?.verification?.checks.find((c) => c.check === 'logs')).toMatchObject({
        role: 'reported',
        passed: 0,
        unavailable: logs.length,
      });
    } finally {
      lift();
    }
  });
});

describe('--no-probe', () => {
  it('still counts the status and the logs: verified by a passed cloud-cost-status, the probe reported as not run', async () => {
    const { run, result, of } = await rotate(['--no-probe']);
    expect(run.code).toBe(0);
    expect(of('probe')).toEqual([]);
    expect(of('logs').every((v) => v.status === 'passed')).toBe(true);
    expect(result?.verification?.policy.evidence).toEqual(['cloud-cost-status']);
    expect(result?.verification?.checks.find((c) => c.check === 'probe')).toMatchObject({ role: 'not-run' });
  });
});

describe('the policy in plan', () => {
  const planArgs = () => [
    'plan',
    '--kubeconfig',
    world.kubeconfig,
    '--all-contexts',
    '--credential',
    (world.layout.credentials.get('billing-aws') as AwsKey).accessKeyId,
    ...world.probeFlags,
  ];

  it('is printed in the table and in the JSON', async () => {
    const table = await runCliInProcess([...planArgs(), '--require', 'logs,probe']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/Verification policy \(--require; --require names the checks\):/);
    expect(table.stdout).toMatch(/^ {2}logs +required: every verdict must pass$/m);
    expect(table.stdout).toMatch(/^ {2}cloud-cost-status +reported: may be unavailable, must not fail$/m);
    const json = await runCliInProcess([...planArgs(), '-o', 'json', '--no-probe']);
    expect(json.code).toBe(0);
    const plan = JSON.parse(json.stdout) as { verification: Record<string, unknown> };
    expect(plan.verification).toMatchObject({
      source: 'default',
      require: ['pods-restarted', 'secret-holds-new-key'],
      evidence: ['cloud-cost-status'],
      notRun: { probe: 'the direct probe is off (--no-probe)' },
    });
  });

  it('refuses --require probe with --no-probe (exit 2): the check could never pass', async () => {
    const run = await runCliInProcess([...planArgs(), '--require', 'probe', '--no-probe']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--require probe: probe cannot run in this rotation \(the direct probe is off/);
  });
});

describe('a bad --require', () => {
  it('exits 2 naming the flag and the allowed names, and writes nothing: no Secret changed, no journal', async () => {
    const before = snapshotSecrets(world);
    const journalsBefore = journals().length;
    const { run } = await rotate(['--require', 'logs,status']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'error: --require logs,status: "status" is not a check.\nhint: The checks are: pods-restarted, secret-holds-new-key, logs, cloud-cost-status, probe.\n',
    );
    expect(run.stdout).toBe('');
    expect(snapshotDiff(before, snapshotSecrets(world))).toEqual([]);
    expect(journals()).toHaveLength(journalsBefore);
  });
});

describe("verification finds a workload's pods through their owner (defect 6)", () => {
  it('is not failed by an evicted pod or by a debug copy with the same labels', async () => {
    const [live] = primary()
      .api.select(SIM_RESOURCES.pods, 'kubecost', { labelSelector: 'app=cloud-cost' })
      .filter((p) => !p.metadata.deletionTimestamp);
    if (!live)
      throw new Error(
        `no cloud-cost pod: ${primary()
          .api.select(SIM_RESOURCES.pods, 'kubecost')
          .map((p) => `${p.metadata.name} ${JSON.stringify(p.metadata.labels)}`)
          .join('; ')}`,
      );
    const { uid: _uid, resourceVersion: _rv, creationTimestamp: _ct, ...meta } = live.metadata;
    // Evicted: still owned by its ReplicaSet, phase Failed. kube-sim's node runs every pod it is
    // given, so the node here keeps saying Failed whenever it writes the pod's status.
    const evictedName = `${live.metadata.name ?? ''}-evicted`;
    const failed = { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' };
    const markFailed = () => {
      const current = primary().api.store.peek(SIM_RESOURCES.pods, 'kubecost', evictedName);
      if (!current || (current.status as { phase?: string } | undefined)?.phase === 'Failed') return;
      primary().api.update(
        SIM_RESOURCES.pods,
        'kubecost',
        evictedName,
        { ...current, metadata: { ...current.metadata, resourceVersion: undefined }, status: failed },
        { subresource: 'status' },
      );
    };
    const unsubscribe = primary().store.subscribe((event) => {
      if (event.def.kind === 'Pod' && event.object.metadata.name === evictedName) queueMicrotask(markFailed);
    });
    const evicted = primary().api.create(SIM_RESOURCES.pods, 'kubecost', {
      ...live,
      metadata: { ...meta, name: evictedName, generateName: undefined },
      status: undefined,
    });
    // kubectl debug --copy-to --keep-labels: the same labels, no owner.
    primary().api.create(SIM_RESOURCES.pods, 'kubecost', {
      ...live,
      metadata: {
        name: 'cloud-cost-debug',
        labels: live.metadata.labels,
        annotations: {},
      },
      status: undefined,
    });
    try {
      // The debug copy has no controller: a bare Pod that reads the key is refused unless --allow-bare-pods (defect 14).
      const { run, of } = await rotate(['--allow-bare-pods']);
      expect(run.code, JSON.stringify(of('pods-restarted'))).toBe(0);
      const cloudCost = of('pods-restarted').find((v) => v.evidence.includes('cloud-cost-debug'));
      expect(cloudCost).toMatchObject({ status: 'passed', reason: 'PodsRestarted' });
      expect(cloudCost?.evidence).toMatch(/^1 pod\(s\), 1 ready, 0 without restart token/);
      expect(cloudCost?.evidence).toMatch(/-evicted \(Failed \(Evicted\)\)/);
      expect(cloudCost?.evidence).toMatch(/cloud-cost-debug \(no owner: not one of its pods\)/);
    } finally {
      unsubscribe();
      for (const name of [evicted.metadata.name ?? '', 'cloud-cost-debug'])
        primary().api.store.remove(SIM_RESOURCES.pods, 'kubecost', name);
    }
  });
});
