/**
 * The real control plane is real and usable through @kubernetes/client-node: real kube-apiserver
 * v1.34.4 with RBAC and Node authorization, a real controller-manager and scheduler. Runs inside the
 * private network namespace of scripts/real-cluster/in-netns.sh (`npm run test:real`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectApiError, waitFor } from '../support/kube.js';
import {
  childrenOf,
  isAlive,
  kcpBinary,
  kubeConfigFor,
  rawRequest,
  startControlPlane,
  type ControlPlane,
  type RealCluster,
} from './support/control-plane.js';

/** Waits on a real controller: a bounded poll, as there is no event to wait on for its lag. */
const eventually = <T>(what: string, check: () => T | Promise<T>) => waitFor(what, check, 60_000, 100);

describe('kcp up outside a private network namespace', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'kcp-refuse-'));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  const kcpUp = (dir: string) => ['up', '--clusters=1', `--dir=${dir}`, `--kubeconfig=${join(scratch, 'kubeconfig')}`];

  it('refuses to start in the namespace the test run was started from, and writes nothing', () => {
    const outer = process.env.REAL_CLUSTER_OUTER_NETNS;
    if (!outer) throw new Error('REAL_CLUSTER_OUTER_NETNS is not set: run this suite through npm run test:real');
    const dir = join(scratch, 'outer');
    const run = spawnSync('nsenter', [`--net=${outer}`, kcpBinary(), ...kcpUp(dir)], { encoding: 'utf8' });
    expect(run.stderr).toContain('kcp up: refusing to start: kcp up must run inside a private network namespace');
    expect(run.stderr).toContain('scripts/real-cluster/in-netns.sh');
    expect(run.status).toBe(3);
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses to start in a new namespace that has an interface besides lo, and names it', () => {
    const dir = join(scratch, 'veth');
    // A veth pair whose both ends stay in a throw-away namespace: nothing can leave it either.
    const run = spawnSync(
      'unshare',
      [
        '--net',
        '--fork',
        'sh',
        '-c',
        'ip link add kcp-test0 type veth peer name kcp-test1 && exec "$@"',
        'sh',
        kcpBinary(),
        ...kcpUp(dir),
      ],
      { encoding: 'utf8' },
    );
    expect(run.stderr).toMatch(/this one also has (kcp-test0, kcp-test1|kcp-test1, kcp-test0)/);
    expect(run.status).toBe(3);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('kcp up stops what it started', () => {
  it('stops every component it started on SIGTERM and exits 0', async () => {
    const cp = await startControlPlane({ clusters: 1, nodesPerCluster: 0 });
    const components = cp.componentPids();
    expect(components).toHaveLength(3); // API server, controller-manager, scheduler
    await cp.stop();
    expect(components.filter(isAlive)).toEqual([]);
  });

  it('takes its components down with it when it is killed with SIGKILL', async () => {
    const cp = await startControlPlane({ clusters: 1, nodesPerCluster: 0 });
    const components = cp.componentPids();
    expect(components).toHaveLength(3);
    await cp.stop({ signal: 'SIGKILL' });
    // The kernel delivers their parent-death signal as kcp up dies; they may take a moment to exit.
    await eventually('the components to die with kcp up', () => components.filter(isAlive).length === 0);
  });

  it('stops by itself, components and all, when the process that started it dies', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'kcp-orphan-'));
    try {
      // A shell starts kcp up and is then killed, as a test runner killed by a CI timeout would be.
      const shell = spawn(
        'sh',
        [
          '-c',
          '"$0" up --clusters=1 --nodes-per-cluster=0 --dir="$1/state" --kubeconfig="$1/kubeconfig" & wait',
          kcpBinary(),
          scratch,
        ],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      );
      const lines = createInterface({ input: shell.stdout });
      await new Promise<void>((ready, failed) => {
        lines.on('line', (line) => line === 'ready' && ready());
        shell.once('exit', (code) => failed(new Error(`kcp up ended (${code}) before ready`)));
      });
      const [kcpUp] = childrenOf(shell.pid!);
      const components = childrenOf(kcpUp!);
      expect(components).toHaveLength(3);
      shell.kill('SIGKILL');
      await eventually('kcp up and its components to stop', () => ![kcpUp!, ...components].some(isAlive));
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
});

describe('the real control plane (3 clusters)', () => {
  let cp: ControlPlane;
  let failed = false;
  beforeAll(async () => {
    cp = await startControlPlane({ clusters: 3, nodesPerCluster: 1 });
  });
  beforeEach(({ onTestFailed }) => onTestFailed(() => void (failed = true)));
  afterAll(async () => {
    await cp?.stop({ keep: failed });
  });

  const cluster = (i: number): RealCluster => cp.clusters[i - 1]!;
  const clients = (c: RealCluster, user?: Parameters<typeof kubeConfigFor>[1]) => {
    const kc = kubeConfigFor(c, user);
    return {
      kc,
      core: kc.makeApiClient(k8s.CoreV1Api),
      apps: kc.makeApiClient(k8s.AppsV1Api),
      rbac: kc.makeApiClient(k8s.RbacAuthorizationV1Api),
    };
  };
  /** A fresh namespace, once the controller-manager has given it the default ServiceAccount pods need. */
  const namespace = async (c: RealCluster, name: string) => {
    const { core } = clients(c);
    await core.createNamespace({ body: { metadata: { name } } });
    await eventually(`ServiceAccount default in ${name} on ${c.name}`, () =>
      core.readNamespacedServiceAccount({ name: 'default', namespace: name }),
    );
    return name;
  };

  it('writes clusters.json with the contexts cluster-1..3, distinct addresses, and a kubeconfig for them', () => {
    expect(cp.version).toBe('v1.34.4');
    expect(cp.clusters.map((c) => c.name)).toEqual(['cluster-1', 'cluster-2', 'cluster-3']);
    expect(cp.clusters.map((c) => c.server)).toEqual([
      'https://10.90.1.1:6443',
      'https://10.90.2.1:6443',
      'https://10.90.3.1:6443',
    ]);
    const nodes = cp.clusters.flatMap((c) => c.nodes);
    expect(nodes.map((n) => [n.name, n.address, n.podCidr])).toEqual([
      ['cluster-1-node-1', '10.90.1.11', '10.244.1.0/24'],
      ['cluster-2-node-1', '10.90.2.11', '10.244.9.0/24'],
      ['cluster-3-node-1', '10.90.3.11', '10.244.17.0/24'],
    ]);
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(cp.kubeconfig);
    expect(kc.getContexts().map((c) => c.name)).toEqual(['cluster-1', 'cluster-2', 'cluster-3']);
    expect(kc.getCurrentContext()).toBe('cluster-1');
  });

  it('answers /version with v1.34.4 on every cluster, through the written kubeconfig', async () => {
    for (const c of cp.clusters) {
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(cp.kubeconfig);
      kc.setCurrentContext(c.context);
      const version = await kc.makeApiClient(k8s.VersionApi).getCode();
      expect(version.gitVersion, c.name).toBe('v1.34.4');
    }
  });

  it("rejects one cluster's admin token on another cluster with 401", async () => {
    const intruder = clients(cluster(2), { token: cluster(1).adminToken });
    const error = await expectApiError(intruder.core.listNamespace());
    expect(error.httpCode).toBe(401);
  });

  it('answers 409 Conflict to a Secret replace that carries a stale resourceVersion', async () => {
    const ns = await namespace(cluster(1), 'conflict');
    const { core } = clients(cluster(1));
    const created = await core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 'key' }, data: { k: Buffer.from('one').toString('base64') } },
    });
    const stale = created.metadata!.resourceVersion!;
    await core.replaceNamespacedSecret({
      name: 'key',
      namespace: ns,
      body: { ...created, data: { k: Buffer.from('two').toString('base64') } },
    });
    const error = await expectApiError(
      core.replaceNamespacedSecret({
        name: 'key',
        namespace: ns,
        body: { metadata: { ...created.metadata, resourceVersion: stale }, data: { k: 'dGhyZWU=' } },
      }),
    );
    expect(error).toMatchObject({ httpCode: 409, reason: 'Conflict' });
    const current = await core.readNamespacedSecret({ name: 'key', namespace: ns });
    expect(Buffer.from(current.data!.k!, 'base64').toString()).toBe('two');
  });

  it('gives a Deployment a ReplicaSet and Pods through the real controller-manager', async () => {
    const ns = await namespace(cluster(2), 'rollout');
    const { core, apps } = clients(cluster(2));
    const deployment = await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'example/web:1' }] },
          },
        },
      },
    });
    const replicaSet = await eventually('a ReplicaSet owned by the Deployment', async () => {
      const list = await apps.listNamespacedReplicaSet({ namespace: ns });
      return list.items.find((rs) => rs.metadata?.ownerReferences?.[0]?.uid === deployment.metadata!.uid);
    });
    const pods = await eventually('two Pods owned by the ReplicaSet', async () => {
      const list = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' });
      const owned = list.items.filter((p) => p.metadata?.ownerReferences?.[0]?.uid === replicaSet.metadata!.uid);
      return owned.length === 2 && owned;
    });
    // The API server defaulted the pod template as a real one does.
    expect(pods[0]!.spec!.restartPolicy).toBe('Always');
    expect(pods[0]!.spec!.serviceAccountName).toBe('default');
    await eventually('the Deployment status to observe generation 1', async () => {
      const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
      return d.status?.observedGeneration === 1 && d.status.replicas === 2;
    });
  });

  it('denies an unprivileged ServiceAccount token with 403 and allows it after a RoleBinding', async () => {
    const ns = await namespace(cluster(3), 'rbac');
    const admin = clients(cluster(3));
    await admin.core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'reader' } } });
    const tokenRequest = await admin.core.createNamespacedServiceAccountToken({
      name: 'reader',
      namespace: ns,
      body: { spec: { audiences: [], expirationSeconds: 600 } },
    });
    const reader = clients(cluster(3), { token: tokenRequest.status!.token });

    const denied = await expectApiError(reader.core.listNamespacedConfigMap({ namespace: ns }));
    expect(denied).toMatchObject({ httpCode: 403, reason: 'Forbidden' });
    expect(denied.message).toContain('system:serviceaccount:rbac:reader');

    await admin.rbac.createNamespacedRole({
      namespace: ns,
      body: {
        metadata: { name: 'read-configmaps' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
      },
    });
    await admin.rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-configmaps' },
        subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }],
      },
    });
    // The RBAC authorizer reads bindings from an informer: allowed a moment after the write.
    const allowed = await eventually('the RoleBinding to take effect', () =>
      reader.core.listNamespacedConfigMap({ namespace: ns }),
    );
    expect(allowed.items.map((c) => c.metadata?.name)).toContain('kube-root-ca.crt');
    const stillDenied = await expectApiError(reader.core.listNamespacedSecret({ namespace: ns }));
    expect(stillDenied.httpCode).toBe(403);
  });

  it('accepts a Node registered with its node client certificate and schedules a pod onto it', async () => {
    const c = cluster(1);
    const node = c.nodes[0]!;
    const asNode = clients(c, { certFile: node.clientCertFile, keyFile: node.clientKeyFile });
    const now = new Date();
    const nodeBody = (name: string): k8s.V1Node => ({
      metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' } },
      spec: { podCIDR: node.podCidr, podCIDRs: [node.podCidr] },
      status: {
        capacity: { cpu: '4', memory: '8Gi', pods: '110' },
        allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'KubeletReady',
            message: 'registered by the test',
            lastHeartbeatTime: now,
            lastTransitionTime: now,
          },
        ],
        addresses: [
          { type: 'InternalIP', address: node.address },
          { type: 'Hostname', address: name },
        ],
        daemonEndpoints: { kubeletEndpoint: { Port: node.kubeletPort } },
      },
    });
    // NodeRestriction: a kubelet may register only itself.
    const impostor = await expectApiError(asNode.core.createNode({ body: nodeBody('cluster-1-node-9') }));
    expect(impostor.httpCode).toBe(403);
    const registered = await asNode.core.createNode({ body: nodeBody(node.name) });
    expect(registered.status?.addresses).toContainEqual({ type: 'InternalIP', address: node.address });

    const ns = await namespace(c, 'scheduling');
    const admin = clients(c);
    await admin.core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: 'pinned' },
        spec: { containers: [{ name: 'app', image: 'example/app:1', resources: { requests: { cpu: '100m' } } }] },
      },
    });
    const bound = await eventually('the scheduler to bind the pod', async () => {
      const pod = await admin.core.readNamespacedPod({ name: 'pinned', namespace: ns });
      return pod.spec?.nodeName && pod;
    });
    expect(bound.spec!.nodeName).toBe(node.name);
    expect(bound.status?.conditions).toContainEqual(expect.objectContaining({ type: 'PodScheduled', status: 'True' }));
    // The node identity may read the pod bound to it (Node authorizer), not pods elsewhere.
    await asNode.core.readNamespacedPod({ name: 'pinned', namespace: ns });
  });

  it('rejects a Lease MicroTime with 3 fractional digits (400) and accepts 6', async () => {
    const c = cluster(2);
    const lease = (name: string, time: string) => ({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name },
      spec: { holderIdentity: 'test', leaseDurationSeconds: 30, acquireTime: time, renewTime: time },
    });
    const path = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
    const millis = await rawRequest(c, 'POST', path, lease('millis', '2026-12-02T04:00:50.446Z'));
    expect(millis.status).toBe(400);
    expect(millis.body).toContain('parsing time');
    expect(millis.body).toContain('2006-01-02T15:04:05.000000Z07:00');
    const micros = await rawRequest(c, 'POST', path, lease('micros', '2026-12-02T04:00:50.446000Z'));
    expect(micros.status).toBe(201);
    expect(JSON.parse(micros.body)).toMatchObject({ spec: { acquireTime: '2026-12-02T04:00:50.446000Z' } });
  });
});
