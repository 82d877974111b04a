/**
 * The controllers of the real controller manager that keep objects' lifecycles: the namespace
 * controller (a deleted namespace is emptied, then goes), the ServiceAccount controller (a
 * `default` ServiceAccount in every namespace), the root-CA publisher (the kube-root-ca.crt
 * ConfigMap), and the garbage collector (dependents of a deleted owner are deleted in the
 * background; Foreground and Orphan deletions through their finalizers; an object whose owners
 * of a served kind are all gone is deleted). All act a moment after the change, not within the
 * request, as the real ones do.
 */
import type { ClusterApi } from './api.js';
import { clone } from './api.js';
import { R } from './objects.js';
import { RESOURCES, type ResourceDef } from './resources.js';
import type { StoreEvent } from './store.js';
import { isRecord, type KubeObject, type OwnerReference } from './types.js';

const ROOT_CA_DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

type Enqueue = (key: string) => void;

function defOfOwner(ref: OwnerReference): ResourceDef | undefined {
  const [group, version] = ref.apiVersion.includes('/') ? ref.apiVersion.split('/') : ['', ref.apiVersion];
  return RESOURCES.find((r) => r.kind === ref.kind && r.group === group && r.version === version);
}

export class Lifecycle {
  /** Owner uid → keys (`plural/namespace/name`) of its dependents. */
  private readonly dependents = new Map<string, Set<string>>();

  constructor(
    private readonly api: ClusterApi,
    private readonly enqueue: Enqueue,
  ) {}

  /** Everything existing when the controllers start is looked at once. */
  resync(): void {
    for (const ns of this.api.store.peekAll(R.namespaces)) this.enqueue(`ns/${ns.metadata.name ?? ''}`);
    for (const def of RESOURCES)
      for (const obj of this.api.store.peekAll(def)) {
        this.index(def, obj, undefined);
        if (obj.metadata.ownerReferences?.length || obj.metadata.deletionTimestamp) this.enqueue(this.gcKey(def, obj));
      }
  }

  private gcKey(def: ResourceDef, obj: KubeObject): string {
    return `gc/${def.group}/${def.plural}/${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
  }

  private index(def: ResourceDef, obj: KubeObject, previous: KubeObject | undefined): void {
    const key = this.gcKey(def, obj);
    for (const ref of previous?.metadata.ownerReferences ?? []) this.dependents.get(ref.uid)?.delete(key);
    for (const ref of obj.metadata.ownerReferences ?? []) {
      let set = this.dependents.get(ref.uid);
      if (!set) {
        set = new Set();
        this.dependents.set(ref.uid, set);
      }
      set.add(key);
    }
  }

  onEvent(event: StoreEvent): void {
    const { def, object } = event;
    if (event.type === 'DELETED') {
      for (const ref of object.metadata.ownerReferences ?? [])
        this.dependents.get(ref.uid)?.delete(this.gcKey(def, object));
      const uid = object.metadata.uid ?? '';
      for (const key of this.dependents.get(uid) ?? []) this.enqueue(key);
      // An owner waiting for its dependents (foreground) looks again.
      for (const ref of object.metadata.ownerReferences ?? []) this.enqueueOwner(ref, object.metadata.namespace);
      if (def.namespaced && object.metadata.namespace) this.enqueue(`ns/${object.metadata.namespace}`);
      if (def === R.serviceaccounts || def === R.configmaps) this.enqueue(`ns/${object.metadata.namespace ?? ''}`);
      return;
    }
    this.index(def, object, event.previous);
    if (def === R.namespaces) this.enqueue(`ns/${object.metadata.name ?? ''}`);
    if (object.metadata.ownerReferences?.length || object.metadata.deletionTimestamp)
      this.enqueue(this.gcKey(def, object));
  }

  private enqueueOwner(ref: OwnerReference, namespace: string | undefined): void {
    const def = defOfOwner(ref);
    if (def) this.enqueue(`gc/${def.group}/${def.plural}/${def.namespaced ? (namespace ?? '') : ''}/${ref.name}`);
  }

  reconcile(key: string): void {
    if (key.startsWith('ns/')) this.reconcileNamespace(key.slice(3));
    else if (key.startsWith('gc/')) {
      const [, group = '', plural = '', namespace = '', ...name] = key.split('/');
      const def = RESOURCES.find((r) => r.group === group && r.plural === plural);
      if (def) this.collect(def, namespace || undefined, name.join('/'));
    }
  }

  // ---------------------------------------------------------------- namespaces

  private reconcileNamespace(name: string): void {
    const ns = this.api.store.peek(R.namespaces, undefined, name);
    if (!ns) return;
    if (!ns.metadata.deletionTimestamp) {
      if (!this.api.store.peek(R.serviceaccounts, name, 'default'))
        this.createQuietly(R.serviceaccounts, name, { metadata: { name: 'default' } });
      if (!this.api.clusterCaPem) {
        setTimeout(() => this.enqueue(`ns/${name}`), 20).unref();
        return;
      }
      if (!this.api.store.peek(R.configmaps, name, 'kube-root-ca.crt'))
        this.createQuietly(R.configmaps, name, {
          metadata: { name: 'kube-root-ca.crt', annotations: { 'kubernetes.io/description': ROOT_CA_DESCRIPTION } },
          data: { 'ca.crt': this.api.clusterCaPem },
        });
      return;
    }
    // Terminating: delete what is left, and go once nothing is.
    let remaining = 0;
    for (const def of RESOURCES) {
      if (!def.namespaced) continue;
      for (const obj of this.api.store.peekAll(def, name)) {
        remaining += 1;
        if (!obj.metadata.deletionTimestamp) this.deleteQuietly(def, name, obj.metadata.name ?? '');
      }
    }
    if (remaining > 0) {
      setTimeout(() => this.enqueue(`ns/${name}`), 100).unref();
      return;
    }
    if ((ns.metadata.finalizers ?? []).length > 0) return;
    this.api.store.remove(R.namespaces, undefined, name);
  }

  private createQuietly(def: ResourceDef, namespace: string, body: KubeObject): void {
    try {
      this.api.create(def, namespace, body);
    } catch {
      // The namespace went meanwhile, or someone else created it: both are fine.
    }
  }

  private deleteQuietly(def: ResourceDef, namespace: string | undefined, name: string, policy?: string): void {
    try {
      this.api.delete(def, namespace, name, policy ? { propagationPolicy: policy } : {});
    } catch {
      // Already gone.
    }
  }

  // ---------------------------------------------------------------- garbage collector

  private collect(def: ResourceDef, namespace: string | undefined, name: string): void {
    const obj = this.api.store.peek(def, namespace, name);
    if (!obj) return;
    const finalizers = obj.metadata.finalizers ?? [];
    if (obj.metadata.deletionTimestamp && finalizers.includes('orphan')) {
      for (const key of [...(this.dependents.get(obj.metadata.uid ?? '') ?? [])])
        this.orphan(key, obj.metadata.uid ?? '');
      this.dropFinalizer(def, obj, 'orphan');
      return;
    }
    if (obj.metadata.deletionTimestamp && finalizers.includes('foregroundDeletion')) {
      const keys = [...(this.dependents.get(obj.metadata.uid ?? '') ?? [])];
      let waiting = 0;
      for (const key of keys) {
        const dep = this.lookup(key);
        if (!dep) continue;
        waiting += 1;
        if (!dep.obj.metadata.deletionTimestamp)
          this.deleteQuietly(dep.def, dep.obj.metadata.namespace, dep.obj.metadata.name ?? '', 'Foreground');
      }
      if (waiting === 0) this.dropFinalizer(def, obj, 'foregroundDeletion');
      return;
    }
    const refs = obj.metadata.ownerReferences ?? [];
    if (refs.length === 0 || obj.metadata.deletionTimestamp) return;
    const solid: OwnerReference[] = [];
    const dangling: OwnerReference[] = [];
    for (const ref of refs) {
      const ownerDef = defOfOwner(ref);
      if (!ownerDef) {
        solid.push(ref); // a kind the server does not serve: the collector cannot tell, and leaves it
        continue;
      }
      const owner = this.api.store.peek(ownerDef, ownerDef.namespaced ? namespace : undefined, ref.name);
      if (owner && owner.metadata.uid === ref.uid) solid.push(ref);
      else dangling.push(ref);
    }
    if (dangling.length === 0) return;
    if (solid.length > 0) {
      const next = clone(obj);
      next.metadata.ownerReferences = solid;
      this.api.commit(def, next);
      return;
    }
    this.deleteQuietly(def, namespace, name, 'Background');
  }

  private lookup(key: string): { def: ResourceDef; obj: KubeObject } | undefined {
    const [, group = '', plural = '', namespace = '', ...name] = key.split('/');
    const def = RESOURCES.find((r) => r.group === group && r.plural === plural);
    const obj = def ? this.api.store.peek(def, namespace || undefined, name.join('/')) : undefined;
    return def && obj ? { def, obj } : undefined;
  }

  private orphan(key: string, ownerUid: string): void {
    const dep = this.lookup(key);
    if (!dep) return;
    const next = clone(dep.obj);
    const refs = (next.metadata.ownerReferences ?? []).filter((r) => r.uid !== ownerUid);
    if (refs.length > 0) next.metadata.ownerReferences = refs;
    else delete next.metadata.ownerReferences;
    this.api.commit(dep.def, next);
  }

  private dropFinalizer(def: ResourceDef, obj: KubeObject, finalizer: string): void {
    const next = clone(obj);
    const rest = (next.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    if (rest.length > 0) next.metadata.finalizers = rest;
    else delete next.metadata.finalizers;
    if (rest.length === 0 && (def !== R.pods || !isRecord(next.spec) || !next.spec.nodeName)) {
      this.api.store.remove(def, obj.metadata.namespace, obj.metadata.name ?? '');
      return;
    }
    this.api.commit(def, next);
  }
}
