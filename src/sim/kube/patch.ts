/**
 * JSON merge patch (RFC 7386) and strategic merge patch, the two patch types kube-sim accepts.
 * Strategic merge follows the patchMergeKey of the Kubernetes types for the lists that matter
 * here (containers, env, volumes, volumeMounts, ports, conditions, ...) and the `$patch`
 * directives; every other list is replaced, as for atomic lists.
 */
import { errors } from './status.js';
import { isRecord } from './types.js';

export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
export const ACCEPTED_PATCH_TYPES = [MERGE_PATCH, STRATEGIC_MERGE_PATCH] as const;

/** RFC 7386: objects merge recursively, null deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return structuredClone(patch);
  const result: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** patchMergeKey by field name, from the Kubernetes API types. */
const MERGE_KEYS: Record<string, string | ((item: Record<string, unknown>) => string)> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  conditions: 'type',
  hostAliases: 'ip',
  ownerReferences: 'uid',
  // container ports merge on containerPort, service ports on port
  ports: (item) => ('containerPort' in item ? 'containerPort' : 'port'),
};

/** Primitive lists with patchStrategy "merge" (union instead of replace). */
const MERGED_PRIMITIVE_LISTS = new Set(['finalizers']);

function mergeKeyFor(field: string, item: Record<string, unknown>): string | undefined {
  const key = MERGE_KEYS[field];
  return typeof key === 'function' ? key(item) : key;
}

function strategicList(field: string, target: unknown, patch: unknown[]): unknown[] {
  const current = Array.isArray(target) ? target : [];
  if (patch.length > 0 && patch.every((p) => !isRecord(p))) {
    if (MERGED_PRIMITIVE_LISTS.has(field)) return [...new Set([...current, ...patch])];
    return structuredClone(patch);
  }
  const replace = patch.find((p) => isRecord(p) && p.$patch === 'replace');
  if (replace) return patch.filter((p) => p !== replace).map((p) => stripDirectives(p));
  const first = patch.find(isRecord);
  const mergeKey = first ? mergeKeyFor(field, first) : undefined;
  if (!mergeKey) return patch.map((p) => stripDirectives(p));
  const result = current.map((item) => structuredClone(item) as unknown);
  for (const item of patch) {
    if (!isRecord(item)) continue;
    const keyValue = item[mergeKey];
    const index = result.findIndex((r) => isRecord(r) && r[mergeKey] === keyValue);
    if (item.$patch === 'delete') {
      if (index >= 0) result.splice(index, 1);
      continue;
    }
    if (index >= 0) result[index] = strategicMergePatch(result[index], item);
    else result.push(stripDirectives(item));
  }
  return result;
}

function stripDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('$')) continue;
    out[k] = stripDirectives(v);
  }
  return out;
}

/** Strategic merge patch, as the API server applies it to built-in types. */
export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return structuredClone(patch);
  if (patch.$patch === 'replace') return stripDirectives(patch);
  if (patch.$patch === 'delete') return undefined;
  const result: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys') continue;
    if (key.startsWith('$setElementOrder/') || key.startsWith('$deleteFromPrimitiveList/')) {
      if (key.startsWith('$deleteFromPrimitiveList/') && Array.isArray(value)) {
        const field = key.slice('$deleteFromPrimitiveList/'.length);
        const list = result[field];
        if (Array.isArray(list)) result[field] = list.filter((v) => !value.includes(v));
      }
      continue;
    }
    if (value === null) {
      delete result[key];
    } else if (Array.isArray(value)) {
      result[key] = strategicList(key, result[key], value);
    } else if (isRecord(value)) {
      const merged = strategicMergePatch(result[key], value);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    } else {
      result[key] = value;
    }
  }
  return result;
}

/** Applies a PATCH body of the given content type; other types are refused with 415. */
export function applyPatch(contentType: string, target: unknown, body: unknown): unknown {
  const type = contentType.split(';')[0]?.trim() ?? '';
  if (type !== MERGE_PATCH && type !== STRATEGIC_MERGE_PATCH)
    throw errors.unsupportedMediaType(type, ACCEPTED_PATCH_TYPES);
  if (!isRecord(body)) throw errors.badRequest('the patch body must be a JSON object');
  return type === MERGE_PATCH ? mergePatch(target, body) : strategicMergePatch(target, body);
}
