/**
 * Planning a rotation: which Secrets change, which workloads restart in which order, what is
 * checked. Pure: it reads the inventory, the credential to rotate and the new key's identity,
 * and returns a plan (no IO, no clock: the caller passes the time and the id).
 */
import type { ComponentRole } from '../kubecost/components.js';
import { restartWaveFor, siteKindOf as kubecostSiteKindOf } from '../kubecost/restart-rules.js';
import { cloudCostStatusEndpoint } from '../kubecost/status-endpoints.js';
import { policyOf } from './verification.js';
import {
  isRestartable,
  type CredentialRecord,
  type Installation,
  type Inventory,
  type SiteRecord,
  type WorkloadKind,
} from '../kubecost/inventory.js';
import { ConfigError } from '../shared/errors.js';
import {
  DEFAULT_OPTIONS,
  type PlannedNoRestart,
  type PlannedRestart,
  type PlannedSite,
  type PlannedStatusCheck,
  type PlannedWrite,
  type RotationOptions,
  type RotationPlan,
  type SiteKind,
  type Wave,
} from './plan-types.js';

import { noRestartNote, ownedBecause } from './plan-notes.js';

export * from './plan-types.js';

/** The restart wave of a workload (DESIGN §3 fleet order), from the kubecost restart rules. */
export function waveOf(role: ComponentRole, kinds: Iterable<SiteKind> = []): Wave {
  return restartWaveFor(role, kinds);
}

/** The kind of a site: as discovery found it, else from its data key and who reads it. */
export function siteKindOf(site: Pick<SiteRecord, 'dataKey' | 'format' | 'consumers'> & { kind?: SiteKind }): SiteKind {
  return site.kind ?? kubecostSiteKindOf(site);
}

export { findCredential } from './find-credential.js';

function journalHome(installations: readonly Installation[], sites: readonly PlannedSite[]): Installation | undefined {
  const clusters = new Set(sites.map((s) => s.cluster));
  const candidates = installations.filter((i) => clusters.has(i.cluster));
  return candidates.find((i) => i.role === 'primary') ?? candidates.find((i) => i.role === 'single') ?? candidates[0];
}

function statusCheckFor(installation: Installation): PlannedStatusCheck {
  // The cloud-cost Service (2.x statefulset mode, 3.x), else the frontend's /model/cloudCost/status.
  const endpoint = cloudCostStatusEndpoint(installation);
  return {
    cluster: installation.cluster,
    namespace: installation.namespace,
    release: installation.release,
    service: endpoint.service,
    port: endpoint.port,
    path: endpoint.path,
  };
}

export interface PlanInput {
  readonly inventory: Inventory;
  readonly credential: CredentialRecord;
  readonly newKey: { readonly fingerprint: string; readonly keyId?: string };
  readonly id: string;
  readonly now: Date;
  readonly options?: Partial<RotationOptions>;
  /** Whether the direct probe runs (default true): the verdict policy depends on it. */
  readonly probing?: boolean;
  /** Rotate even though bare Pods (no controller, so no restart) read the key: --allow-bare-pods. */
  readonly allowBarePods?: boolean;
  /** Write Secrets that an ExternalSecret, a SealedSecret or Argo CD manages: --allow-owned. */
  readonly allowOwned?: boolean;
}

/** Builds the ordered change set of one rotation. Throws ConfigError when it cannot be done safely. */
export function planRotation(input: PlanInput): RotationPlan {
  const { inventory, credential } = input;
  // A cluster (or Secret) that could not be read may hold a copy of this key: rotating without it
  // would leave that copy behind, to break when the old key is retired.
  const hiding = inventory.problems.filter((p) => p.hidesSites);
  if (hiding.length > 0) {
    throw new ConfigError(
      `discovery is incomplete on ${[...new Set(hiding.map((p) => p.cluster))].join(', ')}, which may hold copies of credential ${credential.id}: ${hiding[0]?.message ?? ''}`,
      'Fix access to every selected cluster before rotating, or leave a cluster out with --context if it cannot hold this key.',
    );
  }
  const sites: PlannedSite[] = inventory.sites
    .filter((s) => s.credential === credential.id)
    .map((s) => ({
      id: s.id,
      kind: siteKindOf(s),
      cluster: s.cluster,
      namespace: s.namespace,
      secret: s.secret,
      dataKey: s.dataKey,
      path: s.path,
      format: s.format,
      consumers: s.consumers,
    }));
  if (sites.length === 0) throw new ConfigError(`credential ${credential.id} has no site in the selected clusters.`);
  // The API server refuses any change to an immutable Secret's data: say so now, not after other writes.
  const immutable = inventory.sites.find((s) => s.credential === credential.id && s.immutable);
  if (immutable)
    throw new ConfigError(
      `Secret ${immutable.namespace}/${immutable.secret} on ${immutable.cluster} is immutable: Kubernetes refuses any change to its data, so credential ${credential.id} cannot be rotated there.`,
      'An immutable Secret can only be replaced: recreate it without immutable: true (kubectl get secret -o yaml, edit, kubectl replace --force), then plan again.',
    );

  // A Secret whose value a controller owns gets its old value back after a direct write.
  const owned = inventory.sites.filter((s) => s.credential === credential.id && s.managedBy);
  if (owned.length > 0 && !input.allowOwned) {
    const lines = [
      ...new Set(owned.map((s) => `Secret ${s.namespace}/${s.secret} on ${s.cluster}: ${ownedBecause(s)}`)),
    ];
    throw new ConfigError(
      `credential ${credential.id} lives in Secret(s) whose value another controller owns, which would put the old key back after a direct write: ${lines.join('; ')}.`,
      'Change the key where it comes from, let the controller write it, and run discover again; or pass --allow-owned to write these Secrets anyway (the rotation fails and rolls back if their owner reverts it).',
    );
  }

  const writes = new Map<string, PlannedWrite>();
  for (const s of sites) {
    const key = `${s.cluster}/${s.namespace}/${s.secret}`;
    const existing = writes.get(key);
    writes.set(key, {
      step: `write:${key}`,
      cluster: s.cluster,
      namespace: s.namespace,
      secret: s.secret,
      sites: [...(existing?.sites ?? []), s.id],
    });
  }

  // One restart per workload, whatever number of its Secrets changed.
  const restarts = new Map<
    string,
    {
      cluster: string;
      namespace: string;
      kind: WorkloadKind;
      name: string;
      role: ComponentRole;
      containers: Set<string>;
      because: Set<SiteKind>;
    }
  >();
  const notRestarted = new Map<string, PlannedNoRestart & { containers: string[] }>();
  for (const s of sites) {
    for (const c of s.consumers) {
      const key = `${s.cluster}/${s.namespace}/${c.kind}/${c.name}`;
      if (!isRestartable(c.kind)) {
        const entry = notRestarted.get(key) ?? {
          cluster: s.cluster,
          namespace: s.namespace,
          kind: c.kind,
          name: c.name,
          containers: [],
          note: noRestartNote(c.kind, `${s.namespace}/${c.name} on ${s.cluster}`),
        };
        if (!entry.containers.includes(c.container)) entry.containers.push(c.container);
        notRestarted.set(key, entry);
        continue;
      }
      const entry = restarts.get(key) ?? {
        cluster: s.cluster,
        namespace: s.namespace,
        kind: c.kind,
        name: c.name,
        role: c.role,
        containers: new Set<string>(),
        because: new Set<SiteKind>(),
      };
      entry.containers.add(c.container);
      entry.because.add(s.kind);
      restarts.set(key, entry);
    }
  }
  // A Pod without a controller cannot be restarted onto the new key: it breaks when the old key is retired.
  const barePods = [...notRestarted.values()].filter((n) => n.kind === 'Pod');
  if (barePods.length > 0 && !input.allowBarePods)
    throw new ConfigError(
      `${barePods.map((p) => `Pod ${p.namespace}/${p.name} on ${p.cluster} (container ${p.containers.join(', ')})`).join(', ')} read${barePods.length === 1 ? 's' : ''} credential ${credential.id} and ${barePods.length === 1 ? 'has' : 'have'} no controller: nothing can restart ${barePods.length === 1 ? 'it' : 'them'} onto the new key, and ${barePods.length === 1 ? 'it breaks' : 'they break'} when the old key is retired.`,
      `Run ${barePods.length === 1 ? 'it' : 'them'} under a Deployment (or delete ${barePods.length === 1 ? 'it' : 'them'}) and plan again; or pass --allow-bare-pods to rotate anyway, then delete and recreate ${barePods.length === 1 ? 'the pod' : 'each pod'} yourself (kubectl delete pod ${barePods[0]?.name ?? ''} -n ${barePods[0]?.namespace ?? ''}, then create it again) before retiring the old key.`,
    );
  const restartList: PlannedRestart[] = [...restarts.entries()]
    .map(([key, r]) => ({
      step: `restart:${key}`,
      cluster: r.cluster,
      namespace: r.namespace,
      kind: r.kind,
      name: r.name,
      role: r.role,
      wave: waveOf(r.role, r.because),
      containers: [...r.containers].sort(),
      because: [...r.because].sort(),
    }))
    .sort((a, b) => a.wave - b.wave || a.cluster.localeCompare(b.cluster) || a.name.localeCompare(b.name));

  const statusChecks: PlannedStatusCheck[] = [];
  if (credential.provider !== 'alibaba') {
    for (const s of sites.filter((x) => x.kind === 'cloud-integration')) {
      const installation = inventory.installations.find((i) => i.cluster === s.cluster && i.namespace === s.namespace);
      if (
        installation &&
        !statusChecks.some((c) => c.cluster === installation.cluster && c.namespace === installation.namespace)
      )
        statusChecks.push(statusCheckFor(installation));
    }
  }

  const home = journalHome(inventory.installations, sites);
  const first = sites[0] as PlannedSite;
  const journal = {
    cluster: home?.cluster ?? first.cluster,
    namespace: home?.namespace ?? first.namespace,
    secret: `kubecost-rotate-${input.id}`,
  };
  const siteKeys = new Set(sites.map((s) => `${s.cluster}/${s.namespace}/${s.secret}`));
  // Also what discovery knows about the workloads to restart (one that cannot start will not roll out).
  const restarted = new Set(restartList.map((r) => `${r.cluster}/${r.namespace}/${r.kind}/${r.name}`));
  const warnings = inventory.warnings
    .filter(
      (w) =>
        w.credential === credential.id ||
        (w.secret && !w.credential && siteKeys.has(`${w.cluster}/${w.namespace ?? ''}/${w.secret}`)) ||
        (w.workload && restarted.has(`${w.cluster}/${w.namespace ?? ''}/${w.workload}`)),
    )
    .map((w) => `${w.code}: ${w.message}`);

  const options = { ...DEFAULT_OPTIONS, ...input.options };
  const changes = { credential, sites, writes: [...writes.values()], restarts: restartList, statusChecks, options };
  const verification = policyOf(changes, input.probing ?? true);
  return {
    schemaVersion: 1,
    id: input.id,
    createdAt: input.now.toISOString(),
    credential: {
      id: credential.id,
      provider: credential.provider,
      fingerprint: credential.fingerprint,
      ...(credential.principal ? { principal: credential.principal } : {}),
      ...(credential.keyId ? { keyId: credential.keyId } : {}),
    },
    newKey: input.newKey,
    journal,
    sites,
    writes: [...writes.values()].sort((a, b) => a.step.localeCompare(b.step)),
    restarts: restartList,
    ...(notRestarted.size > 0
      ? {
          notRestarted: [...notRestarted.values()].sort(
            (a, b) => a.cluster.localeCompare(b.cluster) || `${a.kind}/${a.name}`.localeCompare(`${b.kind}/${b.name}`),
          ),
        }
      : {}),
    statusChecks,
    options,
    verification,
    warnings: [...new Set(warnings)],
  };
}

/** A rotation id: sortable by time, usable in a Secret name. */
export function rotationId(now: Date, random: string): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15).toLowerCase();
  return `${stamp}-${random
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 4)
    .padEnd(4, '0')}`;
}
