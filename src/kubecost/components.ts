/**
 * Kubecost components and how to recognise them from labels (reference §1.9), never from names:
 * names change with the release name and fullnameOverride, the chart's labels do not.
 */

/** What a workload is to Kubecost. */
export type ComponentRole =
  /** The main pod: cost-model (and, in 2.x singlepod mode, aggregator and cloud-cost containers). */
  | 'cost-analyzer'
  /** Billing-integration ingestion, its own Deployment in 2.x statefulset mode. */
  | 'cloud-cost'
  /** The federated ETL aggregator (2.x/3.x primary). */
  | 'aggregator'
  | 'diagnostics'
  | 'etl-utils'
  /** The bundled Prometheus server; on 1.x Thanos installs it carries the thanos-sidecar. */
  | 'prometheus-server'
  | 'thanos-store'
  | 'thanos-compact'
  | 'thanos-bucket'
  | 'thanos-query'
  | 'thanos-query-frontend'
  /** A workload that reads a Kubecost Secret but is not a Kubecost component. */
  | 'unknown';

type Labels = Readonly<Record<string, string>> | undefined;

const BY_APP: Readonly<Record<string, ComponentRole>> = {
  'cost-analyzer': 'cost-analyzer',
  'cloud-cost': 'cloud-cost',
  aggregator: 'aggregator',
  diagnostics: 'diagnostics',
  'etl-utils': 'etl-utils',
};

const THANOS: Readonly<Record<string, ComponentRole>> = {
  store: 'thanos-store',
  compact: 'thanos-compact',
  bucket: 'thanos-bucket',
  query: 'thanos-query',
  'query-frontend': 'thanos-query-frontend',
};

/** The role a workload's labels give it. */
export function roleOf(labels: Labels): ComponentRole {
  const l = labels ?? {};
  const app = l.app;
  if (app === 'prometheus' && l.component === 'server') return 'prometheus-server';
  if (l['app.kubernetes.io/name'] === 'thanos') return THANOS[l['app.kubernetes.io/component'] ?? ''] ?? 'unknown';
  if (app && BY_APP[app]) return BY_APP[app];
  const name = l['app.kubernetes.io/name'];
  if (name && BY_APP[name]) return BY_APP[name];
  return 'unknown';
}

/** The Helm release a component belongs to: `app.kubernetes.io/instance`, or `release` for Prometheus. */
export function releaseOf(labels: Labels): string | undefined {
  return labels?.['app.kubernetes.io/instance'] ?? labels?.release;
}

/** The chart's major version from `helm.sh/chart` (cost-analyzer-2.4.2 → 2, kubecost-3.0.2 → 3). */
export function chartVersionOf(labels: Labels): { major: number; version: string } | undefined {
  const chart = labels?.['helm.sh/chart'];
  const m = chart ? /^(?:cost-analyzer|kubecost)-(\d+)\.(\d+)\.(\d+)/.exec(chart) : null;
  if (!m) return undefined;
  return { major: Number(m[1]), version: `${m[1]}.${m[2]}.${m[3]}` };
}
