/**
 * The inventory of a fleet: Kubecost installations, every site holding a cloud key, the places
 * that hold none, the consumers of each, credentials grouped by identity, warnings and problems.
 * Pure: it reads snapshots of cluster objects and returns plain, printable data (no secret value
 * in it).
 *
 * An installation is recognised from any Kubecost component (3.x has no cost-analyzer) and its
 * role from what its aggregator reads, across the whole selection of clusters: an aggregator
 * reading a store that other clusters write is a primary.
 */
import type {
  V1CronJob,
  V1DaemonSet,
  V1Deployment,
  V1Job,
  V1ObjectMeta,
  V1Pod,
  V1PodTemplateSpec,
  V1Secret,
  V1ServiceAccount,
  V1StatefulSet,
} from '@kubernetes/client-node';
import { parseDocument } from 'yaml';
import type { ConsumerKind, WorkloadKind } from '../kube/client.js';
import {
  chartVersionOf,
  hasKubecostChartLabel,
  isInstallationRole,
  releaseFromName,
  releaseOf,
  workloadRoleOf,
  type ComponentRole,
} from './components.js';
import { fileOf, readsKey, secretReferences, type MountKind, type SecretReference } from './consumers.js';
import { siteKindOf, type SiteKind } from './restart-rules.js';
import {
  azureSubscriptionIdIn,
  credentialFingerprint,
  credentialIdentity,
  credentialsEqual,
  decodeSecretData,
  familyOfDataKey,
  parseSecretData,
  SecretFormatError,
  serviceKeySubscriptionId,
  sniffFamily,
  type Credential,
  type ParsedSecret,
  type Provider,
  type SecretFormatFamily,
  type Site,
  type SiteFormat,
  type SkipReason,
} from './secret-formats/index.js';

/** The objects of one cluster that discovery reads. */
export interface ClusterSnapshot {
  readonly cluster: string;
  readonly deployments: readonly V1Deployment[];
  readonly statefulSets: readonly V1StatefulSet[];
  readonly secrets: readonly V1Secret[];
  /** The other readers of Secrets (absent: none listed). */
  readonly daemonSets?: readonly V1DaemonSet[];
  readonly cronJobs?: readonly V1CronJob[];
  readonly jobs?: readonly V1Job[];
  /** Every pod; only bare ones (no controller) are consumers of their own. */
  readonly pods?: readonly V1Pod[];
  /** Undefined when they could not be read (ambient-identity hints are then not given). */
  readonly serviceAccounts?: readonly V1ServiceAccount[];
}

export type InstallationLayout =
  'v1-thanos' | 'v1-single' | 'v1-federated' | 'v2-single' | 'v2-federated' | 'v3-single' | 'v3-federated';
export type InstallationRole = 'primary' | 'secondary' | 'single';

export interface Installation {
  readonly cluster: string;
  readonly namespace: string;
  readonly release: string;
  readonly layout: InstallationLayout;
  readonly role: InstallationRole;
  /** Why discovery gave it that role, in a sentence. */
  readonly roleBasis: string;
  /** Chart version from helm.sh/chart, when labelled. */
  readonly chartVersion?: string;
  readonly components: readonly { readonly role: ComponentRole; readonly kind: WorkloadKind; readonly name: string }[];
}

/** One definition of the workload kinds, in the cluster layer. */
export type { ConsumerKind, WorkloadKind };

/** Whether a consumer is restarted by a rollout (Deployment, StatefulSet, DaemonSet). */
export function isRestartable(kind: ConsumerKind): kind is WorkloadKind {
  return kind === 'Deployment' || kind === 'StatefulSet' || kind === 'DaemonSet';
}

export interface Consumer {
  /** Deployments, StatefulSets and DaemonSets are restarted; CronJobs and Jobs read the key at their next run; a bare Pod cannot be restarted. */
  readonly kind: ConsumerKind;
  readonly name: string;
  readonly container: string;
  readonly mount: MountKind;
  /** Mount path or env var name. */
  readonly path: string;
  readonly role: ComponentRole;
}

export interface SiteRecord {
  readonly id: string;
  readonly cluster: string;
  readonly namespace: string;
  readonly secret: string;
  readonly dataKey: string;
  readonly path: string;
  readonly format: SiteFormat;
  readonly provider: Provider;
  /** What the site is for, which decides its restart and verification rules. */
  readonly kind: SiteKind;
  /** The id of the credential this site holds. */
  readonly credential: string;
  readonly consumers: readonly Consumer[];
  /** The Secret is immutable: its data cannot be changed, only the Secret replaced. */
  readonly immutable?: true;
  /** A controller that owns the Secret's value and puts it back after a direct edit. */
  readonly managedBy?: SecretManager;
  /** The size in bytes of the data value that holds the site (a rotation's journal backs it up). */
  readonly valueBytes?: number;
}

/** Who owns a Secret's value, and where its key must change instead. */
export interface SecretManager {
  readonly kind: 'ExternalSecret' | 'SealedSecret' | 'ArgoCD';
  /** The ExternalSecret or SealedSecret, or the Argo CD tracking id / application. */
  readonly name: string;
}

/** The controller that owns a Secret's value (an ExternalSecret, a SealedSecret, Argo CD), if any. */
export function secretManagerOf(secret: V1Secret): SecretManager | undefined {
  const meta = secret.metadata ?? {};
  for (const owner of meta.ownerReferences ?? [])
    if (owner.kind === 'ExternalSecret' || owner.kind === 'SealedSecret') return { kind: owner.kind, name: owner.name };
  if (Object.keys(meta.labels ?? {}).some((k) => k.startsWith('reconcile.external-secrets.io/')))
    return { kind: 'ExternalSecret', name: meta.name ?? '' };
  const tracking = meta.annotations?.['argocd.argoproj.io/tracking-id'] ?? meta.labels?.['argocd.argoproj.io/instance'];
  if (tracking) return { kind: 'ArgoCD', name: tracking };
  // The label tracking method: app.kubernetes.io/instance, with Argo CD's own annotations beside it.
  const instance = meta.labels?.['app.kubernetes.io/instance'];
  if (instance && Object.keys(meta.annotations ?? {}).some((k) => k.startsWith('argocd.argoproj.io/')))
    return { kind: 'ArgoCD', name: instance };
  return undefined;
}

/**
 * A place Kubecost reads its cloud access from that holds no key to rotate: the workload's own
 * identity (IRSA, workload identity), the keyless 3.x local store, or a credential of a kind not
 * rotated here (temporary STS credentials, a service principal secret; those also warn).
 */
export interface KeylessSite {
  readonly id: string;
  readonly cluster: string;
  readonly namespace: string;
  readonly secret: string;
  readonly dataKey: string;
  readonly path: string;
  readonly format: SiteFormat;
  readonly provider?: Provider | 'oci';
  readonly reason: SkipReason;
  /** What it uses instead of a key, in a phrase. */
  readonly detail: string;
  readonly consumers: readonly Consumer[];
}

export interface CredentialRecord {
  readonly id: string;
  readonly provider: Provider;
  readonly principal?: string;
  readonly keyId?: string;
  readonly fingerprint: string;
  readonly sites: readonly string[];
  readonly clusters: readonly string[];
}

/** Conditions a user should know before rotating; none stops discovery. */
export type WarningCode =
  /** Helm rendered the Secret: a later `helm upgrade` writes the old value back. */
  | 'ManagedByHelm'
  /** Argo CD tracks the Secret: a sync reverts an edit. */
  | 'ManagedByArgoCD'
  /** An ExternalSecret owns the Secret: the value must change at the source store. */
  | 'ManagedByExternalSecret'
  /** A SealedSecret owns the Secret: the sealed value must be re-sealed. */
  | 'ManagedBySealedSecret'
  /** A consumer mounts with subPath: the file never changes until the pod restarts. */
  | 'SubPathMount'
  /** A consumer reads the Secret through an environment variable: it changes only on restart. */
  | 'EnvConsumer'
  /** A workload that is not a Kubecost component reads the Secret. */
  | 'UnknownConsumer'
  /** A CronJob or Job reads the Secret: not restarted, its next run reads the new key. */
  | 'BatchConsumer'
  /** A Pod without a controller reads the Secret: nothing can restart it. */
  | 'BarePodConsumer'
  /** A workload carries the Kubecost chart's labels but no rule knows what it is. */
  | 'UnrecognizedComponent'
  /** A Kubecost Secret holds a credential of a kind this tool does not rotate (temporary STS credentials, a service principal). */
  | 'UnsupportedCredential'
  /** Kubecost's own parser refuses the configuration as it stands (the key in it is still listed). */
  | 'ConfigRejected'
  /** The workload's service account can use IRSA / Workload Identity instead of a key. */
  | 'AmbientIdentityAvailable'
  /** A workload references a Secret (or data key) that does not exist. */
  | 'MissingSecret'
  /** Two sites hold the same key id with different secret material. */
  | 'InconsistentCopies';

export interface Warning {
  readonly code: WarningCode;
  readonly cluster: string;
  readonly namespace?: string;
  readonly secret?: string;
  readonly dataKey?: string;
  readonly workload?: string;
  /** The credential concerned, when there is one. */
  readonly credential?: string;
  readonly message: string;
}

/** Something that kept discovery from seeing everything. */
export interface Problem {
  readonly cluster: string;
  readonly namespace?: string;
  readonly secret?: string;
  readonly dataKey?: string;
  readonly reason: string;
  readonly message: string;
  /** Sites may be missing because of it (a cluster, namespace or Secret could not be read). */
  readonly hidesSites: boolean;
}

export interface Inventory {
  readonly installations: readonly Installation[];
  readonly sites: readonly SiteRecord[];
  readonly keylessSites: readonly KeylessSite[];
  readonly credentials: readonly CredentialRecord[];
  readonly warnings: readonly Warning[];
  readonly problems: readonly Problem[];
}

interface Workload {
  readonly kind: ConsumerKind;
  readonly namespace: string;
  readonly name: string;
  readonly objectLabels: Readonly<Record<string, string>>;
  readonly podLabels: Readonly<Record<string, string>>;
  readonly role: ComponentRole;
  /** The Helm release, from labels (or the name, for a component without them). */
  readonly release: string | undefined;
  readonly serviceAccount: string;
  readonly references: readonly SecretReference[];
  readonly containers: readonly { name: string; env: Readonly<Record<string, string>> }[];
}

/** Secret types that never hold a Kubecost cloud key. */
const IGNORED_SECRET_TYPES = new Set([
  'helm.sh/release.v1',
  'kubernetes.io/service-account-token',
  'kubernetes.io/dockerconfigjson',
  'kubernetes.io/dockercfg',
  'kubernetes.io/tls',
  'bootstrap.kubernetes.io/token',
]);

const AMBIENT_ANNOTATIONS: readonly { provider: Provider; annotation: string; what: string }[] = [
  { provider: 'aws', annotation: 'eks.amazonaws.com/role-arn', what: 'an IAM role through IRSA' },
  {
    provider: 'gcp',
    annotation: 'iam.gke.io/gcp-service-account',
    what: 'a Google service account through GKE Workload Identity',
  },
  {
    provider: 'azure',
    annotation: 'azure.workload.identity/client-id',
    what: 'a managed identity through Azure Workload Identity',
  },
];

/** Roles whose objstore references are Thanos buckets, not the federated store. */
const THANOS_SIDE: ReadonlySet<ComponentRole> = new Set([
  'prometheus-server',
  'thanos-store',
  'thanos-compact',
  'thanos-bucket',
  'etl-utils',
]);

const phaseOf = (pod: V1Pod) => pod.status?.phase ?? '';
const finishedJob = (job: V1Job) =>
  (job.status?.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
const controlled = (meta: V1ObjectMeta | undefined, kinds?: readonly string[]) =>
  (meta?.ownerReferences ?? []).some((o) => o.controller === true && (!kinds || kinds.includes(o.kind)));

/**
 * Every object whose pods can read a Secret, with its pod template: the restartable workloads,
 * CronJobs, Jobs that no CronJob owns and that have not finished, and bare Pods (no controller)
 * still running. Pods and Jobs a controller owns are read through their owner.
 */
function workloadsOf(snapshot: ClusterSnapshot): Workload[] {
  const all: { kind: ConsumerKind; meta: V1ObjectMeta | undefined; template: V1PodTemplateSpec | undefined }[] = [
    ...snapshot.deployments.map((obj) => ({
      kind: 'Deployment' as const,
      meta: obj.metadata,
      template: obj.spec?.template,
    })),
    ...snapshot.statefulSets.map((obj) => ({
      kind: 'StatefulSet' as const,
      meta: obj.metadata,
      template: obj.spec?.template,
    })),
    ...(snapshot.daemonSets ?? []).map((obj) => ({
      kind: 'DaemonSet' as const,
      meta: obj.metadata,
      template: obj.spec?.template,
    })),
    ...(snapshot.cronJobs ?? []).map((obj) => ({
      kind: 'CronJob' as const,
      meta: obj.metadata,
      template: obj.spec?.jobTemplate.spec?.template,
    })),
    ...(snapshot.jobs ?? [])
      .filter((obj) => !controlled(obj.metadata, ['CronJob']) && !finishedJob(obj))
      .map((obj) => ({ kind: 'Job' as const, meta: obj.metadata, template: obj.spec?.template })),
    ...(snapshot.pods ?? [])
      .filter((pod) => !controlled(pod.metadata) && phaseOf(pod) !== 'Succeeded' && phaseOf(pod) !== 'Failed')
      .map((pod) => ({
        kind: 'Pod' as const,
        meta: pod.metadata,
        template: { metadata: { labels: pod.metadata?.labels ?? {} }, ...(pod.spec ? { spec: pod.spec } : {}) },
      })),
  ];
  return all.map(({ kind, meta, template }) => {
    const spec = template?.spec;
    const podLabels = template?.metadata?.labels ?? {};
    const objectLabels = meta?.labels ?? {};
    const role = workloadRoleOf(podLabels, objectLabels);
    const name = meta?.name ?? '';
    const labelled = releaseOf(podLabels) ?? releaseOf(objectLabels);
    return {
      kind,
      namespace: meta?.namespace ?? '',
      name,
      objectLabels,
      podLabels,
      role,
      release: labelled ?? (isInstallationRole(role) ? releaseFromName(name) : undefined),
      serviceAccount: spec?.serviceAccountName ?? 'default',
      references: secretReferences(spec),
      containers: (spec?.containers ?? []).map((c) => ({
        name: c.name,
        env: Object.fromEntries((c.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value ?? ''])),
      })),
    };
  });
}

// ----------------------------------------------------------------------------------- parsed data

/** One Secret data value a Kubecost namespace holds, parsed. */
interface ParsedValue {
  readonly cluster: string;
  readonly namespace: string;
  readonly secret: V1Secret;
  readonly name: string;
  readonly dataKey: string;
  readonly text: string;
  readonly family: SecretFormatFamily;
  readonly parsed: ParsedSecret;
  readonly readers: readonly { readonly w: Workload; readonly r: SecretReference }[];
}

/** Where a store is (type, bucket, prefix), to tell whether two clusters share it. Undefined for non-stores. */
interface StoreIdentity {
  readonly id: string;
  /** The 3.x `type: cluster` store: local to its cluster, shared with nobody. */
  readonly local: boolean;
}

function storeIdentityOf(text: string): StoreIdentity | undefined {
  let doc: unknown;
  try {
    doc = parseDocument(text).toJS();
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null) return undefined;
  const root = doc as Record<string, unknown>;
  const type = String(root.type ?? '').toLowerCase();
  const config = (typeof root.config === 'object' && root.config !== null ? root.config : {}) as Record<
    string,
    unknown
  >;
  const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  if (type === 'cluster') return { id: 'cluster', local: true };
  const where =
    type === 'azure'
      ? `${str(config.storage_account)}/${str(config.container)}`
      : `${str(config.endpoint)}/${str(config.bucket)}`;
  return { id: `${type}:${where}:${str(root.prefix).replace(/\/+$/, '')}`, local: false };
}

/** The consumers of a value, sorted. */
function consumersOf(value: ParsedValue): Consumer[] {
  return value.readers
    .filter(({ r }) => readsKey(r, value.dataKey))
    .map(({ w, r }) => ({
      kind: w.kind,
      name: w.name,
      container: r.container,
      mount: r.mount,
      path: r.path,
      role: w.role,
    }))
    .sort((a, b) => `${a.kind}/${a.name}/${a.container}`.localeCompare(`${b.kind}/${b.name}/${b.container}`));
}

/** A family for a data key the chart does not fix, from the file name the consumers see it under. */
function familyFromConsumers(readers: readonly { w: Workload; r: SecretReference }[], dataKey: string) {
  for (const { w, r } of readers) {
    if (w.role === 'unknown') continue;
    const file = fileOf(r, dataKey);
    const family = file ? familyOfDataKey(file.slice(file.lastIndexOf('/') + 1)) : undefined;
    if (family) return family;
  }
  return undefined;
}

// ----------------------------------------------------------------------------------- installations

interface Candidate {
  readonly cluster: string;
  readonly namespace: string;
  readonly release: string;
  readonly members: Workload[];
}

function candidatesOf(cluster: string, workloads: readonly Workload[]): Candidate[] {
  const byKey = new Map<string, Candidate>();
  // Batch work and bare Pods read keys, but an installation is made of its controllers.
  const controllers = workloads.filter((x) => isRestartable(x.kind));
  for (const w of controllers.filter((x) => isInstallationRole(x.role) && x.release !== undefined)) {
    const key = `${w.namespace}/${w.release ?? ''}`;
    const c = byKey.get(key) ?? { cluster, namespace: w.namespace, release: w.release ?? '', members: [] };
    c.members.push(w);
    byKey.set(key, c);
  }
  // Prometheus, Thanos and Grafana belong to the installation of their release, and make none.
  for (const w of controllers.filter((x) => x.role !== 'unknown' && !isInstallationRole(x.role)))
    byKey.get(`${w.namespace}/${w.release ?? ''}`)?.members.push(w);
  return [...byKey.values()].sort((a, b) => `${a.namespace}/${a.release}`.localeCompare(`${b.namespace}/${b.release}`));
}

/** The store values a set of references reads, from the parsed values of the namespace. */
function storesRead(
  refs: readonly SecretReference[],
  namespace: string,
  values: ReadonlyMap<string, readonly ParsedValue[]>,
): StoreIdentity[] {
  const out: StoreIdentity[] = [];
  for (const r of refs) {
    if (r.mount === 'env') continue;
    for (const v of values.get(`${namespace}/${r.secret}`) ?? []) {
      if (v.family !== 'objstore' || !readsKey(r, v.dataKey)) continue;
      const store = storeIdentityOf(v.text);
      if (store) out.push(store);
    }
  }
  return out;
}

/** The references of the aggregator: its own workload's, or the `aggregator` container's in the cost-analyzer pod (2.x singlepod). */
function aggregatorReferences(c: Candidate): SecretReference[] {
  return c.members.flatMap((w) =>
    w.role === 'aggregator'
      ? [...w.references]
      : w.role === 'cost-analyzer'
        ? w.references.filter((r) => r.container === 'aggregator')
        : [],
  );
}

/** Whether the installation writes ETL to a federated store (the agent of a secondary, or any cluster). */
function writesFederatedStore(c: Candidate): boolean {
  return c.members.some(
    (w) =>
      w.role === 'finops-agent' ||
      w.containers.some((x) => x.env.FEDERATED_CLUSTER === 'true' || x.env.FEDERATED_STORE_CONFIG !== undefined) ||
      w.references.some((r) => r.mount !== 'env' && r.path.startsWith('/var/configs/etl/federated')),
  );
}

interface Versioned {
  readonly major: number;
  readonly minor: number;
  readonly version?: string;
}

function versionOf(c: Candidate): Versioned {
  for (const w of c.members) {
    const v = chartVersionOf(w.objectLabels) ?? chartVersionOf(w.podLabels);
    if (v) return v;
  }
  const has = (role: ComponentRole) => c.members.some((w) => w.role === role);
  if (has('federator') || c.members.some((w) => w.role.startsWith('thanos-'))) return { major: 1, minor: 0 };
  if (has('cost-analyzer')) return { major: 2, minor: has('finops-agent') ? 9 : 0 };
  return { major: 3, minor: 0 };
}

/** Whether an installation stores ETL with `global.federatedStorage` (2.9+ and 3.x). */
function usesGlobalStore(c: Candidate, v: Versioned): boolean {
  return v.major >= 3 || (v.major === 2 && v.minor >= 9) || c.members.some((w) => w.role === 'finops-agent');
}

function classify(
  c: Candidate,
  all: readonly Candidate[],
  values: ReadonlyMap<string, ReadonlyMap<string, readonly ParsedValue[]>>,
): Installation {
  const v = versionOf(c);
  const has = (role: ComponentRole) => c.members.some((w) => w.role === role);
  const nsValues = values.get(c.cluster) ?? new Map<string, readonly ParsedValue[]>();
  const thanos =
    c.members.some((w) => w.role.startsWith('thanos-')) ||
    c.members.some((w) => w.role === 'prometheus-server' && w.containers.some((x) => x.name === 'thanos-sidecar'));
  const aggregatorRefs = aggregatorReferences(c);
  const aggregatorStores = storesRead(aggregatorRefs, c.namespace, nsValues);
  const readsStore = aggregatorStores.length > 0 || aggregatorRefs.some((r) => r.mount !== 'env');
  let role: InstallationRole;
  let roleBasis: string;
  if (thanos && v.major <= 1) {
    role = has('thanos-store') ? 'primary' : 'secondary';
    roleBasis = has('thanos-store')
      ? 'runs thanos-store (1.x with Thanos)'
      : 'ships metrics to Thanos and runs no thanos-store';
  } else if (readsStore || has('federator')) {
    const sharers = all.filter(
      (o) =>
        o !== c &&
        c.members.length > 0 &&
        storesRead(
          o.members.filter((w) => !THANOS_SIDE.has(w.role)).flatMap((w) => w.references),
          o.namespace,
          values.get(o.cluster) ?? new Map(),
        ).some((s) => !s.local && aggregatorStores.some((a) => !a.local && a.id === s.id)),
    );
    if (has('federator')) {
      role = 'primary';
      roleBasis = 'runs the federator and the aggregator (1.x federated ETL)';
    } else if (aggregatorStores.length > 0 && aggregatorStores.every((s) => s.local)) {
      role = 'single';
      roleBasis = 'its aggregator reads the keyless in-cluster store (type: cluster)';
    } else if (sharers.length > 0) {
      role = 'primary';
      roleBasis = `its aggregator reads the store that ${sharers.map((o) => `${o.cluster}/${o.namespace}`).join(', ')} also use${sharers.length === 1 ? 's' : ''}`;
    } else if (usesGlobalStore(c, v)) {
      role = 'single';
      roleBasis =
        'its aggregator reads a store no other selected cluster uses (2.9+ requires a store even on one cluster)';
    } else {
      role = 'primary';
      roleBasis = 'its aggregator reads the federated store (no secondary of it in the selected clusters)';
    }
  } else if (writesFederatedStore(c)) {
    role = 'secondary';
    roleBasis = 'writes the federated store and runs no aggregator';
  } else {
    role = 'single';
    roleBasis = 'uses no federated store';
  }
  const layout: InstallationLayout =
    v.major <= 1
      ? thanos
        ? 'v1-thanos'
        : role === 'single'
          ? 'v1-single'
          : 'v1-federated'
      : `v${v.major >= 3 ? 3 : 2}-${role === 'single' ? 'single' : 'federated'}`;
  return {
    cluster: c.cluster,
    namespace: c.namespace,
    release: c.release,
    layout,
    role,
    roleBasis,
    ...(v.version ? { chartVersion: v.version } : {}),
    components: c.members
      .flatMap((w) => (isRestartable(w.kind) ? [{ role: w.role, kind: w.kind, name: w.name }] : []))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

// ----------------------------------------------------------------------------------- warnings

function ownershipWarnings(cluster: string, secret: V1Secret): Warning[] {
  const meta = secret.metadata ?? {};
  const namespace = meta.namespace ?? '';
  const name = meta.name ?? '';
  const where = { cluster, namespace, secret: name };
  const warnings: Warning[] = [];
  const helmRelease = meta.annotations?.['meta.helm.sh/release-name'];
  if (helmRelease || meta.labels?.['app.kubernetes.io/managed-by'] === 'Helm') {
    warnings.push({
      code: 'ManagedByHelm',
      ...where,
      message: `Secret ${namespace}/${name} on ${cluster} is managed by Helm${helmRelease ? ` release "${helmRelease}"` : ''}: the next helm upgrade writes the old value back unless the chart values (for example cloudIntegrationJSON) change too.`,
    });
  }
  if (meta.annotations?.['argocd.argoproj.io/tracking-id'] || meta.labels?.['argocd.argoproj.io/instance']) {
    warnings.push({
      code: 'ManagedByArgoCD',
      ...where,
      message: `Secret ${namespace}/${name} on ${cluster} is tracked by Argo CD: a sync reverts a direct edit. Change the value in Git (or the Argo CD source) as well.`,
    });
  }
  for (const owner of meta.ownerReferences ?? []) {
    if (owner.kind === 'ExternalSecret')
      warnings.push({
        code: 'ManagedByExternalSecret',
        ...where,
        message: `Secret ${namespace}/${name} on ${cluster} is owned by ExternalSecret ${owner.name}: the operator overwrites a direct edit. Rotate the value in the external store it reads from.`,
      });
    if (owner.kind === 'SealedSecret')
      warnings.push({
        code: 'ManagedBySealedSecret',
        ...where,
        message: `Secret ${namespace}/${name} on ${cluster} is owned by SealedSecret ${owner.name}: the controller overwrites a direct edit. Seal the new value and update the SealedSecret.`,
      });
  }
  return warnings;
}

function unrecognizedComponentWarnings(cluster: string, workloads: readonly Workload[]): Warning[] {
  return workloads
    .filter(
      (w) => w.role === 'unknown' && (hasKubecostChartLabel(w.objectLabels) || hasKubecostChartLabel(w.podLabels)),
    )
    .map((w) => ({
      code: 'UnrecognizedComponent' as const,
      cluster,
      namespace: w.namespace,
      workload: `${w.kind}/${w.name}`,
      message: `${w.kind} ${w.namespace}/${w.name} on ${cluster} carries the Kubecost chart's labels (helm.sh/chart ${w.objectLabels['helm.sh/chart'] ?? w.podLabels['helm.sh/chart'] ?? ''}) but is no component kubecost-rotate knows: a key it reads is rotated, it is restarted last, and nothing checks it uses the new key. Report its labels so that a rule can be added.`,
    }));
}

/**
 * An `azure-storage-config.json` without a subscription id fails OpenCost's validation unless
 * the same container reads one from /var/secrets/service-key.json (reference §2.5; OpenCost's
 * HelmWatcher also falls back to the pricing configuration, which discovery does not read).
 */
function subscriptionWarning(
  value: ParsedValue,
  secretsByKey: ReadonlyMap<string, V1Secret>,
  consumers: readonly Consumer[],
): Warning | undefined {
  if (azureSubscriptionIdIn(value.text)) return undefined;
  for (const { w } of value.readers) {
    for (const r of w.references) {
      const other = secretsByKey.get(`${w.namespace}/${r.secret}`);
      for (const key of Object.keys(other?.data ?? {})) {
        if (fileOf(r, key) !== '/var/secrets/service-key.json') continue;
        const text = Buffer.from(String(other?.data?.[key] ?? ''), 'base64').toString('utf8');
        if (serviceKeySubscriptionId(text)) return undefined;
      }
    }
  }
  const readers = consumers.map((c) => `${c.kind}/${c.name}`).join(', ') || 'no workload';
  return {
    code: 'ConfigRejected',
    cluster: value.cluster,
    namespace: value.namespace,
    secret: value.name,
    dataKey: value.dataKey,
    ...(consumers[0] ? { workload: `${consumers[0].kind}/${consumers[0].name}` } : {}),
    message: `Secret ${value.namespace}/${value.name} on ${value.cluster} (${value.dataKey}) names no azureSubscriptionID, and no /var/secrets/service-key.json beside it (read by ${readers}) gives a subscriptionId: OpenCost's validation refuses this Azure billing config (unless the pricing configuration sets azureSubscriptionID). Add azureSubscriptionID before relying on a rotation of its key.`,
  };
}

function unsupportedCredentialWarning(value: ParsedValue, path: string, detail: string): Warning {
  const temporary = /session_token/.test(detail);
  return {
    code: 'UnsupportedCredential',
    cluster: value.cluster,
    namespace: value.namespace,
    secret: value.name,
    dataKey: value.dataKey,
    message: temporary
      ? `Secret ${value.namespace}/${value.name} on ${value.cluster} (${value.dataKey}, at ${path}) holds temporary AWS credentials (session_token): kubecost-rotate does not rotate them, they expire on their own, and Kubecost's own store reader ignores session_token, so its components may fail with them. Use an IAM user key or IRSA instead.`
      : `Secret ${value.namespace}/${value.name} on ${value.cluster} (${value.dataKey}, at ${path}) holds ${detail}: kubecost-rotate does not rotate this kind of credential; rotate it by hand.`,
  };
}

function siteId(
  cluster: string,
  location: { namespace: string; secret: string; dataKey: string },
  path: string,
): string {
  return `${cluster}/${location.namespace}/${location.secret}/${location.dataKey}#${path}`;
}

// ----------------------------------------------------------------------------------- inventory

/** Builds the inventory of a fleet from snapshots (plus the problems met while taking them). */
export function buildInventory(
  snapshots: readonly ClusterSnapshot[],
  earlierProblems: readonly Problem[] = [],
): Inventory {
  const warnings: Warning[] = [];
  const problems: Problem[] = [...earlierProblems];

  // 1. Per cluster: the components, grouped into installations by namespace and release, and the
  // parsed Secret values of the installations' namespaces.
  const perCluster = snapshots.map((snapshot) => {
    const cluster = snapshot.cluster;
    const workloads = workloadsOf(snapshot);
    const candidates = candidatesOf(cluster, workloads);
    const namespaces = new Set(candidates.map((c) => c.namespace));
    const secretsByKey = new Map(
      snapshot.secrets.map((s) => [`${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`, s]),
    );
    const inScope = workloads.filter((w) => namespaces.has(w.namespace));
    warnings.push(...unrecognizedComponentWarnings(cluster, workloads));
    warnings.push(...missingSecretWarnings(cluster, inScope, secretsByKey));
    const values = new Map<string, ParsedValue[]>();
    const secrets = snapshot.secrets
      // kubecost-rotate's own journals hold key material, but they are not where Kubecost reads keys.
      .filter(
        (s) =>
          namespaces.has(s.metadata?.namespace ?? '') &&
          !IGNORED_SECRET_TYPES.has(s.type ?? 'Opaque') &&
          s.metadata?.labels?.['app.kubernetes.io/managed-by'] !== 'kubecost-rotate',
      )
      .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
    for (const secret of secrets) {
      const namespace = secret.metadata?.namespace ?? '';
      const name = secret.metadata?.name ?? '';
      const readers = inScope
        .filter((w) => w.namespace === namespace)
        .flatMap((w) => w.references.filter((r) => r.secret === name).map((r) => ({ w, r })));
      const list: ParsedValue[] = [];
      for (const dataKey of Object.keys(secret.data ?? {}).sort()) {
        const location = { cluster, namespace, secret: name, dataKey };
        let family = familyOfDataKey(dataKey) ?? familyFromConsumers(readers, dataKey);
        let text: string;
        try {
          text = Buffer.from(decodeSecretData(secret.data, location)).toString('utf8');
        } catch {
          text = '';
        }
        if (!family) {
          // Only sniff values a Kubecost component actually reads, to avoid parsing unrelated Secrets.
          if (!readers.some(({ w, r }) => w.role !== 'unknown' && readsKey(r, dataKey))) continue;
          family = sniffFamily(text);
          if (!family) continue;
        }
        let parsed: ParsedSecret;
        try {
          parsed = parseSecretData(secret.data, location, family);
        } catch (error: unknown) {
          if (!(error instanceof SecretFormatError)) throw error;
          problems.push({
            cluster,
            namespace,
            secret: name,
            dataKey,
            reason: error.code,
            message: error.message,
            hidesSites: true,
          });
          continue;
        }
        list.push({ cluster, namespace, secret, name, dataKey, text, family, parsed, readers });
      }
      values.set(`${namespace}/${name}`, list);
    }
    return { snapshot, cluster, workloads, candidates, secretsByKey, values, secrets };
  });

  // 2. Roles need the whole selection: a primary's aggregator reads the store other clusters write.
  const allCandidates = perCluster.flatMap((p) => p.candidates);
  const valuesByCluster = new Map(perCluster.map((p) => [p.cluster, p.values as ReadonlyMap<string, ParsedValue[]>]));
  const installations = allCandidates.map((c) => classify(c, allCandidates, valuesByCluster));
  const globalStoreOf = new Map(
    allCandidates.map((c) => [`${c.cluster}/${c.namespace}`, usesGlobalStore(c, versionOf(c))] as const),
  );

  // 3. Sites, keyless places, credentials and the warnings that go with them.
  const sites: SiteRecord[] = [];
  const keylessSites: KeylessSite[] = [];
  const credentials = new Map<
    string,
    {
      provider: Provider;
      principal?: string;
      keyId?: string;
      fingerprint: string;
      sites: string[];
      clusters: Set<string>;
      first: Credential;
      inconsistent: boolean;
    }
  >();
  for (const { snapshot, cluster, secretsByKey, values, secrets } of perCluster) {
    const serviceAccounts = snapshot.serviceAccounts
      ? new Map(
          snapshot.serviceAccounts.map((sa) => [`${sa.metadata?.namespace ?? ''}/${sa.metadata?.name ?? ''}`, sa]),
        )
      : undefined;
    for (const secret of secrets) {
      const namespace = secret.metadata?.namespace ?? '';
      const name = secret.metadata?.name ?? '';
      let siteCount = 0;
      for (const value of values.get(`${namespace}/${name}`) ?? []) {
        const consumers = consumersOf(value);
        for (const skipped of value.parsed.skipped) {
          keylessSites.push({
            id: siteId(cluster, { namespace, secret: name, dataKey: value.dataKey }, skipped.path),
            cluster,
            namespace,
            secret: name,
            dataKey: value.dataKey,
            path: skipped.path,
            format: skipped.format,
            ...(skipped.provider ? { provider: skipped.provider } : {}),
            reason: skipped.reason,
            detail: skipped.detail,
            consumers,
          });
          if (skipped.reason === 'UnsupportedCredential')
            warnings.push(unsupportedCredentialWarning(value, skipped.path, skipped.detail));
        }
        if (value.family === 'azure-storage-config' && value.parsed.sites.length > 0) {
          const warning = subscriptionWarning(value, secretsByKey, consumers);
          if (warning) warnings.push(warning);
        }
        for (const site of value.parsed.sites) {
          siteCount += 1;
          recordSite(site, value, consumers);
        }
      }
      if (siteCount > 0) warnings.push(...ownershipWarnings(cluster, secret));
    }

    function recordSite(site: Site, value: ParsedValue, consumers: Consumer[]): void {
      const { namespace, name, dataKey } = value;
      const identity = credentialIdentity(site.credential);
      const id = siteId(cluster, { namespace, secret: name, dataKey }, site.path);
      const kind = siteKindOf(
        { dataKey, format: site.format, consumers },
        { globalStore: globalStoreOf.get(`${cluster}/${namespace}`) ?? false },
      );
      sites.push({
        id,
        cluster,
        namespace,
        secret: name,
        dataKey,
        path: site.path,
        format: site.format,
        provider: site.provider,
        kind,
        credential: identity.id,
        consumers,
        ...(value.secret.immutable === true ? { immutable: true as const } : {}),
        ...(secretManagerOf(value.secret) ? { managedBy: secretManagerOf(value.secret) as SecretManager } : {}),
        valueBytes: Buffer.from(value.secret.data?.[dataKey] ?? '', 'base64').length,
      });
      const existing = credentials.get(identity.id);
      if (!existing) {
        credentials.set(identity.id, {
          provider: identity.provider,
          ...(identity.principal ? { principal: identity.principal } : {}),
          ...(identity.keyId ? { keyId: identity.keyId } : {}),
          fingerprint: credentialFingerprint(site.credential),
          sites: [id],
          clusters: new Set([cluster]),
          first: site.credential,
          inconsistent: false,
        });
      } else {
        existing.sites.push(id);
        existing.clusters.add(cluster);
        if (!existing.inconsistent && !credentialsEqual(existing.first, site.credential)) {
          existing.inconsistent = true;
          warnings.push({
            code: 'InconsistentCopies',
            cluster,
            namespace,
            secret: name,
            dataKey,
            credential: identity.id,
            message: `The ${identity.provider} key ${identity.keyId ?? identity.principal ?? ''} at ${id} differs from another copy of the same key: one of them is stale or mistyped. Fix the copies before rotating.`,
          });
        }
      }
      for (const c of consumers) {
        const workload = `${c.kind}/${c.name}`;
        const warn = (code: WarningCode, message: string) =>
          warnings.push({
            code,
            cluster,
            namespace,
            secret: name,
            dataKey,
            workload,
            credential: identity.id,
            message,
          });
        if (c.mount === 'subPath')
          warn(
            'SubPathMount',
            `${c.kind} ${namespace}/${c.name} (container ${c.container}) mounts Secret ${name} with subPath at ${c.path}: the file never changes in a running pod, so it must restart to read a new key.`,
          );
        if (c.mount === 'env')
          warn(
            'EnvConsumer',
            `${c.kind} ${namespace}/${c.name} (container ${c.container}) reads Secret ${name} through env ${c.path}: the value changes only when the pod restarts.`,
          );
        if (c.kind === 'CronJob' || c.kind === 'Job')
          warn(
            'BatchConsumer',
            `${c.kind} ${namespace}/${c.name} on ${cluster} reads Secret ${name}: it is not restarted; ${c.kind === 'CronJob' ? 'its next run reads' : 'its pods started after the write read'} the new key (a pod running now keeps the old one until it ends).`,
          );
        else if (c.kind === 'Pod')
          warn(
            'BarePodConsumer',
            `Pod ${namespace}/${c.name} on ${cluster} reads Secret ${name} and has no controller: nothing can restart it, so it keeps the old key until it is deleted and created again. Rotating refuses it unless --allow-bare-pods.`,
          );
        else if (c.role === 'unknown')
          warn(
            'UnknownConsumer',
            `${c.kind} ${namespace}/${c.name} on ${cluster} reads Secret ${name} but is not a Kubecost component: it is restarted after the Kubecost workloads, and nothing checks it uses the new key.`,
          );
      }
      if (serviceAccounts) {
        const seen = new Set<string>();
        for (const { w } of value.readers) {
          const sa = serviceAccounts.get(`${namespace}/${w.serviceAccount}`);
          for (const hint of AMBIENT_ANNOTATIONS) {
            const annotation = sa?.metadata?.annotations?.[hint.annotation];
            const key = `${w.kind}/${w.name}/${hint.provider}`;
            if (!annotation || hint.provider !== site.provider || seen.has(key)) continue;
            seen.add(key);
            warnings.push({
              code: 'AmbientIdentityAvailable',
              cluster,
              namespace,
              secret: name,
              dataKey,
              workload: `${w.kind}/${w.name}`,
              credential: identity.id,
              message: `${w.kind} ${namespace}/${w.name} runs as service account ${w.serviceAccount}, which can use ${hint.what} (${annotation}): the ${site.provider} key at ${id} could be replaced by it and need no rotation.`,
            });
          }
        }
      }
    }
  }

  const credentialRecords: CredentialRecord[] = [...credentials.entries()]
    .map(([id, c]) => ({
      id,
      provider: c.provider,
      ...(c.principal ? { principal: c.principal } : {}),
      ...(c.keyId ? { keyId: c.keyId } : {}),
      fingerprint: c.fingerprint,
      sites: c.sites,
      clusters: [...c.clusters].sort(),
    }))
    .sort((a, b) => a.id.localeCompare(b.id));
  return {
    installations,
    sites,
    keylessSites,
    credentials: credentialRecords,
    warnings: dedupeWarnings(warnings),
    problems,
  };
}

/** Secrets the workloads of an installation namespace reference, but which are missing. */
function missingSecretWarnings(
  cluster: string,
  inScope: readonly Workload[],
  secretsByKey: ReadonlyMap<string, V1Secret>,
): Warning[] {
  const out: Warning[] = [];
  for (const w of inScope) {
    for (const ref of w.references) {
      if (ref.optional) continue;
      const secret = secretsByKey.get(`${w.namespace}/${ref.secret}`);
      const via = ref.mount === 'env' ? `env ${ref.path}` : `volume ${ref.volume ?? ''}`;
      if (!secret) {
        out.push({
          code: 'MissingSecret',
          cluster,
          namespace: w.namespace,
          secret: ref.secret,
          workload: `${w.kind}/${w.name}`,
          message: `${w.kind} ${w.namespace}/${w.name} on ${cluster} references Secret "${ref.secret}" (${via}), which does not exist: its pods cannot start.`,
        });
      } else if (ref.dataKeys !== 'all') {
        for (const key of ref.dataKeys.filter((k) => !(k in (secret.data ?? {})))) {
          out.push({
            code: 'MissingSecret',
            cluster,
            namespace: w.namespace,
            secret: ref.secret,
            dataKey: key,
            workload: `${w.kind}/${w.name}`,
            message: `${w.kind} ${w.namespace}/${w.name} on ${cluster} reads data key "${key}" of Secret "${ref.secret}" (${via}), which the Secret does not have.`,
          });
        }
      }
    }
  }
  return out;
}

function dedupeWarnings(warnings: Warning[]): Warning[] {
  const seen = new Set<string>();
  return warnings.filter((w) => {
    const key = `${w.code}|${w.cluster}|${w.namespace ?? ''}|${w.secret ?? ''}|${w.dataKey ?? ''}|${w.workload ?? ''}|${w.credential ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
