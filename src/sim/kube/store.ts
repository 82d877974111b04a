/**
 * The object store of one simulated cluster: objects by resource and namespace/name, one
 * revision counter for the whole cluster (as etcd's), and a bounded event history so that a
 * watch can start from a resourceVersion. Stored objects are never mutated in place; every
 * write stores a new object, so history entries and readers can share references safely.
 */
import type { ResourceDef } from './resources.js';
import type { KubeObject } from './types.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  readonly type: WatchEventType;
  readonly def: ResourceDef;
  readonly object: KubeObject;
  /** The object before this change (absent for ADDED). */
  readonly previous?: KubeObject;
  readonly revision: number;
}

export type StoreListener = (event: StoreEvent) => void;

function keyOf(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

export class ObjectStore {
  private revision = 1;
  private readonly tables = new Map<ResourceDef, Map<string, KubeObject>>();
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<StoreListener>();

  constructor(private readonly historyLimit = 4000) {}

  /** The cluster's current resourceVersion (as a list returns it). */
  currentRevision(): number {
    return this.revision;
  }

  private table(def: ResourceDef): Map<string, KubeObject> {
    let table = this.tables.get(def);
    if (!table) {
      table = new Map();
      this.tables.set(def, table);
    }
    return table;
  }

  /** The stored object (shared, read-only) or undefined. */
  peek(def: ResourceDef, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.table(def).get(keyOf(def.namespaced ? namespace : undefined, name));
  }

  /** Stored objects of a resource, optionally in one namespace (shared, read-only). */
  peekAll(def: ResourceDef, namespace?: string): KubeObject[] {
    const all = [...this.table(def).values()];
    return namespace === undefined || !def.namespaced ? all : all.filter((o) => o.metadata.namespace === namespace);
  }

  /** Stores `object` (a fresh object the caller will not mutate again), stamping a new resourceVersion. */
  put(def: ResourceDef, object: KubeObject): KubeObject {
    const key = keyOf(def.namespaced ? object.metadata.namespace : undefined, object.metadata.name ?? '');
    const table = this.table(def);
    const previous = table.get(key);
    this.revision += 1;
    object.metadata.resourceVersion = String(this.revision);
    table.set(key, object);
    this.emit({
      type: previous ? 'MODIFIED' : 'ADDED',
      def,
      object,
      ...(previous ? { previous } : {}),
      revision: this.revision,
    });
    return object;
  }

  /** Removes an object for good. */
  remove(def: ResourceDef, namespace: string | undefined, name: string): KubeObject | undefined {
    const key = keyOf(def.namespaced ? namespace : undefined, name);
    const table = this.table(def);
    const previous = table.get(key);
    if (!previous) return undefined;
    table.delete(key);
    this.revision += 1;
    // A deleted object is reported with the resourceVersion of its deletion, as etcd does.
    const object: KubeObject = {
      ...previous,
      metadata: { ...previous.metadata, resourceVersion: String(this.revision) },
    };
    this.emit({ type: 'DELETED', def, object, previous, revision: this.revision });
    return object;
  }

  /**
   * Events after `revision`, or 'expired' when the history no longer reaches back that far (as
   * etcd after a compaction: until then a real server replays a watch from any resourceVersion).
   */
  eventsSince(revision: number): StoreEvent[] | 'expired' {
    if (revision >= this.revision) return [];
    const oldest = this.history[0];
    if (!oldest || oldest.revision > revision + 1) return 'expired';
    return this.history.filter((e) => e.revision > revision);
  }

  /** The objects of a resource as they were at `revision` (for consistent paginated lists), or 'expired'. */
  snapshotAt(def: ResourceDef, namespace: string | undefined, revision: number): KubeObject[] | 'expired' {
    if (revision > this.revision) return 'expired';
    const oldest = this.history[0];
    if (revision < this.revision && (!oldest || oldest.revision > revision + 1)) return 'expired';
    const state = new Map<string, KubeObject>();
    for (const o of this.peekAll(def, namespace))
      state.set(keyOf(def.namespaced ? o.metadata.namespace : undefined, o.metadata.name ?? ''), o);
    for (let i = this.history.length - 1; i >= 0; i--) {
      const e = this.history[i] as StoreEvent;
      if (e.revision <= revision) break;
      if (e.def !== def) continue;
      const obj = e.previous ?? e.object;
      if (def.namespaced && namespace !== undefined && obj.metadata.namespace !== namespace) continue;
      const key = keyOf(def.namespaced ? obj.metadata.namespace : undefined, obj.metadata.name ?? '');
      if (e.type === 'ADDED') state.delete(key);
      else if (e.previous) state.set(key, e.previous);
    }
    return [...state.values()];
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > this.historyLimit * 1.25) this.history.splice(0, this.history.length - this.historyLimit);
    for (const listener of [...this.listeners]) listener(event);
  }
}
