/**
 * discover when clusters fail or Secrets are bad: the rest is still discovered, each failure is a
 * problem naming where it is, and nothing in a problem carries a secret value.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SIM_RESOURCES } from '../../src/sim/kube/index.js';
import { layoutSecretValues } from '../../src/sim/kubecost/index.js';
import { startLayout, type LayoutWorld } from './layout-support.js';

let world: LayoutWorld;

beforeAll(async () => {
  world = await startLayout('mixed');
});

afterEach(() => {
  for (const c of world.fleet.clusters) {
    c.faults.clear();
    c.access.clearDenies();
  }
});

afterAll(() => world.stop());

describe('a cluster that cannot be read', () => {
  it('is reported as Unreachable when it drops every connection, and the other clusters are still discovered', async () => {
    world.fleet.cluster('cluster-2').faults.add({ drop: true });
    const inventory = await world.discover();
    expect(inventory.installations.map((i) => i.cluster)).toEqual(['cluster-1', 'cluster-3', 'cluster-4', 'cluster-5']);
    expect(inventory.problems).toHaveLength(1);
    expect(inventory.problems[0]).toMatchObject({ cluster: 'cluster-2', reason: 'Unreachable' });
    expect(inventory.problems[0]?.message).toMatch(
      /^cluster cluster-2: list deployments: no answer from the API server/,
    );
    expect(inventory.sites.some((s) => s.cluster === 'cluster-2')).toBe(false);
  });

  it('is reported as Timeout when it answers slower than the client timeout', async () => {
    world.fleet.cluster('cluster-3').faults.add({ latencyMs: 4000 });
    const inventory = await world.discover();
    expect(inventory.problems.map((p) => [p.cluster, p.reason])).toEqual([['cluster-3', 'Timeout']]);
    expect(inventory.problems[0]?.message).toContain('no answer from the API server within 3 s');
    expect(inventory.installations.map((i) => i.cluster)).toEqual(['cluster-1', 'cluster-2', 'cluster-4', 'cluster-5']);
  });

  it('is reported as Forbidden, with the permissions to grant, when reading workloads is denied', async () => {
    world.fleet.cluster('cluster-1').access.deny({ verb: 'list', resource: 'deployments' });
    const inventory = await world.discover();
    expect(inventory.problems).toEqual([
      expect.objectContaining({
        cluster: 'cluster-1',
        reason: 'Forbidden',
        message: expect.stringContaining(
          'Grant kubecost-rotate get/list on deployments, statefulsets, secrets and serviceaccounts',
        ),
      }),
    ]);
    expect(inventory.installations.map((i) => i.cluster)).toEqual(['cluster-2', 'cluster-3', 'cluster-4', 'cluster-5']);
  });

  it('falls back to the Kubecost namespaces when listing Secrets across all namespaces is forbidden', async () => {
    world.fleet.cluster('cluster-1').access.deny({ verb: 'list', resource: 'secrets', namespace: null });
    const inventory = await world.discover();
    expect(inventory.problems).toEqual([]);
    // The namespace of the 3.x installation (no cost-analyzer in it) is found from its other components.
    expect(inventory.sites.filter((s) => s.cluster === 'cluster-1').map((s) => s.secret)).toEqual([
      'cloud-integration',
      'cloud-integration',
      'cloud-integration',
      'cluster-controller-service-key',
      'finops-csp-pricing-api-key-secret',
      'kubecost-object-store',
    ]);
  });

  it('still discovers, without the IRSA hint, when service accounts cannot be read', async () => {
    world.fleet.cluster('cluster-3').access.deny({ verb: 'list', resource: 'serviceaccounts' });
    const inventory = await world.discover();
    expect(inventory.problems.map((p) => [p.cluster, p.reason])).toEqual([['cluster-3', 'Forbidden']]);
    expect(inventory.problems[0]?.message).toContain('only used to tell whether a workload could use IRSA');
    expect(inventory.sites.filter((s) => s.cluster === 'cluster-3')).toHaveLength(2);
    expect(inventory.warnings.some((w) => w.code === 'AmbientIdentityAvailable')).toBe(false);
  });
});

describe('a Secret that cannot be parsed', () => {
  it('is a problem naming cluster, namespace, Secret and data key, never its value; the other sites stay', async () => {
    const cluster = world.fleet.cluster('cluster-2');
    const current = cluster.api.get(SIM_RESOURCES.secrets, 'kubecost', 'kubecost-object-store');
    const original = (current.data as Record<string, string>)['federated-store.yaml'] ?? '';
    const text = Buffer.from(original, 'base64').toString('utf8');
    // Break the YAML with a tab, leaving the secret key in place.
    const broken = text.replace('config:\n', 'config:\n\t');
    cluster.apply({ ...current, data: { 'federated-store.yaml': Buffer.from(broken).toString('base64') } });
    try {
      const inventory = await world.discover();
      expect(inventory.problems).toHaveLength(1);
      const problem = inventory.problems[0];
      expect(problem).toMatchObject({
        cluster: 'cluster-2',
        namespace: 'kubecost',
        secret: 'kubecost-object-store',
        dataKey: 'federated-store.yaml',
      });
      expect(problem?.message).toContain('kubecost-object-store');
      for (const value of layoutSecretValues(world.layout)) expect(JSON.stringify(problem)).not.toContain(value);
      expect(inventory.sites.filter((s) => s.cluster === 'cluster-2').map((s) => s.secret)).toEqual([
        'cluster-controller-service-key',
        'kubecost-csp-pricing-api-key-secret',
      ]);
      expect(inventory.sites.filter((s) => s.cluster === 'cluster-1')).toHaveLength(6);
    } finally {
      cluster.apply({ ...current, data: { 'federated-store.yaml': original } });
    }
  });

  it('is a problem when the consumers would refuse it: an AZURE connection string without storage_account', async () => {
    const cluster = world.fleet.cluster('cluster-4');
    const key = Buffer.from('fake-azure-key-for-this-test-only-0000000000000000000000000000000').toString('base64');
    const value = `type: AZURE\nconfig:\n  container: kubecost\n  storage_connection_string: "DefaultEndpointsProtocol=https;AccountName=acmefed;AccountKey=${key};EndpointSuffix=core.windows.net"\n`;
    cluster.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'kubecost-object-store-azure', namespace: 'kubecost' },
      type: 'Opaque',
      stringData: { 'federated-store.yaml': value },
    });
    try {
      const inventory = await world.discover();
      expect(inventory.problems.map((p) => [p.cluster, p.secret, p.reason])).toEqual([
        ['cluster-4', 'kubecost-object-store-azure', 'MissingField'],
      ]);
      expect(inventory.problems[0]?.message).toContain(
        'storage_connection_string is set but storage_account is missing or empty',
      );
      expect(JSON.stringify(inventory)).not.toContain(key);
    } finally {
      cluster.api.delete(SIM_RESOURCES.secrets, 'kubecost', 'kubecost-object-store-azure');
    }
  });
});
