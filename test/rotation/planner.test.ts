/**
 * The planner as a pure function: an inventory (from the builders), the credential and the new
 * key's identity in, the ordered change set out. No cluster, no clock.
 */
import { describe, expect, it } from 'vitest';
import type { Inventory } from '../../src/kubecost/inventory.js';
import { planRotation, type RotationPlan } from '../../src/rotation/plan.js';
import { ConfigError } from '../../src/shared/errors.js';
import { consumer, credential, installation, inventory, site, thanosFleet, THANOS_KEY } from './builders.js';

const NOW = new Date('2026-12-01T10:00:00Z');

function plan(inv: Inventory, credentialId = THANOS_KEY, options = {}): RotationPlan {
  const record = inv.credentials.find((c) => c.id === credentialId);
  if (!record) throw new Error(`no credential ${credentialId} in the test inventory`);
  return planRotation({
    inventory: inv,
    credential: record,
    newKey: { fingerprint: 'AKIANEWTHANOSKEY0002', keyId: 'AKIANEWTHANOSKEY0002' },
    id: '20261201-100000-abcd',
    now: NOW,
    options,
  });
}

const restartsOf = (p: RotationPlan) =>
  p.restarts.map((r) => `${r.wave} ${r.cluster} ${r.kind}/${r.name} ${r.containers.join(',')}`);

describe('planRotation', () => {
  const cases: Record<string, { inventory: () => Inventory; expect: (p: RotationPlan) => void }> = {
    'writes each Secret once and restarts writers on every cluster before the readers on the primary': {
      inventory: () => thanosFleet().inventory,
      expect: (p) => {
        expect(p.writes.map((w) => w.step)).toEqual([
          'write:cluster-1/kubecost/kubecost-thanos',
          'write:cluster-2/kubecost/kubecost-thanos',
        ]);
        expect(restartsOf(p)).toEqual([
          '1 cluster-1 Deployment/kubecost-cost-analyzer cost-model',
          '1 cluster-1 Deployment/kubecost-prometheus-server thanos-sidecar',
          '1 cluster-2 Deployment/kubecost-cost-analyzer cost-model',
          '1 cluster-2 Deployment/kubecost-prometheus-server thanos-sidecar',
          '2 cluster-1 Deployment/kubecost-thanos-compact thanos-compact',
          '2 cluster-1 Deployment/kubecost-thanos-store thanos-store',
        ]);
        expect(p.sites.map((s) => s.kind)).toEqual(['thanos', 'thanos']);
      },
    },
    'restarts a workload once, whatever number of its Secrets changed, watching every container that reads one': {
      inventory: () =>
        inventory({
          sites: [
            site('cluster-1', {
              consumers: [consumer('cost-analyzer', 'kubecost-cost-analyzer', { container: 'cost-model' })],
            }),
            site('cluster-1', {
              secret: 'etl-backup',
              consumers: [consumer('cost-analyzer', 'kubecost-cost-analyzer', { container: 'cost-model-etl' })],
            }),
          ],
        }),
      expect: (p) => {
        expect(p.writes).toHaveLength(2);
        expect(restartsOf(p)).toEqual(['1 cluster-1 Deployment/kubecost-cost-analyzer cost-model,cost-model-etl']);
      },
    },
    'restarts a workload that is not a Kubecost component last': {
      inventory: () =>
        inventory({
          sites: [
            site('cluster-1', {
              consumers: [
                consumer('unknown', 'backup-job', { kind: 'StatefulSet' }),
                consumer('aggregator', 'kubecost-aggregator', { kind: 'StatefulSet' }),
                consumer('cost-analyzer', 'kubecost-cost-analyzer'),
              ],
            }),
          ],
        }),
      expect: (p) =>
        expect(p.restarts.map((r) => [r.wave, r.name])).toEqual([
          [1, 'kubecost-cost-analyzer'],
          [2, 'kubecost-aggregator'],
          [3, 'backup-job'],
        ]),
    },
    'keeps the journal on the primary installation': {
      inventory: () => thanosFleet().inventory,
      expect: (p) =>
        expect(p.journal).toEqual({
          cluster: 'cluster-1',
          namespace: 'kubecost',
          secret: 'kubecost-rotate-20261201-100000-abcd',
        }),
    },
    'checks the cloud-cost status at the cloud-cost Service when there is one': {
      inventory: () =>
        inventory({
          sites: [
            site('cluster-1', {
              secret: 'cloud-integration',
              dataKey: 'cloud-integration.json',
              format: 'cloud-integration-nested',
              consumers: [consumer('cloud-cost', 'kubecost-cloud-cost')],
            }),
          ],
          installations: [
            installation('cluster-1', {
              role: 'single',
              components: [{ role: 'cloud-cost', kind: 'Deployment', name: 'kubecost-cloud-cost' }],
            }),
          ],
        }),
      expect: (p) =>
        expect(p.statusChecks).toEqual([
          {
            cluster: 'cluster-1',
            namespace: 'kubecost',
            release: 'kubecost',
            service: 'kubecost-cloud-cost',
            port: 9005,
            path: '/cloudCost/status',
          },
        ]),
    },
    'checks the cloud-cost status through the frontend of cost-analyzer otherwise': {
      inventory: () =>
        inventory({
          sites: [
            site('cluster-1', {
              secret: 'cloud-integration',
              dataKey: 'cloud-integration.json',
              format: 'cloud-integration-legacy',
            }),
          ],
          installations: [
            installation('cluster-1', {
              role: 'single',
              components: [{ role: 'cost-analyzer', kind: 'Deployment', name: 'acme-cost-analyzer' }],
            }),
          ],
        }),
      expect: (p) =>
        expect(p.statusChecks.map((c) => `${c.service}:${c.port}${c.path}`)).toEqual([
          'acme-cost-analyzer:9090/model/cloudCost/status',
        ]),
    },
    'carries the warnings of its Secrets and workloads only': {
      inventory: () => {
        const base = thanosFleet();
        return inventory({
          sites: base.sites,
          installations: [...base.inventory.installations],
          warnings: [
            {
              code: 'ManagedByHelm',
              cluster: 'cluster-2',
              namespace: 'kubecost',
              secret: 'kubecost-thanos',
              message: 'helm owns it',
            },
            {
              code: 'ManagedByHelm',
              cluster: 'cluster-2',
              namespace: 'kubecost',
              secret: 'other',
              message: 'not ours',
            },
            {
              code: 'MissingSecret',
              cluster: 'cluster-1',
              namespace: 'kubecost',
              workload: 'Deployment/kubecost-thanos-store',
              message: 'cannot start',
            },
          ],
        });
      },
      expect: (p) => expect(p.warnings).toEqual(['ManagedByHelm: helm owns it', 'MissingSecret: cannot start']),
    },
  };

  for (const [name, c] of Object.entries(cases)) it(name, () => c.expect(plan(c.inventory())));

  it('merges the options given with the defaults', () => {
    expect(plan(thanosFleet().inventory, THANOS_KEY, { verifyWindowMs: 5000 }).options).toEqual({
      verifyWindowMs: 5000,
      maxParallelClusters: 8,
      rolloutTimeoutMs: 600_000,
    });
  });

  const refusals: Record<string, { inventory: () => Inventory; message: RegExp }> = {
    'refuses when a cluster that may hold a copy of the key could not be read': {
      inventory: () =>
        inventory({
          sites: [site('cluster-1')],
          problems: [{ cluster: 'cluster-2', reason: 'Unreachable', message: 'no answer', hidesSites: true }],
        }),
      message: /discovery is incomplete on cluster-2/,
    },
    'refuses an immutable Secret, whose data Kubernetes will not change': {
      inventory: () => inventory({ sites: [site('cluster-1'), site('cluster-2', { immutable: true })] }),
      message: /Secret kubecost\/kubecost-thanos on cluster-2 is immutable/,
    },
    'refuses a credential without a site in the selected clusters': {
      inventory: () => inventory({ sites: [], credentials: [credential([])] }),
      message: /has no site in the selected clusters/,
    },
  };
  for (const [name, c] of Object.entries(refusals))
    it(name, () => {
      expect(() => plan(c.inventory())).toThrow(ConfigError);
      expect(() => plan(c.inventory())).toThrow(c.message);
    });
});
