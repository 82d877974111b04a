/**
 * The journal's head Secret `kubecost-rotate-<id>`: `journal.json` (the document, no secret; from
 * schema 4 without the plan's large immutable part, which lives in the plan Secret: plan-part.ts), `new-key`
 * (the new key's key file, until the rotation ends), and the backups of written Secrets
 * (`backups.json`: the changed data keys with digests, and `blob.*`: their old and new values, for
 * as long as material.ts keeps them). Values are content-addressed: each distinct value once, so a
 * fleet with the same federated-store.yaml on 200 clusters costs two blobs, not 400 copies (a Secret
 * holds 1 MiB). Backups of schema 2 (whole Secrets' data) are read into the changed keys only.
 */
import type { V1Secret } from '@kubernetes/client-node';
import {
  ANNOTATION_CREDENTIAL,
  ANNOTATION_NEW_KEY_FINGERPRINT,
  LABEL_MANAGED_BY,
  LABEL_PHASE,
  LABEL_ROTATION,
  MANAGED_BY,
} from '../../shared/labels.js';
import { keyFileOf, parseNewKey, type KeyMaterial } from '../new-key.js';
import { digestOf, ROTATION_ANNOTATIONS, type KeyDigests, type SecretBackup } from './backup.js';
import { JournalUnreadableError, migrate, type JournalDocument } from './document.js';
import { joinPlan, readPlanBody, splitPlan, type PlanBody, type PlanHead, type PlanSecretRef } from './plan-part.js';

/** Everything a journal Secret holds, decoded. */
export interface JournalState {
  doc: JournalDocument;
  /** The new key (absent once dropped). */
  newKey?: KeyMaterial;
  backups: Map<string, SecretBackup>;
  /** The head's resourceVersion (the plan Secret is never written again). */
  resourceVersion: string;
  /** Where the plan's large part lives (schema 4); absent: the plan is inline (journals of schema 3 and before). */
  planSecret?: PlanSecretRef;
}

/** A plan body already read, to reload a head without reading its immutable plan Secret again. */
export interface KnownPlan {
  readonly ref: PlanSecretRef;
  readonly body: PlanBody;
}

/** journal.json as stored: with a plan Secret, the plan holds only its head part. */
type StoredDocument = Omit<JournalDocument, 'plan'> & {
  plan: PlanHead | JournalDocument['plan'];
  planSecret?: PlanSecretRef;
};

/** The serialized backups of the last save, reused while the backups are the same objects. */
const savedBackups = new WeakMap<JournalState, { entries: readonly SecretBackup[]; data: Record<string, string> }>();

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: string | undefined) => Buffer.from(text ?? '', 'base64').toString('utf8');

export const journalSecretName = (id: string) => `kubecost-rotate-${id}`;

/** The key of a backup in a journal: cluster/namespace/secret. */
export const backupKey = (b: { cluster: string; namespace: string; secret: string }) =>
  `${b.cluster}/${b.namespace}/${b.secret}`;

/** A backup in backups.json: the values are named by digest (their blob holds them while they are kept). */
interface StoredBackup {
  readonly cluster: string;
  readonly namespace: string;
  readonly secret: string;
  readonly resourceVersion: string;
  readonly keys: Record<string, KeyDigests & { readonly oldKept: boolean; readonly newKept: boolean }>;
  readonly annotations: Record<string, string>;
}

/** A backup of schema 2: every data key of the Secret, old and new, and all its annotations, by blob. */
interface StoredBackupV2 {
  readonly cluster: string;
  readonly namespace: string;
  readonly secret: string;
  readonly resourceVersion: string;
  readonly data: Record<string, string>;
  readonly newData: Record<string, string>;
  readonly annotations: string;
}

/** The document as the head stores it. */
export function storedDocument(state: Pick<JournalState, 'doc' | 'planSecret'>): StoredDocument {
  if (!state.planSecret) return state.doc;
  return { ...state.doc, plan: splitPlan(state.doc.plan).head, planSecret: state.planSecret };
}

/** backups.json and the blobs, serialized again only when a backup changed since the last save. */
function backupData(state: JournalState): Record<string, string> {
  const entries = [...state.backups.values()];
  const cached = savedBackups.get(state);
  if (cached && cached.entries.length === entries.length && cached.entries.every((b, i) => b === entries[i]))
    return cached.data;
  const data: Record<string, string> = {};
  const store = (value: string | undefined): boolean => {
    if (value !== undefined) data[`blob.${digestOf(value)}`] = value;
    return value !== undefined;
  };
  const index: StoredBackup[] = entries.map((b) => ({
    cluster: b.cluster,
    namespace: b.namespace,
    secret: b.secret,
    resourceVersion: b.resourceVersion,
    keys: Object.fromEntries(
      Object.entries(b.keys).map(([k, d]) => [
        k,
        { ...d, oldKept: store(b.data?.[k]), newKept: store(b.newData?.[k]) },
      ]),
    ),
    annotations: { ...b.annotations },
  }));
  if (index.length > 0) data['backups.json'] = b64(JSON.stringify(index));
  savedBackups.set(state, { entries, data });
  return data;
}

/** The head Secret of a journal state. */
export function toSecret(state: JournalState, namespace: string): V1Secret {
  const data: Record<string, string> = { 'journal.json': b64(JSON.stringify(storedDocument(state))) };
  if (state.newKey !== undefined) data['new-key'] = b64(keyFileOf(state.newKey));
  Object.assign(data, backupData(state));
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: state.doc.plan.journal.secret,
      namespace,
      labels: { [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_ROTATION]: state.doc.id, [LABEL_PHASE]: state.doc.phase },
      annotations: {
        [ANNOTATION_CREDENTIAL]: state.doc.plan.credential.id,
        [ANNOTATION_NEW_KEY_FINGERPRINT]: state.doc.plan.newKey.fingerprint,
      },
      resourceVersion: state.resourceVersion || undefined,
    },
    type: 'Opaque',
    data,
  };
}

/** journal.json of a head Secret, migrated, with the plan Secret it refers to (schema 4). */
function readHead(secret: V1Secret): { doc: JournalDocument; ref?: PlanSecretRef } {
  const name = secret.metadata?.name ?? '';
  const text = secret.data?.['journal.json'];
  if (text === undefined) throw new JournalUnreadableError(`journal ${name} has no journal.json`);
  let raw: unknown;
  try {
    raw = JSON.parse(unb64(text));
  } catch {
    throw new JournalUnreadableError(`journal ${name}: journal.json is not JSON (edited by hand or truncated)`);
  }
  const { planSecret: ref, ...doc } = migrate(raw, name) as JournalDocument & { planSecret?: PlanSecretRef };
  return { doc, ...(ref ? { ref } : {}) };
}

/** The plan body a head refers to: one known already (same digest), or read from its plan Secret. */
function bodyOf(head: string, ref: PlanSecretRef, plan: V1Secret | KnownPlan | undefined): PlanBody {
  if (plan && 'ref' in plan && plan.ref.sha256 === ref.sha256) return plan.body;
  return readPlanBody(head, ref, plan && !('ref' in plan) ? plan : undefined);
}

/**
 * The document alone (history, finding a journal by id): never decodes key material. A head of
 * schema 4 needs its plan Secret (`plan`); without it, a clear JournalUnreadableError.
 */
export function documentOf(secret: V1Secret, plan?: V1Secret | KnownPlan): JournalDocument {
  const { doc, ref } = readHead(secret);
  if (!ref) return doc;
  return { ...doc, plan: joinPlan(doc.plan, bodyOf(secret.metadata?.name ?? '', ref, plan)) };
}

/** Everything a journal holds: its head Secret and (schema 4) its plan Secret, or the plan body known already. */
export function fromSecret(secret: V1Secret, plan?: V1Secret | KnownPlan): JournalState {
  const name = secret.metadata?.name ?? '';
  const data = secret.data ?? {};
  const head = readHead(secret);
  const { ref } = head;
  const doc = ref ? { ...head.doc, plan: joinPlan(head.doc.plan, bodyOf(name, ref, plan)) } : head.doc;
  const blob = (id: string): string => {
    const value = data[`blob.${id}`];
    if (value === undefined)
      throw new JournalUnreadableError(`journal ${name} is missing blob ${id}: it was edited by hand or truncated`);
    return value;
  };
  const backups = new Map<string, SecretBackup>();
  const stored = data['backups.json'] ? (JSON.parse(unb64(data['backups.json'])) as unknown[]) : [];
  for (const entry of stored) {
    const backup =
      'keys' in (entry as object) ? readBackup(entry as StoredBackup, blob) : readV2(entry as StoredBackupV2, blob);
    backups.set(backupKey(backup), backup);
  }
  const newKey =
    data['new-key'] !== undefined ? parseNewKey(unb64(data['new-key']), `the new key in journal ${name}`) : undefined;
  return {
    doc,
    ...(newKey ? { newKey } : {}),
    backups,
    resourceVersion: secret.metadata?.resourceVersion ?? '',
    ...(ref ? { planSecret: ref } : {}),
  };
}

/** The plan Secret a head refers to (schema 4), if any. */
export function planRefOf(secret: V1Secret): PlanSecretRef | undefined {
  return readHead(secret).ref;
}

/** The plan body of a state with a plan Secret (to reload its head without reading the plan again). */
export function knownPlan(state: JournalState): KnownPlan | undefined {
  return state.planSecret ? { ref: state.planSecret, body: splitPlan(state.doc.plan).body } : undefined;
}

function readBackup(stored: StoredBackup, blob: (id: string) => string): SecretBackup {
  const keys = Object.entries(stored.keys);
  const values = (which: 'old' | 'new') =>
    keys.every(([, d]) => d[which === 'old' ? 'oldKept' : 'newKept'])
      ? Object.fromEntries(keys.map(([k, d]) => [k, blob(d[which])]))
      : undefined;
  const data = values('old');
  const newData = values('new');
  return {
    cluster: stored.cluster,
    namespace: stored.namespace,
    secret: stored.secret,
    resourceVersion: stored.resourceVersion,
    keys: Object.fromEntries(keys.map(([k, d]) => [k, { old: d.old, new: d.new }])),
    ...(data ? { data } : {}),
    ...(newData ? { newData } : {}),
    annotations: stored.annotations,
  };
}

/** A schema-2 backup, kept to the data keys the rotation changed (those whose old and new values differ). */
function readV2(stored: StoredBackupV2, blob: (id: string) => string): SecretBackup {
  const changed = Object.keys(stored.newData).filter((k) => stored.data[k] !== stored.newData[k]);
  const annotations = JSON.parse(unb64(blob(stored.annotations))) as Record<string, string>;
  const pick = (refs: Record<string, string>) => Object.fromEntries(changed.map((k) => [k, blob(refs[k] ?? '')]));
  const data = pick(stored.data);
  const newData = pick(stored.newData);
  return {
    cluster: stored.cluster,
    namespace: stored.namespace,
    secret: stored.secret,
    resourceVersion: stored.resourceVersion,
    keys: Object.fromEntries(
      changed.map((k) => [k, { old: digestOf(data[k] ?? ''), new: digestOf(newData[k] ?? '') }]),
    ),
    data,
    newData,
    annotations: Object.fromEntries(
      ROTATION_ANNOTATIONS.filter((k) => annotations[k] !== undefined).map((k) => [k, annotations[k] as string]),
    ),
  };
}
