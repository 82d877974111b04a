/**
 * The verbs of one simulated API server (get, list, create, update, patch, delete) with the
 * semantics our tool relies on: resourceVersion preconditions and 409, generation and
 * observedGeneration, Secret stringData, graceful pod deletion and owner garbage collection.
 * The HTTP server and test helpers both go through here; controllers write through `commit`.
 */
import { randomUUID } from 'node:crypto';
import { applyDefaults, randomSuffix, validate } from './admission.js';
import type { SimClock } from './clock.js';
import { applyPatch } from './patch.js';
import { apiVersionOf, RESOURCES, type ResourceDef } from './resources.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { ApiError, errors } from './status.js';
import type { ObjectStore } from './store.js';
import { isRecord, type KubeObject } from './types.js';

const NAMESPACES = RESOURCES.find((r) => r.kind === 'Namespace') as ResourceDef;

export interface ListOptions {
  labelSelector?: string | null;
  fieldSelector?: string | null;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { resourceVersion?: string; uid?: string };
  propagationPolicy?: string;
}

export interface WriteOptions {
  /** 'status' writes only .status (the /status subresource); otherwise .status is kept as stored. */
  subresource?: 'status';
  dryRun?: boolean;
}

/** A deep copy safe to hand out or modify. */
export function clone<T>(value: T): T {
  return structuredClone(value);
}

export class ClusterApi {
  constructor(
    readonly store: ObjectStore,
    readonly clock: SimClock,
  ) {}

  get(def: ResourceDef, namespace: string | undefined, name: string): KubeObject {
    const obj = this.store.peek(def, namespace, name);
    if (!obj) throw errors.notFound(def.group, def.plural, name);
    return clone(obj);
  }

  tryGet(def: ResourceDef, namespace: string | undefined, name: string): KubeObject | undefined {
    const obj = this.store.peek(def, namespace, name);
    return obj ? clone(obj) : undefined;
  }

  /** The matching objects (shared references: callers must clone before changing them). */
  select(def: ResourceDef, namespace: string | undefined, options: ListOptions = {}): KubeObject[] {
    const labels = parseLabelSelector(options.labelSelector);
    const fields = parseFieldSelector(options.fieldSelector, def.fieldLabels ?? []);
    return this.store
      .peekAll(def, namespace)
      .filter((o) => labels(o.metadata.labels) && fields(o))
      .sort((a, b) =>
        `${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`.localeCompare(
          `${b.metadata.namespace ?? ''}/${b.metadata.name ?? ''}`,
        ),
      );
  }

  list(
    def: ResourceDef,
    namespace: string | undefined,
    options: ListOptions = {},
  ): KubeObject & { items: KubeObject[] } {
    const items = this.select(def, namespace, options).map((o) => clone(o));
    return {
      apiVersion: apiVersionOf(def),
      kind: `${def.kind}List`,
      metadata: { resourceVersion: String(this.store.currentRevision()) },
      items,
    };
  }

  create(def: ResourceDef, namespace: string | undefined, body: unknown, options: WriteOptions = {}): KubeObject {
    const obj = this.checkBody(def, body);
    if (def.namespaced) {
      if (obj.metadata.namespace && namespace && obj.metadata.namespace !== namespace)
        throw errors.badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      obj.metadata.namespace = namespace ?? obj.metadata.namespace;
      if (!obj.metadata.namespace) throw errors.badRequest('a namespace is required for a namespaced resource');
      if (!this.store.peek(NAMESPACES, undefined, obj.metadata.namespace))
        throw errors.notFound('', 'namespaces', obj.metadata.namespace);
    } else {
      delete obj.metadata.namespace;
    }
    if (!obj.metadata.name && obj.metadata.generateName)
      obj.metadata.name = `${obj.metadata.generateName}${randomSuffix()}`;
    const name = obj.metadata.name ?? '';
    if (name && this.store.peek(def, obj.metadata.namespace, name))
      throw errors.alreadyExists(def.group, def.plural, name);

    const metadata = obj.metadata;
    delete metadata.resourceVersion;
    delete metadata.deletionTimestamp;
    delete metadata.deletionGracePeriodSeconds;
    metadata.uid = randomUUID();
    metadata.creationTimestamp = this.clock.timestamp();
    if (def.hasSpecAndStatus && def.kind !== 'Pod' && def.kind !== 'Service') metadata.generation = 1;
    obj.apiVersion = apiVersionOf(def);
    obj.kind = def.kind;
    this.normalizeSecret(def, obj);
    applyDefaults(def, obj);
    validate(def, obj, undefined);
    if (options.dryRun) return clone(obj);
    return clone(this.store.put(def, obj));
  }

  update(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    body: unknown,
    options: WriteOptions = {},
  ): KubeObject {
    const incoming = this.checkBody(def, body);
    if (incoming.metadata.name && incoming.metadata.name !== name)
      throw errors.badRequest(
        `the name of the object (${incoming.metadata.name}) does not match the name on the URL (${name})`,
      );
    if (def.namespaced && incoming.metadata.namespace && incoming.metadata.namespace !== namespace)
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    const current = this.store.peek(def, namespace, name);
    if (!current) throw errors.notFound(def.group, def.plural, name);
    const expected = incoming.metadata.resourceVersion;
    if (expected !== undefined && expected !== '' && expected !== current.metadata.resourceVersion)
      throw errors.conflict(def.group, def.plural, name);

    let next: KubeObject;
    if (options.subresource === 'status') {
      next = { ...clone(current), status: clone(incoming.status) };
    } else {
      next = incoming;
      next.metadata = {
        ...incoming.metadata,
        name,
        ...(def.namespaced ? { namespace } : {}),
        uid: current.metadata.uid,
        creationTimestamp: current.metadata.creationTimestamp,
        ...(current.metadata.deletionTimestamp
          ? {
              deletionTimestamp: current.metadata.deletionTimestamp,
              deletionGracePeriodSeconds: current.metadata.deletionGracePeriodSeconds,
            }
          : {}),
      };
      if (def.hasSpecAndStatus) next.status = clone(current.status);
      next.apiVersion = apiVersionOf(def);
      next.kind = def.kind;
      if (def.kind === 'Deployment' || def.kind === 'StatefulSet' || def.kind === 'ReplicaSet') {
        const generation = current.metadata.generation ?? 1;
        const specChanged = JSON.stringify(next.spec) !== JSON.stringify(current.spec);
        next.metadata.generation = specChanged ? generation + 1 : generation;
      } else if (current.metadata.generation !== undefined) {
        next.metadata.generation = current.metadata.generation;
      }
      this.normalizeSecret(def, next);
      if (def.kind === 'Service')
        next.spec = {
          ...(isRecord(next.spec) ? next.spec : {}),
          clusterIP: isRecord(current.spec) ? current.spec.clusterIP : undefined,
        };
    }
    validate(def, next, current);
    if (options.dryRun) return clone(next);
    return clone(this.store.put(def, next));
  }

  patch(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    contentType: string,
    body: unknown,
    options: WriteOptions = {},
  ): KubeObject {
    const current = this.store.peek(def, namespace, name);
    if (!current) throw errors.notFound(def.group, def.plural, name);
    const patched = applyPatch(contentType, clone(current), body);
    if (!isRecord(patched) || !isRecord(patched.metadata))
      throw errors.badRequest('the patch removed the object metadata');
    // A resourceVersion in the patch is a precondition; without one the patch applies to the latest.
    const patchMeta = isRecord(body) && isRecord(body.metadata) ? body.metadata : {};
    const expected =
      typeof patchMeta.resourceVersion === 'string' ? patchMeta.resourceVersion : current.metadata.resourceVersion;
    const next = { ...patched, metadata: { ...patched.metadata, resourceVersion: expected } } as KubeObject;
    return this.update(def, namespace, name, next, options);
  }

  delete(def: ResourceDef, namespace: string | undefined, name: string, options: DeleteOptions = {}): KubeObject {
    const current = this.store.peek(def, namespace, name);
    if (!current) throw errors.notFound(def.group, def.plural, name);
    const pre = options.preconditions ?? {};
    if (pre.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion)
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${def.group ? `${def.plural}.${def.group}` : def.plural} "${name}": Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion ?? ''}`,
        { name, kind: def.plural },
      );
    if (pre.uid && pre.uid !== current.metadata.uid)
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${def.plural} "${name}": Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid ?? ''}`,
        { name, kind: def.plural },
      );

    if (def.kind === 'Pod' && options.gracePeriodSeconds !== 0) {
      // Graceful: the pod stays, terminating, until its kubelet has stopped the containers.
      if (current.metadata.deletionTimestamp) return clone(current);
      const spec = isRecord(current.spec) ? current.spec : {};
      const grace =
        options.gracePeriodSeconds ??
        (typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 30);
      const next = clone(current);
      next.metadata.deletionTimestamp = this.clock.timestamp(this.clock.now() + grace * 1000);
      next.metadata.deletionGracePeriodSeconds = grace;
      return clone(this.store.put(def, next));
    }
    if (def.kind === 'Namespace') {
      for (const r of RESOURCES)
        if (r.namespaced)
          for (const o of this.store.peekAll(r, name)) this.store.remove(r, name, o.metadata.name ?? '');
    }
    const removed = this.store.remove(def, namespace, name) as KubeObject;
    this.collectDependents(current.metadata.uid ?? '');
    return clone(removed);
  }

  /** Stores an object written by a controller or kubelet (no admission, no precondition). */
  commit(def: ResourceDef, obj: KubeObject): KubeObject {
    return this.store.put(def, obj);
  }

  /** Background cascading deletion: whatever an owner owned goes too. */
  private collectDependents(ownerUid: string): void {
    if (!ownerUid) return;
    for (const def of RESOURCES) {
      if (!def.namespaced) continue;
      for (const obj of this.store.peekAll(def)) {
        if (obj.metadata.ownerReferences?.some((ref) => ref.uid === ownerUid)) {
          try {
            this.delete(def, obj.metadata.namespace, obj.metadata.name ?? '');
          } catch (error: unknown) {
            if (!(error instanceof ApiError && error.code === 404)) throw error;
          }
        }
      }
    }
  }

  private checkBody(def: ResourceDef, body: unknown): KubeObject {
    if (!isRecord(body))
      throw errors.badRequest(
        `${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: the body must be a JSON object`,
      );
    if (body.kind !== undefined && body.kind !== def.kind)
      throw errors.badRequest(
        `${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: the object kind is ${String(body.kind)}`,
      );
    const copy = clone(body) as KubeObject;
    if (!isRecord(copy.metadata)) copy.metadata = {};
    return copy;
  }

  /** stringData is write-only: it is folded into data (base64) and never stored or returned. */
  private normalizeSecret(def: ResourceDef, obj: KubeObject): void {
    if (def.kind !== 'Secret') return;
    const stringData = obj.stringData;
    if (isRecord(stringData)) {
      const data = isRecord(obj.data) ? { ...obj.data } : {};
      for (const [key, value] of Object.entries(stringData))
        data[key] = Buffer.from(String(value), 'utf8').toString('base64');
      obj.data = data;
    }
    delete obj.stringData;
  }
}
