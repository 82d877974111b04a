/**
 * Kubecost installations for the sandbox and the tests, one per layout named in the design:
 * `v1-thanos`, `v2-single`, `v2-federated`, `v3-federated` and `mixed`. Each installs
 * chart-shaped objects into the clusters of a fleet, with fake credentials in the real formats,
 * and returns what it installed (so tests can check discovery against it and scan output for
 * every secret value).
 */
import type { ClusterTarget, FleetTarget } from '../kube/target.js';
import type { KubeObject } from '../kube/types.js';
import {
  aggregatorService,
  aggregatorStatefulSet,
  cloudCostContainer,
  cloudCostDeployment,
  cloudCostService,
  costAnalyzer,
  costAnalyzerService,
  diagnostics,
  env,
  frontendContainer,
  fullname,
  modelContainer,
  mounts,
  prometheusServer,
  secretObject,
  service,
  serviceAccount,
  thanos,
  volumes,
  aggregatorContainer,
  type ChartVersion,
  type Release,
} from './chart.js';
import {
  alibabaAccessKey,
  awsAccessKey,
  azureStorageKey,
  gcpServiceAccountKey,
  secretValuesOf,
  type FakeCredential,
} from './credentials.js';
import {
  azureStorageConfig,
  cloudIntegrationLegacy,
  cloudIntegrationNested,
  objstoreAzure,
  objstoreGcs,
  objstoreS3,
  serviceKeyAws,
  type AthenaTarget,
} from './documents.js';

export const LAYOUTS = ['v1-thanos', 'v2-single', 'v2-federated', 'v3-federated', 'mixed'] as const;
export type LayoutName = (typeof LAYOUTS)[number];

/** How many clusters each layout uses at least (federated layouts take any extra clusters as secondaries). */
export const LAYOUT_CLUSTERS: Readonly<Record<LayoutName, number>> = {
  'v1-thanos': 2,
  'v2-single': 1,
  'v2-federated': 3,
  'v3-federated': 2,
  mixed: 3,
};

export type InstallationLayout = 'v1-thanos' | 'v2-single' | 'v2-federated' | 'v3-federated' | 'v1-single';

export interface LayoutInstallation {
  readonly cluster: string;
  readonly namespace: string;
  readonly release: string;
  readonly chart: ChartVersion;
  readonly layout: InstallationLayout;
  readonly role: 'primary' | 'secondary' | 'single';
}

export interface InstalledLayout {
  readonly name: LayoutName;
  readonly installations: readonly LayoutInstallation[];
  /** The credentials placed in Secrets, by a short name (for example `thanos-s3`). */
  /** Tests that rotate a key record the new one here, so the map always holds what the Secrets hold. */
  readonly credentials: Map<string, FakeCredential>;
}

/** Every secret string in an installed layout: nothing the tool prints may contain one. */
export function layoutSecretValues(layout: InstalledLayout): string[] {
  return [...layout.credentials.values()].flatMap(secretValuesOf);
}

const athena = (account: string): AthenaTarget => ({
  account,
  region: 'us-east-1',
  bucket: `s3://aws-athena-query-results-${account}-us-east-1`,
  database: 'athenacurcfn_kubecost_cur',
  table: 'kubecost_cur',
  workgroup: 'primary',
});

function applyAll(cluster: ClusterTarget, objects: readonly KubeObject[]): void {
  for (const o of objects) cluster.apply(o);
}

function need(fleet: FleetTarget, layout: LayoutName): ClusterTarget[] {
  const min = LAYOUT_CLUSTERS[layout];
  if (fleet.clusters.length < min)
    throw new Error(`layout ${layout} needs at least ${min} clusters (the fleet has ${fleet.clusters.length})`);
  return [...fleet.clusters];
}

function v1Thanos(fleet: FleetTarget): InstalledLayout {
  const clusters = need(fleet, 'v1-thanos');
  const thanosKey = awsAccessKey('kubecost-thanos');
  const billingKey = awsAccessKey('kubecost-billing');
  const gcpBilling = gcpServiceAccountKey('kubecost-billing', 'acme-billing');
  const azureBilling = azureStorageKey('acmecostexports', 'key1');
  const installations: LayoutInstallation[] = [];
  clusters.forEach((cluster, i) => {
    const r: Release = { namespace: 'kubecost', release: 'kubecost', chart: '1.108.1' };
    const primary = i === 0;
    const objects: KubeObject[] = [
      secretObject(r, 'kubecost-thanos', {
        'object-store.yaml': objstoreS3('acme-kubecost-thanos', 'us-east-1', thanosKey),
      }),
    ];
    const modelMounts = [mounts.etlBucket, ...(primary ? [mounts.cloudIntegration] : [])];
    const vols: object[] = [
      volumes.etlBucket('kubecost-thanos'),
      ...(primary ? [volumes.cloudIntegration('cloud-integration')] : []),
    ];
    if (primary) {
      // Rendered by the chart from cloudIntegrationJSON, so Helm owns it.
      objects.push(
        secretObject(
          r,
          'cloud-integration',
          {
            'cloud-integration.json': cloudIntegrationLegacy([
              {
                kind: 'aws',
                target: athena('123456789012'),
                key: billingKey,
                masterPayerArn: 'arn:aws:iam::210987654321:role/KubecostRole',
              },
              {
                kind: 'gcp',
                projectId: 'acme-billing',
                billingDataDataset: 'billing_export.gcp_billing_export_resource_v1_01AB23_45CD67_89EF01',
                key: gcpBilling,
              },
              {
                kind: 'azure',
                subscriptionId: '0bd50fdf-c923-4e1e-850c-196dd3dcc5d3',
                container: 'costexports',
                key: azureBilling,
              },
            ]),
          },
          'helm',
        ),
      );
    }
    objects.push(
      costAnalyzer(r, [modelContainer(r, modelMounts, env.etlBucket), frontendContainer(r)], vols),
      costAnalyzerService(r),
      prometheusServer(r, 'kubecost-thanos'),
    );
    if (primary)
      objects.push(
        thanos(r, 'store', 'kubecost-thanos'),
        thanos(r, 'compact', 'kubecost-thanos'),
        thanos(r, 'query', 'kubecost-thanos'),
      );
    applyAll(cluster, objects);
    installations.push({
      cluster: cluster.name,
      namespace: r.namespace,
      release: r.release,
      chart: r.chart,
      layout: 'v1-thanos',
      role: primary ? 'primary' : 'secondary',
    });
  });
  return {
    name: 'v1-thanos',
    installations,
    credentials: new Map<string, FakeCredential>([
      ['thanos-s3', thanosKey],
      ['billing-aws', billingKey],
      ['billing-gcp', gcpBilling],
      ['billing-azure', azureBilling],
    ]),
  };
}

function v2Single(fleet: FleetTarget): InstalledLayout {
  const [cluster] = need(fleet, 'v2-single') as [ClusterTarget];
  const r: Release = { namespace: 'kubecost', release: 'kubecost', chart: '2.4.2' };
  const billingKey = awsAccessKey('kubecost-billing');
  const azureBilling = azureStorageKey('acmecostexports', 'key2');
  const backupKey = gcpServiceAccountKey('kubecost-etl-backup', 'acme-platform');
  applyAll(cluster, [
    secretObject(r, 'cloud-integration', {
      'cloud-integration.json': cloudIntegrationNested([
        { kind: 'athena', target: athena('123456789012'), key: billingKey },
        {
          kind: 'azureStorage',
          target: { subscriptionId: '0bd50fdf-c923-4e1e-850c-196dd3dcc5d3', container: 'costexports', path: '' },
          key: azureBilling,
        },
      ]),
    }),
    secretObject(r, 'kubecost-etl-backup', { 'object-store.yaml': objstoreGcs('acme-kubecost-etl-backup', backupKey) }),
    // singlepod: aggregator and cloud-cost run in the cost-analyzer pod; since 2.3 only cloud-cost mounts the integration.
    costAnalyzer(
      r,
      [
        modelContainer(r, [mounts.etlBucket], env.etlBucket),
        frontendContainer(r),
        aggregatorContainer(r, []),
        cloudCostContainer(r, [mounts.cloudIntegration, mounts.etlBucket], env.etlBucket),
      ],
      [volumes.cloudIntegration('cloud-integration'), volumes.etlBucket('kubecost-etl-backup')],
    ),
    costAnalyzerService(r),
    prometheusServer(r),
  ]);
  return {
    name: 'v2-single',
    installations: [
      {
        cluster: cluster.name,
        namespace: r.namespace,
        release: r.release,
        chart: r.chart,
        layout: 'v2-single',
        role: 'single',
      },
    ],
    credentials: new Map<string, FakeCredential>([
      ['billing-aws', billingKey],
      ['billing-azure', azureBilling],
      ['etl-backup-gcs', backupKey],
    ]),
  };
}

/** A 2.x federated primary (aggregator StatefulSet, cloud-cost and diagnostics Deployments). */
function v2Primary(
  cluster: ClusterTarget,
  r: Release,
  federatedSecret: string,
  federatedYaml: string,
  cloudIntegrationJson: string,
  extra: KubeObject[] = [],
): void {
  applyAll(cluster, [
    secretObject(r, federatedSecret, { 'federated-store.yaml': federatedYaml }),
    secretObject(r, 'cloud-integration', { 'cloud-integration.json': cloudIntegrationJson }),
    costAnalyzer(
      r,
      [modelContainer(r, [mounts.federatedAgent], env.federatedAgent), frontendContainer(r)],
      [volumes.federated(federatedSecret)],
    ),
    costAnalyzerService(r),
    aggregatorStatefulSet(r, federatedSecret, false),
    aggregatorService(r),
    cloudCostDeployment(r, 'cloud-integration', federatedSecret),
    cloudCostService(r),
    diagnostics(r, federatedSecret),
    prometheusServer(r),
    ...extra,
  ]);
}

/** A 2.x agentOnly secondary: cost-model only, writing to federated storage. */
function v2Secondary(
  cluster: ClusterTarget,
  r: Release,
  federatedSecret: string,
  federatedYaml: string,
  owner: Parameters<typeof secretObject>[3] = 'kubectl',
  extra: KubeObject[] = [],
): void {
  applyAll(cluster, [
    secretObject(r, federatedSecret, { 'federated-store.yaml': federatedYaml }, owner),
    costAnalyzer(
      r,
      [modelContainer(r, [mounts.federatedAgent], env.federatedAgent)],
      [volumes.federated(federatedSecret)],
    ),
    costAnalyzerService(r),
    prometheusServer(r),
    ...extra,
  ]);
}

function v2Federated(fleet: FleetTarget): InstalledLayout {
  const clusters = need(fleet, 'v2-federated');
  const federatedKey = gcpServiceAccountKey('kubecost-federated', 'acme-platform');
  const gcpBilling = gcpServiceAccountKey('kubecost-billing', 'acme-billing');
  const curKey = awsAccessKey('kubecost-cur-reader');
  const azureBilling = azureStorageKey('acmecostexports', 'key1');
  const federatedYaml = objstoreGcs('acme-kubecost-federated', federatedKey);
  const installations: LayoutInstallation[] = [];
  clusters.forEach((cluster, i) => {
    const r: Release = { namespace: 'kubecost', release: 'kubecost', chart: '2.4.2' };
    if (i === 0) {
      v2Primary(
        cluster,
        r,
        'federated-store',
        federatedYaml,
        cloudIntegrationNested([
          {
            kind: 'bigQuery',
            target: {
              projectId: 'acme-billing',
              dataset: 'billing_export',
              table: 'gcp_billing_export_resource_v1_01AB23_45CD67_89EF01',
            },
            key: gcpBilling,
          },
          {
            kind: 's3',
            target: { account: '123456789012', region: 'us-east-1', bucket: 'acme-cur-exports' },
            key: curKey,
          },
          {
            kind: 'azureStorage',
            target: { subscriptionId: '0bd50fdf-c923-4e1e-850c-196dd3dcc5d3', container: 'costexports', path: 'daily' },
            key: azureBilling,
          },
        ]),
      );
    } else {
      // One secondary takes its key from an ExternalSecret: a direct edit would be reverted.
      v2Secondary(cluster, r, 'federated-store', federatedYaml, i === 2 ? 'external-secrets' : 'kubectl');
    }
    installations.push({
      cluster: cluster.name,
      namespace: r.namespace,
      release: r.release,
      chart: r.chart,
      layout: 'v2-federated',
      role: i === 0 ? 'primary' : 'secondary',
    });
  });
  return {
    name: 'v2-federated',
    installations,
    credentials: new Map<string, FakeCredential>([
      ['federated-gcs', federatedKey],
      ['billing-gcp', gcpBilling],
      ['billing-aws', curKey],
      ['billing-azure', azureBilling],
    ]),
  };
}

function v3Federated(fleet: FleetTarget): InstalledLayout {
  const clusters = need(fleet, 'v3-federated');
  const federatedKey = azureStorageKey('acmekubecostfed', 'key1');
  const billingKey = awsAccessKey('kubecost-billing');
  const gcpBilling = gcpServiceAccountKey('kubecost-billing', 'acme-billing');
  const federatedYaml = objstoreAzure('kubecost-federated', federatedKey, 'fleet-a');
  const installations: LayoutInstallation[] = [];
  clusters.forEach((cluster, i) => {
    const r: Release = { namespace: 'kubecost', release: 'kubecost', chart: '3.0.2' };
    const federatedSecret = `${r.release}-federated-storage-config`;
    const integrationSecret = `${r.release}-cloud-cost-integration`;
    const objects: KubeObject[] = [
      secretObject(r, federatedSecret, { 'federated-store.yaml': federatedYaml }, 'helm'),
      costAnalyzer(
        r,
        [modelContainer(r, [mounts.federatedAgent], env.federatedAgent), ...(i === 0 ? [frontendContainer(r)] : [])],
        [volumes.federated(federatedSecret)],
      ),
      costAnalyzerService(r),
    ];
    if (i === 0) {
      objects.push(
        secretObject(
          r,
          integrationSecret,
          {
            'cloud-integration.json': cloudIntegrationNested([
              {
                kind: 'athena',
                target: athena('210987654321'),
                key: billingKey,
                assumeRoleArn: 'arn:aws:iam::210987654321:role/KubecostRole',
              },
              {
                kind: 'bigQuery',
                target: { projectId: 'acme-billing', dataset: 'billing_export', table: 'gcp_billing_export_v1' },
                key: gcpBilling,
              },
            ]),
          },
          'helm',
        ),
        aggregatorStatefulSet(r, federatedSecret, true),
        aggregatorService(r),
        cloudCostDeployment(r, integrationSecret, federatedSecret),
        cloudCostService(r),
      );
    }
    applyAll(cluster, objects);
    installations.push({
      cluster: cluster.name,
      namespace: r.namespace,
      release: r.release,
      chart: r.chart,
      layout: 'v3-federated',
      role: i === 0 ? 'primary' : 'secondary',
    });
  });
  return {
    name: 'v3-federated',
    installations,
    credentials: new Map<string, FakeCredential>([
      ['federated-azure', federatedKey],
      ['billing-aws', billingKey],
      ['billing-gcp', gcpBilling],
    ]),
  };
}

function mixed(fleet: FleetTarget): InstalledLayout {
  const [c1, c2, c3] = need(fleet, 'mixed') as [ClusterTarget, ClusterTarget, ClusterTarget];
  const shared = awsAccessKey('kubecost-shared');
  const gcpBilling = gcpServiceAccountKey('kubecost-billing', 'acme-billing');
  const alibaba = alibabaAccessKey();
  const legacyServiceKey = awsAccessKey('kubecost-pricing');
  const legacyAzure = azureStorageKey('acmelegacyexports', 'key2');
  const federatedYaml = objstoreS3('acme-kubecost-federated', 'eu-west-1', shared, 'finops');

  // Cluster 1: release "finops" in namespace "cost" with fullnameOverride, a 2.x federated primary.
  // The same AWS key reads the CUR (cloud integration) and writes federated storage.
  const r1: Release = { namespace: 'cost', release: 'finops', chart: '2.4.2', fullnameOverride: 'cost-suite' };
  v2Primary(
    c1,
    r1,
    'kubecost-object-store',
    federatedYaml,
    cloudIntegrationLegacy([
      { kind: 'aws', target: athena('123456789012'), key: shared },
      {
        kind: 'gcp',
        projectId: 'acme-billing',
        billingDataDataset: 'billing_export.gcp_billing_export_v1',
        key: gcpBilling,
      },
      { kind: 'alibaba', region: 'cn-hangzhou', account: '1234567890123456', key: alibaba },
    ]),
    [
      // Not a Kubecost component, but it reads the integration and the store (through an env var).
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'cur-exporter', namespace: 'cost', labels: { app: 'cur-exporter' } },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'cur-exporter' } },
          template: {
            metadata: { labels: { app: 'cur-exporter' } },
            spec: {
              containers: [
                {
                  name: 'exporter',
                  image: 'acme/cur-exporter:1.4',
                  volumeMounts: [{ name: 'integration', mountPath: '/etc/kubecost' }],
                  env: [
                    {
                      name: 'FEDERATED_STORE_YAML',
                      valueFrom: { secretKeyRef: { name: 'kubecost-object-store', key: 'federated-store.yaml' } },
                    },
                  ],
                },
              ],
              volumes: [{ name: 'integration', secret: { secretName: 'cloud-integration' } }],
            },
          },
        },
      },
    ],
  );

  // Cluster 2: release "kubecost", a 2.x agentOnly secondary whose store Secret is a SealedSecret.
  const r2: Release = { namespace: 'kubecost', release: 'kubecost', chart: '2.4.2' };
  v2Secondary(c2, r2, 'kubecost-object-store', federatedYaml, 'sealed-secrets');

  // Cluster 3: a 1.x single cluster in "monitoring" with legacy key Secrets, IRSA on its service account,
  // and a reference to a GCP key Secret that does not exist.
  const r3: Release = { namespace: 'monitoring', release: 'kubecost', chart: '1.108.1' };
  applyAll(c3, [
    secretObject(r3, 'cloud-service-key', { 'service-key.json': serviceKeyAws(legacyServiceKey) }, 'argocd'),
    secretObject(r3, 'azure-storage-config', {
      'azure-storage-config.json': azureStorageConfig(legacyAzure, 'costexports'),
    }),
    serviceAccount(r3, fullname(r3), { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/kubecost-irsa' }),
    costAnalyzer(
      r3,
      [
        modelContainer(r3, [
          mounts.serviceKey,
          mounts.azureStorageConfig,
          { volume: 'gcp-key', path: '/var/configs/gcp' },
        ]),
        frontendContainer(r3),
      ],
      [
        volumes.serviceKey('cloud-service-key'),
        volumes.azureStorageConfig('azure-storage-config'),
        { name: 'gcp-key', secret: { secretName: 'old-gcp-key' } },
      ],
      fullname(r3),
    ),
    costAnalyzerService(r3),
    prometheusServer(r3),
    service(r3, 'unused', { app: 'nothing' }, [{ name: 'http', port: 80 }]),
  ]);

  return {
    name: 'mixed',
    installations: [
      {
        cluster: c1.name,
        namespace: r1.namespace,
        release: r1.release,
        chart: r1.chart,
        layout: 'v2-federated',
        role: 'primary',
      },
      {
        cluster: c2.name,
        namespace: r2.namespace,
        release: r2.release,
        chart: r2.chart,
        layout: 'v2-federated',
        role: 'secondary',
      },
      {
        cluster: c3.name,
        namespace: r3.namespace,
        release: r3.release,
        chart: r3.chart,
        layout: 'v1-single',
        role: 'single',
      },
    ],
    credentials: new Map<string, FakeCredential>([
      ['shared-aws', shared],
      ['billing-gcp', gcpBilling],
      ['billing-alibaba', alibaba],
      ['service-key-aws', legacyServiceKey],
      ['legacy-azure', legacyAzure],
    ]),
  };
}

/** Installs a layout into the fleet's clusters (in order: the first cluster is the primary). */
export function installLayout(fleet: FleetTarget, name: LayoutName): InstalledLayout {
  switch (name) {
    case 'v1-thanos':
      return v1Thanos(fleet);
    case 'v2-single':
      return v2Single(fleet);
    case 'v2-federated':
      return v2Federated(fleet);
    case 'v3-federated':
      return v3Federated(fleet);
    case 'mixed':
      return mixed(fleet);
  }
}
