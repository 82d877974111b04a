/**
 * ControllerRevisions, as the StatefulSet and DaemonSet controllers keep them: one per distinct
 * pod template, named `<owner>-<hash>`, numbered, owned by the workload, holding the template, and
 * pruned beyond revisionHistoryLimit (never one a live pod still uses).
 */
import type { ClusterApi } from './api.js';
import { clone } from './api.js';
import { num, ownedBy, ownerReference, R, rec, templateHash } from './objects.js';
import type { KubeObject } from './types.js';

export function revisionsOf(api: ClusterApi, owner: KubeObject): KubeObject[] {
  return api.store
    .peekAll(R.controllerrevisions, owner.metadata.namespace)
    .filter((r) => ownedBy(r, owner))
    .sort((a, b) => num(a.revision) - num(b.revision));
}

/** The revision holding `template` (made, or renumbered as the newest when an old template returns). */
export function ensureRevision(
  api: ClusterApi,
  owner: KubeObject,
  template: unknown,
  hashLabel: string,
  annotations?: Record<string, string>,
): KubeObject {
  const hash = templateHash(template);
  const name = `${owner.metadata.name ?? ''}-${hash}`;
  const all = revisionsOf(api, owner);
  const newest = Math.max(0, ...all.map((r) => num(r.revision)));
  const existing = all.find((r) => r.metadata.name === name);
  if (existing) {
    if (num(existing.revision) === newest) return existing;
    const next = clone(existing);
    next.revision = newest + 1;
    return api.commit(R.controllerrevisions, next);
  }
  const labels = { ...(rec(rec(rec(template).metadata).labels) as Record<string, string>), [hashLabel]: hash };
  return api.create(R.controllerrevisions, owner.metadata.namespace, {
    metadata: { name, labels, ...(annotations ? { annotations } : {}), ownerReferences: [ownerReference(owner)] },
    data: { spec: { template: { ...clone(rec(template)), $patch: 'replace' } } },
    revision: newest + 1,
  });
}

/** The pod template a revision holds. */
export function templateOf(revision: KubeObject | undefined): Record<string, unknown> | undefined {
  if (!revision) return undefined;
  const template = { ...rec(rec(rec(revision.data).spec).template) };
  delete template.$patch;
  return template;
}

export function pruneRevisions(api: ClusterApi, owner: KubeObject, keep: ReadonlySet<string>): void {
  const limit = num(rec(owner.spec).revisionHistoryLimit, 10);
  const old = revisionsOf(api, owner).filter((r) => !keep.has(r.metadata.name ?? ''));
  for (const r of old.slice(0, Math.max(0, old.length - limit))) {
    try {
      api.delete(R.controllerrevisions, r.metadata.namespace, r.metadata.name ?? '');
    } catch {
      // gone already
    }
  }
}
