/**
 * Inventory builders for planner tests: each starts from one valid default and takes tweaks
 * (ESO's makeValid...Custom), so a table case says only what makes it different.
 */
import type { ComponentRole } from '../../src/kubecost/components.js';
import { siteKindOf } from '../../src/kubecost/restart-rules.js';
import type {
  Consumer,
  CredentialRecord,
  Installation,
  Inventory,
  Problem,
  SiteRecord,
  Warning,
} from '../../src/kubecost/inventory.js';

export const THANOS_KEY = 'aws:AKIAOLDTHANOSKEY0001';

export function consumer(role: ComponentRole, name: string, tweaks: Partial<Consumer> = {}): Consumer {
  return {
    kind: 'Deployment',
    name,
    container: name.replace(/^kubecost-/, ''),
    mount: 'volume',
    path: '/etc/key',
    role,
    ...tweaks,
  };
}

export function installation(cluster: string, tweaks: Partial<Installation> = {}): Installation {
  return {
    cluster,
    namespace: 'kubecost',
    release: 'kubecost',
    layout: 'v1-thanos',
    role: 'secondary',
    roleBasis: 'test',
    components: [],
    ...tweaks,
  };
}

/** A Thanos site on `cluster` read by its prometheus server (the sidecar) and cost-model. */
export function site(cluster: string, tweaks: Partial<SiteRecord> = {}): SiteRecord {
  const secret = tweaks.secret ?? 'kubecost-thanos';
  const dataKey = tweaks.dataKey ?? 'object-store.yaml';
  const path = tweaks.path ?? 'config';
  const base: Omit<SiteRecord, 'kind'> = {
    id: `${cluster}/kubecost/${secret}/${dataKey}#${path}`,
    cluster,
    namespace: 'kubecost',
    secret,
    dataKey,
    path,
    format: 'objstore-s3',
    provider: 'aws',
    credential: THANOS_KEY,
    consumers: [
      consumer('prometheus-server', 'kubecost-prometheus-server', { container: 'thanos-sidecar' }),
      consumer('cost-analyzer', 'kubecost-cost-analyzer', { container: 'cost-model' }),
    ],
    ...tweaks,
  };
  // The kind discovery would give it, unless a case says otherwise.
  return { ...base, kind: tweaks.kind ?? siteKindOf(base) };
}

export function credential(sites: readonly SiteRecord[], tweaks: Partial<CredentialRecord> = {}): CredentialRecord {
  const id = tweaks.id ?? THANOS_KEY;
  const mine = sites.filter((s) => s.credential === id);
  return {
    id,
    provider: 'aws',
    keyId: id.replace(/^aws:/, ''),
    fingerprint: id.replace(/^aws:/, ''),
    sites: mine.map((s) => s.id),
    clusters: [...new Set(mine.map((s) => s.cluster))],
    ...tweaks,
  };
}

/** An inventory of these sites; credentials are derived from them unless given. */
export function inventory(parts: {
  sites: SiteRecord[];
  installations?: Installation[];
  credentials?: CredentialRecord[];
  warnings?: Warning[];
  problems?: Problem[];
}): Inventory {
  const ids = [...new Set(parts.sites.map((s) => s.credential))];
  return {
    installations: parts.installations ?? [],
    sites: parts.sites,
    credentials:
      parts.credentials ??
      ids.map((id) =>
        credential(parts.sites, { id, provider: parts.sites.find((s) => s.credential === id)?.provider ?? 'aws' }),
      ),
    keylessSites: [],
    warnings: parts.warnings ?? [],
    problems: parts.problems ?? [],
  };
}

/** The v1-thanos fleet: a primary (with thanos-store and compact) and a secondary, one Thanos Secret on each. */
export function thanosFleet(): { inventory: Inventory; sites: SiteRecord[] } {
  const primarySite = site('cluster-1', {
    consumers: [
      ...site('cluster-1').consumers,
      consumer('thanos-store', 'kubecost-thanos-store'),
      consumer('thanos-compact', 'kubecost-thanos-compact'),
    ],
  });
  const sites = [primarySite, site('cluster-2')];
  return {
    sites,
    inventory: inventory({
      sites,
      installations: [installation('cluster-1', { role: 'primary' }), installation('cluster-2')],
    }),
  };
}
