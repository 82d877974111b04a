/**
 * One rotation of the federated key that a mixed fleet shares: a 3.x primary and a 3.x agent-only
 * secondary, a 2.4 agentOnly secondary and a 1.108 federated-ETL secondary, each with its own
 * Secret name, plus the primary's cloud integration holding the same AWS key. The rotation must
 * move every site on every cluster, restart the writers of every cluster before the primary's
 * readers (and the workload no rule knows last), verify through the 3.x cloud-cost Service, and
 * leave every consumer on the new key: once the old key is revoked, nothing fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIM_RESOURCES } from '../../src/sim/kube/index.js';
import { layoutSecretValues, secretValuesOf, successorOf, type FakeCredential } from '../../src/sim/kubecost/index.js';
import { scanLogForAuthFailures } from '../../src/verify/checks.js';
import { leakedSecrets, runCliInProcess } from '../support/capture.js';
import { waitFor } from '../support/kube.js';
import { decode, journals, Recorder } from './harness.js';
import { startRotationWorld, type RotationWorld } from './world.js';

type AwsKey = FakeCredential & { provider: 'aws' };

interface JournalDoc {
  readonly phase: string;
  readonly plan: {
    readonly sites: readonly { readonly id: string; readonly kind: string }[];
    readonly writes: readonly { readonly cluster: string; readonly namespace: string; readonly secret: string }[];
    readonly restarts: readonly {
      readonly step: string;
      readonly cluster: string;
      readonly kind: string;
      readonly name: string;
      readonly wave: number;
      readonly because: readonly string[];
    }[];
    readonly statusChecks: readonly { cluster: string; service: string; port: number; path: string }[];
  };
  readonly steps: Record<string, { state: string; startedAt?: string; endedAt?: string }>;
  readonly verdicts: readonly { check: string; target: string; status: string; reason: string; evidence: string }[];
}

let world: RotationWorld;
let recorder: Recorder;
let old: AwsKey;
let next: AwsKey;
let before: Map<string, string>;
let run: Awaited<ReturnType<typeof runCliInProcess>>;
let journal: JournalDoc;

/** Every data value of every Secret but the journals, decoded, by cluster/namespace/name/key. */
function secretTexts(): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of world.fleet.clusters)
    for (const s of c.api.select(SIM_RESOURCES.secrets, undefined)) {
      if (s.metadata.labels?.['app.kubernetes.io/managed-by'] === 'kubecost-rotate') continue;
      for (const [k, v] of Object.entries((s.data as Record<string, string>) ?? {}))
        out.set(`${c.name}/${s.metadata.namespace ?? ''}/${s.metadata.name ?? ''}/${k}`, decode(v));
    }
  return out;
}

beforeAll(async () => {
  world = await startRotationWorld('mixed');
  recorder = new Recorder(world);
  old = world.layout.credentials.get('shared-aws') as AwsKey;
  const successor = successorOf(old);
  next = successor.next as AwsKey;
  world.allow(next); // both keys valid at the provider while the rotation runs
  before = secretTexts();
  run = await runCliInProcess([
    'rotate',
    '--kubeconfig',
    world.kubeconfig,
    '--all-contexts',
    '--credential',
    old.accessKeyId,
    '--new-key-file',
    await world.keyFile('shared-aws.json', successor.keyFile),
    '--yes',
    '--verify-window',
    '1500ms',
    '--rollout-timeout',
    '60s',
    // cluster-4's store is a SealedSecret (refused by default); this world runs no owner that reverts it.
    '--allow-owned',
    ...world.probeFlags,
  ]);
  world.layout.credentials.set('shared-aws', next);
  // The journal's document with its whole plan (the harness joins the head and its plan Secret).
  journal = journals(world).find((j) => j.cluster === 'cluster-1')?.doc as unknown as JournalDoc;
}, 180_000);

afterAll(async () => {
  await world?.stop();
});

describe('one rotation of the key a 3.x, 2.x and 1.x fleet shares', () => {
  it('completes Verified with exit 0, its journal on the 3.x primary', () => {
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/rotation \S+: Verified\./);
    expect(run.code).toBe(0);
    expect(journal.phase).toBe('Verified');
  });

  it('moves every site on every cluster, whatever its Secret is called, and changes nothing else', () => {
    expect(journal.plan.sites.map((s) => `${s.id} ${s.kind}`)).toEqual([
      'cluster-1/cost/cloud-integration/cloud-integration.json#aws[0] cloud-integration',
      'cluster-1/cost/kubecost-object-store/federated-store.yaml#config global-federated-storage',
      'cluster-2/kubecost/kubecost-object-store/federated-store.yaml#config global-federated-storage',
      'cluster-4/kubecost/kubecost-object-store/federated-store.yaml#config federated-etl',
      'cluster-5/kubecost/federated-store/federated-store.yaml#config federated-etl',
    ]);
    const after = secretTexts();
    const changed = [...after.keys()].filter((k) => after.get(k) !== before.get(k)).sort();
    expect(changed).toEqual([
      'cluster-1/cost/cloud-integration/cloud-integration.json',
      'cluster-1/cost/kubecost-object-store/federated-store.yaml',
      'cluster-2/kubecost/kubecost-object-store/federated-store.yaml',
      'cluster-4/kubecost/kubecost-object-store/federated-store.yaml',
      'cluster-5/kubecost/federated-store/federated-store.yaml',
    ]);
    for (const key of changed)
      expect(after.get(key)).toBe(
        (before.get(key) ?? '')
          .replaceAll(old.accessKeyId, next.accessKeyId)
          .replaceAll(old.secretAccessKey, next.secretAccessKey),
      );
    for (const text of after.values()) expect(text).not.toContain(old.secretAccessKey);
  });

  it('restarts the writers of every cluster in wave 1, the primary readers in wave 2, the unknown reader in wave 3', () => {
    expect(
      journal.plan.restarts.map((r) => `${r.wave} ${r.cluster} ${r.kind}/${r.name} ${r.because.join(',')}`),
    ).toEqual([
      '1 cluster-1 Deployment/finops-cloud-cost cloud-integration,global-federated-storage',
      '1 cluster-1 Deployment/finops-cluster-controller global-federated-storage',
      '1 cluster-1 Deployment/finops-finopsagent global-federated-storage',
      '1 cluster-2 Deployment/kubecost-cluster-controller global-federated-storage',
      '1 cluster-2 Deployment/kubecost-finopsagent global-federated-storage',
      '1 cluster-4 Deployment/cost-suite federated-etl',
      '1 cluster-5 Deployment/kubecost-cost-analyzer federated-etl',
      '2 cluster-1 StatefulSet/finops-aggregator global-federated-storage',
      '3 cluster-1 Deployment/cur-exporter cloud-integration,global-federated-storage',
    ]);
    // Each planned workload got exactly one restart, and nothing else was restarted.
    expect([...recorder.restarts.keys()].sort()).toEqual(
      journal.plan.restarts.map((r) => r.step.slice('restart:'.length)).sort(),
    );
    for (const tokens of recorder.restarts.values()) expect(tokens).toHaveLength(1);
  });

  it('starts each wave only after the one before it has rolled out', () => {
    const times = (wave: number, field: 'startedAt' | 'endedAt') =>
      journal.plan.restarts.filter((r) => r.wave === wave).map((r) => Date.parse(journal.steps[r.step]?.[field] ?? ''));
    for (const wave of [1, 2, 3]) expect(times(wave, 'startedAt').every(Number.isFinite)).toBe(true);
    // A wave's restarts are requested after every restart of the wave before was requested and rolled out.
    expect(Math.min(...times(2, 'startedAt'))).toBeGreaterThanOrEqual(Math.max(...times(1, 'endedAt')));
    expect(Math.min(...times(3, 'startedAt'))).toBeGreaterThanOrEqual(Math.max(...times(2, 'endedAt')));
    const writesEnded = Math.max(
      ...Object.entries(journal.steps)
        .filter(([step]) => step.startsWith('write:'))
        .map(([, s]) => Date.parse(s.endedAt ?? '')),
    );
    expect(Math.min(...times(1, 'startedAt'))).toBeGreaterThanOrEqual(writesEnded);
  });

  it('verifies through the 3.x cloud-cost Service, a probe of every site, every Secret and every restarted container', () => {
    expect(journal.plan.statusChecks).toEqual([
      expect.objectContaining({
        cluster: 'cluster-1',
        service: 'finops-cloud-cost',
        port: 9005,
        path: '/cloudCost/status',
      }),
    ]);
    const byCheck = (check: string) => journal.verdicts.filter((v) => v.check === check);
    // The unknown cur-exporter logs nothing: silence is no evidence (unavailable), and the status and probes prove the key.
    expect(journal.verdicts.filter((v) => v.status !== 'passed').map((v) => [v.check, v.status, v.reason])).toEqual([
      ['logs', 'unavailable', 'NoLogLines'],
    ]);
    expect(journal.verdicts.find((v) => v.reason === 'NoLogLines')?.target).toMatch(
      /^cluster-1\/cost\/Deployment\/cur-exporter\//,
    );
    expect(byCheck('cloud-cost-status').map((v) => v.evidence)).toEqual([
      expect.stringContaining(`Connection Successful (key ${next.accessKeyId})`),
    ]);
    expect(byCheck('probe')).toHaveLength(5);
    expect(byCheck('secret-holds-new-key')).toHaveLength(5);
    expect(byCheck('pods-restarted')).toHaveLength(9);
    expect(
      byCheck('logs')
        .map((v) => v.target.split('/').slice(0, 4).join('/'))
        .sort(),
    ).toEqual(
      [
        'cluster-1/cost/Deployment/cur-exporter',
        'cluster-1/cost/Deployment/finops-cloud-cost',
        'cluster-1/cost/Deployment/finops-cluster-controller',
        'cluster-1/cost/Deployment/finops-finopsagent',
        'cluster-1/cost/StatefulSet/finops-aggregator',
        'cluster-2/kubecost/Deployment/kubecost-cluster-controller',
        'cluster-2/kubecost/Deployment/kubecost-finopsagent',
        'cluster-4/kubecost/Deployment/cost-suite',
        'cluster-5/kubecost/Deployment/kubecost-cost-analyzer',
      ].sort(),
    );
  });

  it('leaves every consumer on the new key: with the old key revoked, no component of any version fails', async () => {
    world.revoke(old);
    const from = world.logs.length;
    // The 3.x components, the 2.4 and 1.108 cost-models all use the store after the revocation
    // (waited for, not given a fixed budget: a restarted component's first call is late on a busy machine).
    const containers = ['finops-agent', 'aggregator', 'cloud-cost', 'kubecost-cluster-controller', 'cost-model'];
    await waitFor(
      `a line from each of ${containers.join(', ')} after the revocation`,
      () => containers.every((c) => world.logs.slice(from).some((l) => l.container === c)),
      30_000,
    );
    // And a moment more, for the calls already in flight at the revocation to be logged.
    await new Promise((r) => setTimeout(r, 1200));
    const lines = world.logs.slice(from);
    expect(
      scanLogForAuthFailures(lines.map((l) => `${l.namespace}/${l.pod}/${l.container} ${l.line}`).join('\n')),
    ).toEqual([]);
  });

  it('prints no secret value', () => {
    expect(
      leakedSecrets(run.stdout + run.stderr, [
        ...layoutSecretValues(world.layout),
        ...secretValuesOf(old),
        ...secretValuesOf(next),
      ]),
    ).toEqual([]);
  });
});
