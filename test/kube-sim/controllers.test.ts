/**
 * The workload controllers: rollouts honour their strategy the way the real controllers do, so
 * that what our tool observes (and kubectl's rollout status rules) means the same as on a cluster.
 */
import type * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIM_RESOURCES, startFleet, type Fleet, type SimCluster, type KubeObject } from '../../src/sim/kube/index.js';
import {
  clientsFor,
  deployment,
  deploymentRolledOut,
  expectApiError,
  statefulSet,
  statefulSetRolledOut,
  strategicMergePatch,
  waitFor,
} from '../support/kube.js';

let fleet: Fleet;
let cluster: SimCluster;
let api: ReturnType<typeof clientsFor>;

beforeAll(async () => {
  fleet = await startFleet({ clusters: 1, timing: { startMs: 15, readyMs: 15, terminateMs: 10 } });
  cluster = fleet.cluster('cluster-1');
  api = clientsFor(fleet, 'cluster-1');
});

afterAll(async () => {
  await fleet.stop();
});

const restartPatch = () => ({
  spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() } } } },
});

function podsOf(app: string): KubeObject[] {
  return cluster.api.select(SIM_RESOURCES.pods, 'default', { labelSelector: `app=${app}` });
}

function isReady(pod: KubeObject): boolean {
  const conditions = (pod.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
  return !pod.metadata.deletionTimestamp && conditions.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Samples the pods of `app` after every store change while `action` runs, until `until` holds. */
async function sampleDuring(app: string, action: () => Promise<unknown>, until: () => Promise<boolean>) {
  const samples: { live: number; ready: number }[] = [];
  const unsubscribe = cluster.store.subscribe((event) => {
    if (event.def.kind !== 'Pod') return;
    const pods = podsOf(app);
    samples.push({
      live: pods.filter((p) => !p.metadata.deletionTimestamp).length,
      ready: pods.filter(isReady).length,
    });
  });
  try {
    await action();
    await waitFor(`${app} to finish rolling out`, until);
  } finally {
    unsubscribe();
  }
  return samples;
}

const rolledOut = (name: string) => async () =>
  deploymentRolledOut(await api.apps.readNamespacedDeployment({ name, namespace: 'default' }));

describe('Deployment controller', () => {
  it('creates a ReplicaSet labelled with pod-template-hash and pods that carry it', async () => {
    cluster.apply(deployment({ name: 'hash', replicas: 2 }));
    await waitFor('hash rollout', rolledOut('hash'));
    const rs = await api.apps.listNamespacedReplicaSet({ namespace: 'default', labelSelector: 'app=hash' });
    expect(rs.items).toHaveLength(1);
    const hash = rs.items[0]?.metadata?.labels?.['pod-template-hash'] ?? '';
    expect(rs.items[0]?.metadata?.name).toBe(`hash-${hash}`);
    expect(rs.items[0]?.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'Deployment',
      name: 'hash',
      controller: true,
    });
    const pods = await api.core.listNamespacedPod({
      namespace: 'default',
      labelSelector: `app=hash,pod-template-hash=${hash}`,
    });
    expect(pods.items).toHaveLength(2);
    expect(pods.items.every((p) => p.metadata?.name?.startsWith(`hash-${hash}-`))).toBe(true);
  });

  it('rolls with maxSurge 1 and maxUnavailable 0: never more than replicas+1 pods, never fewer than replicas ready', async () => {
    cluster.apply(
      deployment({
        name: 'surge',
        replicas: 4,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      }),
    );
    await waitFor('surge rollout', rolledOut('surge'));
    const samples = await sampleDuring(
      'surge',
      () =>
        api.apps.patchNamespacedDeployment(
          { name: 'surge', namespace: 'default', body: restartPatch() },
          strategicMergePatch,
        ),
      rolledOut('surge'),
    );
    expect(samples.length).toBeGreaterThan(8);
    expect(Math.max(...samples.map((s) => s.live))).toBe(5);
    expect(Math.min(...samples.map((s) => s.ready))).toBe(4);
  });

  it('rolls with maxSurge 0 and maxUnavailable 1: never more than replicas pods, at most one missing', async () => {
    cluster.apply(
      deployment({
        name: 'unavail',
        replicas: 4,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
      }),
    );
    await waitFor('unavail rollout', rolledOut('unavail'));
    const samples = await sampleDuring(
      'unavail',
      () =>
        api.apps.patchNamespacedDeployment(
          { name: 'unavail', namespace: 'default', body: restartPatch() },
          strategicMergePatch,
        ),
      rolledOut('unavail'),
    );
    expect(Math.max(...samples.map((s) => s.live))).toBe(4);
    expect(Math.min(...samples.map((s) => s.ready))).toBe(3);
  });

  it('with Recreate, stops every old pod before it starts a new one', async () => {
    cluster.apply(deployment({ name: 'recreate', replicas: 3, strategy: { type: 'Recreate' } }));
    await waitFor('recreate rollout', rolledOut('recreate'));
    const oldNames = new Set(podsOf('recreate').map((p) => p.metadata.name));
    const order: string[] = [];
    const unsubscribe = cluster.store.subscribe((e) => {
      if (
        e.def.kind === 'Pod' &&
        e.object.metadata.labels?.app === 'recreate' &&
        (e.type === 'ADDED' || e.type === 'DELETED')
      )
        order.push(`${e.type}:${oldNames.has(e.object.metadata.name) ? 'old' : 'new'}`);
    });
    await api.apps.patchNamespacedDeployment(
      { name: 'recreate', namespace: 'default', body: restartPatch() },
      strategicMergePatch,
    );
    await waitFor('recreate rollout', rolledOut('recreate'));
    unsubscribe();
    expect(order).toEqual(['DELETED:old', 'DELETED:old', 'DELETED:old', 'ADDED:new', 'ADDED:new', 'ADDED:new']);
  });

  it('marks a rollout that stops making progress as ProgressDeadlineExceeded once the deadline passes', async () => {
    cluster.kubelet.bind({ workload: 'Deployment/stuck', program: (ctx) => ctx.setReady(false) });
    const body = deployment({ name: 'stuck', replicas: 1 }) as ReturnType<typeof deployment> & {
      spec: { progressDeadlineSeconds?: number };
    };
    body.spec.progressDeadlineSeconds = 600;
    cluster.apply(body);
    const progressing = async () =>
      (await api.apps.readNamespacedDeployment({ name: 'stuck', namespace: 'default' })).status?.conditions?.find(
        (c) => c.type === 'Progressing',
      );
    await waitFor('the stuck pod to run', async () => (await progressing())?.reason === 'ReplicaSetUpdated');
    await new Promise((r) => setTimeout(r, 100));
    expect((await progressing())?.reason).toBe('ReplicaSetUpdated');
    fleet.clock.advance(601_000);
    const condition = await waitFor('ProgressDeadlineExceeded', async () => {
      const c = await progressing();
      return c?.reason === 'ProgressDeadlineExceeded' && c;
    });
    expect(condition.status).toBe('False');
    await expect(rolledOut('stuck')()).rejects.toThrow(/exceeded its progress deadline/);
  });

  it('garbage-collects ReplicaSets and pods when their Deployment is deleted', async () => {
    cluster.apply(deployment({ name: 'gc', replicas: 2 }));
    await waitFor('gc rollout', rolledOut('gc'));
    await api.apps.deleteNamespacedDeployment({ name: 'gc', namespace: 'default' });
    await waitFor(
      'gc pods to go',
      async () =>
        (await api.core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=gc' })).items.length === 0,
    );
    expect(
      (await api.apps.listNamespacedReplicaSet({ namespace: 'default', labelSelector: 'app=gc' })).items,
    ).toHaveLength(0);
  });

  it('stops reconciling while controllers are paused and catches up on resume', async () => {
    cluster.apply(deployment({ name: 'paused', replicas: 1 }));
    await waitFor('paused rollout', rolledOut('paused'));
    cluster.controllers.pause();
    try {
      const patched = await api.apps.patchNamespacedDeployment(
        { name: 'paused', namespace: 'default', body: restartPatch() },
        strategicMergePatch,
      );
      await new Promise((r) => setTimeout(r, 150));
      const during = await api.apps.readNamespacedDeployment({ name: 'paused', namespace: 'default' });
      expect(during.status?.observedGeneration).toBe((patched.metadata?.generation ?? 0) - 1);
    } finally {
      cluster.controllers.resume();
    }
    await waitFor('paused rollout after resume', rolledOut('paused'));
  });

  it('holds pods Pending for a per-workload start latency that a clock advance skips', async () => {
    cluster.kubelet.setTiming({ workload: 'Deployment/slow', timing: { startMs: 3_600_000 } });
    cluster.apply(deployment({ name: 'slow', replicas: 1 }));
    const pod = await waitFor(
      'slow pod to exist',
      async () => (await api.core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=slow' })).items[0],
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(
      (await api.core.readNamespacedPod({ name: pod.metadata?.name ?? '', namespace: 'default' })).status?.phase,
    ).toBe('Pending');
    fleet.clock.advance(3_600_000);
    await waitFor('slow rollout after the clock jump', rolledOut('slow'));
  });
});

describe('StatefulSet controller', () => {
  const stsRolledOut = (name: string) => async () =>
    statefulSetRolledOut(await api.apps.readNamespacedStatefulSet({ name, namespace: 'default' }));

  it('creates pods in ordinal order, each after the previous one is ready', async () => {
    const events: string[] = [];
    const unsubscribe = cluster.store.subscribe((e) => {
      if (e.def.kind !== 'Pod' || e.object.metadata.labels?.app !== 'ordered') return;
      if (e.type === 'ADDED') events.push(`created ${e.object.metadata.name ?? ''}`);
      else if (isReady(e.object) && !(e.previous && isReady(e.previous)))
        events.push(`ready ${e.object.metadata.name ?? ''}`);
    });
    cluster.apply(statefulSet({ name: 'ordered', replicas: 3 }));
    await waitFor('ordered rollout', stsRolledOut('ordered'));
    unsubscribe();
    expect(events).toEqual([
      'created ordered-0',
      'ready ordered-0',
      'created ordered-1',
      'ready ordered-1',
      'created ordered-2',
      'ready ordered-2',
    ]);
    const sts = await api.apps.readNamespacedStatefulSet({ name: 'ordered', namespace: 'default' });
    expect(sts.status?.currentRevision).toBe(sts.status?.updateRevision);
  });

  it('rolls pods from the highest ordinal down, one at a time, and moves currentRevision at the end', async () => {
    await waitFor('ordered rollout', stsRolledOut('ordered'));
    const before = await api.apps.readNamespacedStatefulSet({ name: 'ordered', namespace: 'default' });
    const deletions: string[] = [];
    const unsubscribe = cluster.store.subscribe((e) => {
      if (e.def.kind === 'Pod' && e.object.metadata.labels?.app === 'ordered' && e.type === 'DELETED')
        deletions.push(e.object.metadata.name ?? '');
    });
    const patched = await api.apps.patchNamespacedStatefulSet(
      { name: 'ordered', namespace: 'default', body: restartPatch() },
      strategicMergePatch,
    );
    await waitFor(
      'observed',
      async () =>
        (await api.apps.readNamespacedStatefulSet({ name: 'ordered', namespace: 'default' })).status
          ?.observedGeneration === patched.metadata?.generation,
    );
    await waitFor('ordered rolling update', stsRolledOut('ordered'));
    unsubscribe();
    expect(deletions).toEqual(['ordered-2', 'ordered-1', 'ordered-0']);
    const after = await api.apps.readNamespacedStatefulSet({ name: 'ordered', namespace: 'default' });
    expect(after.status?.updateRevision).not.toBe(before.status?.updateRevision);
    expect(after.status?.currentRevision).toBe(after.status?.updateRevision);
    const pods = await api.core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=ordered' });
    expect(pods.items.map((p) => p.metadata?.labels?.['controller-revision-hash'])).toEqual([
      after.status?.updateRevision,
      after.status?.updateRevision,
      after.status?.updateRevision,
    ]);
  });

  it('updates only ordinals at or above the partition', async () => {
    cluster.apply(statefulSet({ name: 'part', replicas: 3, partition: 2 }));
    await waitFor('part rollout', stsRolledOut('part'));
    const before = await api.apps.readNamespacedStatefulSet({ name: 'part', namespace: 'default' });
    await api.apps.patchNamespacedStatefulSet(
      { name: 'part', namespace: 'default', body: restartPatch() },
      strategicMergePatch,
    );
    await waitFor('partitioned roll out', async () => {
      const s = await api.apps.readNamespacedStatefulSet({ name: 'part', namespace: 'default' });
      return (
        s.status?.observedGeneration === s.metadata?.generation &&
        s.status?.updatedReplicas === 1 &&
        s.status.readyReplicas === 3
      );
    });
    const pods = await api.core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=part' });
    const revisions = Object.fromEntries(
      pods.items.map((p) => [p.metadata?.name, p.metadata?.labels?.['controller-revision-hash']]),
    );
    const after = await api.apps.readNamespacedStatefulSet({ name: 'part', namespace: 'default' });
    expect(revisions).toEqual({
      'part-0': before.status?.currentRevision,
      'part-1': before.status?.currentRevision,
      'part-2': after.status?.updateRevision,
    });
    expect(after.status?.currentRevision).toBe(before.status?.currentRevision);
    expect(statefulSetRolledOut(after)).toBe(true);
  });

  it('recreates a deleted pod with the same name and a new uid', async () => {
    const old = await api.core.readNamespacedPod({ name: 'ordered-1', namespace: 'default' });
    await api.core.deleteNamespacedPod({ name: 'ordered-1', namespace: 'default' });
    const fresh = await waitFor('ordered-1 to come back', async () => {
      const p = await api.core.readNamespacedPod({ name: 'ordered-1', namespace: 'default' }).catch(() => undefined);
      return p && p.metadata?.uid !== old.metadata?.uid && p;
    });
    expect(fresh.metadata?.name).toBe('ordered-1');
  });

  it('leaves pods alone on a template change when the update strategy is OnDelete', async () => {
    const body = statefulSet({ name: 'ondelete', replicas: 1 });
    cluster.apply({ ...body, spec: { ...body.spec, updateStrategy: { type: 'OnDelete' } } });
    await waitFor(
      'ondelete ready',
      async () =>
        (await api.apps.readNamespacedStatefulSet({ name: 'ondelete', namespace: 'default' })).status?.readyReplicas ===
        1,
    );
    const pod = await api.core.readNamespacedPod({ name: 'ondelete-0', namespace: 'default' });
    await api.apps.patchNamespacedStatefulSet(
      { name: 'ondelete', namespace: 'default', body: restartPatch() },
      strategicMergePatch,
    );
    await new Promise((r) => setTimeout(r, 200));
    const same = await api.core.readNamespacedPod({ name: 'ondelete-0', namespace: 'default' });
    expect(same.metadata?.uid).toBe(pod.metadata?.uid);
  });
});

describe('deletion', () => {
  it('keeps a deleted pod Terminating until its kubelet has stopped it, then removes it', async () => {
    cluster.kubelet.setTiming({ workload: 'Deployment/graceful', timing: { terminateMs: 300 } });
    cluster.apply(deployment({ name: 'graceful', replicas: 1 }));
    await waitFor('graceful rollout', rolledOut('graceful'));
    const pod = (await api.core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=graceful' }))
      .items[0] as k8s.V1Pod;
    const deleted = await api.core.deleteNamespacedPod({ name: pod.metadata?.name ?? '', namespace: 'default' });
    expect(deleted.metadata?.deletionTimestamp).toBeDefined();
    const still = await api.core.readNamespacedPod({ name: pod.metadata?.name ?? '', namespace: 'default' });
    expect(still.metadata?.deletionTimestamp).toBeDefined();
    await waitFor(
      'the pod to be gone',
      async () =>
        (await expectApiError(api.core.readNamespacedPod({ name: pod.metadata?.name ?? '', namespace: 'default' })))
          .httpCode === 404,
    );
  });
});
