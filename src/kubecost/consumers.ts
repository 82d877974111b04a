/**
 * Which containers of a pod template read which Secret data keys, and how: a volume mount, a
 * subPath mount (never updated by the kubelet) or an environment variable (fixed at start).
 * Pure: reads a pod spec, nothing else.
 */
import type { V1PodSpec, V1Volume } from '@kubernetes/client-node';

export type MountKind = 'volume' | 'subPath' | 'env';

export interface SecretReference {
  readonly secret: string;
  /** The data keys this reference reads; 'all' when it reads the whole Secret. */
  readonly dataKeys: readonly string[] | 'all';
  readonly container: string;
  readonly mount: MountKind;
  /** Mount path, or the env var name. */
  readonly path: string;
  /** The volume name for mounts. */
  readonly volume?: string;
  /** The subPath of a subPath mount. */
  readonly subPath?: string;
  /** The volume source's `items` (data key → path inside the volume), when it lists some. */
  readonly items?: readonly { readonly key: string; readonly path: string }[];
  /** The reference is optional: a missing Secret or key does not stop the pod. */
  readonly optional: boolean;
}

interface SecretSource {
  readonly secret: string;
  /** key → path inside the volume; undefined means every key at its own name. */
  readonly items?: readonly { key: string; path: string }[];
  readonly optional: boolean;
}

function sourcesOf(volume: V1Volume): SecretSource[] {
  if (volume.secret?.secretName) {
    return [
      {
        secret: volume.secret.secretName,
        ...(volume.secret.items ? { items: volume.secret.items } : {}),
        optional: volume.secret.optional === true,
      },
    ];
  }
  if (volume.projected) {
    return (volume.projected.sources ?? [])
      .filter((s) => s.secret?.name)
      .map((s) => ({
        secret: s.secret?.name ?? '',
        ...(s.secret?.items ? { items: s.secret.items } : {}),
        optional: s.secret?.optional === true,
      }));
  }
  return [];
}

/** Data keys of `source` visible at `subPath` inside the volume (a file, or a directory's files). */
function keysAtSubPath(source: SecretSource, subPath: string): readonly string[] | 'all' {
  const prefix = subPath.replace(/\/+$/, '');
  if (!source.items) return [prefix.split('/')[0] ?? prefix];
  return source.items.filter((i) => i.path === prefix || i.path.startsWith(`${prefix}/`)).map((i) => i.key);
}

/** Every Secret reference of every container (init containers too) of a pod spec. */
export function secretReferences(spec: V1PodSpec | undefined): SecretReference[] {
  if (!spec) return [];
  const volumes = new Map((spec.volumes ?? []).map((v) => [v.name, v]));
  const out: SecretReference[] = [];
  for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
    for (const mount of container.volumeMounts ?? []) {
      const volume = volumes.get(mount.name);
      if (!volume) continue;
      for (const source of sourcesOf(volume)) {
        const subPath = mount.subPath ?? '';
        const dataKeys = subPath
          ? keysAtSubPath(source, subPath)
          : source.items
            ? source.items.map((i) => i.key)
            : 'all';
        if (Array.isArray(dataKeys) && dataKeys.length === 0) continue;
        out.push({
          secret: source.secret,
          dataKeys,
          container: container.name,
          mount: subPath ? 'subPath' : 'volume',
          path: mount.mountPath,
          volume: mount.name,
          ...(subPath ? { subPath } : {}),
          ...(source.items ? { items: source.items } : {}),
          optional: source.optional,
        });
      }
    }
    for (const e of container.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      if (ref?.name)
        out.push({
          secret: ref.name,
          dataKeys: [ref.key],
          container: container.name,
          mount: 'env',
          path: e.name,
          optional: ref.optional === true,
        });
    }
    for (const from of container.envFrom ?? []) {
      if (from.secretRef?.name)
        out.push({
          secret: from.secretRef.name,
          dataKeys: 'all',
          container: container.name,
          mount: 'env',
          path: `${from.prefix ?? ''}*`,
          optional: from.secretRef.optional === true,
        });
    }
  }
  return out;
}

/** Whether a reference reads `dataKey`. */
export function readsKey(reference: SecretReference, dataKey: string): boolean {
  return reference.dataKeys === 'all' || reference.dataKeys.includes(dataKey);
}

/**
 * The path at which a container sees `dataKey` through `reference`, or undefined for env
 * references. A subPath mount of the key is the mount path itself; `items` rename the file.
 */
export function fileOf(reference: SecretReference, dataKey: string): string | undefined {
  if (reference.mount === 'env' || !readsKey(reference, dataKey)) return undefined;
  const inVolume = reference.items?.find((i) => i.key === dataKey)?.path ?? dataKey;
  if (reference.subPath !== undefined) {
    const sub = reference.subPath.replace(/\/+$/, '');
    if (inVolume === sub) return reference.path;
    return `${reference.path.replace(/\/+$/, '')}/${inVolume.slice(sub.length + 1)}`;
  }
  return `${reference.path.replace(/\/+$/, '')}/${inVolume}`;
}
