/**
 * Kubecost installations for the sandbox and the tests, shaped like the real chart renders them
 * (reference §1.10 for 2.9.7 and 3.2.1): names, object and pod labels, containers, mount kinds
 * and paths, with fake credentials in the real formats.
 *
 * A layout is pure data first: {@link renderLayout} returns the objects of each cluster and a
 * description of what they are (installations, credentials); {@link installLayout} applies them
 * to a fleet through `ClusterTarget.apply` only, so the same layout runs on kube-sim and on a real
 * API server.
 */
import type { ClusterTarget, FleetTarget } from '../kube/target.js';
import type { KubeObject } from '../kube/types.js';
import {
  aggregatorContainer,
  aggregatorService,
  aggregatorStatefulSet,
  cloudCostContainer,
  cloudCostDeployment,
  cloudCostService,
  clusterController,
  costAnalyzer,
  costAnalyzerService,
  diagnostics,
  env,
  etlUtils,
  federator,
  finopsAgent,
  finopsAgentName,
  finopsAgentService,
  forecasting,
  frontendContainer,
  frontendService,
  frontendV3,
  fullname,
  grafana,
  haModeFrontend,
  localStore,
  localStoreService,
  modelContainer,
  mounts,
  networkCosts,
  prometheusServer,
  secretObject,
  service,
  serviceAccount,
  thanos,
  volumes,
  type ChartVersion,
  type Mount,
  type Release,
  type SecretOwner,
} from './chart.js';
import {
  alibabaAccessKey,
  awsAccessKey,
  azureStorageKey,
  gcpApiKey,
  gcpServiceAccountKey,
  secretValuesOf,
  type FakeCredential,
  type GcpApiKey,
  type GcpServiceAccountKey,
} from './credentials.js';
import {
  azureStorageConfig,
  cloudIntegrationLegacy,
  cloudIntegrationNested,
  metricsConfig,
  objstoreAzure,
  objstoreCluster,
  objstoreGcs,
  objstoreS3,
  objstoreS3Session,
  serviceKeyAws,
  type AthenaTarget,
} from './documents.js';

import { LAYOUTS, type LayoutName } from './layout-names.js';

export { LAYOUTS, type LayoutName };

/** How many clusters each layout uses at least (federated layouts take any extra clusters as secondaries). */
export const LAYOUT_CLUSTERS: Readonly<Record<LayoutName, number>> = {
  'v1-thanos': 2,
  'v1-federated': 2,
  'v2-single': 1,
  'v2-federated': 3,
  'v2-singlepod': 2,
  'v2-hamode': 1,
  'v2.9': 3,
  v3: 3,
  'v3.0': 2,
  mixed: 5,
};

/** One line per layout, for `--help` and the README. */
export const LAYOUT_DESCRIPTIONS: Readonly<Record<LayoutName, string>> = {
  'v1-thanos': '1.108 with Thanos: sidecar, store, compact, query-frontend; diagnostics on every cluster',
  'v1-federated': '1.108 federated ETL: a primary with federator and aggregator, and a secondary',
  'v2-single': '2.4 single cluster, singlepod (aggregator and cloud-cost in the cost-analyzer pod)',
  'v2-federated': '2.4 federated: a primary with aggregator StatefulSet and cloud-cost, two agentOnly secondaries',
  'v2-singlepod': '2.8 federated primary in singlepod mode (the aggregator container reads the store), a secondary',
  'v2-hamode': '2.8 single cluster with the haMode frontend Deployment',
  'v2.9': '2.9 with the finops agent and global.federatedStorage: a primary, a secondary, a single cluster',
  v3: '3.2: a primary, an agent-only secondary, a single cluster on the default keyless store',
  'v3.0': '3.0.2 (finops-agent alias), a custom store fileName and a separate actions store',
  mixed: 'one federated key shared by 3.x, 2.x and 1.x clusters, plus the odd shapes people run',
};

/** The layout and role discovery must report for an installation (DESIGN §2). */
export type InstallationLayout =
  'v1-thanos' | 'v1-single' | 'v1-federated' | 'v2-single' | 'v2-federated' | 'v3-single' | 'v3-federated';

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
  /** The data values of every Secret installed, decoded: the documents the programs read (see `provisionResources`). */
  readonly documents?: readonly string[];
}

export interface RenderedLayout {
  /** The objects of each cluster, in apply order (Secrets before the workloads that read them). */
  readonly objects: ReadonlyMap<string, readonly KubeObject[]>;
  readonly layout: InstalledLayout;
}

export interface RenderOptions {
  /** Render the 3.x network-costs DaemonSet (it reads no Secret). On by default, as the chart does. */
  readonly daemonSets?: boolean;
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

const BILLING_TABLE = 'gcp_billing_export_resource_v1_01AB23_45CD67_89EF01';
const SUBSCRIPTION = '0bd50fdf-c923-4e1e-850c-196dd3dcc5d3';

/** Collects one layout's objects per cluster and what discovery must find. */
class Builder {
  readonly objects = new Map<string, KubeObject[]>();
  readonly installations: LayoutInstallation[] = [];
  readonly credentials = new Map<string, FakeCredential>();

  constructor(
    readonly name: LayoutName,
    readonly clusters: readonly string[],
    readonly options: RenderOptions,
  ) {
    const min = LAYOUT_CLUSTERS[name];
    if (clusters.length < min)
      throw new Error(`layout ${name} needs at least ${min} clusters (the fleet has ${clusters.length})`);
    for (const c of clusters) this.objects.set(c, []);
  }

  add(cluster: string, ...objects: KubeObject[]): void {
    this.objects.get(cluster)?.push(...objects);
  }

  installed(cluster: string, r: Release, layout: InstallationLayout, role: LayoutInstallation['role']): void {
    this.installations.push({ cluster, namespace: r.namespace, release: r.release, chart: r.chart, layout, role });
  }

  key<C extends FakeCredential>(name: string, credential: C): C {
    this.credentials.set(name, credential);
    return credential;
  }

  done(): RenderedLayout {
    return {
      objects: this.objects,
      layout: { name: this.name, installations: this.installations, credentials: this.credentials },
    };
  }
}

// ------------------------------------------------------------------------------------ 1.x

function v1Thanos(b: Builder): void {
  const thanosKey = b.key('thanos-s3', awsAccessKey('kubecost-thanos'));
  const billingKey = b.key('billing-aws', awsAccessKey('kubecost-billing'));
  const gcpBilling = b.key('billing-gcp', gcpServiceAccountKey('kubecost-billing', 'acme-billing'));
  const azureBilling = b.key('billing-azure', azureStorageKey('acmecostexports', 'key1'));
  b.clusters.forEach((cluster, i) => {
    const r: Release = { namespace: 'kubecost', release: 'kubecost', chart: '1.108.1' };
    const primary = i === 0;
    b.add(
      cluster,
      secretObject(r, 'kubecost-thanos', {
        'object-store.yaml': objstoreS3('acme-kubecost-thanos', 'us-east-1', thanosKey),
      }),
    );
    if (primary) {
      // Rendered by the chart from cloudIntegrationJSON, so Helm owns it.
      b.add(
        cluster,
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
                billingDataDataset: `billing_export.${BILLING_TABLE}`,
                key: gcpBilling,
              },
              { kind: 'azure', subscriptionId: SUBSCRIPTION, container: 'costexports', key: azureBilling },
            ]),
          },
          'helm',
        ),
      );
    }
    const modelMounts = [mounts.etlBucket, ...(primary ? [mounts.cloudIntegration] : [])];
    const vols: object[] = [
      volumes.etlBucket('kubecost-thanos'),
      ...(primary ? [volumes.cloudIntegration('cloud-integration')] : []),
    ];
    b.add(
      cluster,
      costAnalyzer(r, [modelContainer(r, modelMounts, env.etlBucket), frontendContainer(r)], vols),
      costAnalyzerService(r),
      prometheusServer(r, 'kubecost-thanos'),
      // 1.108.1: diagnostics is on by default with Thanos, on primaries and secondaries (§1.10).
      diagnostics(r, 'kubecost-thanos', 'thanos'),
    );
    if (primary)
      b.add(
        cluster,
        thanos(r, 'store', 'kubecost-thanos'),
        thanos(r, 'compact', 'kubecost-thanos'),
        thanos(r, 'query', 'kubecost-thanos'),
        thanos(r, 'query-frontend', 'kubecost-thanos'),
      );
    b.installed(cluster, r, 'v1-thanos', primary ? 'primary' : 'secondary');
  });
}

/** A 1.x federated-ETL writer: cost-model writes its ETL to the federated store. */
function v1FederatedWriter(
  r: Release,
  storeSecret: string,
  extra: { mounts?: readonly Mount[]; volumes?: readonly object[] } = {},
): KubeObject {
  return costAnalyzer(
    r,
    [modelContainer(r, [mounts.federatedAgent, ...(extra.mounts ?? [])], env.federatedAgent), frontendContainer(r)],
    [volumes.federated(storeSecret), ...(extra.volumes ?? [])],
  );
}

function v1Federated(b: Builder): void {
  const storeKey = b.key('federated-s3', awsAccessKey('kubecost-federated'));
  const billingKey = b.key('billing-aws', awsAccessKey('kubecost-billing'));
  const storeYaml = objstoreS3('acme-kubecost-federated', 'us-east-2', storeKey);
  b.clusters.forEach((cluster, i) => {
    const r: Release = { namespace: 'kubecost', release: 'kubecost', chart: '1.108.1' };
    b.add(cluster, secretObject(r, 'federated-store', { 'federated-store.yaml': storeYaml }));
    if (i === 0) {
      b.add(
        cluster,
        secretObject(r, 'cloud-integration', {
          'cloud-integration.json': cloudIntegrationNested([
            { kind: 'athena', target: athena('123456789012'), key: billingKey },
          ]),
        }),
        v1FederatedWriter(r, 'federated-store', {
          mounts: [mounts.cloudIntegration],
          volumes: [volumes.cloudIntegration('cloud-integration')],
        }),
        federator(r, 'federated-store'),
        // kubecostAggregator.enabled (1.107+): the aggregator StatefulSet reads the combined ETL.
        aggregatorStatefulSet(r, 'federated-store'),
        aggregatorService(r),
      );
    } else {
      b.add(cluster, v1FederatedWriter(r, 'federated-store'));
    }
    b.add(cluster, costAnalyzerService(r), prometheusServer(r));
    b.installed(cluster, r, 'v1-federated', i === 0 ? 'primary' : 'secondary');
  });
}

// ------------------------------------------------------------------------------------ 2.x up to 2.8

function v2Single(b: Builder): void {
  const [cluster] = b.clusters as [string];
  const r: Release = { namespace: 'kubecost', release: 'kubecost', chart: '2.4.2' };
  const billingKey = b.key('billing-aws', awsAccessKey('kubecost-billing'));
  const azureBilling = b.key('billing-azure', azureStorageKey('acmecostexports', 'key2'));
  const backupKey = b.key('etl-backup-gcs', gcpServiceAccountKey('kubecost-etl-backup', 'acme-platform'));
  b.add(
    cluster,
    secretObject(r, 'cloud-integration', {
      'cloud-integration.json': cloudIntegrationNested([
        { kind: 'athena', target: athena('123456789012'), key: billingKey },
        {
          kind: 'azureStorage',
          target: { subscriptionId: SUBSCRIPTION, container: 'costexports', path: '' },
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
  );
  b.installed(cluster, r, 'v2-single', 'single');
}

/** A 2.x federated primary (aggregator StatefulSet, cloud-cost and diagnostics Deployments). */
function v2Primary(
  b: Builder,
  cluster: string,
  r: Release,
  federatedSecret: string,
  federatedYaml: string,
  cloudIntegrationJson: string,
  owner: SecretOwner = 'kubectl',
): void {
  b.add(
    cluster,
    secretObject(r, federatedSecret, { 'federated-store.yaml': federatedYaml }, owner),
    secretObject(r, 'cloud-integration', { 'cloud-integration.json': cloudIntegrationJson }),
    costAnalyzer(
      r,
      [modelContainer(r, [mounts.federatedAgent], env.federatedAgent), frontendContainer(r)],
      [volumes.federated(federatedSecret)],
    ),
    costAnalyzerService(r),
    aggregatorStatefulSet(r, federatedSecret),
    aggregatorService(r),
    cloudCostDeployment(r, 'cloud-integration', federatedSecret),
    cloudCostService(r),
    diagnostics(r, federatedSecret),
    prometheusServer(r),
  );
}

/** A 2.x agentOnly secondary: cost-model only, writing to federated storage. */
function v2Secondary(
  b: Builder,
  cluster: string,
  r: Release,
  federatedSecret: string,
  federatedYaml: string,
  owner: SecretOwner = 'kubectl',
): void {
  b.add(
    cluster,
    secretObject(r, federatedSecret, { 'federated-store.yaml': federatedYaml }, owner),
    costAnalyzer(
      r,
      [modelContainer(r, [mounts.federatedAgent], env.federatedAgent)],
      [volumes.federated(federatedSecret)],
    ),
    costAnalyzerService(r),
    prometheusServer(r),
  );
}

function v2Federated(b: Builder): void {
  const federatedKey = b.key('federated-gcs', gcpServiceAccountKey('kubecost-federated', 'acme-platform'));
  const gcpBilling = b.key('billing-gcp', gcpServiceAccountKey('kubecost-billing', 'acme-billing'));
  const curKey = b.key('billing-aws', awsAccessKey('kubecost-cur-reader'));
  const azureBilling = b.key('billing-azure', azureStorageKey('acmecostexports', 'key1'));
  const federatedYaml = objstoreGcs('acme-kubecost-federated', federatedKey);
  b.clusters.forEach((cluster, i) => {
    const r: Release = { namespace: 'kubecost', release: 'kubecost', chart: '2.4.2' };
    if (i === 0) {
      v2Primary(
        b,
        cluster,
        r,
        'federated-store',
        federatedYaml,
        cloudIntegrationNested([
          {
            kind: 'bigQuery',
            target: { projectId: 'acme-billing', dataset: 'billing_export', table: BILLING_TABLE },
            key: gcpBilling,
          },
          {
            kind: 's3',
            target: { account: '123456789012', region: 'us-east-1', bucket: 'acme-cur-exports' },
            key: curKey,
          },
          {
            kind: 'azureStorage',
            target: { subscriptionId: SUBSCRIPTION, container: 'costexports', path: 'daily' },
            key: azureBilling,
          },
        ]),
      );
    } else {
      // One secondary takes its key from an ExternalSecret: a direct edit would be reverted.
      v2Secondary(b, cluster, r, 'federated-store', federatedYaml, i === 2 ? 'external-secrets' : 'kubectl');
    }
    b.installed(cluster, r, 'v2-federated', i === 0 ? 'primary' : 'secondary');
  });
}

/** 2.x singlepod federated primary: the aggregator is a container of the cost-analyzer pod and reads the store. */
function v2Singlepod(b: Builder): void {
  const storeKey = b.key('federated-s3', awsAccessKey('kubecost-federated'));
  const gcpBilling = b.key('billing-gcp', gcpServiceAccountKey('kubecost-billing', 'acme-billing'));
  const storeYaml = objstoreS3('acme-kubecost-etl', 'eu-central-1', storeKey);
  b.clusters.forEach((cluster, i) => {
    const r: Release = { namespace: 'kubecost', release: 'kubecost', chart: '2.8.7' };
    if (i === 0) {
      b.add(
        cluster,
        secretObject(r, 'federated-store', { 'federated-store.yaml': storeYaml }),
        secretObject(r, 'cloud-integration', {
          'cloud-integration.json': cloudIntegrationNested([
            {
              kind: 'bigQuery',
              target: { projectId: 'acme-billing', dataset: 'billing_export', table: BILLING_TABLE },
              key: gcpBilling,
            },
          ]),
        }),
        costAnalyzer(
          r,
          [
            modelContainer(r, [mounts.federatedAgent], env.federatedAgent),
            frontendContainer(r),
            aggregatorContainer(r, [mounts.federatedPrimary], env.federatedPrimary),
            cloudCostContainer(r, [mounts.federatedAgent, mounts.cloudIntegration], {
              FEDERATED_STORE_CONFIG: env.federatedAgent.FEDERATED_STORE_CONFIG,
            }),
          ],
          [volumes.federated('federated-store'), volumes.cloudIntegration('cloud-integration')],
        ),
        costAnalyzerService(r),
        prometheusServer(r),
      );
    } else {
      v2Secondary(b, cluster, r, 'federated-store', storeYaml);
    }
    b.installed(cluster, r, 'v2-federated', i === 0 ? 'primary' : 'secondary');
  });
}

/** 2.x single cluster whose frontend runs as its own Deployment (haMode): its pods say app=cost-analyzer. */
function v2HaMode(b: Builder): void {
  const [cluster] = b.clusters as [string];
  const r: Release = { namespace: 'kubecost', release: 'kubecost', chart: '2.8.7' };
  const azureBilling = b.key('billing-azure', azureStorageKey('acmecostexports', 'key1'));
  b.add(
    cluster,
    secretObject(r, 'cloud-integration', {
      'cloud-integration.json': cloudIntegrationNested([
        {
          kind: 'azureStorage',
          target: { subscriptionId: SUBSCRIPTION, container: 'costexports', path: '' },
          key: azureBilling,
        },
      ]),
    }),
    costAnalyzer(
      r,
      [modelContainer(r, []), aggregatorContainer(r, []), cloudCostContainer(r, [mounts.cloudIntegration])],
      [volumes.cloudIntegration('cloud-integration')],
    ),
    costAnalyzerService(r),
    haModeFrontend(r),
    frontendService(r),
    prometheusServer(r),
  );
  b.installed(cluster, r, 'v2-single', 'single');
}

// ------------------------------------------------------------------------------------ 2.9 and 3.x

interface AgentSecrets {
  /** The pricing API key, shared by every cluster of a layout. */
  readonly pricing: GcpApiKey;
}

/** The finops agent's Secrets and ServiceAccount (2.9 and 3.x). */
function agentObjects(r: Release, s: AgentSecrets): KubeObject[] {
  return [
    secretObject(r, `${r.release}-csp-pricing-api-key-secret`, { CSP_PRICING_API_KEY: s.pricing.apiKey }, 'helm'),
    secretObject(r, `${r.release}-metrics-config`, { 'metrics.json': metricsConfig() }, 'helm'),
    serviceAccount(r, `${r.release}-${finopsAgentName(r)}`),
  ];
}

function agent(r: Release, storeSecret: string, fileName = 'federated-store.yaml'): KubeObject {
  return finopsAgent(r, {
    storeSecret,
    fileName,
    pricingSecret: `${r.release}-csp-pricing-api-key-secret`,
    metricsSecret: `${r.release}-metrics-config`,
  });
}

function v29(b: Builder): void {
  const storeKey = b.key('federated-s3', awsAccessKey('kubecost-federated'));
  const billingKey = b.key('billing-aws', awsAccessKey('kubecost-billing'));
  const pricing = b.key('pricing-api-key', gcpApiKey('acme-platform'));
  const gcpKey = b.key('gcp-key', gcpServiceAccountKey('kubecost-pricing', 'acme-platform'));
  const thanosKey = b.key('thanos-s3', awsAccessKey('kubecost-thanos'));
  const singleStoreKey = b.key('single-store-gcs', gcpServiceAccountKey('kubecost-team-b', 'acme-team-b'));
  const singleBilling = b.key('single-billing-azure', azureStorageKey('teambcostexports', 'key1'));
  const storeYaml = objstoreS3('acme-kubecost-federated', 'us-west-2', storeKey);
  const grafanaSecret = (r: Release) =>
    secretObject(r, `${r.release}-grafana`, { 'admin-user': 'admin', 'admin-password': 'strongpassword' }, 'helm');
  const gcpKeySecret = (r: Release) => secretObject(r, 'gcp-key', { 'compute-viewer-kubecost-key.json': gcpKey.json });
  const last = b.clusters.length - 1;
  b.clusters.forEach((cluster, i) => {
    const r: Release = { namespace: 'kubecost', release: 'kubecost', chart: '2.9.7' };
    b.add(cluster, ...agentObjects(r, { pricing }));
    if (i === 0) {
      // v2.9-primary-sts: aggregator StatefulSet, cloud-cost, diagnostics, etl-utils, haMode frontend.
      b.add(
        cluster,
        secretObject(r, 'federated-store', { 'federated-store.yaml': storeYaml }),
        secretObject(r, 'cloud-integration', {
          'cloud-integration.json': cloudIntegrationNested([
            { kind: 'athena', target: athena('123456789012'), key: billingKey },
          ]),
        }),
        gcpKeySecret(r),
        secretObject(r, 'kubecost-thanos', {
          'object-store.yaml': objstoreS3('acme-kubecost-thanos', 'us-west-2', thanosKey),
        }),
        grafanaSecret(r),
        agent(r, 'federated-store'),
        finopsAgentService(r),
        cloudCostDeployment(r, 'cloud-integration', 'federated-store'),
        cloudCostService(r),
        costAnalyzer(
          r,
          [modelContainer(r, [mounts.federatedAgent, mounts.gcpKey], env.federatedAgent)],
          [volumes.federated('federated-store'), volumes.gcpKey('gcp-key')],
        ),
        costAnalyzerService(r),
        diagnostics(r, 'federated-store'),
        etlUtils(r, 'kubecost-thanos'),
        forecasting(r),
        haModeFrontend(r, 1),
        frontendService(r),
        grafana(r, `${r.release}-grafana`),
        prometheusServer(r),
        aggregatorStatefulSet(r, 'federated-store'),
        aggregatorService(r),
      );
      b.installed(cluster, r, 'v2-federated', 'primary');
    } else if (i < last) {
      // v2.9-secondary-agentonly.
      b.add(
        cluster,
        secretObject(r, 'federated-store', { 'federated-store.yaml': storeYaml }),
        agent(r, 'federated-store'),
        costAnalyzer(
          r,
          [modelContainer(r, [mounts.federatedAgent], env.federatedAgent)],
          [volumes.federated('federated-store')],
        ),
        costAnalyzerService(r),
        diagnostics(r, 'federated-store'),
        prometheusServer(r),
      );
      b.installed(cluster, r, 'v2-federated', 'secondary');
    } else {
      // v2.9-single-singlepod: the store is mandatory, even on one cluster (its own bucket).
      const store = `${r.release}-federated-storage-config`;
      b.add(
        cluster,
        secretObject(r, store, { 'federated-store.yaml': objstoreGcs('acme-team-b-kubecost', singleStoreKey) }, 'helm'),
        secretObject(r, 'cloud-integration', {
          'cloud-integration.json': cloudIntegrationNested([
            {
              kind: 'azureStorage',
              target: { subscriptionId: SUBSCRIPTION, container: 'teambexports', path: '' },
              key: singleBilling,
            },
          ]),
        }),
        gcpKeySecret(r),
        grafanaSecret(r),
        agent(r, store),
        costAnalyzer(
          r,
          [
            modelContainer(r, [mounts.federatedAgent, mounts.gcpKey], env.federatedAgent),
            frontendContainer(r),
            aggregatorContainer(r, [mounts.federatedPrimary], env.federatedPrimary),
            cloudCostContainer(r, [mounts.federatedAgent, mounts.cloudIntegration], {
              FEDERATED_STORE_CONFIG: env.federatedAgent.FEDERATED_STORE_CONFIG,
            }),
          ],
          [volumes.federated(store), volumes.gcpKey('gcp-key'), volumes.cloudIntegration('cloud-integration')],
        ),
        costAnalyzerService(r),
        forecasting(r),
        grafana(r, `${r.release}-grafana`),
        prometheusServer(r),
      );
      b.installed(cluster, r, 'v2-single', 'single');
    }
  });
}

interface V3Options {
  readonly storeSecret: string;
  readonly storeYaml: string;
  readonly fileName?: string;
  readonly storeOwner?: SecretOwner;
  readonly pricing: GcpApiKey;
  /** The cluster-controller's GCP key; without one its Secret is left out (it is optional). */
  readonly controllerKey?: GcpServiceAccountKey;
  /** A separate actions store (`actions-store.yaml`); by default the cluster-controller uses the federated store. */
  readonly actionsStore?: { readonly secret: string; readonly yaml: string };
}

/** What every 3.x cluster runs: the finops agent and the cluster-controller, with their Secrets. */
function v3Agent(b: Builder, cluster: string, r: Release, o: V3Options): void {
  const fileName = o.fileName ?? 'federated-store.yaml';
  if (b.options.daemonSets !== false) b.add(cluster, networkCosts(r));
  b.add(
    cluster,
    secretObject(r, o.storeSecret, { [fileName]: o.storeYaml }, o.storeOwner ?? 'kubectl'),
    ...agentObjects(r, { pricing: o.pricing }),
    ...(o.controllerKey
      ? [secretObject(r, 'cluster-controller-service-key', { 'service-key.json': o.controllerKey.json })]
      : []),
    ...(o.actionsStore ? [secretObject(r, o.actionsStore.secret, { 'actions-store.yaml': o.actionsStore.yaml })] : []),
    serviceAccount(r, `${r.release}-cluster-controller`),
    agent(r, o.storeSecret, fileName),
    finopsAgentService(r),
    clusterController(r, {
      keySecret: 'cluster-controller-service-key',
      actionsSecret: o.actionsStore?.secret ?? o.storeSecret,
      actionsKey: o.actionsStore ? 'actions-store.yaml' : fileName,
    }),
  );
}

/** A 3.x primary or single cluster: the agent, plus aggregator, cloud-cost, frontend and forecasting. */
function v3Primary(b: Builder, cluster: string, r: Release, o: V3Options, integration: string, local = false): void {
  const fileName = o.fileName ?? 'federated-store.yaml';
  v3Agent(b, cluster, r, o);
  b.add(
    cluster,
    secretObject(r, 'cloud-integration', { 'cloud-integration.json': integration }),
    cloudCostDeployment(r, 'cloud-integration', o.storeSecret, fileName),
    cloudCostService(r),
    forecasting(r),
    frontendV3(r),
    frontendService(r),
    ...(local ? [localStore(r, o.storeSecret, fileName), localStoreService(r)] : []),
    aggregatorStatefulSet(r, o.storeSecret, fileName),
    aggregatorService(r),
  );
}

function v3(b: Builder): void {
  const storeKey = b.key('federated-azure', azureStorageKey('acmekubecostfed', 'key1'));
  const billingKey = b.key('billing-aws', awsAccessKey('kubecost-billing'));
  const gcpBilling = b.key('billing-gcp', gcpServiceAccountKey('kubecost-billing', 'acme-billing'));
  const pricing = b.key('pricing-api-key', gcpApiKey('acme-platform'));
  const controllerKey = b.key('cluster-controller-gcp', gcpServiceAccountKey('kubecost-actions', 'acme-platform'));
  const singleBilling = b.key('single-billing-azure', azureStorageKey('teambcostexports', 'key2'));
  const storeYaml = objstoreAzure('kubecost-federated', storeKey, 'fleet-a');
  const last = b.clusters.length - 1;
  b.clusters.forEach((cluster, i) => {
    const r: Release = { namespace: 'kubecost', release: 'kubecost', chart: '3.2.1' };
    if (i === 0) {
      v3Primary(
        b,
        cluster,
        r,
        { storeSecret: 'federated-store', storeYaml, pricing, controllerKey },
        cloudIntegrationNested([
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
      );
      b.installed(cluster, r, 'v3-federated', 'primary');
    } else if (i < last) {
      v3Agent(b, cluster, r, { storeSecret: 'federated-store', storeYaml, pricing, controllerKey });
      b.installed(cluster, r, 'v3-federated', 'secondary');
    } else {
      // v3-single-default: no store configured, so the chart renders the keyless local store.
      v3Primary(
        b,
        cluster,
        r,
        {
          storeSecret: `${r.release}-federated-storage-config`,
          storeYaml: objstoreCluster(r.release, r.namespace),
          storeOwner: 'helm',
          pricing,
          controllerKey,
        },
        cloudIntegrationNested([
          {
            kind: 'azureStorage',
            target: { subscriptionId: SUBSCRIPTION, container: 'teambexports', path: '' },
            key: singleBilling,
          },
        ]),
        true,
      );
      b.installed(cluster, r, 'v3-single', 'single');
    }
  });
}

/** 3.0.2: the `finops-agent` alias, a store under a custom fileName, a separate actions store, no controller key. */
function v30(b: Builder): void {
  const storeKey = b.key('federated-gcs', gcpServiceAccountKey('kubecost-federated', 'acme-platform'));
  const gcpBilling = b.key('billing-gcp', gcpServiceAccountKey('kubecost-billing', 'acme-billing'));
  const actionsKey = b.key('actions-s3', awsAccessKey('kubecost-actions'));
  const pricing = b.key('pricing-api-key', gcpApiKey('acme-platform'));
  const fileName = 'federated-store-prod.yaml';
  const storeYaml = objstoreGcs('acme-kubecost-federated', storeKey);
  b.clusters.forEach((cluster, i) => {
    const r: Release = { namespace: 'kubecost', release: 'kubecost', chart: '3.0.2' };
    const o: V3Options = {
      storeSecret: `${r.release}-federated-storage-config`,
      storeYaml,
      fileName,
      storeOwner: 'helm',
      pricing,
      ...(i === 0
        ? {
            actionsStore: {
              secret: `${r.release}-actions-bucket-config`,
              yaml: objstoreS3('acme-kubecost-actions', 'us-east-1', actionsKey),
            },
          }
        : {}),
    };
    if (i === 0) {
      v3Primary(
        b,
        cluster,
        r,
        o,
        cloudIntegrationNested([
          {
            kind: 'bigQuery',
            target: { projectId: 'acme-billing', dataset: 'billing_export', table: BILLING_TABLE },
            key: gcpBilling,
          },
        ]),
      );
    } else {
      v3Agent(b, cluster, r, o);
    }
    b.installed(cluster, r, 'v3-federated', i === 0 ? 'primary' : 'secondary');
  });
}

// ------------------------------------------------------------------------------------ mixed

/** A workload of no chart that reads the integration and (through an env var) the store. */
function curExporter(namespace: string, storeSecret: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'cur-exporter', namespace, labels: { app: 'cur-exporter' } },
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
                  valueFrom: { secretKeyRef: { name: storeSecret, key: 'federated-store.yaml' } },
                },
              ],
            },
          ],
          volumes: [{ name: 'integration', secret: { secretName: 'cloud-integration' } }],
        },
      },
    },
  };
}

/** A workload with the Kubecost chart's labels that no rule knows (as a newer chart might add one). */
function unknownChartComponent(r: Release): KubeObject {
  const own = { 'app.kubernetes.io/name': 'usage-reporter', app: 'usage-reporter' };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: `${r.release}-usage-reporter`,
      namespace: r.namespace,
      labels: { ...own, 'helm.sh/chart': `kubecost-${r.chart}`, 'app.kubernetes.io/instance': r.release },
    },
    spec: {
      replicas: 1,
      selector: { matchLabels: { ...own, 'app.kubernetes.io/instance': r.release } },
      template: {
        metadata: { labels: { ...own, 'app.kubernetes.io/instance': r.release } },
        spec: { containers: [{ name: 'usage-reporter', image: `gcr.io/kubecost1/usage-reporter:${r.chart}` }] },
      },
    },
  };
}

function mixed(b: Builder): void {
  const [c1, c2, c3, c4, c5] = b.clusters as [string, string, string, string, string];
  const shared = b.key('shared-aws', awsAccessKey('kubecost-shared'));
  const gcpBilling = b.key('billing-gcp', gcpServiceAccountKey('kubecost-billing', 'acme-billing'));
  const alibaba = b.key('billing-alibaba', alibabaAccessKey());
  const pricing = b.key('pricing-api-key', gcpApiKey('acme-platform'));
  const controllerKey = b.key('cluster-controller-gcp', gcpServiceAccountKey('kubecost-actions', 'acme-platform'));
  const legacyServiceKey = b.key('service-key-aws', awsAccessKey('kubecost-pricing'));
  const legacyAzure = b.key('legacy-azure', azureStorageKey('acmelegacyexports', 'key2'));
  const sessionKey = awsAccessKey('kubecost-etl-backup');
  const federatedYaml = objstoreS3('acme-kubecost-federated', 'eu-west-1', shared, 'finops');

  // Cluster 1: a 3.x primary, release "finops" in namespace "cost". The same AWS key reads the
  // CUR (cloud integration) and writes federated storage, whose Secret is global.federatedStorage.existingSecret.
  const r1: Release = { namespace: 'cost', release: 'finops', chart: '3.2.1' };
  v3Primary(
    b,
    c1,
    r1,
    { storeSecret: 'kubecost-object-store', storeYaml: federatedYaml, pricing, controllerKey },
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
  );
  b.add(c1, curExporter('cost', 'kubecost-object-store'), unknownChartComponent(r1));
  b.installed(c1, r1, 'v3-federated', 'primary');

  // Cluster 2: a 3.x agent-only secondary.
  const r2: Release = { namespace: 'kubecost', release: 'kubecost', chart: '3.2.1' };
  v3Agent(b, c2, r2, { storeSecret: 'kubecost-object-store', storeYaml: federatedYaml, pricing, controllerKey });
  b.installed(c2, r2, 'v3-federated', 'secondary');

  // Cluster 3: a 1.x single cluster in "monitoring" with legacy key Secrets, IRSA on its service
  // account, and a reference to a GCP key Secret that does not exist.
  const r3: Release = { namespace: 'monitoring', release: 'kubecost', chart: '1.108.1' };
  b.add(
    c3,
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
  );
  b.installed(c3, r3, 'v1-single', 'single');

  // Cluster 4: a 2.x agentOnly secondary with fullnameOverride; its store Secret is a SealedSecret,
  // and an old ETL backup Secret holds temporary (STS) credentials.
  const r4: Release = { namespace: 'kubecost', release: 'kubecost', chart: '2.4.2', fullnameOverride: 'cost-suite' };
  b.add(
    c4,
    secretObject(r4, 'kubecost-object-store', { 'federated-store.yaml': federatedYaml }, 'sealed-secrets'),
    secretObject(r4, 'kubecost-etl-backup', {
      'object-store.yaml': objstoreS3Session(
        'acme-kubecost-backup',
        'eu-west-1',
        sessionKey,
        'IQoJb3JpZ2luX2VjEXAMPLE',
      ),
    }),
    costAnalyzer(
      r4,
      [modelContainer(r4, [mounts.federatedAgent, mounts.etlBucket], env.federatedAgent)],
      [volumes.federated('kubecost-object-store'), volumes.etlBucket('kubecost-etl-backup')],
    ),
    costAnalyzerService(r4),
    prometheusServer(r4),
  );
  b.installed(c4, r4, 'v2-federated', 'secondary');

  // Cluster 5: a 1.x federated-ETL secondary writing to the same store, from a Secret of another name.
  const r5: Release = { namespace: 'kubecost', release: 'kubecost', chart: '1.108.1' };
  b.add(
    c5,
    secretObject(r5, 'federated-store', { 'federated-store.yaml': federatedYaml }),
    v1FederatedWriter(r5, 'federated-store'),
    costAnalyzerService(r5),
    prometheusServer(r5),
  );
  b.installed(c5, r5, 'v1-federated', 'secondary');
}

const RENDERERS: Readonly<Record<LayoutName, (b: Builder) => void>> = {
  'v1-thanos': v1Thanos,
  'v1-federated': v1Federated,
  'v2-single': v2Single,
  'v2-federated': v2Federated,
  'v2-singlepod': v2Singlepod,
  'v2-hamode': v2HaMode,
  'v2.9': v29,
  v3,
  'v3.0': v30,
  mixed,
};

/** Whether `name` is a layout. */
export function isLayoutName(name: string): name is LayoutName {
  return (LAYOUTS as readonly string[]).includes(name);
}

/**
 * Renders a layout for clusters named `clusterNames` (in order: the first is the primary). Pure
 * but for the fresh fake credentials it makes. Throws when there are too few clusters.
 */
export function renderLayout(
  name: LayoutName,
  clusterNames: readonly string[],
  options: RenderOptions = {},
): RenderedLayout {
  const b = new Builder(name, clusterNames, options);
  RENDERERS[name](b);
  return b.done();
}

/** Installs a layout into the fleet's clusters (render, then apply in order). */
export function installLayout(fleet: FleetTarget, name: LayoutName, options: RenderOptions = {}): InstalledLayout {
  const rendered = renderLayout(
    name,
    fleet.clusters.map((c) => c.name),
    options,
  );
  for (const cluster of fleet.clusters) applyAll(cluster, rendered.objects.get(cluster.name) ?? []);
  const documents = [...rendered.objects.values()]
    .flat()
    .filter((o) => o.kind === 'Secret')
    .flatMap((o) => [
      ...Object.values((o.data ?? {}) as Record<string, string>).map((v) => Buffer.from(v, 'base64').toString('utf8')),
      ...Object.values((o.stringData ?? {}) as Record<string, string>),
    ]);
  return { ...rendered.layout, documents };
}

function applyAll(cluster: ClusterTarget, objects: readonly KubeObject[]): void {
  for (const o of objects) cluster.apply(o);
}
