/**
 * The node agent on a real control plane (kube-apiserver, controller-manager and scheduler
 * v1.34.4): it registers its Node with a Lease, runs the pods the real scheduler binds to it with
 * the same programs as kube-sim, reports their status, serves pods/log to the API server through
 * its kubelet API, serves the programs' HTTP on pod IPs for services/proxy, and terminates deleted
 * pods. Everything goes through the real API server, authenticated as an admin or as the Node.
 */
import * as k8s from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerContext } from '../../src/sim/kube/index.js';
import { startRealFleet, type RealCluster, type RealFleet } from '../../src/sim/node/index.js';
import { startCloudSim, cloudSimBackend, prepareCloudForLayout, type CloudSim } from '../../src/sim/cloud/index.js';
import { bindKubecostPrograms, installLayout } from '../../src/sim/kubecost/index.js';
import { deployment, expectApiError, mergePatch, secret, waitFor } from '../support/kube.js';
import { startControlPlane, type ControlPlane } from './support/control-plane.js';

const NS = 'agent';
const SYNC_DELAY_MS = 1500;

let plane: ControlPlane;
let fleet: RealFleet;
let cluster: RealCluster;
let core: k8s.CoreV1Api;
let kc: k8s.KubeConfig;
const agentErrors: string[] = [];
let failed = false;

afterEach(({ task }) => {
  if (task.result?.state === 'fail') failed = true;
});

beforeAll(async () => {
  plane = await startControlPlane({ clusters: 3 });
  fleet = await startRealFleet(plane, { syncDelayMs: SYNC_DELAY_MS, onError: (m) => agentErrors.push(m) });
  cluster = fleet.cluster('cluster-1');
  kc = cluster.kubeConfig();
  core = kc.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NS } } });
});

afterAll(async () => {
  await fleet?.stop();
  // Keep every component's log when something failed.
  await plane?.stop({ keep: failed || agentErrors.length > 0 });
});

function kubectl(...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      'kubectl',
      [`--kubeconfig=${plane.kubeconfig}`, '--context=cluster-1', ...args],
      { timeout: 120_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

/** Binds a program to a workload and resolves with the context of its first container start. */
function captureStart(workload: string): Promise<ContainerContext> {
  return new Promise((resolve) => {
    cluster.kubelet.bind({ workload, program: (ctx) => resolve(ctx) });
  });
}

async function podsOf(app: string): Promise<k8s.V1Pod[]> {
  return (await core.listNamespacedPod({ namespace: NS, labelSelector: `app=${app}` })).items;
}

async function readyPod(app: string): Promise<k8s.V1Pod> {
  return waitFor(
    `a Ready pod of ${app}`,
    async () =>
      (await podsOf(app)).find(
        (p) =>
          !p.metadata?.deletionTimestamp &&
          p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      ),
    60_000,
  );
}

const text = (bytes: Buffer | undefined) => bytes?.toString('utf8');

describe('the Node', () => {
  it('registers as a Ready Node with its kubelet endpoint and pod CIDR, and renews its Lease with MicroTime', async () => {
    const spec = plane.clusters[0]?.nodes[0];
    const node = await core.readNode({ name: spec?.name ?? '' });
    expect(node.status?.addresses).toContainEqual({ type: 'InternalIP', address: spec?.address });
    expect(node.status?.daemonEndpoints?.kubeletEndpoint?.Port).toBe(spec?.kubeletPort);
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(node.status?.allocatable).toMatchObject({ cpu: '8', pods: '110' });
    expect(node.spec?.podCIDR).toBe(spec?.podCidr);
    const { status, body } = await rawGet(
      `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${spec?.name}`,
    );
    expect(status).toBe(200);
    const lease = JSON.parse(body) as { spec: { holderIdentity: string; renewTime: string } };
    expect(lease.spec.holderIdentity).toBe(spec?.name);
    expect(lease.spec.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it('serves the kubelet API only to clients with a certificate of the cluster CA, worded as the kubelet', async () => {
    const spec = plane.clusters[0];
    const node = spec?.nodes[0];
    if (!spec || !node) throw new Error('no node planned');
    await expect(kubeletGet(node.address, node.kubeletPort, '/healthz', undefined)).rejects.toThrow();
    const client = { cert: readFileSync(spec.adminCertFile), key: readFileSync(spec.adminKeyFile) };
    expect(await kubeletGet(node.address, node.kubeletPort, '/healthz', client)).toEqual({ status: 200, body: 'ok' });
    expect(await kubeletGet(node.address, node.kubeletPort, `/containerLogs/${NS}/nope/app`, client)).toEqual({
      status: 404,
      body: 'pod "nope" does not exist',
    });
    expect(await kubeletGet(node.address, node.kubeletPort, `/containerLogs/${NS}/nope`, client)).toEqual({
      status: 400,
      body: '{"message": "Missing container name."}',
    });
  });
});

describe('pods the real scheduler binds to the node', () => {
  it('runs a Deployment until `kubectl rollout status` succeeds, reporting status as a kubelet does', async () => {
    cluster.kubelet.bind({ workload: 'Deployment/web', program: (ctx) => ctx.log(`serving ${ctx.podName}`) });
    cluster.apply(deployment({ name: 'web', namespace: NS, replicas: 2 }));
    await cluster.settled();
    const rollout = await kubectl('rollout', 'status', '-n', NS, 'deployment/web', '--timeout=90s');
    expect(rollout).toMatchObject({ code: 0 });
    expect(rollout.out).toContain('deployment "web" successfully rolled out');
    const node = plane.clusters[0]?.nodes[0];
    const pods = (await podsOf('web')).filter((p) => !p.metadata?.deletionTimestamp);
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      expect(pod.spec?.nodeName).toBe(node?.name);
      expect(pod.status?.phase).toBe('Running');
      expect(pod.status?.hostIP).toBe(node?.address);
      expect(pod.status?.podIP).toMatch(/^10\.244\.1\.\d+$/);
      expect(pod.status?.startTime).toBeDefined();
      const types = Object.fromEntries((pod.status?.conditions ?? []).map((c) => [c.type, c.status]));
      expect(types).toMatchObject({
        PodScheduled: 'True',
        Initialized: 'True',
        ContainersReady: 'True',
        Ready: 'True',
      });
      expect(pod.status?.containerStatuses?.[0]).toMatchObject({ name: 'app', ready: true, restartCount: 0 });
      expect(pod.status?.containerStatuses?.[0]?.state?.running?.startedAt).toBeDefined();
    }
    expect(new Set(pods.map((p) => p.status?.podIP)).size).toBe(2);
    // A restart replaces both pods: the old ones are stopped and removed by the agent.
    const before = new Set(pods.map((p) => p.metadata?.uid));
    expect(await kubectl('rollout', 'restart', '-n', NS, 'deployment/web')).toMatchObject({ code: 0 });
    expect(await kubectl('rollout', 'status', '-n', NS, 'deployment/web', '--timeout=90s')).toMatchObject({ code: 0 });
    await waitFor(
      'the old pods to be gone',
      async () => (await podsOf('web')).every((p) => !before.has(p.metadata?.uid)),
      60_000,
    );
  });

  it('updates a volume-mounted Secret file after the sync delay, but never a subPath mount or env', async () => {
    cluster.apply(secret('creds', NS, { 'key.json': '{"v":1}', id: 'AKIAOLD' }));
    const started = captureStart('Deployment/mounts');
    cluster.apply(
      deployment({
        name: 'mounts',
        namespace: NS,
        containers: [
          {
            name: 'app',
            image: 'x',
            volumeMounts: [
              { name: 'creds', mountPath: '/etc/creds' },
              { name: 'creds', mountPath: '/etc/frozen/key.json', subPath: 'key.json' },
            ],
            env: [{ name: 'KEY_ID', valueFrom: { secretKeyRef: { name: 'creds', key: 'id' } } }],
          },
        ],
        volumes: [{ name: 'creds', secret: { secretName: 'creds' } }],
      }),
    );
    await cluster.settled();
    const ctx = await started;
    expect(text(ctx.readFile('/etc/creds/key.json'))).toBe('{"v":1}');
    expect(text(ctx.readFile('/etc/frozen/key.json'))).toBe('{"v":1}');
    expect(ctx.env.KEY_ID).toBe('AKIAOLD');
    // The service account token the API server's admission injected, fetched through TokenRequest.
    expect(text(ctx.readFile('/var/run/secrets/kubernetes.io/serviceaccount/namespace'))).toBe(NS);
    expect(text(ctx.readFile('/var/run/secrets/kubernetes.io/serviceaccount/token'))).toMatch(
      /^ey[\w-]+\.[\w-]+\.[\w-]+$/,
    );

    const changed = Date.now();
    await core.patchNamespacedSecret(
      {
        name: 'creds',
        namespace: NS,
        body: { stringData: { 'key.json': '{"v":2}', id: 'AKIANEW' } },
      },
      mergePatch,
    );
    await waitFor('the mounted file to change', () => text(ctx.readFile('/etc/creds/key.json')) === '{"v":2}', 30_000);
    expect(Date.now() - changed).toBeGreaterThanOrEqual(SYNC_DELAY_MS - 50);
    expect(text(ctx.readFile('/etc/creds/id'))).toBe('AKIANEW');
    expect(text(ctx.readFile('/etc/frozen/key.json'))).toBe('{"v":1}');
    expect(ctx.env.KEY_ID).toBe('AKIAOLD');
  });

  it('reports CreateContainerConfigError while an env secretKeyRef names a missing key', async () => {
    cluster.apply(secret('partial', NS, { present: 'x' }));
    cluster.apply(
      deployment({
        name: 'badenv',
        namespace: NS,
        containers: [
          {
            name: 'app',
            image: 'x',
            env: [{ name: 'K', valueFrom: { secretKeyRef: { name: 'partial', key: 'absent' } } }],
          },
        ],
      }),
    );
    await cluster.settled();
    const waiting = await waitFor(
      'CreateContainerConfigError',
      async () => {
        const state = (await podsOf('badenv'))[0]?.status?.containerStatuses?.[0]?.state?.waiting;
        return state?.reason === 'CreateContainerConfigError' && state;
      },
      60_000,
    );
    expect(waiting.message).toBe(`couldn't find key absent in Secret ${NS}/partial`);
  });

  it('terminates a deleted pod within its grace period and removes it, stopping its program', async () => {
    let signal: AbortSignal | undefined;
    cluster.kubelet.bind({
      workload: 'Deployment/doomed',
      program: (ctx) => {
        signal ??= ctx.signal;
      },
    });
    cluster.apply(deployment({ name: 'doomed', namespace: NS }));
    await cluster.settled();
    const pod = await readyPod('doomed');
    const name = pod.metadata?.name ?? '';
    await core.deleteNamespacedPod({ name, namespace: NS, gracePeriodSeconds: 20 });
    await waitFor(
      'the pod to be gone',
      async () =>
        (await expectApiError(core.readNamespacedPod({ name, namespace: NS })).catch(() => undefined))?.httpCode ===
        404,
      15_000,
    );
    expect(signal?.aborted).toBe(true);
    // The ReplicaSet controller replaces it, and the agent runs the replacement.
    const replacement = await readyPod('doomed');
    expect(replacement.metadata?.name).not.toBe(name);
  });
});

describe('pods/log through the real API server', () => {
  let podName = '';

  beforeAll(async () => {
    cluster.kubelet.bind({
      workload: 'Deployment/logger',
      program: (ctx) => {
        for (let i = 1; i <= 10; i++) ctx.log(`line ${i}`);
      },
    });
    cluster.kubelet.bind({
      workload: 'Deployment/ticker',
      program: (ctx) => {
        let n = 0;
        ctx.every(200, () => ctx.log(`tick ${++n}`));
      },
    });
    cluster.apply(deployment({ name: 'logger', namespace: NS }));
    cluster.apply(deployment({ name: 'ticker', namespace: NS }));
    await cluster.settled();
    podName = (await readyPod('logger')).metadata?.name ?? '';
  });

  it('serves the whole log, tailLines, limitBytes and timestamps as the kubelet writes them', async () => {
    const all = await core.readNamespacedPodLog({ name: podName, namespace: NS });
    expect(all).toBe(Array.from({ length: 10 }, (_, i) => `line ${i + 1}\n`).join(''));
    expect(await core.readNamespacedPodLog({ name: podName, namespace: NS, tailLines: 3 })).toBe(
      'line 8\nline 9\nline 10\n',
    );
    expect(await core.readNamespacedPodLog({ name: podName, namespace: NS, limitBytes: 9 })).toBe('line 1\nli');
    const stamped = await core.readNamespacedPodLog({ name: podName, namespace: NS, tailLines: 1, timestamps: true });
    expect(stamped).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line 10\n$/);
  });

  it('answers a bad container name and a missing previous instance with the API server and kubelet words', async () => {
    const wrong = await expectApiError(core.readNamespacedPodLog({ name: podName, namespace: NS, container: 'nope' }));
    expect(wrong).toMatchObject({ httpCode: 400, message: `container nope is not valid for pod ${podName}` });
    const previous = await expectApiError(core.readNamespacedPodLog({ name: podName, namespace: NS, previous: true }));
    expect(previous).toMatchObject({
      httpCode: 400,
      message: `previous terminated container "app" in pod "${podName}" not found`,
    });
  });

  it('serves only lines at or after sinceTime, which the API server passes on with second precision', async () => {
    const ticker = (await readyPod('ticker')).metadata?.name ?? '';
    await waitFor(
      'a few ticks',
      async () => (await core.readNamespacedPodLog({ name: ticker, namespace: NS })).split('\n').length > 8,
    );
    const since = new Date();
    await new Promise((r) => setTimeout(r, 1200));
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const finished = new Promise((r) => out.on('finish', r));
    await new k8s.Log(kc).log(NS, ticker, 'app', out, { sinceTime: since.toISOString(), timestamps: true });
    await finished;
    const stamps = Buffer.concat(chunks)
      .toString('utf8')
      .trimEnd()
      .split('\n')
      .map((l) => Date.parse(l.split(' ')[0] ?? ''));
    const floor = Math.floor(since.getTime() / 1000) * 1000;
    expect(stamps.length).toBeGreaterThanOrEqual(4);
    expect(Math.min(...stamps)).toBeGreaterThanOrEqual(floor);
    expect(Math.min(...stamps)).toBeLessThan(floor + 1000 + 250);
  });

  it('streams new lines with follow until the client stops', async () => {
    const ticker = (await readyPod('ticker')).metadata?.name ?? '';
    const out = new PassThrough();
    const got: string[] = [];
    const twoNew = new Promise<void>((resolve) =>
      out.on('data', (c: Buffer) => {
        got.push(...c.toString('utf8').split('\n').filter(Boolean));
        if (got.length >= 3) resolve();
      }),
    );
    const controller = await new k8s.Log(kc).log(NS, ticker, 'app', out, { follow: true, tailLines: 1 });
    await twoNew;
    controller.abort();
    const numbers = got.map((l) => Number(/^tick (\d+)$/.exec(l)?.[1]));
    expect(numbers.every(Number.isFinite)).toBe(true);
    expect(numbers.slice(0, 3)).toEqual([numbers[0], (numbers[0] ?? 0) + 1, (numbers[0] ?? 0) + 2]);
  });

  it('reports CrashLoopBackOff with restarts, and serves the crashed instance as the previous log', async () => {
    let starts = 0;
    cluster.kubelet.bind({
      workload: 'Deployment/crasher',
      program: (ctx) => {
        starts += 1;
        ctx.log(`attempt ${starts}`);
        throw new Error('objstore config: field sercret_key not found in type s3.Config');
      },
    });
    cluster.apply(deployment({ name: 'crasher', namespace: NS }));
    await cluster.settled();
    const pod = await waitFor(
      'a crash loop',
      async () => {
        const p = (await podsOf('crasher'))[0];
        const s = p?.status?.containerStatuses?.[0];
        return (s?.restartCount ?? 0) >= 2 && s?.state?.waiting?.reason === 'CrashLoopBackOff' && p;
      },
      60_000,
    );
    const status = pod.status?.containerStatuses?.[0];
    expect(status?.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    const previous = await core.readNamespacedPodLog({ name: pod.metadata?.name ?? '', namespace: NS, previous: true });
    expect(previous).toMatch(/^attempt \d+\nfatal: objstore config: field sercret_key not found in type s3\.Config\n$/);
    const kubectlPrevious = await kubectl('logs', '-n', NS, pod.metadata?.name ?? '', '--previous');
    expect(kubectlPrevious.out).toContain('fatal: objstore config');
  });
});

describe('services/proxy through the real API server', () => {
  it("reaches a program's HTTP handler on its pod IP through the Service's endpoints", async () => {
    cluster.kubelet.bind({
      workload: 'Deployment/status',
      program: (ctx) =>
        ctx.serve(9003, (req) =>
          req.path === '/model/cloudCost/status'
            ? { status: 200, body: { code: 200, data: [{ key: 'aws-1', connectionStatus: 'Connection Successful' }] } }
            : { status: 404, body: '404 page not found\n' },
        ),
    });
    cluster.apply(
      deployment({
        name: 'status',
        namespace: NS,
        containers: [{ name: 'cost-model', image: 'x', ports: [{ name: 'tcp-model', containerPort: 9003 }] }],
      }),
    );
    cluster.apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'status', namespace: NS },
      spec: { selector: { app: 'status' }, ports: [{ name: 'tcp-model', port: 9003, targetPort: 'tcp-model' }] },
    });
    await cluster.settled();
    await readyPod('status');
    const answer: unknown = await waitFor(
      'the proxied status',
      () =>
        core.connectGetNamespacedServiceProxyWithPath({
          name: 'status:tcp-model',
          namespace: NS,
          path: 'model/cloudCost/status',
        }),
      30_000,
    );
    expect(answer).toMatchObject({ data: [{ connectionStatus: 'Connection Successful' }] });
    const missing = await expectApiError(
      core.connectGetNamespacedServiceProxyWithPath({ name: 'status:9003', namespace: NS, path: 'nothing/here' }),
    );
    expect(missing.httpCode).toBe(404);
  });
});

describe('a Kubecost layout on the real control plane', () => {
  let cloud: CloudSim | undefined;

  afterAll(async () => {
    await cloud?.stop();
  });

  it('v2-federated with the Kubecost programs and the emulated clouds comes up with every pod Ready', async () => {
    cloud = await startCloudSim();
    const backend = cloudSimBackend(cloud);
    for (const c of fleet.clusters) bindKubecostPrograms(c, backend, { intervalMs: 1000 });
    const layout = installLayout(fleet, 'v2-federated');
    prepareCloudForLayout(cloud, layout, backend.alibabaKeys);
    await fleet.settled();
    for (const c of fleet.clusters) {
      const api = c.kubeConfig().makeApiClient(k8s.CoreV1Api);
      const pods = await waitFor(
        `every Kubecost pod of ${c.name} Ready`,
        async () => {
          const items = (await api.listNamespacedPod({ namespace: 'kubecost' })).items.filter(
            (p) => !p.metadata?.deletionTimestamp,
          );
          return (
            items.length > 0 &&
            items.every((p) => p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')) &&
            items
          );
        },
        120_000,
      );
      expect(pods.length).toBeGreaterThanOrEqual(2);
    }
    // The primary's cloud-cost reaches every billing integration through the emulated clouds.
    const primary = fleet.cluster('cluster-1').kubeConfig().makeApiClient(k8s.CoreV1Api);
    const status = await waitFor(
      'every integration connected',
      async () => {
        const answer = (await primary.connectGetNamespacedServiceProxyWithPath({
          name: 'kubecost-cloud-cost:9005',
          namespace: 'kubecost',
          path: 'cloudCost/status',
        })) as unknown as { data?: { connectionStatus?: string }[] };
        return (
          (answer.data ?? []).length === 3 &&
          answer.data?.every((d) => d.connectionStatus === 'Connection Successful') &&
          answer
        );
      },
      60_000,
    );
    expect(status.data).toHaveLength(3);
    backend.close();
  });

  it('recorded no background failure in any node agent (no denial by Node authorization, no failed write)', () => {
    expect(agentErrors).toEqual([]);
  });
});

// ------------------------------------------------------------------------------------ raw requests

function rawGet(path: string): Promise<{ status: number; body: string }> {
  const spec = plane.clusters[0];
  if (!spec) throw new Error('no cluster');
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, spec.server),
      { ca: readFileSync(spec.caFile), headers: { authorization: `Bearer ${spec.adminToken}` }, timeout: 15_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function kubeletGet(
  address: string,
  port: number,
  path: string,
  client: { cert: Buffer; key: Buffer } | undefined,
): Promise<{ status: number; body: string }> {
  const kubeletCa = readFileSync(plane.clusters[0]?.kubeletCaFile ?? '');
  return new Promise((resolve, reject) => {
    const req = request({ host: address, port, path, ca: kubeletCa, ...(client ?? {}), timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
