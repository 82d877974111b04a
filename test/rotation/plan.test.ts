/**
 * `plan` prints the seed runbook's steps, in the seed's order, for the layouts they apply to,
 * and writes nothing. The runbook: /work/shared/seed/service-key-rotation.txt (cloud billing
 * integration keys, federated ETL, Thanos).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIM_RESOURCES } from '../../src/sim/kube/index.js';
import { layoutSecretValues, type FakeCredential, type LayoutName } from '../../src/sim/kubecost/index.js';
import { leakedSecrets, runCliInProcess } from '../support/capture.js';
import { startLayout, type LayoutWorld } from '../kubecost/layout-support.js';

const worlds = new Map<LayoutName, LayoutWorld>();
beforeAll(async () => {
  for (const name of ['v1-thanos', 'v2-single', 'v2-federated'] as const) worlds.set(name, await startLayout(name));
});
afterAll(async () => {
  for (const w of worlds.values()) await w.stop();
});

function keyIdOf(world: LayoutWorld, name: string): string {
  const c = world.layout.credentials.get(name) as FakeCredential;
  if (c.provider === 'aws') return c.accessKeyId;
  if (c.provider === 'gcp') return `gcp:${c.clientEmail}:${c.privateKeyId}`;
  throw new Error('unsupported in this test');
}

async function steps(layout: LayoutName, credential: string): Promise<string[]> {
  const world = worlds.get(layout) as LayoutWorld;
  const run = await runCliInProcess([
    'plan',
    '--kubeconfig',
    world.kubeconfig,
    '--all-contexts',
    '--credential',
    keyIdOf(world, credential),
    // Some layouts keep a copy in a Secret an ExternalSecret or a SealedSecret owns (refused by default).
    '--allow-owned',
  ]);
  expect(run.code).toBe(0);
  expect(leakedSecrets(run.stdout + run.stderr, layoutSecretValues(world.layout))).toEqual([]);
  const lines = run.stdout.split('\nSteps:\n')[1]?.split('\n\n')[0]?.split('\n') ?? [];
  return lines.map((l) => l.replace(/^\s*\d+\.\s/, '')).filter(Boolean);
}

/** The index of the first step matching, failing if there is none. */
function at(list: string[], pattern: RegExp): number {
  const i = list.findIndex((s) => pattern.test(s));
  expect(i, `no step matches ${pattern}:\n${list.join('\n')}`).toBeGreaterThanOrEqual(0);
  return i;
}

function lastAt(list: string[], pattern: RegExp): number {
  const matches = list.map((s, i) => (pattern.test(s) ? i : -1)).filter((i) => i >= 0);
  expect(matches.length).toBeGreaterThan(0);
  return Math.max(...matches);
}

describe('plan follows the seed runbook', () => {
  it('Thanos: update kubecost-thanos on each cluster, restart prometheus everywhere, then thanos-store on the primary, then check sidecar and store logs', async () => {
    const list = await steps('v1-thanos', 'thanos-s3');
    const updates = [
      at(list, /^update Secret kubecost\/kubecost-thanos on cluster-1/),
      at(list, /^update Secret kubecost\/kubecost-thanos on cluster-2/),
    ];
    const prometheus = [
      at(list, /^restart Deployment kubecost\/kubecost-prometheus-server on cluster-1/),
      at(list, /^restart Deployment kubecost\/kubecost-prometheus-server on cluster-2/),
    ];
    const store = at(list, /^restart Deployment kubecost\/kubecost-thanos-store on cluster-1/);
    const sidecarLogs = at(
      list,
      /^verify Deployment kubecost\/kubecost-prometheus-server on cluster-1: .* logs of thanos-sidecar/,
    );
    const storeLogs = at(
      list,
      /^verify Deployment kubecost\/kubecost-thanos-store on cluster-1: .* logs of thanos-store/,
    );
    expect(Math.max(...updates)).toBeLessThan(Math.min(...prometheus));
    expect(Math.max(...prometheus)).toBeLessThan(store);
    expect(store).toBeLessThan(sidecarLogs);
    expect(sidecarLogs).toBeLessThan(storeLogs);
    // Beyond the runbook: compact also reads the bucket, and cost-model reads it as ETL backup.
    expect(
      list.some((s) => /^restart Deployment kubecost\/kubecost-thanos-compact on cluster-1 .*wave 2/.test(s)),
    ).toBe(true);
    expect(list.some((s) => /^restart Deployment kubecost\/kubecost-cost-analyzer on cluster-2 .*wave 1/.test(s))).toBe(
      true,
    );
    expect(list.some((s) => /thanos-store on cluster-2/.test(s))).toBe(false);
  });

  it('federated ETL: update the store Secret on each cluster, restart cost-analyzer, then the aggregator, then check logs', async () => {
    const list = await steps('v2-federated', 'federated-gcs');
    const lastUpdate = lastAt(list, /^update Secret kubecost\/federated-store on cluster-\d/);
    expect(list.filter((s) => s.startsWith('update Secret kubecost/federated-store')).length).toBe(3);
    const costAnalyzer = [1, 2, 3].map((n) =>
      at(list, new RegExp(`^restart Deployment kubecost/kubecost-cost-analyzer on cluster-${n}`)),
    );
    const aggregator = at(list, /^restart StatefulSet kubecost\/kubecost-aggregator on cluster-1/);
    const logs = at(list, /^verify .* no auth failure in the logs/);
    expect(lastUpdate).toBeLessThan(Math.min(...costAnalyzer));
    expect(Math.max(...costAnalyzer)).toBeLessThan(aggregator);
    expect(aggregator).toBeLessThan(logs);
  });

  it('cloud billing integration: update the Secret, restart cloud-cost (not cost-analyzer) when it exists, then check logs and the integration status', async () => {
    const list = await steps('v2-federated', 'billing-gcp');
    const update = at(list, /^update Secret kubecost\/cloud-integration on cluster-1 \(cloud-integration.json/);
    const restart = at(list, /^restart Deployment kubecost\/kubecost-cloud-cost on cluster-1/);
    const logs = at(list, /^verify Deployment kubecost\/kubecost-cloud-cost on cluster-1: .* logs of cloud-cost/);
    const status = at(list, /^verify the cloud integration status on cluster-1/);
    expect(update).toBeLessThan(restart);
    expect(restart).toBeLessThan(logs);
    expect(restart).toBeLessThan(status);
    expect(list.some((s) => s.startsWith('restart Deployment kubecost/kubecost-cost-analyzer'))).toBe(false);
  });

  it('cloud billing integration without a cloud-cost Deployment: restart cost-analyzer', async () => {
    const list = await steps('v2-single', 'billing-aws');
    expect(list.filter((s) => s.startsWith('restart '))).toEqual([
      expect.stringMatching(/^restart Deployment kubecost\/kubecost-cost-analyzer on cluster-1 \[cost-analyzer\]/),
    ]);
    expect(
      list.some(
        (s) =>
          s.includes('status on cluster-1: kubecost/svc/kubecost-cost-analyzer:9090/model/cloudCost/status') &&
          s.includes('with the new key id'),
      ),
    ).toBe(true);
  });

  it('writes nothing: no Secret changes and no journal appears', async () => {
    const world = worlds.get('v1-thanos') as LayoutWorld;
    const writes = () => world.fleet.clusters.flatMap((c) => c.requests.filter((r) => r.method !== 'GET'));
    const before = writes().length;
    await steps('v1-thanos', 'thanos-s3');
    expect(writes().length).toBe(before);
    expect(
      world.fleet.clusters.flatMap((c) =>
        c.api.select(SIM_RESOURCES.secrets, undefined, {
          labelSelector: 'app.kubernetes.io/managed-by=kubecost-rotate',
        }),
      ),
    ).toEqual([]);
  });

  it('prints the plan as JSON with its steps and without key material', async () => {
    const world = worlds.get('v2-federated') as LayoutWorld;
    const run = await runCliInProcess([
      'plan',
      '--kubeconfig',
      world.kubeconfig,
      '--all-contexts',
      '--credential',
      keyIdOf(world, 'federated-gcs'),
      '--allow-owned',
      '-o',
      'json',
    ]);
    const plan = JSON.parse(run.stdout) as {
      sites: unknown[];
      writes: unknown[];
      restarts: { wave: number }[];
      steps: string[];
    };
    expect(plan.sites).toHaveLength(3);
    expect(plan.writes).toHaveLength(3);
    expect(plan.restarts.map((r) => r.wave)).toEqual([1, 1, 1, 1, 2, 2]);
    expect(plan.steps.length).toBeGreaterThan(10);
    expect(leakedSecrets(run.stdout, layoutSecretValues(world.layout))).toEqual([]);
  });
});

describe('plan warnings', () => {
  it('refuses a workload to restart that cannot start (a missing Secret), before anything is done: exit 2', async () => {
    const world = await startLayout('mixed');
    try {
      const key = world.layout.credentials.get('service-key-aws') as FakeCredential & { provider: 'aws' };
      const run = await runCliInProcess([
        'plan',
        '--kubeconfig',
        world.kubeconfig,
        '--all-contexts',
        '--credential',
        key.accessKeyId,
        // Its Secret is tracked by Argo CD: refused without --allow-owned (then it is a warning).
        '--allow-owned',
      ]);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(
        'could not roll out, so nothing was written: Deployment monitoring/kubecost-cost-analyzer on cluster-3 references Secret "old-gcp-key"',
      );
      expect(run.stderr).toContain(
        'hint: Create the missing Secret (or make the reference optional) in monitoring on cluster-3',
      );
    } finally {
      await world.stop();
    }
  });
});
