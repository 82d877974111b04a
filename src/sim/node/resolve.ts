/**
 * What a container sees, resolved from its pod spec exactly as a kubelet does: secret and
 * configMap volumes (with `items` and `optional`), projected volumes (secret, configMap,
 * downwardAPI, serviceAccountToken), and environment from `value` (with `$(VAR)` expansion),
 * `secretKeyRef`, `configMapKeyRef`, `fieldRef` and `envFrom`. Error messages are the kubelet's.
 */
import type { KubeObject } from '../kube/types.js';
import { isRecord } from '../kube/types.js';
import type { ConfigKind } from './types.js';

export function rec(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

export function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Why a container cannot be configured (yet); `reason` is NotFound or KeyNotFound. */
export class ResolveError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** Where resolution reads from: the backend's view of Secrets, ConfigMaps and tokens, and the pod's addresses. */
export interface ResolveSources {
  data(kind: ConfigKind, namespace: string, name: string): Map<string, Buffer> | undefined;
  token(pod: KubeObject, source: { audience?: string; expirationSeconds?: number }): string;
  readonly podIP: string;
  readonly hostIP: string;
}

/** Volume name → (path inside the volume → bytes). */
export type Volumes = Map<string, Map<string, Buffer>>;

function notFound(kind: ConfigKind, name: string): ResolveError {
  return new ResolveError('NotFound', `${kind === 'Secret' ? 'secret' : 'configmap'} "${name}" not found`);
}

/** Keys of one secret/configMap source projected to files, honouring `items`. */
function project(
  sources: ResolveSources,
  kind: ConfigKind,
  namespace: string,
  name: string,
  items: unknown,
  optional: boolean,
): Map<string, Buffer> {
  const data = sources.data(kind, namespace, name);
  if (!data) {
    if (optional) return new Map();
    throw notFound(kind, name);
  }
  const list = arr(items).map(rec);
  if (list.length === 0) return new Map(data);
  const out = new Map<string, Buffer>();
  for (const item of list) {
    const key = String(item.key);
    const bytes = data.get(key);
    if (!bytes) {
      if (optional) continue;
      throw new ResolveError(
        'KeyNotFound',
        kind === 'Secret'
          ? `couldn't find key ${key} in Secret ${namespace}/${name}`
          : `configmap references non-existent config key: ${key}`,
      );
    }
    out.set(String(item.path ?? key), bytes);
  }
  return out;
}

/**
 * Every volume of the pod. With `lenient`, a volume that cannot be resolved is left out (a sync
 * keeps its old content); otherwise the first failure throws, worded as the kubelet's FailedMount.
 */
export function resolveVolumes(pod: KubeObject, sources: ResolveSources, lenient: boolean): Volumes {
  const namespace = pod.metadata.namespace ?? '';
  const volumes: Volumes = new Map();
  for (const v of arr(rec(pod.spec).volumes).map(rec)) {
    const name = String(v.name);
    try {
      volumes.set(name, resolveVolume(namespace, pod, v, sources));
    } catch (error: unknown) {
      if (lenient) continue;
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`MountVolume.SetUp failed for volume "${name}" : ${message}`, { cause: error });
    }
  }
  return volumes;
}

function resolveVolume(
  namespace: string,
  pod: KubeObject,
  v: Record<string, unknown>,
  sources: ResolveSources,
): Map<string, Buffer> {
  if (v.secret) {
    const s = rec(v.secret);
    return project(sources, 'Secret', namespace, String(s.secretName), s.items, s.optional === true);
  }
  if (v.configMap) {
    const c = rec(v.configMap);
    return project(sources, 'ConfigMap', namespace, String(c.name), c.items, c.optional === true);
  }
  if (v.downwardAPI) return downward(pod, rec(v.downwardAPI), sources);
  if (v.projected) {
    const out = new Map<string, Buffer>();
    for (const source of arr(rec(v.projected).sources).map(rec)) {
      let part = new Map<string, Buffer>();
      if (source.secret) {
        const s = rec(source.secret);
        part = project(sources, 'Secret', namespace, String(s.name), s.items, s.optional === true);
      } else if (source.configMap) {
        const c = rec(source.configMap);
        part = project(sources, 'ConfigMap', namespace, String(c.name), c.items, c.optional === true);
      } else if (source.downwardAPI) {
        part = downward(pod, rec(source.downwardAPI), sources);
      } else if (source.serviceAccountToken) {
        const t = rec(source.serviceAccountToken);
        part.set(
          String(t.path ?? 'token'),
          Buffer.from(
            sources.token(pod, {
              ...(typeof t.audience === 'string' ? { audience: t.audience } : {}),
              ...(typeof t.expirationSeconds === 'number' ? { expirationSeconds: t.expirationSeconds } : {}),
            }),
            'utf8',
          ),
        );
      }
      for (const [k, b] of part) out.set(k, b);
    }
    return out;
  }
  return new Map();
}

function downward(pod: KubeObject, spec: Record<string, unknown>, sources: ResolveSources): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const item of arr(spec.items).map(rec))
    if (item.fieldRef) out.set(String(item.path), Buffer.from(fieldRefValue(pod, rec(item.fieldRef), sources), 'utf8'));
  return out;
}

function quotedMap(values: Record<string, string> | undefined): string {
  return Object.entries(values ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join('\n');
}

/** The value of a downward API `fieldRef`, as the kubelet formats it. */
export function fieldRefValue(
  pod: KubeObject,
  ref: Record<string, unknown>,
  facts: Pick<ResolveSources, 'podIP' | 'hostIP'>,
): string {
  const path = String(ref.fieldPath ?? '');
  const label = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (label) return (label[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations)?.[label[2] ?? ''] ?? '';
  const spec = rec(pod.spec);
  const values: Record<string, () => string> = {
    'metadata.name': () => pod.metadata.name ?? '',
    'metadata.namespace': () => pod.metadata.namespace ?? '',
    'metadata.uid': () => pod.metadata.uid ?? '',
    'metadata.labels': () => quotedMap(pod.metadata.labels),
    'metadata.annotations': () => quotedMap(pod.metadata.annotations),
    'spec.nodeName': () => String(spec.nodeName ?? ''),
    'spec.serviceAccountName': () => String(spec.serviceAccountName ?? 'default'),
    'status.podIP': () => facts.podIP,
    'status.podIPs': () => facts.podIP,
    'status.hostIP': () => facts.hostIP,
    'status.hostIPs': () => facts.hostIP,
  };
  return values[path]?.() ?? '';
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** A container's environment, resolved once at its start. */
export function resolveEnv(
  pod: KubeObject,
  container: Record<string, unknown>,
  sources: ResolveSources,
): Record<string, string> {
  const namespace = pod.metadata.namespace ?? '';
  const env: Record<string, string> = {};
  for (const source of arr(container.envFrom).map(rec)) {
    const prefix = String(source.prefix ?? '');
    const ref = rec(source.secretRef ?? source.configMapRef);
    const kind: ConfigKind = source.secretRef ? 'Secret' : 'ConfigMap';
    const data = sources.data(kind, namespace, String(ref.name));
    if (!data) {
      if (ref.optional === true) continue;
      throw notFound(kind, String(ref.name));
    }
    for (const [k, v] of data) if (ENV_NAME.test(prefix + k)) env[prefix + k] = v.toString('utf8');
  }
  for (const e of arr(container.env).map(rec)) {
    const name = String(e.name);
    if (typeof e.value === 'string') {
      env[name] = e.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, v: string) => env[v] ?? whole);
      continue;
    }
    const from = rec(e.valueFrom);
    if (from.secretKeyRef || from.configMapKeyRef) {
      const ref = rec(from.secretKeyRef ?? from.configMapKeyRef);
      const kind: ConfigKind = from.secretKeyRef ? 'Secret' : 'ConfigMap';
      const data = sources.data(kind, namespace, String(ref.name));
      const value = data?.get(String(ref.key));
      if (value === undefined) {
        if (ref.optional === true) continue;
        if (!data) throw notFound(kind, String(ref.name));
        throw new ResolveError(
          'KeyNotFound',
          `couldn't find key ${String(ref.key)} in ${kind} ${namespace}/${String(ref.name)}`,
        );
      }
      env[name] = value.toString('utf8');
    } else if (from.fieldRef) {
      env[name] = fieldRefValue(pod, rec(from.fieldRef), sources);
    }
  }
  return env;
}

/** The Secrets and ConfigMaps a pod's volumes and env name (what a node may read for it). */
export function referencedConfig(pod: KubeObject): { kind: ConfigKind; name: string }[] {
  const out = new Map<string, { kind: ConfigKind; name: string }>();
  const add = (kind: ConfigKind, name: unknown) => {
    if (typeof name === 'string' && name !== '') out.set(`${kind}/${name}`, { kind, name });
  };
  const spec = rec(pod.spec);
  for (const v of arr(spec.volumes).map(rec)) {
    add('Secret', rec(v.secret).secretName);
    add('ConfigMap', rec(v.configMap).name);
    for (const s of arr(rec(v.projected).sources).map(rec)) {
      add('Secret', rec(s.secret).name);
      add('ConfigMap', rec(s.configMap).name);
    }
  }
  for (const c of [...arr(spec.initContainers), ...arr(spec.containers)].map(rec)) {
    for (const f of arr(c.envFrom).map(rec)) {
      add('Secret', rec(f.secretRef).name);
      add('ConfigMap', rec(f.configMapRef).name);
    }
    for (const e of arr(c.env).map(rec)) {
      const from = rec(e.valueFrom);
      add('Secret', rec(from.secretKeyRef).name);
      add('ConfigMap', rec(from.configMapKeyRef).name);
    }
  }
  return [...out.values()];
}

/** The serviceAccountToken sources of a pod's projected volumes. */
export function tokenSources(pod: KubeObject): { audience?: string; expirationSeconds?: number }[] {
  const out: { audience?: string; expirationSeconds?: number }[] = [];
  for (const v of arr(rec(pod.spec).volumes).map(rec))
    for (const s of arr(rec(v.projected).sources).map(rec)) {
      if (!s.serviceAccountToken) continue;
      const t = rec(s.serviceAccountToken);
      out.push({
        ...(typeof t.audience === 'string' ? { audience: t.audience } : {}),
        ...(typeof t.expirationSeconds === 'number' ? { expirationSeconds: t.expirationSeconds } : {}),
      });
    }
  return out;
}

/** Whether a pod's volumes mount this Secret or ConfigMap (env is frozen at start, so it does not count). */
export function volumesReference(pod: KubeObject, kind: ConfigKind, name: string): boolean {
  const key = kind === 'Secret' ? 'secret' : 'configMap';
  for (const v of arr(rec(pod.spec).volumes).map(rec)) {
    if (kind === 'Secret' && rec(v.secret).secretName === name) return true;
    if (kind === 'ConfigMap' && rec(v.configMap).name === name) return true;
    for (const s of arr(rec(v.projected).sources).map(rec)) if (rec(s[key]).name === name) return true;
  }
  return false;
}
