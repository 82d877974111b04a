/**
 * The patch types of the real API server: JSON patch (RFC 6902), JSON merge patch (RFC 7386) and
 * strategic merge patch (server-side apply is in apply.ts). Strategic merge follows the
 * patchMergeKey of the Kubernetes types for the lists that matter here (containers, env,
 * volumes, volumeMounts, ports, conditions, ...) and the `$patch` directives; every other list is
 * replaced, as for atomic lists. A list item without its merge key fails as the real server
 * fails: a 500 with the merge error's text.
 */
import { errors } from './status.js';
import { isRecord } from './types.js';

export const JSON_PATCH = 'application/json-patch+json';
export const MERGE_PATCH = 'application/merge-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
export const ACCEPTED_PATCH_TYPES = [JSON_PATCH, MERGE_PATCH, APPLY_PATCH, STRATEGIC_MERGE_PATCH] as const;

/** Go's %v of a decoded JSON value (map[k:v] with sorted keys, [a b] for lists). */
export function goPrint(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(goPrint).join(' ')}]`;
  if (isRecord(value))
    return `map[${Object.keys(value)
      .sort()
      .map((k) => `${k}:${goPrint(value[k])}`)
      .join(' ')}]`;
  if (value === null || value === undefined) return '<nil>';
  return String(value);
}

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
  if (mergeKey && current.some((c) => isRecord(c) && !(mergeKey in c)))
    throw errors.unknown(
      `map: ${goPrint(current.find((c) => isRecord(c) && !(mergeKey in c)))} does not contain declared merge key: ${mergeKey}`,
    );
  if (!mergeKey) return patch.map((p) => stripDirectives(p));
  const result = current.map((item) => structuredClone(item) as unknown);
  for (const item of patch) {
    if (!isRecord(item)) continue;
    if (!(mergeKey in item))
      throw errors.unknown(`map: ${goPrint(item)} does not contain declared merge key: ${mergeKey}`);
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

// ------------------------------------------------------------------ JSON patch (RFC 6902)

function unescape(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function pointer(path: unknown): string[] {
  if (typeof path !== 'string') throw errors.badRequest('json: cannot unmarshal path: not a string');
  if (path === '') return [];
  if (!path.startsWith('/')) throw errors.genericInvalid();
  return path.slice(1).split('/').map(unescape);
}

type Container = Record<string, unknown> | unknown[];

/** The parent container of `tokens` in `doc`, and the last token. */
function parentOf(doc: unknown, tokens: string[]): { parent: Container; key: string } {
  let current: unknown = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(current)) current = current[Number(token)];
    else if (isRecord(current)) current = current[token];
    else throw errors.genericInvalid();
    if (current === undefined) throw errors.genericInvalid();
  }
  if (!Array.isArray(current) && !isRecord(current)) throw errors.genericInvalid();
  return { parent: current, key: tokens[tokens.length - 1] ?? '' };
}

function getAt(doc: unknown, tokens: string[]): unknown {
  let current: unknown = doc;
  for (const token of tokens) {
    if (Array.isArray(current)) current = /^\d+$/.test(token) ? current[Number(token)] : undefined;
    else if (isRecord(current))
      current = Object.prototype.hasOwnProperty.call(current, token) ? current[token] : undefined;
    else return undefined;
    if (current === undefined) return undefined;
  }
  return current;
}

function index(parent: unknown[], key: string, forAdd: boolean): number {
  if (forAdd && key === '-') return parent.length;
  if (!/^\d+$/.test(key)) throw errors.genericInvalid();
  const i = Number(key);
  if (i > parent.length || (!forAdd && i >= parent.length)) throw errors.genericInvalid();
  return i;
}

function addAt(doc: unknown, tokens: string[], value: unknown): unknown {
  if (tokens.length === 0) return structuredClone(value);
  const { parent, key } = parentOf(doc, tokens);
  if (Array.isArray(parent)) parent.splice(index(parent, key, true), 0, structuredClone(value));
  else parent[key] = structuredClone(value);
  return doc;
}

function removeAt(doc: unknown, tokens: string[]): unknown {
  if (tokens.length === 0) throw errors.genericInvalid();
  const { parent, key } = parentOf(doc, tokens);
  if (Array.isArray(parent)) parent.splice(index(parent, key, false), 1);
  else {
    if (!Object.prototype.hasOwnProperty.call(parent, key)) throw errors.genericInvalid();
    delete parent[key];
  }
  return doc;
}

export function jsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations))
    throw errors.badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let doc = structuredClone(target);
  for (const op of operations) {
    if (!isRecord(op)) throw errors.badRequest('json: cannot unmarshal into Go value of type jsonpatch.Operation');
    const path = pointer(op.path);
    switch (op.op) {
      case 'add':
        doc = addAt(doc, path, op.value);
        break;
      case 'remove':
        doc = removeAt(doc, path);
        break;
      case 'replace':
        if (getAt(doc, path) === undefined) throw errors.genericInvalid();
        doc = addAt(removeAt(doc, path), path, op.value);
        break;
      case 'move': {
        const from = pointer(op.from);
        const value = getAt(doc, from);
        if (value === undefined) throw errors.genericInvalid();
        doc = addAt(removeAt(doc, from), path, value);
        break;
      }
      case 'copy': {
        const value = getAt(doc, pointer(op.from));
        if (value === undefined) throw errors.genericInvalid();
        doc = addAt(doc, path, value);
        break;
      }
      case 'test':
        if (JSON.stringify(canonical(getAt(doc, path))) !== JSON.stringify(canonical(op.value)))
          throw errors.genericInvalid();
        break;
      default:
        throw errors.badRequest(`Unexpected kind: ${String(op.op)}`);
    }
  }
  return doc;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (isRecord(value))
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical(value[k])]),
    );
  return value;
}

/** Applies a PATCH body of the given content type (not apply, see apply.ts); others are refused with 415. */
export function applyPatch(contentType: string, target: unknown, body: unknown): unknown {
  const type = contentType.split(';')[0]?.trim() ?? '';
  if (!(ACCEPTED_PATCH_TYPES as readonly string[]).includes(type)) throw errors.unsupportedPatchType();
  if (type === JSON_PATCH) return jsonPatch(target, body);
  if (!isRecord(body)) throw errors.badRequest('the patch body must be a JSON object');
  return type === MERGE_PATCH ? mergePatch(target, body) : strategicMergePatch(target, body);
}
