/**
 * Kubecost Helm chart objects as the chart renders them (names, object labels, pod labels,
 * selectors, containers, volumes, mount paths and env), for 1.108, 2.4–2.9 and 3.0–3.2. Facts:
 * the project's Kubecost reference, §1, §1.10 (the rendered tables of 2.9.7 and 3.2.1) and §2.
 * Only what matters to key rotation is rendered; volumes that hold no key are left out unless the
 * tables list them.
 */
import type { KubeObject } from '../kube/types.js';

export type ChartVersion = '1.108.1' | '2.4.2' | '2.8.7' | '2.9.7' | '3.0.2' | '3.2.1';

export interface Release {
  readonly namespace: string;
  readonly release: string;
  readonly chart: ChartVersion;
  readonly fullnameOverride?: string;
}

export const major = (r: Release): number => Number(r.chart.split('.')[0]);
const minor = (r: Release): number => Number(r.chart.split('.')[1]);

/** cost-analyzer.fullname (reference §1.1). */
export function fullname(r: Release): string {
  if (r.fullnameOverride) return r.fullnameOverride.slice(0, 63);
  return (r.release.includes('cost-analyzer') ? r.release : `${r.release}-cost-analyzer`).slice(0, 63);
}

export function prometheusServerName(r: Release): string {
  return r.release.includes('prometheus') ? `${r.release}-server` : `${r.release}-prometheus-server`;
}

/** The finops agent's name part: the subchart alias, `finops-agent` in 3.0.0–3.0.2, `finopsagent` since 3.0.3 and in 2.9. */
export function finopsAgentName(r: Release): 'finopsagent' | 'finops-agent' {
  return r.chart === '3.0.2' ? 'finops-agent' : 'finopsagent';
}

function chartLabel(r: Release): string {
  return major(r) >= 3 ? `kubecost-${r.chart}` : `cost-analyzer-${r.chart}`;
}

/** Labels every chart object carries, plus the component's own. */
function objectLabels(r: Release, own: Record<string, string>, chart = chartLabel(r)): Record<string, string> {
  return {
    ...own,
    'helm.sh/chart': chart,
    'app.kubernetes.io/instance': r.release,
    'app.kubernetes.io/managed-by': 'Helm',
  };
}

/** Pod labels (and the selector): the component's own plus the release. */
function podLabels(r: Release, own: Record<string, string>): Record<string, string> {
  return { ...own, 'app.kubernetes.io/instance': r.release };
}

export interface Mount {
  readonly volume: string;
  readonly path: string;
  readonly subPath?: string;
}

export interface ContainerSpec {
  readonly name: string;
  readonly image: string;
  readonly port?: number;
  /** The port's name (an IANA service name: at most 15 characters, no leading or trailing '-'). */
  readonly portName?: string;
  readonly args?: readonly string[];
  readonly mounts?: readonly Mount[];
  readonly env?: Readonly<Record<string, string>>;
  readonly envFromSecretKeys?: readonly { env: string; secret: string; key: string; optional?: boolean }[];
}

/** A valid port name for a container: the given one, or `tcp-` plus the container name cut to 15 characters. */
export function portNameOf(spec: Pick<ContainerSpec, 'name' | 'portName'>): string {
  const name = spec.portName ?? `tcp-${spec.name}`.slice(0, 15).replace(/-+$/, '');
  if (!/^(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name) || name.length > 15 || name.includes('--'))
    throw new Error(`"${name}" is not a valid port name (IANA service name)`);
  return name;
}

export function container(spec: ContainerSpec): Record<string, unknown> {
  return {
    name: spec.name,
    image: spec.image,
    ...(spec.args ? { args: [...spec.args] } : {}),
    ...(spec.port ? { ports: [{ name: portNameOf(spec), containerPort: spec.port, protocol: 'TCP' }] } : {}),
    ...(spec.mounts?.length
      ? {
          volumeMounts: spec.mounts.map((m) => ({
            name: m.volume,
            mountPath: m.path,
            readOnly: true,
            ...(m.subPath ? { subPath: m.subPath } : {}),
          })),
        }
      : {}),
    ...(spec.env || spec.envFromSecretKeys
      ? {
          env: [
            ...Object.entries(spec.env ?? {}).map(([name, value]) => ({ name, value })),
            ...(spec.envFromSecretKeys ?? []).map((e) => ({
              name: e.env,
              valueFrom: {
                secretKeyRef: { name: e.secret, key: e.key, ...(e.optional ? { optional: true } : {}) },
              },
            })),
          ],
        }
      : {}),
  };
}

/** Secret volumes as the chart declares them. */
export const volumes = {
  cloudIntegration: (secretName: string) => ({
    name: 'cloud-integration',
    secret: { secretName, items: [{ key: 'cloud-integration.json', path: 'cloud-integration.json' }] },
  }),
  /** 3.x mounts the whole integration Secret and picks the file with subPath. */
  cloudIntegrationWhole: (secretName: string) => ({ name: 'cloud-integration', secret: { secretName } }),
  federated: (secretName: string) => ({ name: 'federated-storage-config', secret: { secretName, defaultMode: 420 } }),
  etlBucket: (secretName: string) => ({ name: 'etl-bucket-config', secret: { secretName, defaultMode: 420 } }),
  thanosSidecar: (secretName: string) => ({ name: 'object-store-volume', secret: { secretName } }),
  thanosComponent: (secretName: string) => ({ name: 'config-volume', secret: { secretName } }),
  /** 1.108 diagnostics and etl-utils: kubecost-thanos, item object-store.yaml. */
  thanosEtl: (secretName: string) => ({
    name: 'thanos-bucket-config',
    secret: { secretName, items: [{ key: 'object-store.yaml', path: 'object-store.yaml' }] },
  }),
  serviceKey: (secretName: string) => ({ name: 'service-key-secret', secret: { secretName } }),
  /** gcpSecretName: the key file projected as service-key.json. */
  gcpKey: (secretName: string, key = 'compute-viewer-kubecost-key.json') => ({
    name: 'gcp-key-secret',
    secret: { secretName, items: [{ key, path: 'service-key.json' }] },
  }),
  azureStorageConfig: (secretName: string) => ({ name: 'azure-storage-config', secret: { secretName } }),
  clusterControllerKey: (secretName: string) => ({
    name: 'cluster-controller-keys',
    secret: { secretName, optional: true },
  }),
  actionsStore: (secretName: string) => ({ name: 'actions-storage-config', secret: { secretName } }),
  pricingApiKey: (secretName: string) => ({ name: 'csp-pricing-api-key', secret: { secretName } }),
  metricsConfig: (secretName: string) => ({ name: 'metrics-config', secret: { secretName } }),
} as const;

/** Mounts and env of each secret, per consumer (reference §2.1–§2.5, §1.10). */
export const mounts = {
  cloudIntegration: { volume: 'cloud-integration', path: '/var/configs/cloud-integration' },
  cloudIntegrationV3: {
    volume: 'cloud-integration',
    path: '/var/configs/cloud-integration.json',
    subPath: 'cloud-integration.json',
  },
  federatedAgent: { volume: 'federated-storage-config', path: '/var/configs/etl/federated' },
  federatedPrimary: { volume: 'federated-storage-config', path: '/var/configs/etl' },
  etlBucket: { volume: 'etl-bucket-config', path: '/var/configs/etl' },
  thanosSidecar: { volume: 'object-store-volume', path: '/etc/config' },
  thanosComponent: { volume: 'config-volume', path: '/etc/config' },
  thanosEtl: { volume: 'thanos-bucket-config', path: '/var/configs/etl' },
  serviceKey: { volume: 'service-key-secret', path: '/var/secrets' },
  gcpKey: { volume: 'gcp-key-secret', path: '/var/secrets' },
  azureStorageConfig: { volume: 'azure-storage-config', path: '/var/azure-storage-config' },
  clusterControllerKey: { volume: 'cluster-controller-keys', path: '/var/keys' },
  pricingApiKey: { volume: 'csp-pricing-api-key', path: '/opt/gcp' },
  metricsConfig: { volume: 'metrics-config', path: '/var/configs/metrics.json', subPath: 'metrics.json' },
} as const satisfies Record<string, Mount>;

/** The 3.x (and 2.9 finops agent) store mount: the data key `fileName`, by subPath, at `path`. */
export function storeFileMount(fileName: string, path = `/var/configs/${fileName}`): Mount {
  return { volume: 'federated-storage-config', path, subPath: fileName };
}

export const env = {
  federatedAgent: {
    FEDERATED_STORE_CONFIG: '/var/configs/etl/federated/federated-store.yaml',
    FEDERATED_CLUSTER: 'true',
  },
  federatedPrimary: {
    FEDERATED_STORE_CONFIG: '/var/configs/etl/federated-store.yaml',
    ETL_BUCKET_CONFIG: '/var/configs/etl/federated-store.yaml',
    FEDERATED_PRIMARY_CLUSTER: 'true',
  },
  etlBucket: { ETL_BUCKET_CONFIG: '/var/configs/etl/object-store.yaml' },
} as const;

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';

interface WorkloadOptions {
  readonly kind: WorkloadKind;
  readonly name: string;
  /** Labels of the object itself. */
  readonly labels: Record<string, string>;
  /** Labels of the pods, which are also the selector. */
  readonly pods: Record<string, string>;
  readonly containers: readonly ContainerSpec[];
  readonly volumes: readonly object[];
  readonly strategy?: object;
  readonly serviceAccountName?: string;
  readonly replicas?: number;
}

function workload(r: Release, o: WorkloadOptions): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: o.kind,
    metadata: {
      name: o.name,
      namespace: r.namespace,
      labels: o.labels,
      annotations: { 'meta.helm.sh/release-name': r.release, 'meta.helm.sh/release-namespace': r.namespace },
    },
    spec: {
      ...(o.kind === 'DaemonSet' ? {} : { replicas: o.replicas ?? 1 }),
      selector: { matchLabels: o.pods },
      ...(o.kind === 'StatefulSet' ? { serviceName: o.name } : {}),
      ...(o.strategy ? { [o.kind === 'Deployment' ? 'strategy' : 'updateStrategy']: o.strategy } : {}),
      template: {
        metadata: { labels: o.pods },
        spec: {
          ...(o.serviceAccountName ? { serviceAccountName: o.serviceAccountName } : {}),
          containers: o.containers.map(container),
          volumes: [...o.volumes],
        },
      },
    },
  };
}

/** A component whose object and pod labels are the same (the common case). */
function component(
  r: Release,
  kind: WorkloadKind,
  name: string,
  own: Record<string, string>,
  containers: readonly ContainerSpec[],
  vols: readonly object[],
  extra: Partial<WorkloadOptions> = {},
): KubeObject {
  return workload(r, {
    kind,
    name,
    labels: objectLabels(r, own),
    pods: podLabels(r, own),
    containers,
    volumes: vols,
    ...extra,
  });
}

function images(r: Release): { model: string; frontend: string; agent: string; controller: string } {
  const tag = `prod-${r.chart}`;
  return {
    model: `gcr.io/kubecost1/cost-model:${tag}`,
    frontend: `gcr.io/kubecost1/frontend:${tag}`,
    agent: 'gcr.io/kubecost1/finops-agent:v1.0.20',
    controller: `gcr.io/kubecost1/cluster-controller:${tag}`,
  };
}

// ------------------------------------------------------------------------------------ containers

export function modelContainer(
  r: Release,
  mountList: readonly Mount[],
  envs: Record<string, string> = {},
  extra: Partial<ContainerSpec> = {},
): ContainerSpec {
  return {
    name: 'cost-model',
    image: images(r).model,
    port: 9003,
    portName: 'tcp-model',
    mounts: mountList,
    env: { CLUSTER_ID: r.release, ...envs },
    ...extra,
  };
}

export function frontendContainer(r: Release, name = 'cost-analyzer-frontend'): ContainerSpec {
  return { name, image: images(r).frontend, port: 9090, portName: 'tcp-frontend' };
}

export function aggregatorContainer(
  r: Release,
  mountList: readonly Mount[],
  envs: Record<string, string> = {},
): ContainerSpec {
  return {
    name: 'aggregator',
    image: images(r).model,
    args: ['waterfowl'],
    port: 9004,
    portName: 'tcp-api',
    mounts: mountList,
    env: envs,
  };
}

export function cloudCostContainer(
  r: Release,
  mountList: readonly Mount[],
  envs: Record<string, string> = {},
): ContainerSpec {
  return {
    name: 'cloud-cost',
    image: images(r).model,
    args: ['cloud-cost'],
    port: 9005,
    portName: 'tcp-cloud-cost',
    mounts: mountList,
    env: { CONFIG_PATH: '/var/configs', ...envs },
  };
}

// ------------------------------------------------------------------------------------ 1.x and 2.x

/** The cost-analyzer Deployment (reference §1.2). */
export function costAnalyzer(
  r: Release,
  containers: readonly ContainerSpec[],
  vols: readonly object[],
  serviceAccountName?: string,
): KubeObject {
  return component(
    r,
    'Deployment',
    fullname(r),
    { 'app.kubernetes.io/name': 'cost-analyzer', app: 'cost-analyzer' },
    containers,
    vols,
    serviceAccountName ? { serviceAccountName } : {},
  );
}

/**
 * The aggregator StatefulSet (reference §1.3): 1.x and 2.x mount the federated Secret whole at
 * /var/configs/etl; 3.x (`fileName` given) mounts its data key with subPath (§1.10).
 */
export function aggregatorStatefulSet(r: Release, federatedSecret: string, fileName?: string): KubeObject {
  const federatedMounts: Mount[] = fileName ? [storeFileMount(fileName)] : [mounts.federatedPrimary];
  const envs = fileName
    ? { FEDERATED_STORE_CONFIG: `/var/configs/${fileName}`, FEDERATED_PRIMARY_CLUSTER: 'true' }
    : env.federatedPrimary;
  return component(
    r,
    'StatefulSet',
    `${r.release}-aggregator`,
    { 'app.kubernetes.io/name': 'aggregator', app: 'aggregator' },
    [aggregatorContainer(r, federatedMounts, envs)],
    [volumes.federated(federatedSecret)],
  );
}

/**
 * The cloud-cost Deployment (reference §1.4): Recreate, one replica. 2.x mounts the integration
 * with items at /var/configs/cloud-integration and the store at /var/configs/etl/federated; 3.x
 * (`fileName` given) mounts both with subPath at /var/configs.
 */
export function cloudCostDeployment(
  r: Release,
  cloudIntegrationSecret: string,
  federatedSecret?: string,
  fileName?: string,
): KubeObject {
  const v3 = fileName !== undefined;
  const mountList: Mount[] = v3
    ? [...(federatedSecret ? [storeFileMount(fileName)] : []), mounts.cloudIntegrationV3]
    : [...(federatedSecret ? [mounts.federatedAgent] : []), mounts.cloudIntegration];
  const envs: Record<string, string> = v3
    ? {
        CLOUD_COST_CONFIG_PATH: '/var/configs/cloud-integration.json',
        ...(federatedSecret ? { FEDERATED_STORE_CONFIG: `/var/configs/${fileName}` } : {}),
      }
    : federatedSecret
      ? { FEDERATED_STORE_CONFIG: env.federatedAgent.FEDERATED_STORE_CONFIG }
      : {};
  return component(
    r,
    'Deployment',
    `${r.release}-cloud-cost`,
    { 'app.kubernetes.io/name': 'cloud-cost', app: 'cloud-cost' },
    [cloudCostContainer(r, mountList, envs)],
    [
      ...(federatedSecret ? [volumes.federated(federatedSecret)] : []),
      v3 ? volumes.cloudIntegrationWhole(cloudIntegrationSecret) : volumes.cloudIntegration(cloudIntegrationSecret),
    ],
    { strategy: { type: 'Recreate' } },
  );
}

/** The diagnostics Deployment (reference §1.7; 1.108 mounts kubecost-thanos instead, §1.10). */
export function diagnostics(r: Release, secret: string, source: 'federated' | 'thanos' = 'federated'): KubeObject {
  const thanosSource = source === 'thanos';
  return component(
    r,
    'Deployment',
    `${r.release}-diagnostics`,
    { 'app.kubernetes.io/name': 'diagnostics', app: 'diagnostics' },
    [
      {
        name: 'diagnostics',
        image: images(r).model,
        args: ['diagnostics'],
        port: 9007,
        portName: 'tcp-diagnostics',
        mounts: [thanosSource ? mounts.thanosEtl : mounts.federatedPrimary],
        env: thanosSource
          ? { ETL_BUCKET_CONFIG: '/var/configs/etl/object-store.yaml' }
          : { FEDERATED_STORE_CONFIG: '/var/configs/etl/federated-store.yaml' },
      },
    ],
    [thanosSource ? volumes.thanosEtl(secret) : volumes.federated(secret)],
  );
}

/** The etl-utils Deployment (Thanos-to-federated migration): reads the Thanos bucket (§1.7, §1.10). */
export function etlUtils(r: Release, thanosSecret: string): KubeObject {
  return component(
    r,
    'Deployment',
    `${r.release}-etl-utils`,
    { 'app.kubernetes.io/name': 'etl-utils', app: 'etl-utils' },
    [
      {
        name: 'etl-utils',
        image: images(r).model,
        args: ['etl-utils'],
        mounts: [mounts.thanosEtl],
        env: { ETL_BUCKET_CONFIG: '/var/configs/etl/object-store.yaml' },
      },
    ],
    [volumes.thanosEtl(thanosSecret)],
  );
}

/** The 1.x federator Deployment of federated ETL (reference §2.2): combines the clusters' ETL. */
export function federator(r: Release, federatedSecret: string): KubeObject {
  return component(
    r,
    'Deployment',
    `${r.release}-federator`,
    { 'app.kubernetes.io/name': 'federator', app: 'federator' },
    [
      {
        name: 'federator',
        image: images(r).model,
        args: ['federator'],
        mounts: [mounts.federatedAgent],
        env: { FEDERATED_STORE_CONFIG: '/var/configs/etl/federated/federated-store.yaml' },
      },
    ],
    [volumes.federated(federatedSecret)],
  );
}

/** The 2.x haMode frontend: object labelled as cost-analyzer, pods as frontend (§1.10). */
export function haModeFrontend(r: Release, replicas = 2): KubeObject {
  return workload(r, {
    kind: 'Deployment',
    name: `${r.release}-frontend`,
    labels: objectLabels(r, { 'app.kubernetes.io/name': 'cost-analyzer', app: 'cost-analyzer' }),
    pods: podLabels(r, { 'app.kubernetes.io/name': 'frontend', app: 'cost-analyzer' }),
    containers: [frontendContainer(r)],
    volumes: [],
    replicas,
  });
}

export function forecasting(r: Release): KubeObject {
  return component(
    r,
    'Deployment',
    `${r.release}-forecasting`,
    { 'app.kubernetes.io/name': 'forecasting', app: 'forecasting' },
    [{ name: 'forecasting', image: `gcr.io/kubecost1/kubecost-modeling:${r.chart}`, port: 5000 }],
    [],
  );
}

/** The bundled Grafana (a subchart: app and release labels); its admin Secret holds no cloud key. */
export function grafana(r: Release, adminSecret: string): KubeObject {
  const own = { app: 'grafana', release: r.release };
  return workload(r, {
    kind: 'Deployment',
    name: `${r.release}-grafana`,
    labels: { ...own, chart: 'grafana-6.59.5', heritage: 'Helm' },
    pods: own,
    containers: [
      {
        name: 'grafana',
        image: 'grafana/grafana:11.3.1',
        port: 3000,
        portName: 'grafana',
        envFromSecretKeys: [
          { env: 'GF_SECURITY_ADMIN_USER', secret: adminSecret, key: 'admin-user' },
          { env: 'GF_SECURITY_ADMIN_PASSWORD', secret: adminSecret, key: 'admin-password' },
        ],
      },
    ],
    volumes: [],
  });
}

/** The bundled Prometheus server (reference §1.5), with a thanos-sidecar on 1.x Thanos installs. */
export function prometheusServer(r: Release, thanosSecret?: string): KubeObject {
  const name = prometheusServerName(r);
  const selector = { component: 'server', app: 'prometheus', release: r.release };
  const labels = { ...selector, heritage: 'Helm', ...(major(r) === 1 ? { chart: 'prometheus-11.0.2' } : {}) };
  const containers: ContainerSpec[] = [
    ...(major(r) === 1
      ? [{ name: 'prometheus-server-configmap-reload', image: 'jimmidyson/configmap-reload:v0.7.1' }]
      : []),
    { name: 'prometheus-server', image: 'quay.io/prometheus/prometheus:v2.50.1', port: 9090, portName: 'http' },
    ...(thanosSecret
      ? [
          {
            name: 'thanos-sidecar',
            image: 'thanosio/thanos:v0.32.5',
            args: [
              'sidecar',
              '--prometheus.url=http://127.0.0.1:9090',
              '--objstore.config-file=/etc/config/object-store.yaml',
            ],
            port: 10902,
            portName: 'sidecar-http',
            mounts: [mounts.thanosSidecar],
          },
        ]
      : []),
  ];
  return workload(r, {
    kind: 'Deployment',
    name,
    labels,
    pods: selector,
    containers,
    volumes: thanosSecret ? [volumes.thanosSidecar(thanosSecret)] : [],
  });
}

export type ThanosComponent = 'store' | 'compact' | 'query' | 'query-frontend' | 'bucket';

/** A Thanos component Deployment (1.x, reference §1.6); query and query-frontend mount no object store. */
export function thanos(r: Release, which: ThanosComponent, secretName: string): KubeObject {
  const base = r.release.includes('thanos') ? r.release : `${r.release}-thanos`;
  const selector = {
    'app.kubernetes.io/name': 'thanos',
    'app.kubernetes.io/instance': r.release,
    'app.kubernetes.io/component': which,
  };
  const reads = which !== 'query' && which !== 'query-frontend';
  return workload(r, {
    kind: 'Deployment',
    name: `${base}-${which}`,
    labels: {
      ...selector,
      'helm.sh/chart': 'thanos-0.29.0',
      'app.kubernetes.io/version': 'v0.32.5',
      'app.kubernetes.io/managed-by': 'Helm',
    },
    pods: selector,
    containers: [
      {
        name: `thanos-${which}`,
        image: 'thanosio/thanos:v0.32.5',
        args: [which, ...(reads ? ['--objstore.config-file=/etc/config/object-store.yaml'] : [])],
        port: 10902,
        portName: 'http',
        ...(reads ? { mounts: [mounts.thanosComponent] } : {}),
      },
    ],
    volumes: reads ? [volumes.thanosComponent(secretName)] : [],
  });
}

// ------------------------------------------------------------------------------------ 2.9 and 3.x

export interface FinopsAgentOptions {
  /** The store Secret and its data key (`global.federatedStorage.fileName`). */
  readonly storeSecret: string;
  readonly fileName: string;
  /** `<release>-csp-pricing-api-key-secret`, key CSP_PRICING_API_KEY. */
  readonly pricingSecret: string;
  /** `<release>-metrics-config`, key metrics.json. */
  readonly metricsSecret: string;
}

/**
 * The finops agent Deployment (2.9 and 3.x, §1.10): no `app` label; the store by subPath; the
 * GCP pricing API key both mounted at /opt/gcp and as env CLOUD_PROVIDER_API_KEY.
 */
export function finopsAgent(r: Release, o: FinopsAgentOptions): KubeObject {
  const name = finopsAgentName(r);
  const own = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': 'agent' };
  return workload(r, {
    kind: 'Deployment',
    name: `${r.release}-${name}`,
    labels: objectLabels(r, own, 'finops-agent-1.0.20'),
    pods: podLabels(r, own),
    serviceAccountName: `${r.release}-${name}`,
    containers: [
      {
        name: 'finops-agent',
        image: images(r).agent,
        port: 8080,
        portName: 'http',
        mounts: [
          storeFileMount(o.fileName, '/var/configs/federated-store.yaml'),
          mounts.pricingApiKey,
          mounts.metricsConfig,
        ],
        env: { CLUSTER_ID: `${r.release}-${r.namespace}`, FEDERATED_STORE_CONFIG: '/var/configs/federated-store.yaml' },
        envFromSecretKeys: [{ env: 'CLOUD_PROVIDER_API_KEY', secret: o.pricingSecret, key: 'CSP_PRICING_API_KEY' }],
      },
    ],
    volumes: [
      volumes.federated(o.storeSecret),
      volumes.pricingApiKey(o.pricingSecret),
      volumes.metricsConfig(o.metricsSecret),
    ],
  });
}

export interface ClusterControllerOptions {
  /** `clusterController.secretName` (default cluster-controller-service-key): a GCP key, mounted whole at /var/keys. */
  readonly keySecret: string;
  /** The actions store: the federated store Secret and its data key, or an actions Secret with `actions-store.yaml`. */
  readonly actionsSecret: string;
  readonly actionsKey: string;
}

/** The 3.x cluster-controller Deployment: object labels `app=kubecost`, pods `app=<release>-cluster-controller` (§1.10). */
export function clusterController(r: Release, o: ClusterControllerOptions): KubeObject {
  const actionsPath = '/var/configs/actions/storage/actions-store.yaml';
  return workload(r, {
    kind: 'Deployment',
    name: `${r.release}-cluster-controller`,
    labels: objectLabels(r, { 'app.kubernetes.io/name': 'kubecost', app: 'kubecost' }),
    pods: podLabels(r, { 'app.kubernetes.io/name': 'cluster-controller', app: `${r.release}-cluster-controller` }),
    serviceAccountName: `${r.release}-cluster-controller`,
    containers: [
      {
        name: 'kubecost-cluster-controller',
        image: images(r).controller,
        port: 9731,
        portName: 'http',
        mounts: [
          mounts.clusterControllerKey,
          { volume: 'actions-storage-config', path: actionsPath, subPath: o.actionsKey },
        ],
        env: { GOOGLE_APPLICATION_CREDENTIALS: '/var/keys/service-key.json', ACTIONS_BUCKET_CONFIG: actionsPath },
      },
    ],
    volumes: [volumes.clusterControllerKey(o.keySecret), volumes.actionsStore(o.actionsSecret)],
  });
}

/** The 3.x frontend: object labels `app=kubecost`, pods `app=cost-analyzer,app.kubernetes.io/name=frontend` (§1.10). */
export function frontendV3(r: Release): KubeObject {
  return workload(r, {
    kind: 'Deployment',
    name: `${r.release}-frontend`,
    labels: objectLabels(r, { 'app.kubernetes.io/name': 'kubecost', app: 'kubecost' }),
    pods: podLabels(r, { 'app.kubernetes.io/name': 'frontend', app: 'cost-analyzer' }),
    containers: [frontendContainer(r, 'frontend')],
    volumes: [],
  });
}

/** The 3.x local store, the default federated store of a single cluster (`type: cluster`, port 9006). */
export function localStore(r: Release, storeSecret: string, fileName: string): KubeObject {
  return component(
    r,
    'Deployment',
    `${r.release}-local-store`,
    { 'app.kubernetes.io/name': 'kubecost-local-store', app: 'kubecost-local-store' },
    [
      {
        name: 'local-object-store',
        image: images(r).model,
        args: ['local-store'],
        port: 9006,
        portName: 'tcp-store',
        mounts: [storeFileMount(fileName)],
        env: { FEDERATED_STORE_CONFIG: `/var/configs/${fileName}` },
      },
    ],
    [volumes.federated(storeSecret)],
  );
}

/** The network-costs DaemonSet (3.x): reads no Secret. */
export function networkCosts(r: Release): KubeObject {
  return component(
    r,
    'DaemonSet',
    `${r.release}-network-costs`,
    { 'app.kubernetes.io/name': 'network-costs', app: `${r.release}-network-costs` },
    [{ name: 'network-costs', image: 'gcr.io/kubecost1/kubecost-network-costs:v0.17.6', port: 3001 }],
    [],
  );
}

/** Whether 2.9's finops-agent / 3.x rules apply to a release. */
export function isGlobalStoreChart(r: Release): boolean {
  return major(r) >= 3 || (major(r) === 2 && minor(r) >= 9);
}

// ------------------------------------------------------------------------------------ services

/** A Service selecting a workload's pods. */
export function service(
  r: Release,
  name: string,
  selector: Record<string, string>,
  ports: readonly { name: string; port: number }[],
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: r.namespace, labels: { 'app.kubernetes.io/instance': r.release } },
    spec: { selector, ports: ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.port, protocol: 'TCP' })) },
  };
}

export function costAnalyzerService(r: Release): KubeObject {
  return service(r, fullname(r), podLabels(r, { 'app.kubernetes.io/name': 'cost-analyzer', app: 'cost-analyzer' }), [
    { name: 'tcp-model', port: 9003 },
    { name: 'tcp-frontend', port: 9090 },
  ]);
}

export function cloudCostService(r: Release): KubeObject {
  return service(
    r,
    `${r.release}-cloud-cost`,
    podLabels(r, { 'app.kubernetes.io/name': 'cloud-cost', app: 'cloud-cost' }),
    [{ name: 'tcp-cloud-cost', port: 9005 }],
  );
}

export function aggregatorService(r: Release): KubeObject {
  return service(
    r,
    `${r.release}-aggregator`,
    podLabels(r, { 'app.kubernetes.io/name': 'aggregator', app: 'aggregator' }),
    [{ name: 'tcp-api', port: 9004 }],
  );
}

/** The frontend Service of haMode and 3.x: `<release>-frontend` :9090 (§1.10 status endpoints). */
export function frontendService(r: Release): KubeObject {
  return service(
    r,
    `${r.release}-frontend`,
    podLabels(r, { 'app.kubernetes.io/name': 'frontend', app: 'cost-analyzer' }),
    [{ name: 'tcp-frontend', port: 9090 }],
  );
}

export function finopsAgentService(r: Release): KubeObject {
  const name = finopsAgentName(r);
  return service(
    r,
    `${r.release}-${name}`,
    podLabels(r, { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': 'agent' }),
    [{ name: 'http', port: 80 }],
  );
}

export function localStoreService(r: Release): KubeObject {
  return service(
    r,
    `${r.release}-local-store`,
    podLabels(r, { 'app.kubernetes.io/name': 'kubecost-local-store', app: 'kubecost-local-store' }),
    [{ name: 'tcp-store', port: 9006 }],
  );
}

// ------------------------------------------------------------------------------------ secrets

/** How a Secret came to be, which decides who would revert an edit to it. */
export type SecretOwner = 'kubectl' | 'helm' | 'argocd' | 'external-secrets' | 'sealed-secrets';

export function secretObject(
  r: Release,
  name: string,
  data: Record<string, string>,
  owner: SecretOwner = 'kubectl',
): KubeObject {
  const metadata: KubeObject['metadata'] = { name, namespace: r.namespace };
  if (owner === 'helm') {
    metadata.labels = {
      'app.kubernetes.io/managed-by': 'Helm',
      'app.kubernetes.io/instance': r.release,
      'helm.sh/chart': chartLabel(r),
    };
    metadata.annotations = { 'meta.helm.sh/release-name': r.release, 'meta.helm.sh/release-namespace': r.namespace };
  } else if (owner === 'argocd') {
    metadata.annotations = { 'argocd.argoproj.io/tracking-id': `kubecost-secrets:/Secret:${r.namespace}/${name}` };
  } else if (owner === 'external-secrets') {
    metadata.labels = { 'reconcile.external-secrets.io/managed': 'true' };
    metadata.ownerReferences = [
      {
        apiVersion: 'external-secrets.io/v1beta1',
        kind: 'ExternalSecret',
        name,
        uid: `00000000-0000-4000-8000-${name.length.toString().padStart(12, '0')}`,
        controller: true,
        blockOwnerDeletion: true,
      },
    ];
  } else if (owner === 'sealed-secrets') {
    metadata.ownerReferences = [
      {
        apiVersion: 'bitnami.com/v1alpha1',
        kind: 'SealedSecret',
        name,
        uid: `00000000-0000-4000-9000-${name.length.toString().padStart(12, '0')}`,
        controller: true,
      },
    ];
  }
  return { apiVersion: 'v1', kind: 'Secret', metadata, type: 'Opaque', stringData: data };
}

export function serviceAccount(r: Release, name: string, annotations: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: r.namespace, annotations } };
}
