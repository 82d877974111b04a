/**
 * Kubecost Helm chart objects as the chart renders them (names, labels, selectors, containers,
 * volumes, mount paths and env), for 1.108, 2.4 and 3.0. Facts: the project's Kubecost
 * reference, §1 and §2. Only what matters to key rotation is rendered; other volumes are left out.
 */
import type { KubeObject } from '../kube/types.js';

export type ChartVersion = '1.108.1' | '2.4.2' | '3.0.2';

export interface Release {
  readonly namespace: string;
  readonly release: string;
  readonly chart: ChartVersion;
  readonly fullnameOverride?: string;
}

/** cost-analyzer.fullname (reference §1.1). */
export function fullname(r: Release): string {
  if (r.fullnameOverride) return r.fullnameOverride.slice(0, 63);
  return (r.release.includes('cost-analyzer') ? r.release : `${r.release}-cost-analyzer`).slice(0, 63);
}

export function prometheusServerName(r: Release): string {
  return r.release.includes('prometheus') ? `${r.release}-server` : `${r.release}-prometheus-server`;
}

function chartLabel(r: Release): string {
  return r.chart.startsWith('3.') ? `kubecost-${r.chart}` : `cost-analyzer-${r.chart}`;
}

function commonLabels(r: Release, name: string, app: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': name,
    'helm.sh/chart': chartLabel(r),
    'app.kubernetes.io/instance': r.release,
    'app.kubernetes.io/managed-by': 'Helm',
    app,
  };
}

function selectorLabels(r: Release, name: string, app: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': r.release, app };
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
  readonly args?: readonly string[];
  readonly mounts?: readonly Mount[];
  readonly env?: Readonly<Record<string, string>>;
  readonly envFromSecretKeys?: readonly { env: string; secret: string; key: string }[];
}

export function container(spec: ContainerSpec): Record<string, unknown> {
  return {
    name: spec.name,
    image: spec.image,
    ...(spec.args ? { args: [...spec.args] } : {}),
    ...(spec.port
      ? { ports: [{ name: `tcp-${spec.name}`.slice(0, 15), containerPort: spec.port, protocol: 'TCP' }] }
      : {}),
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
              valueFrom: { secretKeyRef: { name: e.secret, key: e.key } },
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
  federated: (secretName: string) => ({ name: 'federated-storage-config', secret: { secretName, defaultMode: 420 } }),
  etlBucket: (secretName: string) => ({ name: 'etl-bucket-config', secret: { secretName, defaultMode: 420 } }),
  thanosSidecar: (secretName: string) => ({ name: 'object-store-volume', secret: { secretName } }),
  thanosComponent: (secretName: string) => ({ name: 'config-volume', secret: { secretName } }),
  serviceKey: (secretName: string) => ({ name: 'service-key-secret', secret: { secretName } }),
  azureStorageConfig: (secretName: string) => ({ name: 'azure-storage-config', secret: { secretName } }),
} as const;

/** Mounts and env of each secret, per consumer (reference §2.1–§2.5). */
export const mounts = {
  cloudIntegration: { volume: 'cloud-integration', path: '/var/configs/cloud-integration' },
  federatedAgent: { volume: 'federated-storage-config', path: '/var/configs/etl/federated' },
  federatedPrimary: { volume: 'federated-storage-config', path: '/var/configs/etl' },
  etlBucket: { volume: 'etl-bucket-config', path: '/var/configs/etl' },
  thanosSidecar: { volume: 'object-store-volume', path: '/etc/config' },
  thanosComponent: { volume: 'config-volume', path: '/etc/config' },
  serviceKey: { volume: 'service-key-secret', path: '/var/secrets' },
  azureStorageConfig: { volume: 'azure-storage-config', path: '/var/azure-storage-config' },
} as const satisfies Record<string, Mount>;

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

interface WorkloadOptions {
  readonly kind: 'Deployment' | 'StatefulSet';
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly selector: Record<string, string>;
  readonly containers: readonly ContainerSpec[];
  readonly volumes: readonly object[];
  readonly strategy?: object;
  readonly serviceAccountName?: string;
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
      replicas: 1,
      selector: { matchLabels: o.selector },
      ...(o.kind === 'StatefulSet' ? { serviceName: o.name } : {}),
      ...(o.strategy ? { [o.kind === 'Deployment' ? 'strategy' : 'updateStrategy']: o.strategy } : {}),
      template: {
        metadata: { labels: o.selector },
        spec: {
          ...(o.serviceAccountName ? { serviceAccountName: o.serviceAccountName } : {}),
          containers: o.containers.map(container),
          volumes: [...o.volumes],
        },
      },
    },
  };
}

function images(r: Release): { model: string; frontend: string } {
  const tag = `prod-${r.chart}`;
  return { model: `gcr.io/kubecost1/cost-model:${tag}`, frontend: `gcr.io/kubecost1/frontend:${tag}` };
}

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
    mounts: mountList,
    env: { CLUSTER_ID: r.release, ...envs },
    ...extra,
  };
}

export function frontendContainer(r: Release): ContainerSpec {
  return { name: 'cost-analyzer-frontend', image: images(r).frontend, port: 9090 };
}

export function aggregatorContainer(
  r: Release,
  mountList: readonly Mount[],
  envs: Record<string, string> = {},
): ContainerSpec {
  return { name: 'aggregator', image: images(r).model, args: ['waterfowl'], port: 9004, mounts: mountList, env: envs };
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
    mounts: mountList,
    env: { CONFIG_PATH: '/var/configs', ...envs },
  };
}

/** The cost-analyzer Deployment (reference §1.2). */
export function costAnalyzer(
  r: Release,
  containers: readonly ContainerSpec[],
  vols: readonly object[],
  serviceAccountName?: string,
): KubeObject {
  return workload(r, {
    kind: 'Deployment',
    name: fullname(r),
    labels: commonLabels(r, 'cost-analyzer', 'cost-analyzer'),
    selector: selectorLabels(r, 'cost-analyzer', 'cost-analyzer'),
    containers,
    volumes: vols,
    ...(serviceAccountName ? { serviceAccountName } : {}),
  });
}

/** The aggregator StatefulSet (reference §1.3; 3.x mounts the federated store with subPath, §1.8). */
export function aggregatorStatefulSet(r: Release, federatedSecret: string, subPath: boolean): KubeObject {
  const federatedMounts: Mount[] = subPath
    ? [
        {
          volume: 'federated-storage-config',
          path: '/var/configs/federated-store.yaml',
          subPath: 'federated-store.yaml',
        },
      ]
    : [mounts.federatedPrimary];
  const envs = subPath
    ? { FEDERATED_STORE_CONFIG: '/var/configs/federated-store.yaml', FEDERATED_PRIMARY_CLUSTER: 'true' }
    : env.federatedPrimary;
  return workload(r, {
    kind: 'StatefulSet',
    name: `${r.release}-aggregator`,
    labels: commonLabels(r, 'aggregator', 'aggregator'),
    selector: selectorLabels(r, 'aggregator', 'aggregator'),
    containers: [aggregatorContainer(r, federatedMounts, envs)],
    volumes: [volumes.federated(federatedSecret)],
  });
}

/** The cloud-cost Deployment of statefulset mode (reference §1.4): Recreate, one replica. */
export function cloudCostDeployment(r: Release, cloudIntegrationSecret: string, federatedSecret?: string): KubeObject {
  const mountList: Mount[] = [mounts.cloudIntegration, ...(federatedSecret ? [mounts.federatedAgent] : [])];
  return workload(r, {
    kind: 'Deployment',
    name: `${r.release}-cloud-cost`,
    labels: commonLabels(r, 'cloud-cost', 'cloud-cost'),
    selector: selectorLabels(r, 'cloud-cost', 'cloud-cost'),
    containers: [
      cloudCostContainer(
        r,
        mountList,
        federatedSecret ? { FEDERATED_STORE_CONFIG: env.federatedAgent.FEDERATED_STORE_CONFIG } : {},
      ),
    ],
    volumes: [
      volumes.cloudIntegration(cloudIntegrationSecret),
      ...(federatedSecret ? [volumes.federated(federatedSecret)] : []),
    ],
    strategy: { type: 'Recreate' },
  });
}

/** The diagnostics Deployment (reference §1.7). */
export function diagnostics(r: Release, federatedSecret: string): KubeObject {
  return workload(r, {
    kind: 'Deployment',
    name: `${r.release}-diagnostics`,
    labels: commonLabels(r, 'diagnostics', 'diagnostics'),
    selector: selectorLabels(r, 'diagnostics', 'diagnostics'),
    containers: [
      {
        name: 'diagnostics',
        image: images(r).model,
        args: ['diagnostics'],
        mounts: [mounts.federatedPrimary],
        env: { FEDERATED_STORE_CONFIG: '/var/configs/etl/federated-store.yaml' },
      },
    ],
    volumes: [volumes.federated(federatedSecret)],
  });
}

/** The bundled Prometheus server (reference §1.5), with a thanos-sidecar on 1.x Thanos installs. */
export function prometheusServer(r: Release, thanosSecret?: string): KubeObject {
  const name = prometheusServerName(r);
  const selector = { component: 'server', app: 'prometheus', release: r.release };
  const labels = { ...selector, heritage: 'Helm', ...(r.chart.startsWith('1.') ? { chart: 'prometheus-11.0.2' } : {}) };
  const containers: ContainerSpec[] = [
    ...(r.chart.startsWith('1.')
      ? [{ name: 'prometheus-server-configmap-reload', image: 'jimmidyson/configmap-reload:v0.7.1' }]
      : []),
    { name: 'prometheus-server', image: 'quay.io/prometheus/prometheus:v2.50.1', port: 9090 },
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
            mounts: [mounts.thanosSidecar],
          },
        ]
      : []),
  ];
  return workload(r, {
    kind: 'Deployment',
    name,
    labels,
    selector,
    containers,
    volumes: thanosSecret ? [volumes.thanosSidecar(thanosSecret)] : [],
  });
}

export type ThanosComponent = 'store' | 'compact' | 'query' | 'bucket';

/** A Thanos component Deployment (1.x, reference §1.6); query mounts no object store. */
export function thanos(r: Release, component: ThanosComponent, secretName: string): KubeObject {
  const base = r.release.includes('thanos') ? r.release : `${r.release}-thanos`;
  const selector = {
    'app.kubernetes.io/name': 'thanos',
    'app.kubernetes.io/instance': r.release,
    'app.kubernetes.io/component': component,
  };
  const reads = component !== 'query';
  return workload(r, {
    kind: 'Deployment',
    name: `${base}-${component}`,
    labels: {
      ...selector,
      'helm.sh/chart': 'thanos-0.29.0',
      'app.kubernetes.io/version': 'v0.32.5',
      'app.kubernetes.io/managed-by': 'Helm',
    },
    selector,
    containers: [
      {
        name: `thanos-${component}`,
        image: 'thanosio/thanos:v0.32.5',
        args: [component, ...(reads ? ['--objstore.config-file=/etc/config/object-store.yaml'] : [])],
        port: 10902,
        ...(reads ? { mounts: [mounts.thanosComponent] } : {}),
      },
    ],
    volumes: reads ? [volumes.thanosComponent(secretName)] : [],
  });
}

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
  return service(r, fullname(r), selectorLabels(r, 'cost-analyzer', 'cost-analyzer'), [
    { name: 'tcp-model', port: 9003 },
    { name: 'tcp-frontend', port: 9090 },
  ]);
}

export function cloudCostService(r: Release): KubeObject {
  return service(r, `${r.release}-cloud-cost`, selectorLabels(r, 'cloud-cost', 'cloud-cost'), [
    { name: 'tcp-cloud-cost', port: 9005 },
  ]);
}

export function aggregatorService(r: Release): KubeObject {
  return service(r, `${r.release}-aggregator`, selectorLabels(r, 'aggregator', 'aggregator'), [
    { name: 'tcp-api', port: 9004 },
  ]);
}

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
