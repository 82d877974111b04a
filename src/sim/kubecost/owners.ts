/**
 * The owners that put a Secret back when someone edits it: the External Secrets operator (a Secret
 * an ExternalSecret owns) and Argo CD with self-heal (a Secret it tracks). Each remembers the data
 * it last wrote (the external store's value, the one in Git) and writes it back a little after any
 * other edit, as the real controllers do on their next reconcile. A SealedSecret's controller
 * only acts when the SealedSecret changes, so it is not simulated here.
 */
import { SIM_RESOURCES, type KubeObject, type SimCluster } from '../kube/index.js';

export interface OwnerRevertOptions {
  /** How long after an edit the owner puts its data back (simulated ms). Default 2000. */
  readonly delayMs?: number;
}

/** Which owner reverts an edit to this Secret, if any. */
export function revertingOwnerOf(secret: KubeObject): 'ExternalSecret' | 'ArgoCD' | undefined {
  const meta = secret.metadata;
  if (
    (meta.ownerReferences ?? []).some((o) => o.kind === 'ExternalSecret') ||
    Object.keys(meta.labels ?? {}).some((k) => k.startsWith('reconcile.external-secrets.io/'))
  )
    return 'ExternalSecret';
  if (meta.annotations?.['argocd.argoproj.io/tracking-id'] || meta.labels?.['argocd.argoproj.io/instance'])
    return 'ArgoCD';
  return undefined;
}

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
const dataOf = (o: KubeObject) => JSON.stringify(o.data ?? {});

/** Starts the owners of one cluster's Secrets; returns how to stop them. */
export function revertOwnedSecrets(cluster: SimCluster, options: OwnerRevertOptions = {}): () => void {
  const delayMs = options.delayMs ?? 2000;
  const desired = new Map<string, Record<string, unknown>>();
  const pending = new Map<string, { cancel(): void }>();
  for (const s of cluster.api.store.peekAll(SIM_RESOURCES.secrets))
    if (revertingOwnerOf(s)) desired.set(keyOf(s), { ...(s.data as Record<string, unknown> | undefined) });
  const unsubscribe = cluster.api.store.subscribe((event) => {
    if (event.def !== SIM_RESOURCES.secrets) return;
    const secret = event.object;
    const key = keyOf(secret);
    if (event.type === 'DELETED' || !revertingOwnerOf(secret)) {
      desired.delete(key);
      return;
    }
    const want = desired.get(key);
    if (!want) {
      desired.set(key, { ...(secret.data as Record<string, unknown> | undefined) });
      return;
    }
    if (dataOf(secret) === JSON.stringify(want) || pending.has(key)) return;
    const timer = cluster.clock.setTimeout(() => {
      pending.delete(key);
      const [namespace, name] = [secret.metadata.namespace ?? '', secret.metadata.name ?? ''];
      const current = cluster.api.store.peek(SIM_RESOURCES.secrets, namespace, name);
      if (!current || dataOf(current) === JSON.stringify(want)) return;
      cluster.api.update(SIM_RESOURCES.secrets, namespace, name, { ...current, data: { ...want } });
    }, delayMs);
    pending.set(key, timer);
  });
  return () => {
    unsubscribe();
    for (const t of pending.values()) t.cancel();
    pending.clear();
  };
}
