/**
 * kube-sim through @kubernetes/client-node@1.4.0: the REST semantics our tool relies on.
 */
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../src/sim/kube/index.js';
import {
  clientsFor,
  expectApiError,
  mergePatch,
  secret,
  strategicMergePatch,
  deployment,
  waitFor,
  deploymentRolledOut,
} from '../support/kube.js';

let fleet: Fleet;
let c1: ReturnType<typeof clientsFor>;
let c2: ReturnType<typeof clientsFor>;

beforeAll(async () => {
  fleet = await startFleet({ clusters: 2 });
  c1 = clientsFor(fleet, 'cluster-1');
  c2 = clientsFor(fleet, 'cluster-2');
  await c1.core.createNamespace({ body: { metadata: { name: 'kubecost' } } });
});

afterAll(async () => {
  await fleet.stop();
});

describe('discovery', () => {
  it('serves /version, the core API versions and the API groups', async () => {
    const version = await c1.kc.makeApiClient(k8s.VersionApi).getCode();
    expect(version.major).toBe('1');
    const core = await c1.kc.makeApiClient(k8s.CoreApi).getAPIVersions();
    expect(core.versions).toEqual(['v1']);
    const groups = await c1.kc.makeApiClient(k8s.ApisApi).getAPIVersions();
    expect(groups.groups.map((g) => g.name).sort()).toEqual([
      'apps',
      'batch',
      'coordination.k8s.io',
      'discovery.k8s.io',
      'rbac.authorization.k8s.io',
    ]);
    const coreResources = await c1.core.getAPIResources();
    expect(coreResources.resources.map((r) => r.name)).toEqual(
      expect.arrayContaining(['secrets', 'pods', 'pods/log', 'services/proxy', 'events', 'configmaps', 'namespaces']),
    );
    const appsResources = await c1.apps.getAPIResources();
    expect(appsResources.resources.map((r) => r.name)).toEqual(
      expect.arrayContaining(['deployments', 'statefulsets', 'replicasets']),
    );
  });

  it('verifies TLS against the cluster CA and refuses an unknown token with 401', async () => {
    const bad = clientsFor(fleet, 'cluster-1', 'not-a-token');
    const error = await expectApiError(bad.core.listNamespace());
    expect(error.httpCode).toBe(401);
  });

  it('keeps clusters separate: each has its own port, CA, token and objects', async () => {
    await c1.core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'only-on-one' }, data: { a: '1' } },
    });
    const onTwo = await expectApiError(c2.core.readNamespacedConfigMap({ name: 'only-on-one', namespace: 'default' }));
    expect(onTwo.httpCode).toBe(404);
    expect(fleet.cluster('cluster-1').url).not.toBe(fleet.cluster('cluster-2').url);
    expect(fleet.cluster('cluster-1').caPem).not.toBe(fleet.cluster('cluster-2').caPem);
    // cluster-2's token is not valid on cluster-1
    const crossed = clientsFor(fleet, 'cluster-1', fleet.cluster('cluster-2').adminToken);
    expect((await expectApiError(crossed.core.listNamespace())).httpCode).toBe(401);
  });
});

describe('secrets and optimistic concurrency', () => {
  it('accepts stringData on create, stores it base64 in data, and never returns stringData', async () => {
    const created = await c1.core.createNamespacedSecret({
      namespace: 'kubecost',
      body: secret('s-create', 'kubecost', { 'key.json': '{"a":1}' }),
    });
    expect(created.data?.['key.json']).toBe(Buffer.from('{"a":1}').toString('base64'));
    expect(created.stringData).toBeUndefined();
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(created.metadata?.creationTimestamp as unknown as string)).not.toBeNaN();
    const read = await c1.core.readNamespacedSecret({ name: 's-create', namespace: 'kubecost' });
    expect(read.stringData).toBeUndefined();
    expect(read.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
  });

  it('bumps resourceVersion on every write and answers a stale replace with 409 Conflict', async () => {
    const created = await c1.core.createNamespacedSecret({
      namespace: 'kubecost',
      body: secret('s-rv', 'kubecost', { v: '1' }),
    });
    const rv1 = created.metadata?.resourceVersion ?? '';
    const updated = await c1.core.replaceNamespacedSecret({
      name: 's-rv',
      namespace: 'kubecost',
      body: { ...created, stringData: { v: '2' } },
    });
    const rv2 = updated.metadata?.resourceVersion ?? '';
    expect(Number(rv2)).toBeGreaterThan(Number(rv1));
    expect(Buffer.from(updated.data?.v ?? '', 'base64').toString()).toBe('2');

    const stale = await expectApiError(
      c1.core.replaceNamespacedSecret({
        name: 's-rv',
        namespace: 'kubecost',
        body: { ...created, stringData: { v: '3' } },
      }),
    );
    expect(stale).toMatchObject({
      httpCode: 409,
      kind: 'Status',
      reason: 'Conflict',
      code: 409,
      message:
        'Operation cannot be fulfilled on secrets "s-rv": the object has been modified; please apply your changes to the latest version and try again',
      details: { name: 's-rv', kind: 'secrets' },
    });
    const after = await c1.core.readNamespacedSecret({ name: 's-rv', namespace: 'kubecost' });
    expect(Buffer.from(after.data?.v ?? '', 'base64').toString()).toBe('2');
  });

  it('treats a resourceVersion in a merge patch as a precondition and applies a patch without one to the latest', async () => {
    const created = await c1.core.createNamespacedSecret({
      namespace: 'kubecost',
      body: secret('s-patch', 'kubecost', { a: 'x', b: 'y' }),
    });
    const rv = created.metadata?.resourceVersion ?? '';
    const patched = await c1.core.patchNamespacedSecret(
      {
        name: 's-patch',
        namespace: 'kubecost',
        body: { metadata: { resourceVersion: rv }, data: { a: Buffer.from('new').toString('base64') } },
      },
      mergePatch,
    );
    expect(Buffer.from(patched.data?.a ?? '', 'base64').toString()).toBe('new');
    expect(Buffer.from(patched.data?.b ?? '', 'base64').toString()).toBe('y');
    const stale = await expectApiError(
      c1.core.patchNamespacedSecret(
        { name: 's-patch', namespace: 'kubecost', body: { metadata: { resourceVersion: rv }, data: { a: 'eA==' } } },
        mergePatch,
      ),
    );
    expect(stale).toMatchObject({ httpCode: 409, reason: 'Conflict' });
    const removed = await c1.core.patchNamespacedSecret(
      { name: 's-patch', namespace: 'kubecost', body: { data: { b: null } } },
      mergePatch,
    );
    expect(Object.keys(removed.data ?? {})).toEqual(['a']);
  });

  it("applies a JSON patch (client-node's default patch type) and refuses a failed test op with 422", async () => {
    await c1.core.createNamespacedSecret({
      namespace: 'kubecost',
      body: secret('s-json-patch', 'kubecost', { a: 'x' }),
    });
    const patched = await c1.core.patchNamespacedSecret({
      name: 's-json-patch',
      namespace: 'kubecost',
      body: [{ op: 'replace', path: '/data/a', value: 'eQ==' }],
    });
    expect(patched.data?.a).toBe('eQ==');
    const error = await expectApiError(
      c1.core.patchNamespacedSecret({
        name: 's-json-patch',
        namespace: 'kubecost',
        body: [
          { op: 'test', path: '/data/a', value: 'not-it' },
          { op: 'replace', path: '/data/a', value: 'eg==' },
        ],
      }),
    );
    expect(error).toMatchObject({ httpCode: 422, kind: 'Status', reason: 'Invalid', code: 422 });
    const after = await c1.core.readNamespacedSecret({ name: 's-json-patch', namespace: 'kubecost' });
    expect(after.data?.a).toBe('eQ==');
  });

  it('rejects a patch whose content type is no patch type with 415', async () => {
    await c1.core.createNamespacedSecret({ namespace: 'kubecost', body: secret('s-415', 'kubecost', { a: 'x' }) });
    const error = await expectApiError(
      c1.core.patchNamespacedSecret(
        { name: 's-415', namespace: 'kubecost', body: { data: { a: 'eQ==' } } },
        k8s.setHeaderOptions('Content-Type', 'application/json'),
      ),
    );
    expect(error).toMatchObject({ httpCode: 415, kind: 'Status', reason: 'UnsupportedMediaType', code: 415 });
  });

  it('refuses a Secret whose data is over 1 MiB in total with 422 FieldValueTooLong, as the real server does, and keeps the old data', async () => {
    const created = await c1.core.createNamespacedSecret({
      namespace: 'kubecost',
      body: {
        metadata: { name: 's-big', namespace: 'kubecost' },
        data: { a: Buffer.alloc(1024 * 1024, 1).toString('base64') },
      },
    });
    const error = await expectApiError(
      c1.core.replaceNamespacedSecret({
        name: 's-big',
        namespace: 'kubecost',
        body: { ...created, data: { ...created.data, b: Buffer.from('x').toString('base64') } },
      }),
    );
    expect(error).toMatchObject({
      httpCode: 422,
      reason: 'Invalid',
      message: 'Secret "s-big" is invalid: data: Too long: may not be more than 1048576 bytes',
      details: { causes: [{ reason: 'FieldValueTooLong', field: 'data' }] },
    });
    const after = await c1.core.readNamespacedSecret({ name: 's-big', namespace: 'kubecost' });
    expect(Object.keys(after.data ?? {})).toEqual(['a']);
  });

  it('answers a missing object with a 404 Status naming it', async () => {
    const error = await expectApiError(c1.core.readNamespacedSecret({ name: 'nope', namespace: 'kubecost' }));
    expect(error).toMatchObject({
      httpCode: 404,
      kind: 'Status',
      status: 'Failure',
      reason: 'NotFound',
      message: 'secrets "nope" not found',
      details: { name: 'nope', kind: 'secrets' },
    });
    const apps = await expectApiError(c1.apps.readNamespacedDeployment({ name: 'nope', namespace: 'kubecost' }));
    expect(apps.message).toBe('deployments.apps "nope" not found');
  });

  it('answers invalid objects with 422 Invalid listing the fields, and a duplicate with 409 AlreadyExists', async () => {
    const invalid = await expectApiError(
      c1.core.createNamespacedSecret({
        namespace: 'kubecost',
        body: { metadata: { name: 'Bad_Name' }, data: { 'bad key': 'eA==' } },
      }),
    );
    expect(invalid).toMatchObject({ httpCode: 422, reason: 'Invalid', details: { kind: 'Secret', name: 'Bad_Name' } });
    expect((invalid.details?.causes as { field: string }[]).map((c) => c.field)).toEqual([
      'metadata.name',
      'data[bad key]',
    ]);
    await c1.core.createNamespacedSecret({ namespace: 'kubecost', body: secret('s-dup', 'kubecost', { a: 'x' }) });
    const dup = await expectApiError(
      c1.core.createNamespacedSecret({ namespace: 'kubecost', body: secret('s-dup', 'kubecost', { a: 'x' }) }),
    );
    expect(dup).toMatchObject({ httpCode: 409, reason: 'AlreadyExists', message: 'secrets "s-dup" already exists' });
    const noNamespace = await expectApiError(
      c1.core.createNamespacedSecret({ namespace: 'missing-ns', body: secret('s', 'missing-ns', { a: 'x' }) }),
    );
    expect(noNamespace).toMatchObject({ httpCode: 404, message: 'namespaces "missing-ns" not found' });
  });

  it('refuses data changes to an immutable Secret', async () => {
    const created = await c1.core.createNamespacedSecret({
      namespace: 'kubecost',
      body: { ...secret('s-immutable', 'kubecost', { a: 'x' }), immutable: true },
    });
    const error = await expectApiError(
      c1.core.replaceNamespacedSecret({
        name: 's-immutable',
        namespace: 'kubecost',
        body: { ...created, data: { a: 'eQ==' } },
      }),
    );
    expect(error).toMatchObject({ httpCode: 422, reason: 'Invalid' });
  });

  it('honours a resourceVersion precondition on delete', async () => {
    const created = await c1.core.createNamespacedSecret({
      namespace: 'kubecost',
      body: secret('s-del', 'kubecost', { a: 'x' }),
    });
    await c1.core.patchNamespacedSecret(
      { name: 's-del', namespace: 'kubecost', body: { metadata: { labels: { touched: 'yes' } } } },
      mergePatch,
    );
    const stale = await expectApiError(
      c1.core.deleteNamespacedSecret({
        name: 's-del',
        namespace: 'kubecost',
        body: { preconditions: { resourceVersion: created.metadata?.resourceVersion ?? '' } },
      }),
    );
    expect(stale).toMatchObject({ httpCode: 409, reason: 'Conflict' });
    await c1.core.deleteNamespacedSecret({ name: 's-del', namespace: 'kubecost' });
    expect(
      (await expectApiError(c1.core.readNamespacedSecret({ name: 's-del', namespace: 'kubecost' }))).httpCode,
    ).toBe(404);
  });
});

describe('selectors', () => {
  beforeAll(async () => {
    const items: [string, Record<string, string>][] = [
      ['sel-a', { app: 'cost-analyzer', tier: 'web' }],
      ['sel-b', { app: 'cost-analyzer', tier: 'etl' }],
      ['sel-c', { app: 'prometheus' }],
    ];
    for (const [name, labels] of items)
      await c1.core.createNamespacedSecret({
        namespace: 'kubecost',
        body: secret(name, 'kubecost', { a: 'x' }, labels),
      });
  });

  const names = async (labelSelector?: string, fieldSelector?: string) =>
    (
      await c1.core.listNamespacedSecret({
        namespace: 'kubecost',
        ...(labelSelector ? { labelSelector } : {}),
        ...(fieldSelector ? { fieldSelector } : {}),
      })
    ).items
      .map((s) => s.metadata?.name ?? '')
      .filter((n) => n.startsWith('sel-'));

  it.each([
    ['app=cost-analyzer', ['sel-a', 'sel-b']],
    ['app==prometheus', ['sel-c']],
    ['app!=cost-analyzer', ['sel-c']],
    ['tier in (web,etl)', ['sel-a', 'sel-b']],
    ['tier notin (web)', ['sel-b', 'sel-c']],
    ['tier', ['sel-a', 'sel-b']],
    ['!tier', ['sel-c']],
    ['app=cost-analyzer,tier=etl', ['sel-b']],
  ])('selects by label selector %s', async (selector, expected) => {
    expect(await names(selector)).toEqual(expected);
  });

  it('selects by field selector metadata.name and rejects an unsupported field', async () => {
    expect(await names(undefined, 'metadata.name=sel-b')).toEqual(['sel-b']);
    expect(await names(undefined, 'metadata.name!=sel-b')).toEqual(['sel-a', 'sel-c']);
    const error = await expectApiError(
      c1.core.listNamespacedSecret({ namespace: 'kubecost', fieldSelector: 'spec.nothing=1' }),
    );
    expect(error).toMatchObject({ httpCode: 400, message: 'field label not supported: spec.nothing' });
  });

  it('lists across all namespaces with the cluster resourceVersion', async () => {
    const list = await c1.core.listSecretForAllNamespaces({ labelSelector: 'app=prometheus' });
    expect(list.items.map((s) => `${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`)).toEqual([
      'kubecost/sel-c',
    ]);
    expect(Number(list.metadata?.resourceVersion)).toBeGreaterThan(0);
  });
});

describe('workloads: generation and patches', () => {
  it('bumps generation only on spec changes, and the controller reports observedGeneration', async () => {
    const created = await c1.apps.createNamespacedDeployment({
      namespace: 'kubecost',
      body: deployment({ name: 'gen', namespace: 'kubecost' }) as k8s.V1Deployment,
    });
    expect(created.metadata?.generation).toBe(1);
    const labelled = await c1.apps.patchNamespacedDeployment(
      { name: 'gen', namespace: 'kubecost', body: { metadata: { labels: { extra: 'x' } } } },
      mergePatch,
    );
    expect(labelled.metadata?.generation).toBe(1);
    const restarted = await c1.apps.patchNamespacedDeployment(
      {
        name: 'gen',
        namespace: 'kubecost',
        body: {
          spec: {
            template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() } } },
          },
        },
      },
      strategicMergePatch,
    );
    expect(restarted.metadata?.generation).toBe(2);
    const observed = await waitFor('observedGeneration 2', async () => {
      const d = await c1.apps.readNamespacedDeployment({ name: 'gen', namespace: 'kubecost' });
      return d.status?.observedGeneration === 2 && d;
    });
    expect(observed.status?.observedGeneration).toBe(2);
  });

  it('merges containers, env and volumes by name in a strategic merge patch', async () => {
    await c1.apps.createNamespacedDeployment({
      namespace: 'kubecost',
      body: deployment({
        name: 'smp',
        namespace: 'kubecost',
        containers: [
          {
            name: 'a',
            image: 'a:1',
            env: [
              { name: 'X', value: '1' },
              { name: 'Y', value: '2' },
            ],
          },
          { name: 'b', image: 'b:1' },
        ],
      }) as k8s.V1Deployment,
    });
    const patched = await c1.apps.patchNamespacedDeployment(
      {
        name: 'smp',
        namespace: 'kubecost',
        body: {
          spec: {
            template: {
              spec: {
                containers: [
                  {
                    name: 'a',
                    env: [
                      { name: 'Y', value: '3' },
                      { name: 'Z', value: '4' },
                    ],
                  },
                ],
              },
            },
          },
        },
      },
      strategicMergePatch,
    );
    const containers = patched.spec?.template.spec?.containers ?? [];
    expect(containers.map((c) => c.name)).toEqual(['a', 'b']);
    expect(containers[0]?.image).toBe('a:1');
    expect(containers[0]?.env).toEqual([
      { name: 'X', value: '1' },
      { name: 'Y', value: '3' },
      { name: 'Z', value: '4' },
    ]);
    // The same patch as a JSON merge patch replaces the whole list.
    const merged = await c1.apps.patchNamespacedDeployment(
      {
        name: 'smp',
        namespace: 'kubecost',
        body: { spec: { template: { spec: { containers: [{ name: 'a', image: 'a:2' }] } } } },
      },
      mergePatch,
    );
    expect(merged.spec?.template.spec?.containers.map((c) => c.name)).toEqual(['a']);
  });

  it('rejects a Deployment whose selector does not match its template labels', async () => {
    const body = deployment({ name: 'mismatch', namespace: 'kubecost' });
    body.spec.selector = { matchLabels: { app: 'other' } };
    const error = await expectApiError(
      c1.apps.createNamespacedDeployment({ namespace: 'kubecost', body: body as k8s.V1Deployment }),
    );
    expect(error).toMatchObject({ httpCode: 422, reason: 'Invalid' });
    expect(error.message).toContain('`selector` does not match template `labels`');
  });
});

describe('watch', () => {
  it('observes a rollout restart to completion through a watch with a field selector', async () => {
    await c1.apps.createNamespacedDeployment({
      namespace: 'kubecost',
      body: deployment({ name: 'watched', namespace: 'kubecost', replicas: 2 }) as k8s.V1Deployment,
    });
    await waitFor('initial rollout', async () =>
      deploymentRolledOut(await c1.apps.readNamespacedDeployment({ name: 'watched', namespace: 'kubecost' })),
    );
    const before = await c1.core.listNamespacedPod({ namespace: 'kubecost', labelSelector: 'app=watched' });
    const list = await c1.apps.listNamespacedDeployment({
      namespace: 'kubecost',
      fieldSelector: 'metadata.name=watched',
    });

    const seen: { type: string; name: string; generation: number; observed: number; updated: number }[] = [];
    const watch = new k8s.Watch(c1.kc);
    let request: AbortController | undefined;
    const done = new Promise<k8s.V1Deployment>((resolve, reject) => {
      void watch
        .watch(
          '/apis/apps/v1/namespaces/kubecost/deployments',
          { fieldSelector: 'metadata.name=watched', resourceVersion: list.metadata?.resourceVersion },
          (type: string, obj: k8s.V1Deployment) => {
            seen.push({
              type,
              name: obj.metadata?.name ?? '',
              generation: obj.metadata?.generation ?? 0,
              observed: obj.status?.observedGeneration ?? 0,
              updated: obj.status?.updatedReplicas ?? 0,
            });
            if ((obj.metadata?.generation ?? 0) >= 2 && deploymentRolledOut(obj)) resolve(obj);
          },
          (error: unknown) => (error ? reject(error as Error) : undefined),
        )
        .then((r) => {
          request = r;
        }, reject);
    });
    await c1.apps.patchNamespacedDeployment(
      {
        name: 'watched',
        namespace: 'kubecost',
        body: {
          spec: {
            template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() } } },
          },
        },
      },
      strategicMergePatch,
    );
    const final = await done;
    request?.abort();
    expect(final.status?.updatedReplicas).toBe(2);
    expect(seen.every((e) => e.type === 'MODIFIED' && e.name === 'watched')).toBe(true);
    // The watch saw the new generation before the controller observed it, then progress.
    expect(seen.some((e) => e.generation === 2 && e.observed < 2)).toBe(true);
    const after = await c1.core.listNamespacedPod({ namespace: 'kubecost', labelSelector: 'app=watched' });
    const beforeNames = new Set(before.items.map((p) => p.metadata?.name));
    expect(
      after.items.filter((p) => !p.metadata?.deletionTimestamp).every((p) => !beforeNames.has(p.metadata?.name)),
    ).toBe(true);
  });

  it('replays the events after a given resourceVersion', async () => {
    const start = await c1.core.createNamespacedConfigMap({
      namespace: 'kubecost',
      body: { metadata: { name: 'w-cm' }, data: { v: '0' } },
    });
    for (let i = 1; i <= 3; i++)
      await c1.core.patchNamespacedConfigMap(
        { name: 'w-cm', namespace: 'kubecost', body: { data: { v: String(i) } } },
        mergePatch,
      );
    const events: string[] = [];
    const watch = new k8s.Watch(c1.kc);
    let request: AbortController | undefined;
    const got = new Promise<void>((resolve, reject) => {
      void watch
        .watch(
          '/api/v1/namespaces/kubecost/configmaps',
          { resourceVersion: start.metadata?.resourceVersion, fieldSelector: 'metadata.name=w-cm' },
          (type: string, obj: k8s.V1ConfigMap) => {
            events.push(`${type}:${obj.data?.v ?? ''}`);
            if (events.length === 3) resolve();
          },
          (e: unknown) => (e ? reject(e as Error) : undefined),
        )
        .then((r) => {
          request = r;
        }, reject);
    });
    await got;
    expect(events).toEqual(['MODIFIED:1', 'MODIFIED:2', 'MODIFIED:3']);

    request?.abort?.();
  });

  it('answers a watch from a resourceVersion older than the kept history with a 410 Gone ERROR event', async () => {
    const small = await startFleet({ clusters: 1, historyLimit: 5 });
    try {
      const { core, kc } = clientsFor(small, 'cluster-1');
      const first = await core.createNamespacedConfigMap({
        namespace: 'default',
        body: { metadata: { name: 'busy' }, data: { v: '0' } },
      });
      for (let i = 1; i <= 10; i++)
        await core.patchNamespacedConfigMap(
          { name: 'busy', namespace: 'default', body: { data: { v: String(i) } } },
          mergePatch,
        );
      const received = await new Promise<{ type: string; code?: number; reason?: string }>((resolve, reject) => {
        void new k8s.Watch(kc)
          .watch(
            '/api/v1/namespaces/default/configmaps',
            { resourceVersion: first.metadata?.resourceVersion },
            (type: string, obj: { code?: number; reason?: string }) =>
              resolve({ type, code: obj.code, reason: obj.reason }),
            (e: unknown) => (e ? reject(e as Error) : undefined),
          )
          .catch(reject);
      });
      expect(received).toEqual({ type: 'ERROR', code: 410, reason: 'Expired' });
    } finally {
      await small.stop();
    }
  });
});

describe('events and leases', () => {
  it('creates and lists Events by involved object', async () => {
    await c1.core.createNamespacedEvent({
      namespace: 'kubecost',
      body: {
        metadata: { name: 'rotation.1' },
        involvedObject: { kind: 'Secret', name: 'cloud-integration', namespace: 'kubecost' },
        reason: 'KeyRotated',
        message: 'rotated',
        type: 'Normal',
        source: { component: 'kubecost-rotate' },
      },
    });
    const list = await c1.core.listNamespacedEvent({
      namespace: 'kubecost',
      fieldSelector: 'involvedObject.name=cloud-integration,reason=KeyRotated',
    });
    expect(list.items.map((e) => e.metadata?.name)).toEqual(['rotation.1']);
  });

  it('serves coordination.k8s.io Leases with optimistic concurrency', async () => {
    const lease = await c1.coordination.createNamespacedLease({
      namespace: 'kubecost',
      body: { metadata: { name: 'rotate-lock' }, spec: { holderIdentity: 'a', leaseDurationSeconds: 15 } },
    });
    const taken = await c1.coordination.replaceNamespacedLease({
      name: 'rotate-lock',
      namespace: 'kubecost',
      body: { ...lease, spec: { ...lease.spec, holderIdentity: 'b' } },
    });
    expect(taken.spec?.holderIdentity).toBe('b');
    const lost = await expectApiError(
      c1.coordination.replaceNamespacedLease({
        name: 'rotate-lock',
        namespace: 'kubecost',
        body: { ...lease, spec: { ...lease.spec, holderIdentity: 'c' } },
      }),
    );
    expect(lost.httpCode).toBe(409);
  });
});
