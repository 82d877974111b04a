/**
 * The backup of one Secret a rotation writes: only the data keys it changes (never the Secret's other
 * keys), each with a digest of its old and new value. The values themselves are key material and are
 * kept only as long as they are needed (material.ts): the new ones until Verified, the old ones until
 * the old key is retired or the backup expires. The digests stay, so resume, rollback and history
 * can still tell whose bytes a Secret holds.
 */
import type { V1Secret } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { ANNOTATION_FINGERPRINT, ANNOTATION_ROTATION } from '../../shared/labels.js';

/** The digests of one changed data key's values (sha256 prefixes of the stored base64: not reversible). */
export interface KeyDigests {
  readonly old: string;
  readonly new: string;
}

/** What the journal keeps of one Secret the rotation writes. */
export interface SecretBackup {
  readonly cluster: string;
  readonly namespace: string;
  readonly secret: string;
  /** The resourceVersion the rotation read (its write carries it). */
  readonly resourceVersion: string;
  /** The data keys the rotation changes, with the digests of their old and new values. */
  readonly keys: Readonly<Record<string, KeyDigests>>;
  /** The old values of those keys (base64, as in the Secret), until the old key is retired or the backup expires. */
  readonly data?: Readonly<Record<string, string>>;
  /** The new values of those keys, until the rotation is Verified. */
  readonly newData?: Readonly<Record<string, string>>;
  /** The rotation's own annotations as they were before it wrote (usually none), restored on rollback. */
  readonly annotations: Readonly<Record<string, string>>;
}

/** The annotations a rotation puts on a Secret it writes (and takes off again on rollback). */
export const ROTATION_ANNOTATIONS = [ANNOTATION_ROTATION, ANNOTATION_FINGERPRINT] as const;

/** The digest of a stored (base64) value; also the name of its blob in the journal. */
export function digestOf(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 32);
}

/** The backup of a Secret as read, for the new values of the data keys the rotation changes. */
export function backupOf(
  where: { cluster: string; namespace: string; secret: string },
  secret: V1Secret,
  newValues: Readonly<Record<string, string>>,
): SecretBackup {
  const current = secret.data ?? {};
  const data = Object.fromEntries(Object.keys(newValues).map((k) => [k, current[k] ?? '']));
  const annotations = secret.metadata?.annotations ?? {};
  return {
    cluster: where.cluster,
    namespace: where.namespace,
    secret: where.secret,
    resourceVersion: secret.metadata?.resourceVersion ?? '',
    keys: Object.fromEntries(
      Object.entries(newValues).map(([k, v]) => [k, { old: digestOf(data[k] ?? ''), new: digestOf(v) }]),
    ),
    data,
    newData: { ...newValues },
    annotations: Object.fromEntries(
      ROTATION_ANNOTATIONS.filter((k) => annotations[k] !== undefined).map((k) => [k, annotations[k] as string]),
    ),
  };
}

function holds(data: Record<string, string> | undefined, backup: SecretBackup, which: keyof KeyDigests): boolean {
  const keys = Object.entries(backup.keys);
  return keys.length > 0 && keys.every(([k, d]) => data?.[k] !== undefined && digestOf(data[k]) === d[which]);
}

/** Whether a Secret's data holds the new values in every key the rotation changes (other keys do not matter). */
export const holdsNew = (data: Record<string, string> | undefined, backup: SecretBackup) => holds(data, backup, 'new');

/** Whether a Secret's data holds the old values in every key the rotation changes (other keys do not matter). */
export const holdsOld = (data: Record<string, string> | undefined, backup: SecretBackup) => holds(data, backup, 'old');

/** A Secret's data with the changed keys set to `values`, every other key as it is now. */
export function withValues(
  data: Record<string, string> | undefined,
  values: Readonly<Record<string, string>>,
): Record<string, string> {
  return { ...(data ?? {}), ...values };
}

/** A Secret's annotations with the rotation's own put back as they were before it wrote. */
export function withoutRotationAnnotations(
  annotations: Record<string, string> | undefined,
  backup: SecretBackup,
): Record<string, string> {
  const out = { ...(annotations ?? {}) };
  for (const k of ROTATION_ANNOTATIONS) {
    if (backup.annotations[k] !== undefined) out[k] = backup.annotations[k];
    else delete out[k];
  }
  return out;
}

/** Whether a Secret carries this rotation's annotations (an owner that put the old data back may leave them). */
export function carriesRotation(annotations: Record<string, string> | undefined, rotation: string): boolean {
  return annotations?.[ANNOTATION_ROTATION] === rotation;
}
