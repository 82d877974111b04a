/**
 * What a site is for, and which of its consumers restart in which wave (DESIGN §3, extended by
 * reference §1.10): writers on every cluster first (wave 1), then the readers on the primary
 * (wave 2), then workloads no rule knows (wave 3). Every consumer of a rotated site restarts:
 * subPath and env consumers can see a new key in no other way, and the others read their key at
 * start (reference §2.6). Pure tables and functions; the rotation engine only asks them.
 */
import type { ComponentRole } from './components.js';
import type { MountKind } from './consumers.js';

/** What a site is for, which decides its restart and verification rules. */
export type SiteKind =
  /** `cloud-integration.json` (1.x, 2.x `kubecostProductConfigs.cloudIntegrationSecret`, 3.x `cloudCost.cloudIntegrationSecret`). */
  | 'cloud-integration'
  /** 1.x/2.x federated ETL (`kubecostModel.federatedStorageConfigSecret`, `federated-store.yaml`). */
  | 'federated-etl'
  /** 2.9+/3.x `global.federatedStorage`: the store the finops agent writes on every cluster (data key `fileName`). */
  | 'global-federated-storage'
  /** 3.x actions store (`actions-store.yaml`), read by the cluster-controller. */
  | 'actions-store'
  /** `kubecost-thanos` (`object-store.yaml`): sidecars, store, compact, bucket, diagnostics, etl-utils. */
  | 'thanos'
  /** The ETL backup bucket (`etlBucketConfigSecret`, `object-store.yaml`, 2.4 and older). */
  | 'etl-backup'
  /** The 3.x cluster-controller's GCP key (`cluster-controller-service-key`, `service-key.json`). */
  | 'cluster-controller-key'
  /** The finops agent's GCP pricing API key (`CSP_PRICING_API_KEY`). */
  | 'pricing-api-key'
  /** Legacy key files: `service-key.json`, `azure-storage-config.json`, the gcpSecretName key. */
  | 'legacy-key';

/** Restart waves: writers on every cluster, then readers on the primary, then unknown workloads. */
export type Wave = 1 | 2 | 3;

/** The consumer facts a site kind is decided from. */
export interface ConsumerFacts {
  readonly role: ComponentRole;
  readonly mount: MountKind;
  readonly path: string;
}

export interface SiteFacts {
  readonly dataKey: string;
  readonly format: string;
  readonly consumers: readonly ConsumerFacts[];
}

/** Whether the installation the site belongs to stores ETL with `global.federatedStorage` (2.9+ and 3.x). */
export interface InstallationFacts {
  readonly globalStore: boolean;
}

const THANOS_ROLES: ReadonlySet<ComponentRole> = new Set([
  'prometheus-server',
  'thanos-store',
  'thanos-compact',
  'thanos-bucket',
  'thanos-query',
  'thanos-query-frontend',
  'etl-utils',
]);

const STORE_READER_ROLES: ReadonlySet<ComponentRole> = new Set([
  'aggregator',
  'federator',
  'diagnostics',
  'cloud-cost',
  'finops-agent',
  'local-store',
]);

/** The kind of a site, from its format, data key and who reads it (never from the Secret's name). */
export function siteKindOf(site: SiteFacts, installation?: InstallationFacts): SiteKind {
  if (site.format.startsWith('cloud-integration')) return 'cloud-integration';
  if (site.format === 'gcp-api-key') return 'pricing-api-key';
  const roles = new Set(site.consumers.map((c) => c.role));
  if (site.format.startsWith('objstore')) {
    if ([...roles].some((r) => THANOS_ROLES.has(r))) return 'thanos';
    if (roles.has('finops-agent') || roles.has('local-store')) return 'global-federated-storage';
    const asActionsStore = site.consumers.some((c) => c.path.endsWith('/actions-store.yaml'));
    const onlyController = site.consumers.length > 0 && site.consumers.every((c) => c.role === 'cluster-controller');
    if (site.dataKey === 'actions-store.yaml' || (onlyController && asActionsStore)) return 'actions-store';
    const federated =
      site.dataKey === 'federated-store.yaml' ||
      [...roles].some((r) => STORE_READER_ROLES.has(r)) ||
      site.consumers.some((c) => c.path.includes('/etl/federated'));
    if (federated || roles.has('cluster-controller'))
      return installation?.globalStore ? 'global-federated-storage' : 'federated-etl';
    return 'etl-backup';
  }
  if (site.format === 'service-key-json' && roles.has('cluster-controller')) return 'cluster-controller-key';
  return 'legacy-key';
}

/** The wave of each role when a site it reads is rotated. Roles that read no key are wave 1 (never asked). */
const DEFAULT_WAVE: Readonly<Record<ComponentRole, Wave>> = {
  'cost-analyzer': 1,
  'cloud-cost': 1,
  'prometheus-server': 1,
  'finops-agent': 1,
  'cluster-controller': 1,
  frontend: 1,
  forecasting: 1,
  'network-costs': 1,
  grafana: 1,
  aggregator: 2,
  federator: 2,
  'local-store': 2,
  diagnostics: 2,
  'etl-utils': 2,
  'thanos-store': 2,
  'thanos-compact': 2,
  'thanos-bucket': 2,
  'thanos-query': 2,
  'thanos-query-frontend': 2,
  unknown: 3,
};

/**
 * Where a site kind moves a role from its default wave. With `global.federatedStorage` the finops
 * agent writes and cloud-cost reads the store on the primary (reference §1.10, DESIGN §3).
 */
const WAVE_BY_KIND: Readonly<Partial<Record<SiteKind, Partial<Record<ComponentRole, Wave>>>>> = {
  'global-federated-storage': { 'cloud-cost': 2 },
};

/** The restart wave of a workload of `role` for a rotated site of `kind`. */
export function restartWave(role: ComponentRole, kind: SiteKind): Wave {
  return WAVE_BY_KIND[kind]?.[role] ?? DEFAULT_WAVE[role];
}

/**
 * The wave of a workload that reads several rotated sites: the earliest any of them asks for
 * (one restart per workload; it is then on the new key for all of them).
 */
export function restartWaveFor(role: ComponentRole, kinds: Iterable<SiteKind>): Wave {
  let wave: Wave | undefined;
  for (const kind of kinds) {
    const w = restartWave(role, kind);
    if (wave === undefined || w < wave) wave = w;
  }
  return wave ?? DEFAULT_WAVE[role];
}

/** Why a consumer must restart to use a new key (for plans and reports). */
export function restartReason(mount: MountKind): string {
  switch (mount) {
    case 'subPath':
      return 'subPath mount: the file never changes in a running pod';
    case 'env':
      return 'environment variable: fixed when the container starts';
    case 'volume':
      return 'reads the file when it starts';
  }
}
