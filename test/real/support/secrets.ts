/**
 * Reading a real fleet's Secrets and journals through the API (the kube-sim versions in
 * test/rotation/harness.ts read kube-sim's store directly), and what a rotation must make of them.
 */
import * as k8s from '@kubernetes/client-node';
import { azureStorageAccountKey, credentialIdentity } from '../../../src/kubecost/secret-formats/index.js';
import { fingerprint } from '../../../src/shared/fingerprint.js';
import type { FakeCredential } from '../../../src/sim/kubecost/index.js';
import {
  decode,
  journalDocOf,
  MANAGED_BY_SELECTOR,
  PHASE_LABEL,
  type JournalView,
  type SecretSnapshot,
} from '../../rotation/harness.js';
import type { RealWorld } from './world.js';

const isJournal = (s: k8s.V1Secret) => s.metadata?.labels?.['app.kubernetes.io/managed-by'] === 'kubecost-rotate';

/** Every Secret of every cluster but the journals (and service account tokens), by cluster/namespace/name. */
export async function snapshotRealSecrets(world: RealWorld): Promise<SecretSnapshot> {
  const snapshot: SecretSnapshot = new Map();
  for (const cluster of world.fleet.clusters) {
    const items = (await world.api(cluster.name, k8s.CoreV1Api).listSecretForAllNamespaces()).items;
    for (const s of items) {
      if (isJournal(s) || s.metadata?.namespace === 'kube-system') continue;
      snapshot.set(`${cluster.name}/${s.metadata?.namespace ?? ''}/${s.metadata?.name ?? ''}`, {
        type: s.type,
        data: { ...(s.data ?? {}) },
        annotations: { ...(s.metadata?.annotations ?? {}) },
        labels: { ...(s.metadata?.labels ?? {}) },
      });
    }
  }
  return snapshot;
}

/** Every data key's text, by cluster/namespace/name/key. */
export function textsOf(snapshot: SecretSnapshot): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, s] of snapshot) for (const [k, v] of Object.entries(s.data)) out.set(`${key}/${k}`, decode(v));
  return out;
}

/** Every journal of the fleet, read through the API. */
export async function realJournals(world: RealWorld): Promise<JournalView[]> {
  const found: JournalView[] = [];
  for (const cluster of world.fleet.clusters) {
    const items = (
      await world.api(cluster.name, k8s.CoreV1Api).listSecretForAllNamespaces({ labelSelector: MANAGED_BY_SELECTOR })
    ).items;
    for (const s of items) {
      const data = s.data ?? {};
      const raw = decode(data['journal.json']);
      if (!raw) continue;
      found.push({
        cluster: cluster.name,
        name: s.metadata?.name ?? '',
        dataKeys: Object.keys(data).sort(),
        phaseLabel: s.metadata?.labels?.[PHASE_LABEL],
        raw,
        doc: journalDocOf(raw, s.metadata?.namespace, items),
      });
    }
  }
  return found;
}

/** Deletes the journals of rotations that have not ended (left by a failed case). */
export async function deleteUnfinishedRealJournals(world: RealWorld): Promise<string[]> {
  const deleted: string[] = [];
  for (const j of await realJournals(world)) {
    if (j.doc.phase === 'Verified' || j.doc.phase === 'RolledBack') continue;
    const core = world.api(j.cluster, k8s.CoreV1Api);
    await core.deleteNamespacedSecret({ name: j.name, namespace: j.doc.plan.journal.namespace });
    // Its plan Secret (schema 4), if it has one.
    await core
      .deleteNamespacedSecret({ name: `${j.name}-plan`, namespace: j.doc.plan.journal.namespace })
      .catch(() => undefined);
    deleted.push(j.doc.id);
  }
  return deleted;
}

/** What a Secret's text must become: the old key's values replaced by the new key's, nothing else. */
export function expectedText(before: string, old: FakeCredential, next: FakeCredential): string {
  const pairs: [string, string][] = [];
  if (old.provider === 'aws' && next.provider === 'aws')
    pairs.push([old.accessKeyId, next.accessKeyId], [old.secretAccessKey, next.secretAccessKey]);
  if (old.provider === 'azure' && next.provider === 'azure') pairs.push([old.accountKey, next.accountKey]);
  if (old.provider === 'alibaba' && next.provider === 'alibaba')
    pairs.push([old.accessKeyId, next.accessKeyId], [old.accessKeySecret, next.accessKeySecret]);
  if (old.provider === 'gcp-api-key' && next.provider === 'gcp-api-key') pairs.push([old.apiKey, next.apiKey]);
  if (old.provider === 'gcp' && next.provider === 'gcp') {
    const a = JSON.parse(old.json) as Record<string, string>;
    const b = JSON.parse(next.json) as Record<string, string>;
    for (const field of Object.keys(a))
      if (a[field] !== b[field])
        pairs.push([JSON.stringify(a[field]).slice(1, -1), JSON.stringify(b[field]).slice(1, -1)]);
  }
  return pairs.reduce((text, [from, to]) => text.replaceAll(from, to), before);
}

/** The credential id discover gives a fake credential. */
export function credentialIdOf(c: FakeCredential): string {
  switch (c.provider) {
    case 'aws':
      return `aws:${c.accessKeyId}`;
    case 'alibaba':
      return `alibaba:${c.accessKeyId}`;
    case 'gcp':
      return `gcp:${c.clientEmail}:${c.privateKeyId}`;
    case 'gcp-api-key':
      return `gcp:api-key:${fingerprint(c.apiKey)}`;
    case 'azure':
      return credentialIdentity(azureStorageAccountKey(c.accountName, c.accountKey)).id;
  }
}
