/**
 * What cannot roll out is refused in plan, before any write (issue 8 defect 7): a paused
 * Deployment, an OnDelete StatefulSet, pods that cannot start (a crash loop; a missing Secret).
 * `rotate` refuses too: exit 2, nothing written, no journal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIM_RESOURCES, type KubeObject } from '../../src/sim/kube/index.js';
import { fakeAwsKey, type FakeCredential } from '../../src/sim/kubecost/index.js';
import { runCliInProcess } from '../support/capture.js';
import { waitFor } from '../support/kube.js';
import { MANAGED_BY_SELECTOR, snapshotDiff, snapshotSecrets } from './harness.js';
import { startRotationWorld, type RotationWorld } from './world.js';

type AwsKey = FakeCredential & { provider: 'aws' };
let world: RotationWorld;
const primary = () => world.fleet.cluster('cluster-1');

beforeAll(async () => {
  world = await startRotationWorld('v2-federated', { backend: 'memory' });
});
afterAll(() => world.stop());

const billing = () => world.layout.credentials.get('billing-aws') as AwsKey;
const gcpId = () => {
  const c = world.layout.credentials.get('federated-gcs') as FakeCredential & { provider: 'gcp' };
  return `gcp:${c.clientEmail}:${c.privateKeyId}`;
};
const common = () => ['--kubeconfig', world.kubeconfig, '--all-contexts'];

/** Changes a workload's spec in kube-sim; returns how to put it back. */
function editSpec(plural: 'deployments' | 'statefulsets', name: string, spec: Record<string, unknown>): () => void {
  const def = SIM_RESOURCES[plural];
  const current = primary().api.get(def, 'kubecost', name);
  const before = current.spec as Record<string, unknown>;
  const save = (next: Record<string, unknown>) => {
    const now = primary().api.get(def, 'kubecost', name);
    primary().api.update(def, 'kubecost', name, { ...now, spec: next } as KubeObject);
  };
  save({ ...before, ...spec });
  return () => save(before);
}

async function rotateBilling(extra: string[] = []) {
  const next = fakeAwsKey(billing().user) as AwsKey;
  world.allow(next);
  const file = await world.keyFile('next.json', {
    accessKeyId: next.accessKeyId,
    secretAccessKey: next.secretAccessKey,
  });
  return runCliInProcess([
    'rotate',
    ...common(),
    '--credential',
    billing().accessKeyId,
    '--new-key-file',
    file,
    '--yes',
    ...extra,
  ]);
}

const journals = () =>
  world.fleet.clusters.flatMap((c) =>
    c.api.select(SIM_RESOURCES.secrets, undefined, { labelSelector: MANAGED_BY_SELECTOR }),
  );

describe('a paused Deployment to restart', () => {
  it('is refused by plan and by rotate with the command that resumes it: exit 2, nothing written, no journal', async () => {
    const restore = editSpec('deployments', 'kubecost-cloud-cost', { paused: true });
    try {
      const before = snapshotSecrets(world);
      const plan = await runCliInProcess(['plan', ...common(), '--credential', billing().accessKeyId]);
      expect(plan.code).toBe(2);
      expect(plan.stderr).toContain(
        'Deployment kubecost/kubecost-cloud-cost on cluster-1 is paused (spec.paused): a restart would never roll out.',
      );
      expect(plan.stderr).toContain(
        'kubectl --context cluster-1 -n kubecost rollout resume deployment/kubecost-cloud-cost',
      );
      const rotate = await rotateBilling(['--allow-unready']);
      expect(rotate.code).toBe(2);
      expect(rotate.stderr).toMatch(/is paused/);
      expect(snapshotDiff(before, snapshotSecrets(world))).toEqual([]);
      expect(journals()).toEqual([]);
    } finally {
      restore();
    }
    const again = await runCliInProcess(['plan', ...common(), '--credential', billing().accessKeyId]);
    expect(again.code, again.stderr).toBe(0);
  });
});

describe('an OnDelete StatefulSet to restart', () => {
  it('is refused by plan with how to switch it to RollingUpdate', async () => {
    const restore = editSpec('statefulsets', 'kubecost-aggregator', { updateStrategy: { type: 'OnDelete' } });
    try {
      // (cluster-3's copy is managed by an ExternalSecret: --allow-owned, so that the OnDelete refusal is what speaks.)
      const plan = await runCliInProcess(['plan', ...common(), '--credential', gcpId(), '--allow-owned']);
      expect(plan.code).toBe(2);
      expect(plan.stderr).toContain(
        'StatefulSet kubecost/kubecost-aggregator on cluster-1 updates its pods only when they are deleted (updateStrategy OnDelete)',
      );
      expect(plan.stderr).toContain(
        `kubectl --context cluster-1 -n kubecost patch statefulset kubecost-aggregator -p '{"spec":{"updateStrategy":{"type":"RollingUpdate"}}}'`,
      );
    } finally {
      restore();
    }
  });
});

describe('a workload to restart whose pods cannot start', () => {
  it('is refused while it crash-loops (exit 2, no journal), and --allow-unready lets the plan through', async () => {
    const unbind = primary().kubelet.bind({
      workload: 'Deployment/kubecost-cloud-cost',
      program: () => {
        throw new Error('cannot start');
      },
    });
    try {
      for (const pod of primary().api.select(SIM_RESOURCES.pods, 'kubecost', { labelSelector: 'app=cloud-cost' }))
        primary().api.delete(SIM_RESOURCES.pods, 'kubecost', pod.metadata.name ?? '');
      await waitFor('cloud-cost to crash-loop', () =>
        primary()
          .api.select(SIM_RESOURCES.pods, 'kubecost', { labelSelector: 'app=cloud-cost' })
          .some((p) =>
            (
              p.status as { containerStatuses?: { state?: { waiting?: { reason?: string } } }[] } | undefined
            )?.containerStatuses?.some((c) => c.state?.waiting?.reason === 'CrashLoopBackOff'),
          ),
      );
      const before = snapshotSecrets(world);
      const rotate = await rotateBilling();
      expect(rotate.code).toBe(2);
      expect(rotate.stderr).toMatch(
        /Deployment kubecost\/kubecost-cloud-cost on cluster-1 has pods that cannot start \(kubecost-cloud-cost-\S+\/cloud-cost: CrashLoopBackOff\)/,
      );
      expect(rotate.stderr).toMatch(/--allow-unready if the old key is why they fail/);
      expect(snapshotDiff(before, snapshotSecrets(world))).toEqual([]);
      expect(journals()).toEqual([]);
      const forced = await runCliInProcess([
        'plan',
        ...common(),
        '--credential',
        billing().accessKeyId,
        '--allow-unready',
      ]);
      expect(forced.code, forced.stderr).toBe(0);
    } finally {
      unbind();
      for (const pod of primary().api.select(SIM_RESOURCES.pods, 'kubecost', { labelSelector: 'app=cloud-cost' }))
        primary().api.delete(SIM_RESOURCES.pods, 'kubecost', pod.metadata.name ?? '');
    }
  });
});
