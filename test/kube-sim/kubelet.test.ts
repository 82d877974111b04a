/**
 * The kubelet and pod programs: what a container sees at start, how mounts follow Secret updates,
 * logs as pods/log serves them, HTTP through services/proxy, and failures a real kubelet reports.
 */
import * as k8s from '@kubernetes/client-node';
import { createServer, type Server } from 'node:http';
import { request } from 'node:https';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type ContainerContext, type Fleet, type SimCluster } from '../../src/sim/kube/index.js';
import { kubeletRequestHandler } from '../../src/sim/node/index.js';
import { clientsFor, deployment, expectApiError, mergePatch, secret, waitFor } from '../support/kube.js';

let fleet: Fleet;
let cluster: SimCluster;
let api: ReturnType<typeof clientsFor>;
const SYNC_DELAY_MS = 400;

beforeAll(async () => {
  fleet = await startFleet({
    clusters: 1,
    kubeletSyncDelayMs: SYNC_DELAY_MS,
    timing: { startMs: 10, readyMs: 10, terminateMs: 10 },
  });
  cluster = fleet.cluster('cluster-1');
  api = clientsFor(fleet, 'cluster-1');
  await api.core.createNamespace({ body: { metadata: { name: 'kubecost' } } });
});

afterAll(async () => {
  await fleet.stop();
});

/** Binds a program to a workload and resolves with the context of its first container start. */
function captureStart(workload: string, container?: string): Promise<ContainerContext> {
  return new Promise((resolve) => {
    cluster.kubelet.bind({ workload, ...(container ? { container } : {}), program: (ctx) => resolve(ctx) });
  });
}

const text = (bytes: Buffer | undefined) => bytes?.toString('utf8');

async function podOf(app: string): Promise<k8s.V1Pod> {
  return waitFor(`a running pod of ${app}`, async () =>
    (await api.core.listNamespacedPod({ namespace: 'kubecost', labelSelector: `app=${app}` })).items.find(
      (p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp,
    ),
  );
}

describe('what a container sees at start', () => {
  it('resolves secret volumes with items, projected volumes, subPath mounts, env secretKeyRef and envFrom', async () => {
    cluster.apply(secret('cloud-integration', 'kubecost', { 'cloud-integration.json': '{"aws":[]}', other: 'x' }));
    cluster.apply(secret('federated-store', 'kubecost', { 'federated-store.yaml': 'type: S3\n' }));
    cluster.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: 'kubecost' },
      data: { mode: 'etl' },
    });
    cluster.apply(secret('env-keys', 'kubecost', { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalr' }));
    const started = captureStart('Deployment/resolve', 'cost-model');
    cluster.apply(
      deployment({
        name: 'resolve',
        namespace: 'kubecost',
        containers: [
          {
            name: 'cost-model',
            image: 'kubecost/cost-model',
            volumeMounts: [
              { name: 'cloud-integration', mountPath: '/var/configs/cloud-integration' },
              {
                name: 'federated',
                mountPath: '/var/configs/etl/federated-store.yaml',
                subPath: 'federated-store.yaml',
              },
              { name: 'projected', mountPath: '/etc/projected' },
            ],
            env: [
              { name: 'CLUSTER_ID', value: 'prod-1' },
              { name: 'LABEL', value: 'cluster=$(CLUSTER_ID)' },
              { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'KEY_ID', valueFrom: { secretKeyRef: { name: 'env-keys', key: 'AWS_ACCESS_KEY_ID' } } },
              { name: 'OPTIONAL', valueFrom: { secretKeyRef: { name: 'absent', key: 'x', optional: true } } },
            ],
            envFrom: [{ secretRef: { name: 'env-keys' }, prefix: 'FROM_' }],
          },
        ],
        volumes: [
          {
            name: 'cloud-integration',
            secret: {
              secretName: 'cloud-integration',
              items: [{ key: 'cloud-integration.json', path: 'cloud-integration.json' }],
            },
          },
          { name: 'federated', secret: { secretName: 'federated-store' } },
          {
            name: 'projected',
            projected: {
              sources: [
                { secret: { name: 'env-keys', items: [{ key: 'AWS_ACCESS_KEY_ID', path: 'aws/id' }] } },
                { configMap: { name: 'settings' } },
              ],
            },
          },
        ],
      }),
    );
    const ctx = await started;
    // The ServiceAccount token mount every pod gets (as on a real API server) is not this test's subject.
    const token = '/var/run/secrets/kubernetes.io/serviceaccount/';
    expect([...ctx.files.keys()].filter((f) => f.startsWith(token)).sort()).toEqual([
      `${token}ca.crt`,
      `${token}namespace`,
      `${token}token`,
    ]);
    expect([...ctx.files.keys()].filter((f) => !f.startsWith(token)).sort()).toEqual([
      '/etc/projected/aws/id',
      '/etc/projected/mode',
      '/var/configs/cloud-integration/cloud-integration.json',
      '/var/configs/etl/federated-store.yaml',
    ]);
    expect(text(ctx.files.get('/var/configs/cloud-integration/cloud-integration.json'))).toBe('{"aws":[]}');
    expect(text(ctx.readFile('/var/configs/etl/federated-store.yaml'))).toBe('type: S3\n');
    expect(text(ctx.readFile('/etc/projected/aws/id'))).toBe('AKIAEXAMPLE');
    expect(ctx.env).toEqual({
      CLUSTER_ID: 'prod-1',
      LABEL: 'cluster=prod-1',
      POD_NAME: ctx.podName,
      KEY_ID: 'AKIAEXAMPLE',
      FROM_AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      FROM_AWS_SECRET_ACCESS_KEY: 'wJalr',
    });
  });

  it('updates volume mounts after the kubelet sync delay, and never subPath mounts or env', async () => {
    const ctx = await captureStartExisting('resolve');
    const before = Date.now();
    await api.core.patchNamespacedSecret(
      {
        name: 'cloud-integration',
        namespace: 'kubecost',
        body: { data: { 'cloud-integration.json': Buffer.from('{"aws":["new"]}').toString('base64') } },
      },
      mergePatch,
    );
    await api.core.patchNamespacedSecret(
      {
        name: 'federated-store',
        namespace: 'kubecost',
        body: { data: { 'federated-store.yaml': Buffer.from('type: GCS\n').toString('base64') } },
      },
      mergePatch,
    );
    await api.core.patchNamespacedSecret(
      {
        name: 'env-keys',
        namespace: 'kubecost',
        body: { data: { AWS_ACCESS_KEY_ID: Buffer.from('AKIANEW').toString('base64') } },
      },
      mergePatch,
    );
    expect(text(ctx.readFile('/var/configs/cloud-integration/cloud-integration.json'))).toBe('{"aws":[]}');
    await waitFor(
      'the mounted file to change',
      () => text(ctx.readFile('/var/configs/cloud-integration/cloud-integration.json')) === '{"aws":["new"]}',
    );
    expect(Date.now() - before).toBeGreaterThanOrEqual(SYNC_DELAY_MS - 20);
    expect(text(ctx.readFile('/etc/projected/aws/id'))).toBe('AKIANEW');
    expect(text(ctx.readFile('/var/configs/etl/federated-store.yaml'))).toBe('type: S3\n');
    expect(ctx.env.KEY_ID).toBe('AKIAEXAMPLE');
    // What was there at start stays what it was.
    expect(text(ctx.files.get('/var/configs/cloud-integration/cloud-integration.json'))).toBe('{"aws":[]}');
  });

  it('holds a pod in ContainerCreating with a FailedMount event while its Secret is missing, and starts it once it exists', async () => {
    cluster.apply(
      deployment({
        name: 'waits',
        namespace: 'kubecost',
        containers: [{ name: 'app', image: 'x', volumeMounts: [{ name: 's', mountPath: '/s' }] }],
        volumes: [{ name: 's', secret: { secretName: 'late-secret' } }],
      }),
    );
    const pod = await waitFor(
      'a waiting pod',
      async () => (await api.core.listNamespacedPod({ namespace: 'kubecost', labelSelector: 'app=waits' })).items[0],
    );
    const event = await waitFor(
      'FailedMount',
      async () =>
        (
          await api.core.listNamespacedEvent({
            namespace: 'kubecost',
            fieldSelector: `involvedObject.name=${pod.metadata?.name ?? ''},reason=FailedMount`,
          })
        ).items[0],
    );
    expect(event.message).toBe('MountVolume.SetUp failed for volume "s" : secret "late-secret" not found');
    expect(event.type).toBe('Warning');
    const read = await api.core.readNamespacedPod({ name: pod.metadata?.name ?? '', namespace: 'kubecost' });
    expect(read.status?.phase).toBe('Pending');
    expect(read.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ContainerCreating');
    cluster.apply(secret('late-secret', 'kubecost', { a: 'b' }));
    await waitFor(
      'the pod to run',
      async () =>
        (await api.core.readNamespacedPod({ name: pod.metadata?.name ?? '', namespace: 'kubecost' })).status?.phase ===
        'Running',
    );
  });

  it('reports CreateContainerConfigError when an env secretKeyRef names a missing key', async () => {
    cluster.apply(secret('partial', 'kubecost', { present: 'x' }));
    cluster.apply(
      deployment({
        name: 'badenv',
        namespace: 'kubecost',
        containers: [
          {
            name: 'app',
            image: 'x',
            env: [{ name: 'K', valueFrom: { secretKeyRef: { name: 'partial', key: 'absent' } } }],
          },
        ],
      }),
    );
    const waiting = await waitFor('CreateContainerConfigError', async () => {
      const pod = (await api.core.listNamespacedPod({ namespace: 'kubecost', labelSelector: 'app=badenv' })).items[0];
      const state = pod?.status?.containerStatuses?.[0]?.state?.waiting;
      return state?.reason === 'CreateContainerConfigError' && state;
    });
    expect(waiting.message).toBe("couldn't find key absent in Secret kubecost/partial");
  });
});

/** A GET as the cluster admin, answered with the status and the parsed JSON body. */
function rawGet(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, cluster.url),
      { ca: cluster.caPem, headers: { authorization: `Bearer ${cluster.adminToken}` } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The context of the running container of a workload that captureStart already bound. */
function captureStartExisting(app: string): Promise<ContainerContext> {
  return new Promise((resolve, reject) => {
    // Restarting the workload hands us the new container's context.
    cluster.kubelet.bind({ workload: `Deployment/${app}`, program: (ctx) => resolve(ctx) });
    api.apps
      .patchNamespacedDeployment(
        {
          name: app,
          namespace: 'kubecost',
          body: { spec: { template: { metadata: { annotations: { restarted: String(Date.now()) } } } } },
        },
        mergePatch,
      )
      .catch(reject);
  });
}

describe('logs', () => {
  beforeAll(async () => {
    cluster.kubelet.bind({
      workload: 'Deployment/logger',
      container: 'main',
      program: (ctx) => {
        ctx.log('starting');
        let n = 0;
        ctx.every(100, () => ctx.log(`tick ${++n}`));
      },
    });
    cluster.apply(
      deployment({
        name: 'logger',
        namespace: 'kubecost',
        containers: [
          { name: 'main', image: 'x' },
          { name: 'sidecar', image: 'y' },
        ],
      }),
    );
    await podOf('logger');
    await new Promise((r) => setTimeout(r, 450));
  });

  it('requires a container name for a pod with several containers, as the API server does', async () => {
    const pod = await podOf('logger');
    const error = await expectApiError(
      api.core.readNamespacedPodLog({ name: pod.metadata?.name ?? '', namespace: 'kubecost' }),
    );
    expect(error).toMatchObject({ httpCode: 400 });
    const wrong = await expectApiError(
      api.core.readNamespacedPodLog({ name: pod.metadata?.name ?? '', namespace: 'kubecost', container: 'nope' }),
    );
    expect(wrong.httpCode).toBe(400);
  });

  it('refuses log options as the real API server does (observed on v1.34.4): 400 for undecodable, 422 for invalid', async () => {
    const pod = await podOf('logger');
    const log = (query: string) =>
      rawGet(`/api/v1/namespaces/kubecost/pods/${pod.metadata?.name ?? ''}/log?container=main&${query}`);
    expect(await log('tailLines=abc')).toMatchObject({
      status: 400,
      body: { reason: 'BadRequest', message: 'strconv.ParseInt: parsing "abc": invalid syntax' },
    });
    expect(await log('tailLines=-1')).toMatchObject({
      status: 422,
      body: {
        reason: 'Invalid',
        message: `PodLogOptions "${pod.metadata?.name ?? ''}" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0`,
      },
    });
    expect(await log('limitBytes=0')).toMatchObject({ status: 422 });
    expect(await log('sinceSeconds=0')).toMatchObject({ status: 422 });
    expect(await log('sinceSeconds=5&sinceTime=2026-01-01T00:00:00Z')).toMatchObject({
      status: 422,
      body: {
        message: expect.stringContaining('at most one of `sinceTime` or `sinceSeconds` may be specified') as unknown,
      },
    });
    // Any value but "false" or "0" sets a flag.
    expect(await log('previous=yes')).toMatchObject({
      status: 400,
      body: { message: `previous terminated container "main" in pod "${pod.metadata?.name ?? ''}" not found` },
    });
  });

  it('serves tailLines and timestamps', async () => {
    const pod = await podOf('logger');
    const all = await api.core.readNamespacedPodLog({
      name: pod.metadata?.name ?? '',
      namespace: 'kubecost',
      container: 'main',
    });
    expect(all.split('\n')[0]).toBe('starting');
    const tail = await api.core.readNamespacedPodLog({
      name: pod.metadata?.name ?? '',
      namespace: 'kubecost',
      container: 'main',
      tailLines: 2,
      timestamps: true,
    });
    const lines = tail.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z tick \d+$/);
  });

  it('serves only lines at or after sinceTime, to the second as the real API server passes it on, and sinceSeconds', async () => {
    const pod = await podOf('logger');
    const since = new Date();
    await new Promise((r) => setTimeout(r, 250));
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const finished = new Promise((r) => out.on('finish', r));
    await new k8s.Log(api.kc).log('kubecost', pod.metadata?.name ?? '', 'main', out, {
      sinceTime: since.toISOString(),
      timestamps: true,
    });
    await finished;
    const stamps = Buffer.concat(chunks)
      .toString('utf8')
      .trimEnd()
      .split('\n')
      .map((line) => Date.parse(line.split(' ')[0] ?? ''));
    expect(stamps.length).toBeGreaterThanOrEqual(1);
    const second = Math.floor(since.getTime() / 1000) * 1000;
    expect(Math.min(...stamps)).toBeGreaterThanOrEqual(second);
    // The pod logged since it started, more than a second before: those earlier lines stay out.
    expect(Math.min(...stamps)).toBeLessThan(second + 1000);
    // Once the pod is older than a second, sinceSeconds=1 leaves out its first line.
    await new Promise((r) => setTimeout(r, 1100));
    const recent = await api.core.readNamespacedPodLog({
      name: pod.metadata?.name ?? '',
      namespace: 'kubecost',
      container: 'main',
      sinceSeconds: 1,
    });
    expect(recent).toMatch(/^tick \d+\n/);
    expect(recent).not.toContain('starting');
  });

  it('streams new lines with follow until the client stops', async () => {
    const pod = await podOf('logger');
    const out = new PassThrough();
    const got: string[] = [];
    const twoNew = new Promise<void>((resolve) =>
      out.on('data', (c: Buffer) => {
        got.push(...c.toString('utf8').split('\n').filter(Boolean));
        if (got.filter((l) => l.startsWith('tick')).length >= 2) resolve();
      }),
    );
    const controller = await new k8s.Log(api.kc).log('kubecost', pod.metadata?.name ?? '', 'main', out, {
      follow: true,
      sinceTime: new Date().toISOString(),
    });
    await twoNew;
    controller.abort();
    expect(got.slice(0, 2).every((l) => /^tick \d+$/.test(l))).toBe(true);
  });

  it('reports CrashLoopBackOff with the restart count, and serves the crashed instance as the previous log, as the kubelet does', async () => {
    let starts = 0;
    cluster.kubelet.bind({
      workload: 'Deployment/crasher',
      program: (ctx) => {
        starts += 1;
        ctx.log(`attempt ${starts}`);
        if (starts <= 2) throw new Error('objstore config: field sercret_key not found in type s3.Config');
      },
    });
    cluster.apply(deployment({ name: 'crasher', namespace: 'kubecost' }));
    const pod = await waitFor('a crash', async () => {
      const p = (await api.core.listNamespacedPod({ namespace: 'kubecost', labelSelector: 'app=crasher' })).items[0];
      return (p?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 && p;
    });
    const name = pod.metadata?.name ?? '';
    const status = pod.status?.containerStatuses?.[0];
    expect(status?.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(status?.state?.waiting?.reason).toBe('CrashLoopBackOff');
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
    const crashed = 'attempt 1\nfatal: objstore config: field sercret_key not found in type s3.Config\n';
    // While it backs off (1 s), the crashed instance is both what `logs` and `logs --previous` read.
    expect(await api.core.readNamespacedPodLog({ name, namespace: 'kubecost', previous: true })).toBe(crashed);
    expect(await api.core.readNamespacedPodLog({ name, namespace: 'kubecost' })).toBe(crashed);
    await waitFor('the third attempt', () => starts >= 3, 10_000);
    expect(await api.core.readNamespacedPodLog({ name, namespace: 'kubecost', previous: true })).toBe(
      'attempt 2\nfatal: objstore config: field sercret_key not found in type s3.Config\n',
    );
    expect(await api.core.readNamespacedPodLog({ name, namespace: 'kubecost' })).toBe('attempt 3\n');
    const restarted = await api.core.readNamespacedPod({ name, namespace: 'kubecost' });
    expect(restarted.status?.containerStatuses?.[0]?.restartCount).toBe(2);
  });
});

describe('services/proxy', () => {
  beforeAll(async () => {
    cluster.kubelet.bind({
      workload: 'Deployment/cost-model',
      program: (ctx) => {
        ctx.serve(9003, (req) => {
          if (req.path === '/model/cloudCost/status')
            return {
              status: 200,
              body: { code: 200, data: [{ key: 'aws-1', connectionStatus: 'Connection Successful' }] },
            };
          return { status: 404, body: '404 page not found\n' };
        });
      },
    });
    cluster.apply(
      deployment({
        name: 'cost-model',
        namespace: 'kubecost',
        containers: [{ name: 'cost-model', image: 'x', ports: [{ name: 'tcp-model', containerPort: 9003 }] }],
      }),
    );
    cluster.apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kubecost-cost-analyzer', namespace: 'kubecost' },
      spec: { selector: { app: 'cost-model' }, ports: [{ name: 'tcp-model', port: 9003, targetPort: 'tcp-model' }] },
    });
    await waitFor('cost-model ready', async () =>
      (await api.core.listNamespacedPod({ namespace: 'kubecost', labelSelector: 'app=cost-model' })).items.some((p) =>
        p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      ),
    );
  });

  it('reaches a container program through the service proxy, by port number or port name', async () => {
    // client-node parses a JSON answer itself, though the method is typed as returning a string.
    const byName: unknown = await api.core.connectGetNamespacedServiceProxyWithPath({
      name: 'kubecost-cost-analyzer:tcp-model',
      namespace: 'kubecost',
      path: 'model/cloudCost/status',
    });
    expect(byName).toMatchObject({ code: 200 });
    const byNumber: unknown = await api.core.connectGetNamespacedServiceProxyWithPath({
      name: 'kubecost-cost-analyzer:9003',
      namespace: 'kubecost',
      path: 'model/cloudCost/status',
    });
    expect(byNumber).toMatchObject({ data: [{ connectionStatus: 'Connection Successful' }] });
    const missing = await expectApiError(
      api.core.connectGetNamespacedServiceProxyWithPath({
        name: 'kubecost-cost-analyzer:9003',
        namespace: 'kubecost',
        path: 'nothing/here',
      }),
    );
    expect(missing.httpCode).toBe(404);
  });

  it('answers 503 when the service has no ready endpoint', async () => {
    cluster.apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'nobody', namespace: 'kubecost' },
      spec: { selector: { app: 'nothing-here' }, ports: [{ port: 80 }] },
    });
    const error = await expectApiError(
      api.core.connectGetNamespacedServiceProxyWithPath({ name: 'nobody', namespace: 'kubecost', path: 'x' }),
    );
    expect(error).toMatchObject({ httpCode: 503, message: 'no endpoints available for service "nobody"' });
  });

  it('marks a pod unready when its program says so, and the service then has no endpoint', async () => {
    let context: ContainerContext | undefined;
    cluster.kubelet.bind({
      workload: 'Deployment/flaky',
      program: (ctx) => {
        context = ctx;
        ctx.serve(80, () => ({ status: 200, body: 'ok' }));
      },
    });
    cluster.apply(deployment({ name: 'flaky', namespace: 'kubecost' }));
    cluster.apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'flaky', namespace: 'kubecost' },
      spec: { selector: { app: 'flaky' }, ports: [{ port: 80 }] },
    });
    await waitFor(
      'flaky to answer',
      async () =>
        (await api.core
          .connectGetNamespacedServiceProxyWithPath({ name: 'flaky', namespace: 'kubecost', path: '' })
          .catch(() => '')) === 'ok',
    );
    context?.setReady(false);
    await waitFor(
      'flaky unready',
      async () =>
        (
          await api.core.listNamespacedPod({ namespace: 'kubecost', labelSelector: 'app=flaky' })
        ).items[0]?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'False',
    );
    expect(
      (
        await expectApiError(
          api.core.connectGetNamespacedServiceProxyWithPath({ name: 'flaky', namespace: 'kubecost', path: '' }),
        )
      ).httpCode,
    ).toBe(503);
  });
});

describe('the kubelet API a real API server calls for pods/log', () => {
  let server: Server;
  let base = '';
  let pod = '';

  beforeAll(async () => {
    cluster.kubelet.bind({
      workload: 'Deployment/kubelet-api',
      program: (ctx) => {
        for (let i = 1; i <= 5; i++) ctx.log(`line ${i}`);
      },
    });
    cluster.apply(deployment({ name: 'kubelet-api', namespace: 'kubecost' }));
    pod = (await podOf('kubelet-api')).metadata?.name ?? '';
    // The handler is the one the node agent serves with TLS on a real node; plain HTTP on loopback here.
    server = createServer(kubeletRequestHandler(cluster.kubelet));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, body: await res.text() };
  };

  it('serves /containerLogs with tailLines, limitBytes and timestamps, and /healthz', async () => {
    expect(await get('/healthz')).toEqual({ status: 200, body: 'ok' });
    expect(await get(`/containerLogs/kubecost/${pod}/app?tailLines=2`)).toEqual({
      status: 200,
      body: 'line 4\nline 5\n',
    });
    expect(await get(`/containerLogs/kubecost/${pod}/app?limitBytes=9`)).toEqual({ status: 200, body: 'line 1\nli' });
    expect((await get(`/containerLogs/kubecost/${pod}/app?tail=1&timestamps=true`)).body).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line 5\n$/,
    );
  });

  it("answers unknown pods and containers, bad queries and missing instances in the kubelet's words", async () => {
    expect(await get('/containerLogs/kubecost/nope/app')).toEqual({ status: 404, body: 'pod "nope" does not exist' });
    expect(await get(`/containerLogs/kubecost/${pod}/nope`)).toEqual({
      status: 404,
      body: `container "nope" not found in pod "${pod}"`,
    });
    expect(await get(`/containerLogs/kubecost/${pod}`)).toEqual({
      status: 400,
      body: '{"message": "Missing container name."}',
    });
    expect(await get(`/containerLogs/kubecost/${pod}/app?tailLines=x`)).toEqual({
      status: 400,
      body: '{"message": "Unable to decode query."}',
    });
    expect(await get(`/containerLogs/kubecost/${pod}/app?sinceSeconds=1&sinceTime=2026-01-01T00:00:00Z`)).toEqual({
      status: 422,
      body: '{"message": "Invalid request."}',
    });
    expect(await get(`/containerLogs/kubecost/${pod}/app?previous=true`)).toEqual({
      status: 400,
      body: `previous terminated container "app" in pod "${pod}" not found`,
    });
  });
});
