/**
 * Test controls of kube-sim: injected faults and RBAC-style denials, as the client sees them.
 */
import * as k8s from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet, type SimCluster } from '../../src/sim/kube/index.js';
import { clientsFor, expectApiError, mergePatch, secret } from '../support/kube.js';

let fleet: Fleet;
let cluster: SimCluster;
let admin: ReturnType<typeof clientsFor>;

beforeAll(async () => {
  fleet = await startFleet({ clusters: 2 });
  cluster = fleet.cluster('cluster-1');
  admin = clientsFor(fleet, 'cluster-1');
  await admin.core.createNamespace({ body: { metadata: { name: 'kubecost' } } });
  await admin.core.createNamespacedSecret({
    namespace: 'kubecost',
    body: secret('cloud-integration', 'kubecost', { 'cloud-integration.json': '{}' }),
  });
});

afterEach(() => {
  cluster.faults.clear();
  cluster.access.clearDenies();
});

afterAll(async () => {
  await fleet.stop();
});

const readSecret = (client = admin) =>
  client.core.readNamespacedSecret({ name: 'cloud-integration', namespace: 'kubecost' });

describe('fault injection', () => {
  it('answers matching requests with the injected status for the given count, then normally', async () => {
    const fault = cluster.faults.add({ verb: 'get', resource: 'secrets', status: 500, count: 2 });
    expect((await expectApiError(readSecret())).httpCode).toBe(500);
    const second = await expectApiError(readSecret());
    expect(second).toMatchObject({ httpCode: 500, kind: 'Status', reason: 'InternalError', code: 500 });
    await expect(readSecret()).resolves.toMatchObject({ metadata: { name: 'cloud-integration' } });
    expect(fault.hits).toBe(2);
  });

  it('applies a fault only to the verb, resource and name it selects', async () => {
    cluster.faults.add({ verb: 'patch', resource: 'secrets', name: 'cloud-integration', status: 503 });
    await expect(readSecret()).resolves.toBeDefined();
    await expect(admin.core.listNamespacedConfigMap({ namespace: 'kubecost' })).resolves.toBeDefined();
    const error = await expectApiError(
      admin.core.patchNamespacedSecret(
        { name: 'cloud-integration', namespace: 'kubecost', body: { metadata: { labels: { a: 'b' } } } },
        mergePatch,
      ),
    );
    expect(error).toMatchObject({ httpCode: 503, reason: 'ServiceUnavailable' });
    // The failed patch changed nothing.
    expect((await readSecret()).metadata?.labels).toBeUndefined();
  });

  it('delays a response by the injected latency', async () => {
    cluster.faults.add({ verb: 'get', resource: 'secrets', latencyMs: 300, count: 1 });
    const start = Date.now();
    await readSecret();
    expect(Date.now() - start).toBeGreaterThanOrEqual(290);
    const again = Date.now();
    await readSecret();
    expect(Date.now() - again).toBeLessThan(250);
  });

  it('drops the connection without an answer', async () => {
    cluster.faults.add({ verb: 'get', resource: 'secrets', drop: true, count: 1 });
    const error = await readSecret().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(k8s.ApiException);
    expect(String((error as Error).message)).toMatch(/socket hang up|ECONNRESET|other side closed|network/i);
    await expect(readSecret()).resolves.toBeDefined();
  });

  it('applies a fault with the given probability', async () => {
    const fault = cluster.faults.add({ verb: 'list', resource: 'configmaps', status: 500, probability: 0.5 });
    let failed = 0;
    for (let i = 0; i < 200; i++) {
      try {
        await admin.core.listNamespacedConfigMap({ namespace: 'kubecost' });
      } catch {
        failed += 1;
      }
    }
    expect(fault.hits).toBe(failed);
    expect(failed).toBeGreaterThan(55);
    expect(failed).toBeLessThan(145);
  });

  it('faults one cluster only', async () => {
    cluster.faults.add({ status: 500 });
    const other = clientsFor(fleet, 'cluster-2');
    await expect(other.core.listNamespace()).resolves.toBeDefined();
    expect((await expectApiError(admin.core.listNamespace())).httpCode).toBe(500);
  });
});

describe('429 Too Many Requests', () => {
  it('answers an injected 429 as the priority-and-fairness filter does: plain text with a Retry-After header', async () => {
    cluster.faults.add({ verb: 'get', resource: 'secrets', status: 429, retryAfterSeconds: 7, count: 1 });
    const error = await readSecret().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(k8s.ApiException);
    const apiError = error as k8s.ApiException<unknown>;
    expect(apiError.code).toBe(429);
    expect(apiError.headers['retry-after']).toBe('7');
    expect(apiError.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(String(apiError.body)).toBe('Too many requests, please try again later.\n');
    expect((await readSecret()).metadata?.name).toBe('cloud-integration');
  });

  it('answers a 429 with a TooManyRequests Status and details.retryAfterSeconds when a Status body is asked for', async () => {
    cluster.faults.add({
      verb: 'update',
      resource: 'secrets',
      status: 429,
      retryAfterSeconds: 3,
      statusBody: true,
      count: 1,
    });
    const current = await readSecret();
    const error = await admin.core
      .replaceNamespacedSecret({ name: 'cloud-integration', namespace: 'kubecost', body: current })
      .catch((e: unknown) => e);
    const apiError = error as k8s.ApiException<unknown>;
    expect(apiError.code).toBe(429);
    expect(apiError.headers['retry-after']).toBe('3');
    expect(JSON.parse(String(apiError.body))).toMatchObject({
      kind: 'Status',
      reason: 'TooManyRequests',
      code: 429,
      details: { retryAfterSeconds: 3 },
    });
  });

  it('defaults Retry-After to one second, and sends it with an injected 503 too', async () => {
    cluster.faults.add({ verb: 'get', resource: 'secrets', status: 429, count: 1 });
    cluster.faults.add({ verb: 'list', resource: 'secrets', status: 503, count: 1 });
    const tooMany = (await readSecret().catch((e: unknown) => e)) as k8s.ApiException<unknown>;
    expect(tooMany.headers['retry-after']).toBe('1');
    const unavailable = (await admin.core
      .listNamespacedSecret({ namespace: 'kubecost' })
      .catch((e: unknown) => e)) as k8s.ApiException<unknown>;
    expect(unavailable.code).toBe(503);
    expect(unavailable.headers['retry-after']).toBe('1');
  });
});

describe('RBAC-style denials', () => {
  it('forbids a user what a deny rule names, with the real Forbidden message, and allows the rest', async () => {
    const token = cluster.addUser('system:serviceaccount:kubecost:kubecost-rotate');
    const sa = clientsFor(fleet, 'cluster-1', token);
    cluster.access.deny({
      user: 'system:serviceaccount:kubecost:kubecost-rotate',
      verb: ['update', 'patch'],
      resource: 'secrets',
      namespace: 'kubecost',
    });
    await expect(readSecret(sa)).resolves.toBeDefined();
    const error = await expectApiError(
      sa.core.patchNamespacedSecret(
        { name: 'cloud-integration', namespace: 'kubecost', body: { metadata: { labels: { a: 'b' } } } },
        mergePatch,
      ),
    );
    expect(error).toMatchObject({
      httpCode: 403,
      kind: 'Status',
      reason: 'Forbidden',
      code: 403,
      message:
        'secrets "cloud-integration" is forbidden: User "system:serviceaccount:kubecost:kubecost-rotate" cannot patch resource "secrets" in API group "" in the namespace "kubecost"',
    });
    // The admin is not affected.
    await expect(
      admin.core.patchNamespacedSecret(
        { name: 'cloud-integration', namespace: 'kubecost', body: { metadata: { labels: { a: 'b' } } } },
        mergePatch,
      ),
    ).resolves.toBeDefined();
  });

  it('forbids a cluster-scoped list with the cluster-scope wording, until the rule is lifted', async () => {
    const lift = cluster.access.deny({ verb: 'list', resource: 'namespaces' });
    const error = await expectApiError(admin.core.listNamespace());
    expect(error.message).toBe(
      'namespaces is forbidden: User "kubernetes-admin" cannot list resource "namespaces" in API group "" at the cluster scope',
    );
    lift();
    await expect(admin.core.listNamespace()).resolves.toBeDefined();
  });

  it('refuses a revoked token with 401', async () => {
    const token = cluster.addUser('temporary');
    const client = clientsFor(fleet, 'cluster-1', token);
    await expect(client.core.listNamespace()).resolves.toBeDefined();
    cluster.access.revokeToken(token);
    expect((await expectApiError(client.core.listNamespace())).httpCode).toBe(401);
  });
});
