/**
 * Kubecost components and how to recognise them from labels (reference §1.9, §1.10), never from
 * names: names change with the release name and fullnameOverride, the chart's labels do not.
 * Roles come from the pod template's labels: in 3.x the object labels say `app=kubecost` where
 * the pods say `app=cost-analyzer` (frontend) or `app=<release>-cluster-controller`.
 */

/** What a workload is to Kubecost. */
export type ComponentRole =
  /** The main pod of 1.x and 2.x: cost-model (and, in 2.x singlepod mode, aggregator and cloud-cost containers). */
  | 'cost-analyzer'
  /** Billing-integration ingestion, its own Deployment in 2.x statefulset mode and in 3.x. */
  | 'cloud-cost'
  /** The federated ETL aggregator (1.107+ beta, 2.x and 3.x primary, 3.x single). */
  | 'aggregator'
  | 'diagnostics'
  | 'etl-utils'
  /** The 1.x federated-ETL federator, which combines the clusters' ETL on the primary. */
  | 'federator'
  /** The finops agent of 2.9 and 3.x (`finopsagent`; `finops-agent` in 3.0.0–3.0.2): writes the store on every cluster. */
  | 'finops-agent'
  /** The 3.x cluster-controller (actions; its own GCP key). */
  | 'cluster-controller'
  /** The 3.x in-cluster store behind `type: cluster`. */
  | 'local-store'
  /** The frontend Deployment of haMode and 3.x (its pods say app=cost-analyzer). */
  | 'frontend'
  | 'forecasting'
  | 'network-costs'
  | 'grafana'
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
  federator: 'federator',
  forecasting: 'forecasting',
  grafana: 'grafana',
  'kubecost-local-store': 'local-store',
};

/** `app.kubernetes.io/name` values that decide before `app` (a frontend pod also says app=cost-analyzer). */
const BY_NAME_FIRST: Readonly<Record<string, ComponentRole>> = {
  finopsagent: 'finops-agent',
  'finops-agent': 'finops-agent',
  'cluster-controller': 'cluster-controller',
  frontend: 'frontend',
  'kubecost-local-store': 'local-store',
  'network-costs': 'network-costs',
};

const THANOS: Readonly<Record<string, ComponentRole>> = {
  store: 'thanos-store',
  compact: 'thanos-compact',
  bucket: 'thanos-bucket',
  query: 'thanos-query',
  'query-frontend': 'thanos-query-frontend',
};

/**
 * Roles that make an installation by themselves: only Kubecost runs them. Prometheus, Thanos and
 * Grafana belong to an installation of the same release but make none (other charts run them too).
 */
const INSTALLATION_ROLES: ReadonlySet<ComponentRole> = new Set([
  'cost-analyzer',
  'cloud-cost',
  'aggregator',
  'diagnostics',
  'etl-utils',
  'federator',
  'finops-agent',
  'cluster-controller',
  'local-store',
  'frontend',
  'forecasting',
  'network-costs',
]);

/** The role a set of labels gives a workload's pods. */
export function roleOf(labels: Labels): ComponentRole {
  const l = labels ?? {};
  const app = l.app;
  const name = l['app.kubernetes.io/name'];
  if (app === 'prometheus' && l.component === 'server') return 'prometheus-server';
  if (name === 'thanos') return THANOS[l['app.kubernetes.io/component'] ?? ''] ?? 'unknown';
  if (name && Object.hasOwn(BY_NAME_FIRST, name)) return BY_NAME_FIRST[name] ?? 'unknown';
  if (app && Object.hasOwn(BY_APP, app)) return BY_APP[app] ?? 'unknown';
  if (name && Object.hasOwn(BY_APP, name)) return BY_APP[name] ?? 'unknown';
  return 'unknown';
}

/**
 * The role of a workload: from its pod template's labels; the object's labels only when the
 * template's say nothing (3.x object labels such as `app=kubecost` name no component).
 */
export function workloadRoleOf(podLabels: Labels, objectLabels: Labels): ComponentRole {
  const fromPods = roleOf(podLabels);
  return fromPods !== 'unknown' ? fromPods : roleOf(objectLabels);
}

/** Whether a role makes a Kubecost installation by itself. */
export function isInstallationRole(role: ComponentRole): boolean {
  return INSTALLATION_ROLES.has(role);
}

/** The Helm release a component belongs to: `app.kubernetes.io/instance`, or `release` for Prometheus and Grafana. */
export function releaseOf(labels: Labels): string | undefined {
  return labels?.['app.kubernetes.io/instance'] ?? labels?.release;
}

const KUBECOST_CHART = /^(cost-analyzer|kubecost|finops-agent|finopsagent)-\d+\.\d+\.\d+/;

/** Whether labels carry the Kubecost chart's (or its finops-agent subchart's) `helm.sh/chart`. */
export function hasKubecostChartLabel(labels: Labels): boolean {
  return KUBECOST_CHART.test(labels?.['helm.sh/chart'] ?? '');
}

/** The chart's version from `helm.sh/chart` (cost-analyzer-2.4.2 → 2.4.2, kubecost-3.0.2 → 3.0.2); not the subchart's. */
export function chartVersionOf(labels: Labels): { major: number; minor: number; version: string } | undefined {
  const chart = labels?.['helm.sh/chart'];
  const m = chart ? /^(?:cost-analyzer|kubecost)-(\d+)\.(\d+)\.(\d+)/.exec(chart) : null;
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), version: `${m[1]}.${m[2]}.${m[3]}` };
}

/** The name suffix each component's chart name adds to the release (for workloads without a release label). */
const NAME_SUFFIXES: readonly string[] = [
  '-cost-analyzer',
  '-aggregator',
  '-cloud-cost',
  '-diagnostics',
  '-etl-utils',
  '-federator',
  '-finopsagent',
  '-finops-agent',
  '-cluster-controller',
  '-local-store',
  '-frontend',
  '-forecasting',
  '-network-costs',
];

/** The release a workload's name implies (`kubecost-finopsagent` → `kubecost`), or the name itself. */
export function releaseFromName(name: string): string {
  const suffix = NAME_SUFFIXES.find((s) => name.endsWith(s) && name.length > s.length);
  return suffix ? name.slice(0, -suffix.length) : name;
}
