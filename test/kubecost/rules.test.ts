/**
 * The Kubecost tables the engine asks: roles from labels, site kinds, restart waves, log wordings
 * and where the cloud-cost status is served. Pure functions, checked case by case.
 */
import { describe, expect, it } from 'vitest';
import { hasKubecostChartLabel, roleOf, workloadRoleOf, type ComponentRole } from '../../src/kubecost/components.js';
import type { MountKind } from '../../src/kubecost/consumers.js';
import {
  reloadedIntegrations,
  scanLogForAuthFailures,
  scanLogForPositiveSignals,
} from '../../src/kubecost/log-signals.js';
import { restartWave, restartWaveFor, siteKindOf } from '../../src/kubecost/restart-rules.js';
import { cloudCostStatusEndpoint, cloudCostStatusEndpoints } from '../../src/kubecost/status-endpoints.js';

describe('roles from labels', () => {
  it('reads 3.x roles from the pod template, where the object labels say app=kubecost', () => {
    expect(workloadRoleOf({ app: 'cost-analyzer', 'app.kubernetes.io/name': 'frontend' }, { app: 'kubecost' })).toBe(
      'frontend',
    );
    expect(
      workloadRoleOf(
        { app: 'kubecost-cluster-controller', 'app.kubernetes.io/name': 'cluster-controller' },
        { app: 'kubecost', 'app.kubernetes.io/name': 'kubecost' },
      ),
    ).toBe('cluster-controller');
    expect(roleOf({ app: 'kubecost', 'app.kubernetes.io/name': 'kubecost' })).toBe('unknown');
  });

  it('knows the finops agent under both subchart aliases, and the other 2.9/3.x and 1.x components', () => {
    expect(roleOf({ 'app.kubernetes.io/name': 'finopsagent', 'app.kubernetes.io/component': 'agent' })).toBe(
      'finops-agent',
    );
    expect(roleOf({ 'app.kubernetes.io/name': 'finops-agent', 'app.kubernetes.io/component': 'agent' })).toBe(
      'finops-agent',
    );
    expect(roleOf({ app: 'kubecost-local-store', 'app.kubernetes.io/name': 'kubecost-local-store' })).toBe(
      'local-store',
    );
    expect(roleOf({ app: 'kubecost-network-costs', 'app.kubernetes.io/name': 'network-costs' })).toBe('network-costs');
    expect(roleOf({ app: 'federator' })).toBe('federator');
    expect(roleOf({ 'app.kubernetes.io/name': 'thanos', 'app.kubernetes.io/component': 'query-frontend' })).toBe(
      'thanos-query-frontend',
    );
    // The haMode frontend's pods also say app=cost-analyzer: the name decides.
    expect(roleOf({ app: 'cost-analyzer', 'app.kubernetes.io/name': 'cost-analyzer' })).toBe('cost-analyzer');
  });

  it('tells the Kubecost chart labels (and its finops-agent subchart) from another chart', () => {
    expect(hasKubecostChartLabel({ 'helm.sh/chart': 'kubecost-3.2.1' })).toBe(true);
    expect(hasKubecostChartLabel({ 'helm.sh/chart': 'cost-analyzer-2.4.2' })).toBe(true);
    expect(hasKubecostChartLabel({ 'helm.sh/chart': 'finops-agent-1.0.20' })).toBe(true);
    expect(hasKubecostChartLabel({ 'helm.sh/chart': 'thanos-0.29.0' })).toBe(false);
    expect(hasKubecostChartLabel({ 'helm.sh/chart': 'kubecost-sidecar' })).toBe(false);
  });
});

describe('site kinds', () => {
  const consumer = (role: ComponentRole, path = '/var/configs/etl', mount: MountKind = 'volume') => ({
    role,
    path,
    mount,
  });

  it('tells the 2.9+/3.x global store from the 1.x/2.x federated ETL store, whatever the data key is called', () => {
    expect(
      siteKindOf({
        dataKey: 'federated-store-prod.yaml',
        format: 'objstore-gcs',
        consumers: [consumer('finops-agent', '/var/configs/federated-store.yaml', 'subPath')],
      }),
    ).toBe('global-federated-storage');
    expect(
      siteKindOf({ dataKey: 'federated-store.yaml', format: 'objstore-s3', consumers: [consumer('cost-analyzer')] }),
    ).toBe('federated-etl');
    expect(
      siteKindOf(
        { dataKey: 'federated-store.yaml', format: 'objstore-s3', consumers: [consumer('aggregator')] },
        { globalStore: true },
      ),
    ).toBe('global-federated-storage');
  });

  it('names Thanos (diagnostics and etl-utils included), ETL backup, actions store and the 3.x keys', () => {
    expect(
      siteKindOf({
        dataKey: 'object-store.yaml',
        format: 'objstore-s3',
        consumers: [consumer('diagnostics'), consumer('prometheus-server', '/etc/config')],
      }),
    ).toBe('thanos');
    expect(
      siteKindOf({ dataKey: 'object-store.yaml', format: 'objstore-s3', consumers: [consumer('etl-utils')] }),
    ).toBe('thanos');
    expect(
      siteKindOf({ dataKey: 'object-store.yaml', format: 'objstore-gcs', consumers: [consumer('cost-analyzer')] }),
    ).toBe('etl-backup');
    expect(
      siteKindOf({
        dataKey: 'actions-store.yaml',
        format: 'objstore-s3',
        consumers: [consumer('cluster-controller', '/var/configs/actions/storage/actions-store.yaml', 'subPath')],
      }),
    ).toBe('actions-store');
    expect(
      siteKindOf({
        dataKey: 'service-key.json',
        format: 'service-key-json',
        consumers: [consumer('cluster-controller', '/var/keys')],
      }),
    ).toBe('cluster-controller-key');
    expect(siteKindOf({ dataKey: 'CSP_PRICING_API_KEY', format: 'gcp-api-key', consumers: [] })).toBe(
      'pricing-api-key',
    );
    expect(siteKindOf({ dataKey: 'service-key.json', format: 'service-key-json', consumers: [] })).toBe('legacy-key');
  });
});

describe('restart waves', () => {
  it('restarts writers first, readers on the primary second, unknown workloads last', () => {
    expect(restartWave('finops-agent', 'global-federated-storage')).toBe(1);
    expect(restartWave('cluster-controller', 'global-federated-storage')).toBe(1);
    expect(restartWave('aggregator', 'global-federated-storage')).toBe(2);
    expect(restartWave('local-store', 'global-federated-storage')).toBe(2);
    expect(restartWave('diagnostics', 'thanos')).toBe(2);
    expect(restartWave('thanos-store', 'thanos')).toBe(2);
    expect(restartWave('prometheus-server', 'thanos')).toBe(1);
    expect(restartWave('unknown', 'federated-etl')).toBe(3);
  });

  it('makes cloud-cost a reader of the 3.x store but a writer of the 2.x one and of the integration', () => {
    expect(restartWave('cloud-cost', 'global-federated-storage')).toBe(2);
    expect(restartWave('cloud-cost', 'federated-etl')).toBe(1);
    expect(restartWave('cloud-cost', 'cloud-integration')).toBe(1);
    // One restart for both: the earliest wave any of its sites asks for.
    expect(restartWaveFor('cloud-cost', ['global-federated-storage', 'cloud-integration'])).toBe(1);
    expect(restartWaveFor('cloud-cost', ['global-federated-storage'])).toBe(2);
  });
});

describe('log signals', () => {
  const at = '2026-12-02T10:00:00.000000000Z';

  it('counts the auth-failure wordings users report, including the INF store line of 2.9/3.x', () => {
    const text = [
      `${at} ERR CloudCost[sub/c]: ingestor: build failed for window [a, b): RESPONSE 403: 403 This request is not authorized to perform this operation using this permission.`,
      `${at} ERR Azure: AADSTS7000215: Invalid client secret provided.`,
      `${at} INF ClusterStorage: failed to connecting cluster storage. retry in 5s`,
      `${at} ERR Pricing: GCP: error getting SKU prices: googleapi: Error 400: API key not valid. Please pass a valid API key., badRequest`,
    ].join('\n');
    expect(scanLogForAuthFailures(text).map((f) => f.pattern)).toEqual([
      'Azure not authorized',
      'Azure AADSTS7000215',
      'Kubecost ClusterStorage connection failure',
      'GCP API key not valid',
    ]);
  });

  it('does not count errors on the ingestor build-failed line that are not about the key', () => {
    const text = [
      `${at} ERR CloudCost[123/s3://b]: ingestor: build failed for window [a, b): GetCloudCost: start query error: not found, ResolveEndpointV2`,
      `${at} ERR CloudCost[123/s3://b]: ingestor: build failed for window [a, b): operation error Athena: StartQueryExecution, api error InvalidRequestException: line 1:8: mismatched input`,
    ].join('\n');
    expect(scanLogForAuthFailures(text)).toEqual([]);
  });

  it("takes cloud-cost's live reload of an integration as positive evidence", () => {
    const text = [
      `${at} INF CloudCost: IngestionManager: deleting integration with key: 123/s3://b`,
      `${at} INF CloudCost: IngestionManager: creating integration with key: 123/s3://b`,
      `${at} INF CloudCost: IngestionManager: creating integration with key: new/one`,
    ].join('\n');
    expect(reloadedIntegrations(text)).toEqual(['123/s3://b']);
    expect(scanLogForPositiveSignals(text)).toEqual([
      { pattern: 'cloud-cost reloaded an integration', count: 1, firstAt: at },
    ]);
    expect(scanLogForAuthFailures(text)).toEqual([]);
    // A fresh start only creates its integrations: that is no reload.
    expect(
      scanLogForPositiveSignals(`${at} INF CloudCost: IngestionManager: creating integration with key: a/b`),
    ).toEqual([]);
  });
});

describe('where the cloud-cost status is served', () => {
  it('asks the cloud-cost Service in 3.x and 2.x statefulset mode, with the frontend as fallback', () => {
    const v3 = {
      release: 'kubecost',
      components: [
        { role: 'cloud-cost' as const, name: 'kubecost-cloud-cost' },
        { role: 'frontend' as const, name: 'kubecost-frontend' },
      ],
    };
    expect(cloudCostStatusEndpoints(v3)).toEqual([
      { service: 'kubecost-cloud-cost', port: 9005, path: '/cloudCost/status', via: 'cloud-cost' },
      { service: 'kubecost-frontend', port: 9090, path: '/model/cloudCost/status', via: 'frontend' },
    ]);
  });

  it('asks the haMode frontend Service, else the cost-analyzer Service, for singlepod installs', () => {
    expect(
      cloudCostStatusEndpoint({
        release: 'kubecost',
        components: [
          { role: 'cost-analyzer', name: 'kubecost-cost-analyzer' },
          { role: 'frontend', name: 'kubecost-frontend' },
        ],
      }),
    ).toEqual({ service: 'kubecost-frontend', port: 9090, path: '/model/cloudCost/status', via: 'frontend' });
    expect(
      cloudCostStatusEndpoint({ release: 'finops', components: [{ role: 'cost-analyzer', name: 'cost-suite' }] }),
    ).toEqual({ service: 'cost-suite', port: 9090, path: '/model/cloudCost/status', via: 'cost-analyzer' });
  });
});
