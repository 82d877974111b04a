/** What the workload controllers share: the API, the clock, delayed requeues and no-op-skipping writes. */
import type { ClusterApi } from './api.js';
import { clone } from './api.js';
import type { SimClock } from './clock.js';
import { ownedBy, ownerReference, R, rec } from './objects.js';
import type { ResourceDef } from './resources.js';
import type { KubeObject } from './types.js';

export interface ControllerKit {
  readonly api: ClusterApi;
  readonly clock: SimClock;
  /** Reconciles `key` again after `ms` simulated milliseconds. */
  enqueueAfter(key: string, ms: number): void;
}

/** Go's omitempty for integer status fields: zeros are not sent. */
export function omitZero(status: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  for (const f of fields) if (status[f] === 0) delete status[f];
  return status;
}

/** Writes `next` unless it equals what is stored (keeps the loop from spinning). */
export function save(api: ClusterApi, def: ResourceDef, current: KubeObject, next: KubeObject): KubeObject {
  if (JSON.stringify(current) === JSON.stringify(next)) return current;
  return api.commit(def, next);
}

export function podsOf(api: ClusterApi, owner: KubeObject): KubeObject[] {
  return api.store.peekAll(R.pods, owner.metadata.namespace).filter((p) => ownedBy(p, owner));
}

/** Creates a pod from a template, owned by `owner`. */
export function createPodFor(
  api: ClusterApi,
  owner: KubeObject,
  template: Record<string, unknown>,
  generateName: string,
  extra: {
    name?: string;
    labels?: Record<string, string>;
    finalizers?: string[];
    hostname?: string;
    subdomain?: string;
    spec?: Record<string, unknown>;
  } = {},
): KubeObject {
  const meta = rec(template.metadata);
  const labels = { ...(rec(meta.labels) as Record<string, string>), ...(extra.labels ?? {}) };
  const spec = {
    ...clone(rec(template.spec)),
    ...(extra.hostname ? { hostname: extra.hostname } : {}),
    ...(extra.subdomain ? { subdomain: extra.subdomain } : {}),
    ...(extra.spec ?? {}),
  };
  return api.create(R.pods, owner.metadata.namespace, {
    metadata: {
      ...(extra.name ? { name: extra.name } : {}),
      generateName,
      ...(extra.finalizers ? { finalizers: extra.finalizers } : {}),
      labels,
      ...(meta.annotations ? { annotations: clone(meta.annotations) } : {}),
      ownerReferences: [ownerReference(owner)],
    },
    spec,
  });
}
