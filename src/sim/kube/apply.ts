/**
 * Field management as the real API server does it (structured-merge-diff): every write through
 * the API records its manager in metadata.managedFields (FieldsV1: `f:` fields, `k:` keyed list
 * items, `v:` set members, `.` for maps and list items), and server-side apply
 * (application/apply-patch+yaml) merges a configuration into the live object, removes the fields
 * the manager applied before and no longer sets, and refuses with 409 a field another manager
 * owns with another value (unless force=true).
 *
 * Simplifications, listed in the conformance known differences: struct fields get no `.` entry,
 * controllers' own writes record no manager, and list keys come from the table below rather than
 * from the OpenAPI x-kubernetes-list-map-keys.
 */
import type { ClusterApi, WriteOptions } from './api.js';
import type { SimClock } from './clock.js';
import type { Decoded } from './decode.js';
import { fieldTypeOf, isStructType, schemaTypeOf } from './decode.js';
import { apiVersionOf, type ResourceDef } from './resources.js';
import { ApiError, errors } from './status.js';
import { clone, isRecord, type KubeObject } from './types.js';

interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

/** x-kubernetes-list-map-keys of the lists kube-sim's kinds have (others are atomic, or sets below). */
const LIST_KEYS: Record<string, readonly string[]> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  env: ['name'],
  volumes: ['name'],
  volumeMounts: ['mountPath'],
  imagePullSecrets: ['name'],
  conditions: ['type'],
  hostAliases: ['ip'],
  ownerReferences: ['uid'],
  resourceClaims: ['name'],
  topologySpreadConstraints: ['topologyKey', 'whenUnsatisfiable'],
};
const SET_LISTS = new Set(['finalizers']);

function listKeys(field: string, item: unknown): readonly string[] | undefined {
  if (field === 'ports' && isRecord(item))
    return 'containerPort' in item ? ['containerPort', 'protocol'] : ['port', 'protocol'];
  return LIST_KEYS[field];
}

/** Fields the API server manages itself, never part of a field set. */
const SYSTEM_META = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
  'generateName',
]);

type Tree = Record<string, unknown>;

function keyOfItem(keys: readonly string[], item: Record<string, unknown>): string {
  const sorted = [...keys].sort();
  return `k:${JSON.stringify(Object.fromEntries(sorted.map((k) => [k, item[k]])))}`;
}

/** The FieldsV1 tree of every field set in `value` (of schema type `type`). */
function fieldsOf(value: unknown, type: string | undefined, tree: Tree, topLevel: boolean, field = ''): void {
  if (type?.startsWith('map[') || (type === undefined && isRecord(value) && !topLevel)) {
    if (!isRecord(value)) return;
    tree['.'] = {};
    const item = type?.startsWith('map[') ? type.slice(4, -1) : undefined;
    for (const [k, v] of Object.entries(value)) {
      const child: Tree = {};
      if (item && isStructType(item) && isRecord(v)) fieldsOf(v, item, child, false);
      tree[`f:${k}`] = child;
    }
    return;
  }
  if (!isRecord(value)) return;
  for (const [k, v] of Object.entries(value)) {
    if (topLevel && (k === 'apiVersion' || k === 'kind' || k === 'status')) continue;
    if (topLevel && k === 'metadata' && isRecord(v)) {
      const meta: Tree = {};
      for (const [mk, mv] of Object.entries(v)) {
        if (SYSTEM_META.has(mk)) continue;
        const child: Tree = {};
        if (mk === 'labels' || mk === 'annotations') fieldsOf(mv, 'map[string]', child, false);
        else if (mk === 'finalizers' && Array.isArray(mv)) for (const f of mv) child[`v:${JSON.stringify(f)}`] = {};
        else if (mk === 'ownerReferences' && Array.isArray(mv))
          listFields(mv, 'ownerReferences', 'OwnerReference', child);
        meta[`f:${mk}`] = child;
      }
      if (Object.keys(meta).length > 0) tree['f:metadata'] = meta;
      continue;
    }
    const childType = type ? fieldTypeOf(type, k) : undefined;
    const child: Tree = {};
    // LabelSelectors are atomic (x-kubernetes-map-type: atomic): owned as one field.
    if (childType === 'LabelSelector') {
      tree[`f:${k}`] = child;
      continue;
    }
    if (Array.isArray(v)) listFields(v, k, childType?.startsWith('[]') ? childType.slice(2) : undefined, child);
    else if (isRecord(v) && childType !== 'any') fieldsOf(v, childType, child, false, k);
    tree[`f:${k}`] = child;
  }
  void field;
}

function listFields(list: unknown[], field: string, itemType: string | undefined, tree: Tree): void {
  if (SET_LISTS.has(field)) {
    for (const v of list) tree[`v:${JSON.stringify(v)}`] = {};
    return;
  }
  const keys = listKeys(field, list[0]);
  if (!keys) return; // atomic: the list itself is the leaf
  for (const item of list) {
    if (!isRecord(item)) continue;
    const child: Tree = { '.': {} };
    fieldsOf(item, itemType, child, false);
    delete child['.'];
    tree[keyOfItem(keys, item)] = { '.': {}, ...child };
  }
}

export function fieldSetOf(kind: string, obj: unknown): Tree {
  const tree: Tree = {};
  fieldsOf(obj, schemaTypeOf(kind), tree, true);
  return tree;
}

// ------------------------------------------------------------------ field sets as path sets

/** Every path of a tree (leaves and `.` nodes), as JSON arrays of segments. */
function paths(tree: unknown, prefix: string[] = [], out = new Set<string>()): Set<string> {
  if (!isRecord(tree)) return out;
  const entries = Object.entries(tree);
  if (entries.length === 0 && prefix.length > 0) out.add(JSON.stringify(prefix));
  for (const [k, v] of entries) {
    if (k === '.') out.add(JSON.stringify(prefix));
    else paths(v, [...prefix, k], out);
  }
  return out;
}

function treeOf(set: Set<string>): Tree {
  const root: Tree = {};
  for (const p of [...set].sort()) {
    const segments = JSON.parse(p) as string[];
    let node = root;
    for (const s of segments) {
      node[s] ??= {};
      node = node[s] as Tree;
    }
    if (Object.keys(node).length > 0 || segments.length === 0) continue;
  }
  // A node that is itself a member and has children gets its '.' entry.
  const mark = (node: Tree, prefix: string[]) => {
    for (const [k, v] of Object.entries(node)) {
      if (k === '.') continue;
      const path = [...prefix, k];
      const child = v as Tree;
      if (Object.keys(child).length > 0 && set.has(JSON.stringify(path))) child['.'] = {};
      mark(child, path);
    }
  };
  mark(root, []);
  return root;
}

function pathString(path: string[]): string {
  let out = '';
  for (const s of path) {
    if (s.startsWith('f:')) out += `.${s.slice(2)}`;
    else if (s.startsWith('k:')) {
      const key = JSON.parse(s.slice(2)) as Record<string, unknown>;
      out += `[${Object.entries(key)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}]`;
    } else if (s.startsWith('v:')) out += `[=${s.slice(2)}]`;
  }
  return out;
}

/** The value at a path of segments, or undefined. */
function valueAt(obj: unknown, path: string[]): unknown {
  let current: unknown = obj;
  for (const s of path) {
    if (s.startsWith('f:')) current = isRecord(current) ? current[s.slice(2)] : undefined;
    else if (s.startsWith('k:')) {
      const key = JSON.parse(s.slice(2)) as Record<string, unknown>;
      current = Array.isArray(current)
        ? current.find((i) => isRecord(i) && Object.entries(key).every(([k, v]) => i[k] === v))
        : undefined;
    } else if (s.startsWith('v:')) {
      const value = JSON.parse(s.slice(2)) as unknown;
      current = Array.isArray(current) && current.includes(value) ? value : undefined;
    }
    if (current === undefined) return undefined;
  }
  return current;
}

function removeAt(obj: unknown, path: string[]): void {
  const parent = valueAt(obj, path.slice(0, -1));
  const last = path[path.length - 1] ?? '';
  if (last.startsWith('f:') && isRecord(parent)) delete parent[last.slice(2)];
  else if (Array.isArray(parent)) {
    const item = valueAt(obj, path);
    const index = parent.indexOf(item);
    if (index >= 0) parent.splice(index, 1);
  }
}

// ------------------------------------------------------------------ managers

/** The manager of a write: fieldManager, else the User-Agent up to its first '/'. */
export function managerOf(fieldManager: string | null, userAgent: string | undefined): string {
  if (fieldManager) return fieldManager;
  return (userAgent ?? 'unknown').split('/')[0] ?? 'unknown';
}

function entriesOf(obj: KubeObject | undefined): ManagedFieldsEntry[] {
  const raw = obj?.metadata.managedFields;
  return Array.isArray(raw) ? (raw.filter(isRecord) as unknown as ManagedFieldsEntry[]) : [];
}

/**
 * Records an Update by `manager` of `previous` into `next` (the fields it set or changed become
 * its own, and no one else's). Returns `next` with metadata.managedFields set.
 */
export function recordManager<T extends Record<string, unknown>>(
  next: T,
  previous: KubeObject | undefined,
  manager: string,
  operation: 'Update',
  clock: SimClock,
  subresource?: string,
): T {
  const kind = typeof next.kind === 'string' ? next.kind : (previous?.kind ?? '');
  const apiVersion = typeof next.apiVersion === 'string' ? next.apiVersion : (previous?.apiVersion ?? 'v1');
  const after = paths(fieldSetOf(kind, next));
  const before = previous ? paths(fieldSetOf(kind, previous)) : new Set<string>();
  const changed = new Set<string>();
  for (const p of after) {
    const path = JSON.parse(p) as string[];
    if (!before.has(p) || JSON.stringify(valueAt(next, path)) !== JSON.stringify(valueAt(previous, path)))
      changed.add(p);
  }
  const entries = entriesOf(previous).map((e) => ({ ...e, set: paths(e.fieldsV1) }));
  for (const e of entries) for (const p of changed) e.set.delete(p);
  // Fields that no longer exist belong to no one.
  for (const e of entries) for (const p of [...e.set]) if (!after.has(p)) e.set.delete(p);
  let mine = entries.find(
    (e) => e.manager === manager && e.operation === operation && (e.subresource ?? '') === (subresource ?? ''),
  );
  if (!mine && changed.size > 0) {
    mine = {
      manager,
      operation,
      apiVersion,
      time: '',
      fieldsType: 'FieldsV1',
      fieldsV1: {},
      ...(subresource ? { subresource } : {}),
      set: new Set(),
    };
    entries.push(mine);
  }
  if (mine) {
    for (const p of changed) mine.set.add(p);
    if (changed.size > 0) mine.time = clock.timestamp();
  }
  const managedFields = entries.filter((e) => e.set.size > 0).map(({ set, ...e }) => ({ ...e, fieldsV1: treeOf(set) }));
  const metadata = isRecord(next.metadata) ? next.metadata : {};
  return { ...next, metadata: { ...metadata, managedFields } };
}

// ------------------------------------------------------------------ server-side apply

function merge(live: unknown, config: unknown, field: string): unknown {
  if (Array.isArray(config)) {
    if (SET_LISTS.has(field)) return [...new Set([...(Array.isArray(live) ? live : []), ...config])];
    const keys = listKeys(field, config[0]);
    if (!keys || !Array.isArray(live)) return clone(config);
    const same = (a: unknown, b: unknown) => isRecord(a) && isRecord(b) && keys.every((k) => a[k] === b[k]);
    const result = live.map((item) => {
      const update = config.find((c) => same(item, c));
      return update === undefined ? clone(item) : merge(item, update, '');
    });
    for (const c of config) if (!live.some((l) => same(l, c))) result.push(clone(c));
    return result;
  }
  if (isRecord(config)) {
    const result: Record<string, unknown> = isRecord(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(config)) result[k] = merge(result[k], v, k);
    return result;
  }
  return clone(config);
}

export interface ApplyOptions {
  readonly fieldManager: string | null;
  readonly force: boolean;
  readonly decode: (value: unknown) => Decoded;
  readonly clock: SimClock;
  readonly writeOptions: WriteOptions;
}

export interface ApplyResult {
  readonly object: KubeObject;
  readonly created: boolean;
  readonly warnings: readonly string[];
}

function printManager(entry: ManagedFieldsEntry): string {
  return entry.operation === 'Update'
    ? `${JSON.stringify(entry.manager)} using ${entry.apiVersion} at ${entry.time}`
    : JSON.stringify(entry.manager);
}

export function applyConfiguration(
  api: ClusterApi,
  def: ResourceDef,
  namespace: string | undefined,
  name: string,
  body: unknown,
  options: ApplyOptions,
): ApplyResult {
  if (!options.fieldManager)
    throw errors.invalid('meta.k8s.io', 'PatchOptions', '', [
      { field: 'fieldManager', reason: 'FieldValueRequired', message: 'Required value: is required for apply patch' },
    ]);
  const manager = options.fieldManager;
  if (!isRecord(body)) throw errors.badRequest('error decoding YAML: the apply configuration must be an object');
  const decoded = options.decode(body);
  const config = decoded.object;
  const meta = isRecord(config.metadata) ? config.metadata : {};
  if (meta.name !== undefined && meta.name !== name)
    throw errors.badRequest(
      `the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`,
    );
  const current = api.store.peek(def, namespace, name);
  const applied = paths(fieldSetOf(def.kind, config));
  const time = options.clock.timestamp();
  const apiVersion = apiVersionOf(def);

  if (!current) {
    const entry = { manager, operation: 'Apply', apiVersion, time, fieldsType: 'FieldsV1', fieldsV1: treeOf(applied) };
    const created = api.create(
      def,
      namespace,
      { ...config, metadata: { ...meta, name } },
      {
        ...options.writeOptions,
        managedFields: [entry],
      },
    );
    return { object: created, created: true, warnings: decoded.unknownFields };
  }

  const entries = entriesOf(current).map((e) => ({ ...e, set: paths(e.fieldsV1) }));
  const conflicts: { entry: ManagedFieldsEntry; path: string[] }[] = [];
  for (const p of applied) {
    const path = JSON.parse(p) as string[];
    const wanted = valueAt(config, path);
    // Maps and list items are not values: only their fields conflict.
    if (
      isRecord(wanted) ||
      (Array.isArray(wanted) && listKeys(path[path.length - 1]?.slice(2) ?? '', wanted[0]) !== undefined)
    )
      continue;
    const same = JSON.stringify(valueAt(current, path)) === JSON.stringify(wanted);
    for (const e of entries) {
      if (e.manager === manager && e.operation === 'Apply') continue;
      if (!e.set.has(p)) continue;
      if (same) continue; // shared ownership
      if (options.force) e.set.delete(p);
      else conflicts.push({ entry: e, path });
    }
  }
  if (conflicts.length > 0) {
    const causes = conflicts.map((c) => ({
      reason: 'FieldManagerConflict',
      message: `conflict with ${printManager(c.entry)}`,
      field: pathString(c.path),
    }));
    const message =
      conflicts.length === 1
        ? `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0]?.entry as ManagedFieldsEntry)}: ${pathString(conflicts[0]?.path ?? [])}`
        : `Apply failed with ${conflicts.length} conflicts: ${[...new Set(conflicts.map((c) => printManager(c.entry)))]
            .sort()
            .map((m) =>
              [
                `conflicts with ${m}:`,
                ...conflicts.filter((c) => printManager(c.entry) === m).map((c) => `- ${pathString(c.path)}`),
              ].join('\n'),
            )
            .join('\n')}`;
    throw new ApiError(409, 'Conflict', message, { causes });
  }

  const previous = entries.find((e) => e.manager === manager && e.operation === 'Apply');
  let next = merge(clone(current), { ...config, metadata: { ...meta, name } }, '') as KubeObject;
  if (previous) {
    const others = new Set<string>();
    for (const e of entries) if (e !== previous) for (const p of e.set) others.add(p);
    const dropped = [...previous.set].filter((p) => !applied.has(p) && !others.has(p));
    // Deepest first, so a list item goes after its fields.
    for (const p of dropped.sort((a, b) => b.length - a.length)) removeAt(next, JSON.parse(p) as string[]);
  }
  const kept = entries
    .filter((e) => e !== previous)
    .map((e) => ({ ...e, set: new Set([...e.set].filter((p) => !(options.force && applied.has(p)))) }));
  const managedFields = [
    ...kept.filter((e) => e.set.size > 0).map(({ set, ...e }) => ({ ...e, fieldsV1: treeOf(set) })),
    { manager, operation: 'Apply', apiVersion, time, fieldsType: 'FieldsV1', fieldsV1: treeOf(applied) },
  ];
  next = { ...next, metadata: { ...next.metadata, resourceVersion: current.metadata.resourceVersion } };
  const updated = api.update(def, namespace, name, next, { ...options.writeOptions, managedFields });
  return { object: updated, created: false, warnings: decoded.unknownFields };
}
