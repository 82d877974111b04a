/**
 * The verbs of one simulated API server (get, list, create, update, patch, delete) with the real
 * server's semantics: resourceVersion preconditions and 409, generation, defaulting and
 * validation, Secret stringData, consistent paginated lists, finalizers and graceful deletion
 * (the garbage collector and namespace controller finish deletions asynchronously, as the real
 * controller manager does). The HTTP server and test helpers both go through here; controllers
 * write through `commit`.
 */
import { randomUUID } from 'node:crypto';
import { randomSuffix, throwIfInvalid, validate } from './admission.js';
import { recordManager } from './apply.js';
import { admitPod, applyDefaults } from './defaults.js';
import type { SimClock } from './clock.js';
import { applyPatch } from './patch.js';
import { allPendingFixes, type PendingFix } from './pending.js';
import { apiVersionOf, RESOURCES, type ResourceDef } from './resources.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { ApiError, errors } from './status.js';
import type { ObjectStore } from './store.js';
import { clone, isRecord, type KubeObject } from './types.js';

const TEMPLATE_GENERATION = 'deprecated.daemonset.template.generation';
const rec = (v: unknown): Record<string, unknown> => (isRecord(v) ? v : {});
const NAMESPACES = RESOURCES.find((r) => r.kind === 'Namespace') as ResourceDef;
const SERVICE_ACCOUNTS = RESOURCES.find((r) => r.kind === 'ServiceAccount') as ResourceDef;

export interface ListOptions {
  labelSelector?: string | null;
  fieldSelector?: string | null;
  /** Page size (0 or absent: everything). */
  limit?: number;
  /** The continue token of the previous page. */
  continue?: string | null;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { resourceVersion?: string; uid?: string };
  propagationPolicy?: string;
  orphanDependents?: boolean;
  dryRun?: string[];
}

export interface WriteOptions {
  /** 'status' writes only .status (the /status subresource); otherwise .status is kept as stored. */
  subresource?: 'status';
  dryRun?: boolean;
  /** Records an Update by this field manager in metadata.managedFields (API requests do; controllers do not). */
  manager?: string;
  /** The managedFields to store as they are (server-side apply computed them). */
  managedFields?: unknown[];
}

export interface DeleteResult {
  /** The object as deleted, or as it now waits (terminating, with finalizers). */
  readonly object: KubeObject;
  /** Whether it is gone from the store. */
  readonly removed: boolean;
}

type ListResult = KubeObject & { items: KubeObject[] };

/** A deep copy safe to hand out or modify. */
export { clone };

/** Orders like etcd keys: namespace/name, byte-wise. */
function keyOf(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
}
function byKey(a: KubeObject, b: KubeObject): number {
  const ka = keyOf(a);
  const kb = keyOf(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

const CONTINUE_TOO_OLD =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

function encodeContinue(revision: number, lastKey: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: revision, start: `${lastKey}\u0000` })).toString(
    'base64url',
  );
}

function decodeContinue(token: string): { rv: number; start: string } {
  let parsed: unknown;
  try {
    const text = Buffer.from(token, 'base64url').toString('utf8');
    parsed = JSON.parse(text) as unknown;
  } catch {
    throw errors.badRequest('invalid continue token: continue key is not valid: the token is not base64-encoded JSON');
  }
  if (!isRecord(parsed) || parsed.v !== 'meta.k8s.io/v1')
    throw errors.badRequest(
      'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
    );
  if (typeof parsed.rv !== 'number' || parsed.rv <= 0)
    throw errors.badRequest(
      'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
    );
  if (typeof parsed.start !== 'string' || parsed.start.length === 0)
    throw errors.badRequest('invalid continue token: continue key is not valid: encoded start key empty');
  return { rv: parsed.rv, start: parsed.start.endsWith('\u0000') ? parsed.start.slice(0, -1) : parsed.start };
}

/** The resourceVersion of a write body as etcd3's versioner parses it: digits, or a raw 500 as the real server gives. */
function parseResourceVersion(rv: string): void {
  if (!/^\d+$/.test(rv)) throw errors.unknown(`strconv.ParseUint: parsing ${JSON.stringify(rv)}: invalid syntax`);
}

export class ClusterApi {
  /** Leniencies for senders not fixed yet (PENDING_PRODUCT_FIXES); clear it to hold kube-sim to the real server. */
  readonly lenient: Set<PendingFix> = allPendingFixes();
  /** The cluster CA, published in every namespace as kube-root-ca.crt (set when the cluster serves). */
  clusterCaPem = '';

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

  /** The matching objects in key order (shared references: callers must clone before changing them). */
  select(def: ResourceDef, namespace: string | undefined, options: ListOptions = {}): KubeObject[] {
    const labels = parseLabelSelector(options.labelSelector);
    const fields = parseFieldSelector(options.fieldSelector, def.fieldLabels ?? []);
    return this.store
      .peekAll(def, namespace)
      .filter((o) => labels(o.metadata.labels) && fields(o))
      .sort(byKey);
  }

  /** A list, paginated as etcd3 does: later pages come from the snapshot of the first. */
  list(def: ResourceDef, namespace: string | undefined, options: ListOptions = {}): ListResult {
    const labels = parseLabelSelector(options.labelSelector);
    const fields = parseFieldSelector(options.fieldSelector, def.fieldLabels ?? []);
    const limit = options.limit && options.limit > 0 ? options.limit : 0;
    let revision = this.store.currentRevision();
    let objects: KubeObject[];
    let start = '';
    if (options.continue) {
      const token = decodeContinue(options.continue);
      const snapshot = this.store.snapshotAt(def, namespace, token.rv);
      if (snapshot === 'expired') throw errors.gone(CONTINUE_TOO_OLD);
      objects = snapshot;
      revision = token.rv;
      start = token.start;
    } else objects = this.store.peekAll(def, namespace);
    const sorted = objects.filter((o) => keyOf(o) > start).sort(byKey);
    const matching = sorted.filter((o) => labels(o.metadata.labels) && fields(o));
    const page = limit > 0 ? matching.slice(0, limit) : matching;
    const more = limit > 0 && matching.length > limit;
    const last = page[page.length - 1];
    const filtered = !!options.labelSelector || !!options.fieldSelector;
    const metadata: Record<string, unknown> = { resourceVersion: String(revision) };
    if (more && last) {
      metadata.continue = encodeContinue(revision, keyOf(last));
      if (!filtered) metadata.remainingItemCount = matching.length - page.length;
    }
    return {
      apiVersion: apiVersionOf(def),
      kind: `${def.kind}List`,
      metadata,
      // List items carry no apiVersion and kind: the list says them once.
      items: page.map((o) => {
        const { apiVersion: _apiVersion, kind: _kind, ...item } = clone(o);
        return item as KubeObject;
      }),
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
    } else {
      delete obj.metadata.namespace;
    }
    if (!obj.metadata.name && obj.metadata.generateName)
      obj.metadata.name = `${obj.metadata.generateName}${randomSuffix()}`;
    const name = obj.metadata.name ?? '';
    // Validation first (as the real server validates before it looks at the namespace).
    const metadata = obj.metadata;
    delete metadata.resourceVersion;
    delete metadata.deletionTimestamp;
    delete metadata.deletionGracePeriodSeconds;
    delete metadata.managedFields;
    metadata.uid = randomUUID();
    metadata.creationTimestamp = this.clock.timestamp();
    if (def.generation) metadata.generation = 1;
    else delete metadata.generation;
    if (def.kind === 'DaemonSet') metadata.annotations = { ...metadata.annotations, [TEMPLATE_GENERATION]: '1' };
    obj.apiVersion = apiVersionOf(def);
    obj.kind = def.kind;
    this.normalizeSecret(def, obj);
    if (def.kind === 'Secret' || def.kind === 'ConfigMap') this.dropEmptyData(obj);
    this.dropEmptyMetadata(obj);
    applyDefaults(def.kind, obj);
    if (options.managedFields) obj.metadata.managedFields = options.managedFields;
    else if (options.manager) Object.assign(obj, recordManager(obj, undefined, options.manager, 'Update', this.clock));
    validate(def, obj, undefined, this.lenient);
    if (def.namespaced) {
      const ns = this.store.peek(NAMESPACES, undefined, obj.metadata.namespace ?? '');
      if (!ns) throw errors.notFound('', 'namespaces', obj.metadata.namespace ?? '');
      if (ns.metadata.deletionTimestamp)
        throw errors.namespaceTerminating(def.group, def.plural, name, obj.metadata.namespace ?? '');
    }
    if (def.kind === 'Pod') {
      const spec = isRecord(obj.spec) ? obj.spec : {};
      const saName =
        typeof spec.serviceAccountName === 'string' && spec.serviceAccountName ? spec.serviceAccountName : 'default';
      admitPod(obj, this.store.peek(SERVICE_ACCOUNTS, obj.metadata.namespace, saName));
    }
    if (name && this.store.peek(def, obj.metadata.namespace, name))
      throw errors.alreadyExists(def.group, def.plural, name);
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
    const expected = incoming.metadata.resourceVersion;
    if (expected !== undefined && expected !== '') parseResourceVersion(expected);
    const current = this.store.peek(def, namespace, name);
    if (!current) {
      if (def.createOnUpdate && options.subresource === undefined) {
        return this.create(def, namespace, { ...incoming, metadata: { ...incoming.metadata, name } }, options);
      }
      throw errors.notFound(def.group, def.plural, name);
    }
    if (expected !== undefined && expected !== '' && expected !== current.metadata.resourceVersion)
      throw errors.conflict(def.group, def.plural, name);

    let next: KubeObject;
    if (options.subresource === 'status') {
      next = { ...clone(current), status: clone(incoming.status) };
      next.metadata.resourceVersion = current.metadata.resourceVersion;
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
      delete next.metadata.managedFields;
      if (current.metadata.managedFields) next.metadata.managedFields = clone(current.metadata.managedFields);
      if (def.hasSpecAndStatus || def.kind === 'Namespace') next.status = clone(current.status);
      next.apiVersion = apiVersionOf(def);
      next.kind = def.kind;
      this.normalizeSecret(def, next);
      if (def.kind === 'Secret' || def.kind === 'ConfigMap') this.dropEmptyData(next);
      this.dropEmptyMetadata(next);
      if (def.kind === 'Service') this.keepAllocations(next, current);
      if (def.kind === 'Pod') this.keepPodAdmission(next, current);
      else if (def.kind === 'Namespace')
        next.metadata.labels = { ...next.metadata.labels, 'kubernetes.io/metadata.name': name };
      else {
        const status = next.status;
        applyDefaults(def.kind, next);
        if (status === undefined) delete next.status;
        else next.status = status;
      }
      if (def.kind === 'Job' && isRecord(current.spec) && isRecord(next.spec))
        next.spec.selector = clone(current.spec.selector);
      if (def.generation) {
        const generation = current.metadata.generation ?? 1;
        // A Deployment's annotations bump it too: they are copied to its ReplicaSets.
        const specChanged =
          JSON.stringify(next.spec) !== JSON.stringify(current.spec) ||
          (def.kind === 'Deployment' &&
            JSON.stringify(next.metadata.annotations ?? {}) !== JSON.stringify(current.metadata.annotations ?? {}));
        next.metadata.generation = specChanged ? generation + 1 : generation;
      } else delete next.metadata.generation;
      if (def.kind === 'DaemonSet') {
        // The template generation counts template changes only (pods are labelled with it).
        const before = Number(current.metadata.annotations?.[TEMPLATE_GENERATION] ?? 1);
        const changed = JSON.stringify(rec(next.spec).template) !== JSON.stringify(rec(current.spec).template);
        next.metadata.annotations = {
          ...next.metadata.annotations,
          [TEMPLATE_GENERATION]: String(changed ? before + 1 : before),
        };
      }
    }
    if (options.managedFields) next.metadata.managedFields = options.managedFields;
    else if (options.manager)
      next = recordManager(next, current, options.manager, 'Update', this.clock, options.subresource);
    validate(def, next, current, this.lenient);
    if (options.dryRun) return clone(next);
    // The last finalizer of an object being deleted is gone: the object goes.
    if (
      next.metadata.deletionTimestamp &&
      (next.metadata.finalizers ?? []).length === 0 &&
      this.finishesOnUpdate(def, next)
    ) {
      if (
        def.kind === 'Namespace' &&
        (isRecord(next.spec) ? ((next.spec.finalizers as unknown[] | undefined) ?? []) : []).length > 0
      )
        return clone(this.store.put(def, next));
      const removed = this.store.remove(def, namespace, name);
      return clone({ ...next, metadata: { ...next.metadata, resourceVersion: removed?.metadata.resourceVersion } });
    }
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
    const next = this.patched(def, current, contentType, body);
    return this.update(def, namespace, name, next, options);
  }

  /** The object a patch makes of `current`, with the resourceVersion precondition the patch carries. */
  patched(def: ResourceDef, current: KubeObject, contentType: string, body: unknown): KubeObject {
    const patched = applyPatch(contentType, clone(current), body);
    if (!isRecord(patched) || !isRecord(patched.metadata))
      throw errors.badRequest('the patch removed the object metadata');
    // A resourceVersion in the patch is a precondition; without one the patch applies to the latest.
    const patchMeta = isRecord(body) && isRecord(body.metadata) ? body.metadata : {};
    const expected =
      typeof patchMeta.resourceVersion === 'string' ? patchMeta.resourceVersion : current.metadata.resourceVersion;
    void def;
    return { ...patched, metadata: { ...patched.metadata, resourceVersion: expected } } as KubeObject;
  }

  delete(def: ResourceDef, namespace: string | undefined, name: string, options: DeleteOptions = {}): DeleteResult {
    const current = this.store.peek(def, namespace, name);
    if (!current) throw errors.notFound(def.group, def.plural, name);
    const pre = options.preconditions ?? {};
    // The registry's precondition check words it with the Kind (not the resource) in message and details.
    const kindName = def.group ? `${def.kind}.${def.group}` : def.kind;
    if (pre.uid && pre.uid !== current.metadata.uid)
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${kindName} "${name}": the UID in the precondition (${pre.uid}) does not match the UID in record (${current.metadata.uid ?? ''}). The object might have been modified`,
        { name, ...(def.group ? { group: def.group } : {}), kind: def.kind },
      );
    if (pre.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion)
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${kindName} "${name}": the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${current.metadata.resourceVersion ?? ''}). The object might have been modified`,
        { name, ...(def.group ? { group: def.group } : {}), kind: def.kind },
      );
    if (options.dryRun?.includes('All')) return { object: clone(current), removed: false };

    const policy =
      options.propagationPolicy ??
      (options.orphanDependents === true ? 'Orphan' : options.orphanDependents === false ? 'Background' : undefined);
    if (policy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(policy))
      throw errors.invalid('meta.k8s.io', 'DeleteOptions', '', [
        {
          field: 'propagationPolicy',
          reason: 'FieldValueNotSupported',
          message: `Unsupported value: ${JSON.stringify(policy)}: supported values: "Foreground", "Background", "Orphan", "nil"`,
        },
      ]);

    if (def.kind === 'Namespace') {
      if (current.metadata.deletionTimestamp) return { object: clone(current), removed: false };
      const next = clone(current);
      next.metadata.deletionTimestamp = this.clock.timestamp();
      next.status = { ...(isRecord(next.status) ? next.status : {}), phase: 'Terminating' };
      return { object: clone(this.store.put(def, next)), removed: false };
    }

    // Pods on a node stop gracefully: the kubelet finishes the deletion.
    const spec = isRecord(current.spec) ? current.spec : {};
    const scheduled = typeof spec.nodeName === 'string' && spec.nodeName !== '';
    const phase = isRecord(current.status) ? current.status.phase : undefined;
    if (
      def.kind === 'Pod' &&
      options.gracePeriodSeconds !== 0 &&
      scheduled &&
      phase !== 'Succeeded' &&
      phase !== 'Failed'
    ) {
      if (current.metadata.deletionTimestamp) return { object: clone(current), removed: false };
      const grace =
        options.gracePeriodSeconds ??
        (typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 30);
      const next = clone(current);
      next.metadata.deletionTimestamp = this.clock.timestamp(this.clock.now() + grace * 1000);
      next.metadata.deletionGracePeriodSeconds = grace;
      if (policy === 'Foreground' || policy === 'Orphan')
        next.metadata.finalizers = [
          ...new Set([...(next.metadata.finalizers ?? []), policy === 'Orphan' ? 'orphan' : 'foregroundDeletion']),
        ];
      return { object: clone(this.store.put(def, next)), removed: false };
    }

    const finalizers = new Set(current.metadata.finalizers ?? []);
    if (policy === 'Foreground') finalizers.add('foregroundDeletion');
    if (policy === 'Orphan') finalizers.add('orphan');
    if (finalizers.size > 0) {
      const next = clone(current);
      const wasTerminating = next.metadata.deletionTimestamp !== undefined;
      next.metadata.finalizers = [...finalizers];
      next.metadata.deletionTimestamp ??= this.clock.timestamp();
      next.metadata.deletionGracePeriodSeconds ??= 0;
      if (wasTerminating && JSON.stringify(next) === JSON.stringify(current))
        return { object: clone(current), removed: false };
      if (def.generation) next.metadata.generation = (next.metadata.generation ?? 1) + 1;
      return { object: clone(this.store.put(def, next)), removed: false };
    }
    const removed = this.store.remove(def, namespace, name) as KubeObject;
    return { object: clone(removed), removed: true };
  }

  /** Stores an object written by a controller or kubelet (no admission, no precondition). */
  commit(def: ResourceDef, obj: KubeObject): KubeObject {
    return this.store.put(def, obj);
  }

  private finishesOnUpdate(def: ResourceDef, obj: KubeObject): boolean {
    // A pod with a pending grace period stays for its kubelet; everything else goes with its last finalizer.
    if (def.kind !== 'Pod') return true;
    const spec = isRecord(obj.spec) ? obj.spec : {};
    return (
      !(typeof spec.nodeName === 'string' && spec.nodeName !== '') ||
      (obj.metadata.deletionGracePeriodSeconds ?? 0) === 0
    );
  }

  /** A Service update keeps what was allocated (clusterIP, clusterIPs, families, node ports). */
  private keepAllocations(next: KubeObject, current: KubeObject): void {
    const before = isRecord(current.spec) ? current.spec : {};
    const spec = isRecord(next.spec) ? next.spec : {};
    for (const field of ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy'])
      if (spec[field] === undefined && before[field] !== undefined) spec[field] = clone(before[field]);
    next.spec = spec;
  }

  /** The admission plugins ran on create; an update keeps what they added (service account, token volume). */
  private keepPodAdmission(next: KubeObject, current: KubeObject): void {
    const before = isRecord(current.spec) ? current.spec : {};
    const spec = isRecord(next.spec) ? next.spec : {};
    for (const field of [
      'serviceAccountName',
      'serviceAccount',
      'priority',
      'preemptionPolicy',
      'enableServiceLinks',
      'nodeName',
    ])
      if (spec[field] === undefined && before[field] !== undefined) spec[field] = clone(before[field]);
    next.spec = spec;
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

  /** Go's omitempty: empty labels, annotations, finalizers and ownerReferences are not stored. */
  private dropEmptyMetadata(obj: KubeObject): void {
    const meta = obj.metadata;
    for (const key of ['labels', 'annotations'] as const)
      if (isRecord(meta[key]) && Object.keys(meta[key]).length === 0) delete meta[key];
    for (const key of ['finalizers', 'ownerReferences'] as const)
      if (Array.isArray(meta[key]) && meta[key].length === 0) delete meta[key];
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

  /** Empty data maps are omitted (omitempty), as the real server stores them. */
  private dropEmptyData(obj: KubeObject): void {
    for (const key of ['data', 'binaryData', 'stringData'])
      if (isRecord(obj[key]) && Object.keys(obj[key]).length === 0) delete obj[key];
  }
}

export { throwIfInvalid };
