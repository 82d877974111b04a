/**
 * The inventory of a fleet: Kubecost installations, every site holding a cloud key, the
 * consumers of each site, credentials grouped by identity, warnings and problems. Pure: it reads
 * snapshots of cluster objects and returns plain, printable data (no secret value in it).
 */
import type { V1Deployment, V1Secret, V1ServiceAccount, V1StatefulSet } from '@kubernetes/client-node';
import type { WorkloadKind } from '../kube/client.js';
import { chartVersionOf, releaseOf, roleOf, type ComponentRole } from './components.js';
import { readsKey, secretReferences, type MountKind, type SecretReference } from './consumers.js';
import {
  credentialFingerprint,
  credentialIdentity,
  credentialsEqual,
  familyOfDataKey,
  parseSecretData,
  SecretFormatError,
  sniffFamily,
  type Credential,
  type Provider,
  type Site,
  type SiteFormat,
} from './secret-formats/index.js';

/** The objects of one cluster that discovery reads. */
export interface ClusterSnapshot {
  readonly cluster: string;
  readonly deployments: readonly V1Deployment[];
  readonly statefulSets: readonly V1StatefulSet[];
  readonly secrets: readonly V1Secret[];
  /** Undefined when they could not be read (ambient-identity hints are then not given). */
  readonly serviceAccounts?: readonly V1ServiceAccount[];
}

export type InstallationLayout =
  'v1-thanos' | 'v1-single' | 'v2-single' | 'v2-federated' | 'v3-single' | 'v3-federated';
export type InstallationRole = 'primary' | 'secondary' | 'single';

export interface Installation {
  readonly cluster: string;
  readonly namespace: string;
  readonly release: string;
  readonly layout: InstallationLayout;
  readonly role: InstallationRole;
  /** Chart version from helm.sh/chart, when labelled. */
  readonly chartVersion?: string;
  readonly components: readonly { readonly role: ComponentRole; readonly kind: WorkloadKind; readonly name: string }[];
}

/** One definition of the workload kinds, in the cluster layer. */
export type { WorkloadKind };

export interface Consumer {
  readonly kind: WorkloadKind;
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
  /** The id of the credential this site holds. */
  readonly credential: string;
  readonly consumers: readonly Consumer[];
  /** The Secret is immutable: its data cannot be changed, only the Secret replaced. */
  readonly immutable?: true;
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
  readonly credentials: readonly CredentialRecord[];
  readonly warnings: readonly Warning[];
  readonly problems: readonly Problem[];
}

interface Workload {
  readonly kind: WorkloadKind;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly role: ComponentRole;
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

function workloadsOf(snapshot: ClusterSnapshot): Workload[] {
  const all: { kind: WorkloadKind; obj: V1Deployment | V1StatefulSet }[] = [
    ...snapshot.deployments.map((obj) => ({ kind: 'Deployment' as const, obj })),
    ...snapshot.statefulSets.map((obj) => ({ kind: 'StatefulSet' as const, obj })),
  ];
  return all.map(({ kind, obj }) => {
    const spec = obj.spec?.template.spec;
    const labels = { ...(obj.spec?.template.metadata?.labels ?? {}), ...(obj.metadata?.labels ?? {}) };
    return {
      kind,
      namespace: obj.metadata?.namespace ?? '',
      name: obj.metadata?.name ?? '',
      labels,
      role: roleOf(labels),
      serviceAccount: spec?.serviceAccountName ?? 'default',
      references: secretReferences(spec),
      containers: (spec?.containers ?? []).map((c) => ({
        name: c.name,
        env: Object.fromEntries((c.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value ?? ''])),
      })),
    };
  });
}

function detectInstallations(cluster: string, workloads: readonly Workload[]): Installation[] {
  const out: Installation[] = [];
  for (const main of workloads.filter((w) => w.role === 'cost-analyzer')) {
    const release = releaseOf(main.labels) ?? main.name;
    const mine = workloads.filter(
      (w) => w.namespace === main.namespace && w.role !== 'unknown' && releaseOf(w.labels) === release,
    );
    const has = (role: ComponentRole) => mine.some((w) => w.role === role);
    const version = chartVersionOf(main.labels);
    const thanos =
      mine.some((w) => w.role.startsWith('thanos-')) ||
      mine.some((w) => w.role === 'prometheus-server' && w.containers.some((c) => c.name === 'thanos-sidecar'));
    const major = version?.major ?? (thanos ? 1 : 2);
    const federated =
      has('aggregator') ||
      mine.some((w) =>
        w.containers.some((c) => c.env.FEDERATED_CLUSTER === 'true' || c.env.FEDERATED_STORE_CONFIG !== undefined),
      );
    let layout: InstallationLayout;
    let role: InstallationRole;
    if (major <= 1) {
      layout = thanos ? 'v1-thanos' : 'v1-single';
      role = thanos ? (has('thanos-store') ? 'primary' : 'secondary') : 'single';
    } else {
      const prefix = major >= 3 ? 'v3' : 'v2';
      layout = federated ? (`${prefix}-federated` as InstallationLayout) : (`${prefix}-single` as InstallationLayout);
      role = federated ? (has('aggregator') ? 'primary' : 'secondary') : 'single';
    }
    out.push({
      cluster,
      namespace: main.namespace,
      release,
      layout,
      role,
      ...(version ? { chartVersion: version.version } : {}),
      components: mine
        .map((w) => ({ role: w.role, kind: w.kind, name: w.name }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    });
  }
  return out.sort((a, b) => `${a.namespace}/${a.release}`.localeCompare(`${b.namespace}/${b.release}`));
}

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

function siteId(cluster: string, site: Site): string {
  const l = site.location;
  return `${cluster}/${l.namespace}/${l.secret}/${l.dataKey}#${site.path}`;
}

/** Builds the inventory of a fleet from snapshots (plus the problems met while taking them). */
export function buildInventory(
  snapshots: readonly ClusterSnapshot[],
  earlierProblems: readonly Problem[] = [],
): Inventory {
  const installations: Installation[] = [];
  const sites: SiteRecord[] = [];
  const warnings: Warning[] = [];
  const problems: Problem[] = [...earlierProblems];
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

  for (const snapshot of snapshots) {
    const cluster = snapshot.cluster;
    const workloads = workloadsOf(snapshot);
    const found = detectInstallations(cluster, workloads);
    installations.push(...found);
    const namespaces = new Set(found.map((i) => i.namespace));
    const secretsByKey = new Map(
      snapshot.secrets.map((s) => [`${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`, s]),
    );
    const serviceAccounts = snapshot.serviceAccounts
      ? new Map(
          snapshot.serviceAccounts.map((sa) => [`${sa.metadata?.namespace ?? ''}/${sa.metadata?.name ?? ''}`, sa]),
        )
      : undefined;
    const inScope = workloads.filter((w) => namespaces.has(w.namespace));

    // Secrets the workloads of an installation namespace reference, but which are missing.
    for (const w of inScope) {
      for (const ref of w.references) {
        if (ref.optional) continue;
        const secret = secretsByKey.get(`${w.namespace}/${ref.secret}`);
        const via = ref.mount === 'env' ? `env ${ref.path}` : `volume ${ref.volume ?? ''}`;
        if (!secret) {
          warnings.push({
            code: 'MissingSecret',
            cluster,
            namespace: w.namespace,
            secret: ref.secret,
            workload: `${w.kind}/${w.name}`,
            message: `${w.kind} ${w.namespace}/${w.name} on ${cluster} references Secret "${ref.secret}" (${via}), which does not exist: its pods cannot start.`,
          });
        } else if (ref.dataKeys !== 'all') {
          for (const key of ref.dataKeys.filter((k) => !(k in (secret.data ?? {})))) {
            warnings.push({
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
      let siteCount = 0;
      for (const dataKey of Object.keys(secret.data ?? {}).sort()) {
        const location = { cluster, namespace, secret: name, dataKey };
        let family = familyOfDataKey(dataKey);
        if (!family) {
          // Only sniff values a Kubecost component actually reads, to avoid parsing unrelated Secrets.
          if (!readers.some(({ w, r }) => w.role !== 'unknown' && readsKey(r, dataKey))) continue;
          family = sniffFamily(Buffer.from(String(secret.data?.[dataKey] ?? ''), 'base64').toString('utf8'));
          if (!family) continue;
        }
        let parsed;
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
        for (const site of parsed.sites) {
          siteCount += 1;
          const identity = credentialIdentity(site.credential);
          const id = siteId(cluster, site);
          const consumers: Consumer[] = readers
            .filter(({ r }) => readsKey(r, dataKey))
            .map(({ w, r }) => ({
              kind: w.kind,
              name: w.name,
              container: r.container,
              mount: r.mount,
              path: r.path,
              role: w.role,
            }))
            .sort((a, b) => `${a.kind}/${a.name}/${a.container}`.localeCompare(`${b.kind}/${b.name}/${b.container}`));
          sites.push({
            id,
            cluster,
            namespace,
            secret: name,
            dataKey,
            path: site.path,
            format: site.format,
            provider: site.provider,
            credential: identity.id,
            consumers,
            ...(secret.immutable === true ? { immutable: true as const } : {}),
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
            if (c.mount === 'subPath')
              warnings.push({
                code: 'SubPathMount',
                cluster,
                namespace,
                secret: name,
                dataKey,
                workload,
                credential: identity.id,
                message: `${c.kind} ${namespace}/${c.name} (container ${c.container}) mounts Secret ${name} with subPath at ${c.path}: the file never changes in a running pod, so it must restart to read a new key.`,
              });
            if (c.mount === 'env')
              warnings.push({
                code: 'EnvConsumer',
                cluster,
                namespace,
                secret: name,
                dataKey,
                workload,
                credential: identity.id,
                message: `${c.kind} ${namespace}/${c.name} (container ${c.container}) reads Secret ${name} through env ${c.path}: the value changes only when the pod restarts.`,
              });
            if (c.role === 'unknown')
              warnings.push({
                code: 'UnknownConsumer',
                cluster,
                namespace,
                secret: name,
                dataKey,
                workload,
                credential: identity.id,
                message: `${c.kind} ${namespace}/${c.name} on ${cluster} reads Secret ${name} but is not a Kubecost component: it is restarted after the Kubecost workloads, and nothing checks it uses the new key.`,
              });
          }
          if (serviceAccounts) {
            const seen = new Set<string>();
            for (const { w } of readers) {
              const sa = serviceAccounts.get(`${namespace}/${w.serviceAccount}`);
              for (const hint of AMBIENT_ANNOTATIONS) {
                const value = sa?.metadata?.annotations?.[hint.annotation];
                const key = `${w.kind}/${w.name}/${hint.provider}`;
                if (!value || hint.provider !== site.provider || seen.has(key)) continue;
                seen.add(key);
                warnings.push({
                  code: 'AmbientIdentityAvailable',
                  cluster,
                  namespace,
                  secret: name,
                  dataKey,
                  workload: `${w.kind}/${w.name}`,
                  credential: identity.id,
                  message: `${w.kind} ${namespace}/${w.name} runs as service account ${w.serviceAccount}, which can use ${hint.what} (${value}): the ${site.provider} key at ${id} could be replaced by it and need no rotation.`,
                });
              }
            }
          }
        }
      }
      if (siteCount > 0) warnings.push(...ownershipWarnings(cluster, secret));
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
  return { installations, sites, credentials: credentialRecords, warnings: dedupeWarnings(warnings), problems };
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
