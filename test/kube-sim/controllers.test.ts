/**
 * The workload controllers: rollouts honour their strategy the way the real controllers do, so
 * that what our tool observes (and kubectl's rollout status rules) means the same as on a cluster.
 */
import type * as k8s from '@kubernetes/client-node';
import * as k8sRuntime from '@kubernetes/client-node';
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
let api: ReturnType<typeof clientsFor> & { batch: k8s.BatchV1Api };

beforeAll(async () => {
  fleet = await startFleet({ clusters: 1, timing: { startMs: 15, readyMs: 15, terminateMs: 10 } });
  cluster = fleet.cluster('cluster-1');
  const clients = clientsFor(fleet, 'cluster-1');
  api = { ...clients, batch: clients.kc.makeApiClient(k8sRuntime.BatchV1Api) };
});

afterAll(async () => {
  await fleet.stop();
});

const mergePatchOptions = k8sRuntime.setHeaderOptions('Content-Type', k8sRuntime.PatchStrategy.MergePatch);

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

// ---------------------------------------------------------------- DaemonSets, Jobs, CronJobs

function daemonSet(name: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [{ name: 'agent', image: 'registry.example/agent:1' }],
          volumes: [{ name: 'key', secret: { secretName: 'agent-key' } }],
        },
      },
      ...extra,
    },
  };
}

/** kubectl's `rollout status daemonset` rule (polymorphichelpers.DaemonSetStatusViewer). */
const daemonSetRolledOut = async (name: string) => {
  const ds = await api.apps.readNamespacedDaemonSet({ name, namespace: 'default' });
  const s = ds.status;
  return (
    !!s &&
    (ds.metadata?.generation ?? 0) <= (s.observedGeneration ?? 0) &&
    (s.updatedNumberScheduled ?? 0) >= s.desiredNumberScheduled &&
    (s.numberAvailable ?? 0) >= s.desiredNumberScheduled
  );
};

describe('DaemonSet controller', () => {
  beforeAll(() => {
    cluster.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'agent-key', namespace: 'default' },
      stringData: { id: 'x' },
    });
  });

  it('runs one pod on the node, labelled with its revision and template generation, and reports rollout-status fields', async () => {
    cluster.apply(daemonSet('agent'));
    await waitFor('agent rollout', () => daemonSetRolledOut('agent'));
    const ds = await api.apps.readNamespacedDaemonSet({ name: 'agent', namespace: 'default' });
    expect(ds.status).toMatchObject({
      desiredNumberScheduled: 1,
      currentNumberScheduled: 1,
      numberReady: 1,
      observedGeneration: 1,
    });
    expect(ds.metadata?.annotations?.['deprecated.daemonset.template.generation']).toBe('1');
    const pods = podsOf('agent');
    expect(pods).toHaveLength(1);
    expect(pods[0]?.metadata.labels).toMatchObject({
      'pod-template-generation': '1',
      'controller-revision-hash': expect.any(String),
    });
    expect(pods[0]?.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'DaemonSet',
      name: 'agent',
      controller: true,
    });
    const revisions = await api.apps.listNamespacedControllerRevision({
      namespace: 'default',
      labelSelector: 'app=agent',
    });
    expect(revisions.items.map((r) => r.revision)).toEqual([1]);
  });

  it('replaces its pod on `rollout restart` (a template annotation), with observedGeneration lagging the patch', async () => {
    cluster.apply(daemonSet('restart'));
    await waitFor('restart rollout', () => daemonSetRolledOut('restart'));
    const before = podsOf('restart').map((p) => p.metadata.name);
    const patched = await api.apps.patchNamespacedDaemonSet(
      { name: 'restart', namespace: 'default', body: restartPatch() },
      strategicMergePatch,
    );
    expect(patched.metadata?.generation).toBe(2);
    expect(patched.status?.observedGeneration).toBe(1);
    await waitFor('restart to roll out again', () => daemonSetRolledOut('restart'));
    const after = podsOf('restart').filter((p) => !p.metadata.deletionTimestamp);
    expect(after).toHaveLength(1);
    expect(before).not.toContain(after[0]?.metadata.name);
    expect(after[0]?.metadata.labels?.['pod-template-generation']).toBe('2');
  });

  it('puts one pod on each Node, pinned by node affinity, and rolls them within maxUnavailable', async () => {
    for (const name of ['node-a', 'node-b', 'node-c'])
      cluster.apply({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } } });
    try {
      cluster.apply(daemonSet('spread'));
      await waitFor(
        'spread on three nodes',
        async () => (await daemonSetRolledOut('spread')) && podsOf('spread').length === 3,
      );
      const nodes = podsOf('spread').map(
        (p) =>
          (
            p.spec as {
              affinity: {
                nodeAffinity: {
                  requiredDuringSchedulingIgnoredDuringExecution: {
                    nodeSelectorTerms: { matchFields: { values: string[] }[] }[];
                  };
                };
              };
            }
          ).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]?.matchFields[0]
            ?.values[0],
      );
      expect(nodes.sort()).toEqual(['node-a', 'node-b', 'node-c']);
      const samples = await sampleDuring(
        'spread',
        () =>
          api.apps.patchNamespacedDaemonSet(
            { name: 'spread', namespace: 'default', body: restartPatch() },
            strategicMergePatch,
          ),
        async () =>
          (await daemonSetRolledOut('spread')) && podsOf('spread').every((p) => !p.metadata.deletionTimestamp),
      );
      expect(Math.min(...samples.map((s) => s.ready))).toBeGreaterThanOrEqual(2);
      expect(Math.max(...samples.map((s) => s.live))).toBeLessThanOrEqual(3);
    } finally {
      for (const name of ['node-a', 'node-b', 'node-c']) cluster.api.delete(SIM_RESOURCES.nodes, undefined, name);
    }
  });
});

describe('Job and CronJob controllers', () => {
  it('runs a Job pod from its template, owned by the Job and counted active', async () => {
    cluster.apply({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'once', namespace: 'default' },
      spec: {
        template: { spec: { restartPolicy: 'Never', containers: [{ name: 'run', image: 'registry.example/run:1' }] } },
      },
    });
    await waitFor(
      'once to be active',
      async () => (await api.batch.readNamespacedJob({ name: 'once', namespace: 'default' })).status?.active === 1,
    );
    const job = await api.batch.readNamespacedJob({ name: 'once', namespace: 'default' });
    expect(job.spec?.selector?.matchLabels?.['batch.kubernetes.io/controller-uid']).toBe(job.metadata?.uid);
    expect(job.status?.startTime).toBeDefined();
    const pods = await api.core.listNamespacedPod({ namespace: 'default', labelSelector: 'job-name=once' });
    expect(pods.items).toHaveLength(1);
    expect(pods.items[0]?.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'Job',
      name: 'once',
      controller: true,
    });
    expect(pods.items[0]?.metadata?.finalizers).toEqual(['batch.kubernetes.io/job-tracking']);
  });

  it('creates a Job from a CronJob at its scheduled time, and a Job made after a template change reads the new key', async () => {
    const template = (key: string) => ({
      spec: {
        template: {
          spec: {
            restartPolicy: 'OnFailure',
            containers: [
              {
                name: 'export',
                image: 'registry.example/export:1',
                env: [{ name: 'KEY', valueFrom: { secretKeyRef: { name: key, key: 'id' } } }],
              },
            ],
          },
        },
      },
    });
    const created = cluster.apply({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'nightly', namespace: 'default' },
      spec: { schedule: '0 3 * * *', jobTemplate: template('old-key') },
    });
    const jobsOf = async () =>
      (await api.batch.listNamespacedJob({ namespace: 'default' })).items.filter((j) =>
        j.metadata?.ownerReferences?.some((r) => r.uid === created.metadata.uid),
      );
    expect(await jobsOf()).toEqual([]);
    // Jump to just after the next 03:00 UTC.
    const now = fleet.clock.now();
    const next = new Date(now);
    next.setUTCHours(3, 0, 0, 0);
    if (next.getTime() <= now) next.setUTCDate(next.getUTCDate() + 1);
    fleet.clock.advance(next.getTime() - now + 1000);
    const [first] = await waitFor('the 03:00 Job', async () => {
      const jobs = await jobsOf();
      return jobs.length === 1 ? jobs : undefined;
    });
    expect(first?.metadata?.name).toBe(`nightly-${Math.floor(next.getTime() / 60_000)}`);
    expect(first?.spec?.template.spec?.containers[0]?.env?.[0]?.valueFrom?.secretKeyRef?.name).toBe('old-key');
    const cj = await api.batch.readNamespacedCronJob({ name: 'nightly', namespace: 'default' });
    expect(new Date(cj.status?.lastScheduleTime ?? 0).getTime()).toBe(next.getTime());

    await api.batch.patchNamespacedCronJob(
      { name: 'nightly', namespace: 'default', body: { spec: { jobTemplate: template('new-key') } } },
      mergePatchOptions,
    );
    fleet.clock.advance(24 * 3600 * 1000);
    const jobs = await waitFor('the next day’s Job', async () => {
      const list = await jobsOf();
      return list.length === 2 ? list : undefined;
    });
    const latest = jobs.find((j) => j.metadata?.name !== first?.metadata?.name);
    expect(latest?.spec?.template.spec?.containers[0]?.env?.[0]?.valueFrom?.secretKeyRef?.name).toBe('new-key');
  });
});
