/**
 * The journal as a Secret `kubecost-rotate-<id>`: `journal.json` (the document, no secret), `new-key`
 * (the new key's key file, until the rotation ends), and the backups of written Secrets
 * (`backups.json` and `blob.*`: the exact previous and new data, until RolledBack, or until the old
 * key is retired). Backups are content-addressed: each distinct value once, so a fleet with the same
 * federated-store.yaml on 200 clusters costs two blobs, not 400 copies (a Secret holds 1 MiB).
 */
import type { V1Secret } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import {
  ANNOTATION_CREDENTIAL,
  ANNOTATION_NEW_KEY_FINGERPRINT,
  LABEL_MANAGED_BY,
  LABEL_PHASE,
  LABEL_ROTATION,
  MANAGED_BY,
} from '../../shared/labels.js';
import { keyFileOf, parseNewKey, type KeyMaterial } from '../new-key.js';
import { JournalUnreadableError, migrate, type JournalDocument, type SecretBackup } from './document.js';

/** Everything a journal Secret holds, decoded. */
export interface JournalState {
  doc: JournalDocument;
  /** The new key (absent once dropped). */
  newKey?: KeyMaterial;
  backups: Map<string, SecretBackup>;
  resourceVersion: string;
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: string | undefined) => Buffer.from(text ?? '', 'base64').toString('utf8');

export const journalSecretName = (id: string) => `kubecost-rotate-${id}`;

/** The key of a backup in a journal: cluster/namespace/secret. */
export const backupKey = (b: { cluster: string; namespace: string; secret: string }) =>
  `${b.cluster}/${b.namespace}/${b.secret}`;

function blobId(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 32);
}

type StoredBackup = Omit<SecretBackup, 'annotations'> & { annotations: string };

export function toSecret(state: JournalState, namespace: string): V1Secret {
  const data: Record<string, string> = { 'journal.json': b64(JSON.stringify(state.doc)) };
  if (state.newKey !== undefined) data['new-key'] = b64(keyFileOf(state.newKey));
  const store = (value: string): string => {
    const id = blobId(value);
    data[`blob.${id}`] = value;
    return id;
  };
  const refs = (values: Record<string, string>) =>
    Object.fromEntries(Object.entries(values).map(([k, v]) => [k, store(v)]));
  const index: StoredBackup[] = [...state.backups.values()].map((b) => ({
    ...b,
    data: refs(b.data),
    newData: refs(b.newData),
    annotations: store(b64(JSON.stringify(b.annotations))),
  }));
  if (index.length > 0) data['backups.json'] = b64(JSON.stringify(index));
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

/** The document alone (history, finding a journal by id): never decodes key material. */
export function documentOf(secret: V1Secret): JournalDocument {
  const name = secret.metadata?.name ?? '';
  const text = secret.data?.['journal.json'];
  if (text === undefined) throw new JournalUnreadableError(`journal ${name} has no journal.json`);
  let raw: unknown;
  try {
    raw = JSON.parse(unb64(text));
  } catch {
    throw new JournalUnreadableError(`journal ${name}: journal.json is not JSON (edited by hand or truncated)`);
  }
  return migrate(raw, name);
}

export function fromSecret(secret: V1Secret): JournalState {
  const name = secret.metadata?.name ?? '';
  const data = secret.data ?? {};
  const doc = documentOf(secret);
  const blob = (id: string): string => {
    const value = data[`blob.${id}`];
    if (value === undefined)
      throw new JournalUnreadableError(`journal ${name} is missing blob ${id}: it was edited by hand or truncated`);
    return value;
  };
  const values = (refs: Record<string, string>) =>
    Object.fromEntries(Object.entries(refs).map(([k, id]) => [k, blob(id)]));
  const backups = new Map<string, SecretBackup>();
  for (const stored of data['backups.json'] ? (JSON.parse(unb64(data['backups.json'])) as StoredBackup[]) : []) {
    const backup: SecretBackup = {
      ...stored,
      data: values(stored.data),
      newData: values(stored.newData),
      annotations: JSON.parse(unb64(blob(stored.annotations))) as Record<string, string>,
    };
    backups.set(backupKey(backup), backup);
  }
  const newKey =
    data['new-key'] !== undefined ? parseNewKey(unb64(data['new-key']), `the new key in journal ${name}`) : undefined;
  return { doc, ...(newKey ? { newKey } : {}), backups, resourceVersion: secret.metadata?.resourceVersion ?? '' };
}
