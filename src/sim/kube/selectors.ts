/**
 * Label and field selectors, in the syntax the API server accepts in `labelSelector=` and
 * `fieldSelector=`, and the structured LabelSelector of workload specs.
 */
import { ApiError, errors } from './status.js';
import { isRecord, type KubeObject } from './types.js';

type Requirement =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' };

export type Matcher = (labels: Record<string, string> | undefined) => boolean;

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

function checkKey(key: string, selector: string): string {
  if (!KEY.test(key))
    throw errors.badRequest(`unable to parse requirement: invalid label key "${key}" in selector "${selector}"`);
  return key;
}

function checkValue(value: string, selector: string): string {
  if (!VALUE.test(value) || value.length > 63)
    throw errors.badRequest(`unable to parse requirement: invalid label value "${value}" in selector "${selector}"`);
  return value;
}

function parseRequirement(text: string, selector: string): Requirement {
  const setMatch = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(text);
  if (setMatch) {
    const [, key = '', op, list = ''] = setMatch;
    const values = list.split(',').map((v) => checkValue(v.trim(), selector));
    return { key: checkKey(key, selector), op: op === 'in' ? 'in' : 'notin', values };
  }
  const neq = /^([^!=\s]+)\s*!=\s*(.*)$/.exec(text);
  if (neq)
    return { key: checkKey(neq[1] ?? '', selector), op: 'neq', value: checkValue((neq[2] ?? '').trim(), selector) };
  const eq = /^([^!=\s]+)\s*==?\s*(.*)$/.exec(text);
  if (eq) return { key: checkKey(eq[1] ?? '', selector), op: 'eq', value: checkValue((eq[2] ?? '').trim(), selector) };
  if (text.startsWith('!')) return { key: checkKey(text.slice(1).trim(), selector), op: 'notexists' };
  return { key: checkKey(text, selector), op: 'exists' };
}

function matches(req: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, req.key);
  const value = labels[req.key];
  switch (req.op) {
    case 'eq':
      return has && value === req.value;
    case 'neq':
      return !has || value !== req.value;
    case 'in':
      return has && req.values.includes(value ?? '');
    case 'notin':
      return !has || !req.values.includes(value ?? '');
    case 'exists':
      return has;
    case 'notexists':
      return !has;
  }
}

/** Parses a `labelSelector=` string. Throws a 400 ApiError on bad syntax. */
export function parseLabelSelector(selector: string | null | undefined): Matcher {
  if (!selector) return () => true;
  const requirements = splitTopLevel(selector).map((part) => parseRequirement(part, selector));
  return (labels) => requirements.every((r) => matches(r, labels ?? {}));
}

/** A workload's `spec.selector` (matchLabels and matchExpressions). An empty selector matches nothing, as for workloads. */
export function labelSelectorMatcher(selector: unknown): Matcher {
  if (!isRecord(selector)) return () => false;
  const requirements: Requirement[] = [];
  const matchLabels = isRecord(selector.matchLabels) ? selector.matchLabels : {};
  for (const [key, value] of Object.entries(matchLabels)) requirements.push({ key, op: 'eq', value: String(value) });
  const expressions = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  for (const e of expressions) {
    if (!isRecord(e)) continue;
    const key = String(e.key);
    const values = Array.isArray(e.values) ? e.values.map(String) : [];
    const op = String(e.operator);
    if (op === 'In') requirements.push({ key, op: 'in', values });
    else if (op === 'NotIn') requirements.push({ key, op: 'notin', values });
    else if (op === 'Exists') requirements.push({ key, op: 'exists' });
    else if (op === 'DoesNotExist') requirements.push({ key, op: 'notexists' });
  }
  if (requirements.length === 0) return () => false;
  return (labels) => requirements.every((r) => matches(r, labels ?? {}));
}

/** The `labelSelector=` text of a workload's spec.selector, as kubectl builds it. */
export function selectorToString(selector: unknown): string {
  if (!isRecord(selector)) return '';
  const parts: string[] = [];
  if (isRecord(selector.matchLabels))
    for (const [k, v] of Object.entries(selector.matchLabels)) parts.push(`${k}=${String(v)}`);
  if (Array.isArray(selector.matchExpressions)) {
    for (const e of selector.matchExpressions) {
      if (!isRecord(e)) continue;
      const values = Array.isArray(e.values) ? e.values.map(String).join(',') : '';
      if (e.operator === 'In') parts.push(`${String(e.key)} in (${values})`);
      if (e.operator === 'NotIn') parts.push(`${String(e.key)} notin (${values})`);
      if (e.operator === 'Exists') parts.push(String(e.key));
      if (e.operator === 'DoesNotExist') parts.push(`!${String(e.key)}`);
    }
  }
  return parts.join(',');
}

export type ObjectMatcher = (obj: KubeObject) => boolean;

function fieldValue(obj: KubeObject, path: string): string {
  let current: unknown = obj;
  for (const part of path.split('.')) {
    if (!isRecord(current)) return '';
    current = current[part];
  }
  if (path === 'source' && isRecord(obj.source)) return String(obj.source.component ?? '');
  return current === undefined || current === null ? '' : String(current);
}

/** Parses a `fieldSelector=` string against the field labels a resource supports. */
export function parseFieldSelector(selector: string | null | undefined, supported: readonly string[]): ObjectMatcher {
  if (!selector) return () => true;
  const allowed = new Set(['metadata.name', 'metadata.namespace', ...supported]);
  const terms = selector
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .map((term) => {
      const m = /^([^!=]+?)\s*(==|=|!=)\s*(.*)$/.exec(term);
      if (!m) throw errors.badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
      const [, field = '', op, value = ''] = m;
      if (!allowed.has(field)) throw new ApiError(400, 'BadRequest', `field label not supported: ${field}`);
      return { field, negate: op === '!=', value };
    });
  return (obj) => terms.every((t) => (fieldValue(obj, t.field) === t.value) !== t.negate);
}
