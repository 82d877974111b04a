/**
 * Helpers the JSON codecs share: parse with located errors, typed field reads, and string
 * splices that touch only the token of a changed value. Internal to secret-formats.
 */
import { checkReplacementString, ValueContext } from './codec.js';
import {
  childPath,
  describeJsonKind,
  encodeJsonString,
  findCaseInsensitiveDuplicate,
  getMember,
  getMemberFold,
  JsonSyntaxError,
  parseJsonSource,
  type JsonArray,
  type JsonMember,
  type JsonNode,
  type JsonObject,
  type JsonString,
} from './json-source.js';
import { applyEdits, type Edit } from './text.js';

/** Parses a whole value as JSON; syntax errors become `InvalidJson` / `DuplicateKey` with line, column and path. */
export function parseJsonValue(ctx: ValueContext): JsonNode {
  if (ctx.text.startsWith('\uFEFF')) {
    ctx.fail(
      'ByteOrderMark',
      'the JSON starts with a UTF-8 byte order mark, which Kubecost (Go) refuses',
      { offset: 0 },
      'Save the file as UTF-8 without a byte order mark and re-create the Secret.',
    );
  }
  try {
    return parseJsonSource(ctx.text);
  } catch (error: unknown) {
    if (error instanceof JsonSyntaxError) {
      if (error.duplicateKey)
        ctx.fail(
          'DuplicateKey',
          error.problem,
          { path: error.path, offset: error.offset },
          'Keep one of the two keys (Kubecost would silently use the last one).',
        );
      ctx.fail('InvalidJson', `not valid JSON: ${error.problem}`, { path: error.path, offset: error.offset });
    }
    throw error;
  }
}

/** Requires `node` to be an object. */
export function expectObject(ctx: ValueContext, node: JsonNode, path: string, what = 'this value'): JsonObject {
  if (node.kind !== 'object')
    ctx.fail('WrongType', `${what} is ${describeJsonKind(node)}, expected an object`, { path, offset: node.start });
  return node;
}

/** Requires `node` to be an array. */
export function expectArray(ctx: ValueContext, node: JsonNode, path: string, what = 'this value'): JsonArray {
  if (node.kind !== 'array')
    ctx.fail('WrongType', `${what} is ${describeJsonKind(node)}, expected an array`, { path, offset: node.start });
  return node;
}

/** How a codec looks keys up in one object. */
export interface KeyLookup {
  /** Go struct fields match keys case-insensitively; map lookups (the nested format's entries) do not. */
  readonly fold: boolean;
}

/** Refuses two keys that differ only in case where Go would match them to the same field. */
export function checkFoldDuplicates(ctx: ValueContext, object: JsonObject, path: string): void {
  const dup = findCaseInsensitiveDuplicate(object);
  if (dup) {
    ctx.fail(
      'DuplicateKey',
      'two keys differ only in letter case; Kubecost matches these keys case-insensitively, so they name the same field',
      { path: childPath(path, dup.key.value), offset: dup.key.start },
      'Keep one of the two keys.',
    );
  }
}

export function findMember(object: JsonObject, key: string, lookup: KeyLookup): JsonMember | undefined {
  return lookup.fold ? getMemberFold(object, key) : getMember(object, key);
}

/**
 * Reads a string field. Absent (or, for Go struct fields, `null`) gives undefined; any other
 * non-string is `WrongType`.
 */
export function readString(
  ctx: ValueContext,
  object: JsonObject,
  key: string,
  path: string,
  lookup: KeyLookup,
): JsonString | undefined {
  const member = findMember(object, key, lookup);
  if (!member) return undefined;
  const fieldPath = childPath(path, member.key.value);
  if (member.value.kind === 'null' && lookup.fold) return undefined;
  if (member.value.kind !== 'string')
    ctx.fail('WrongType', `${describeJsonKind(member.value)} where a string belongs`, {
      path: fieldPath,
      offset: member.value.start,
    });
  return member.value;
}

/** Reads a string field that must be present (it may be empty unless `nonEmpty`). */
export function requireString(
  ctx: ValueContext,
  object: JsonObject,
  key: string,
  path: string,
  lookup: KeyLookup,
  options: { nonEmpty?: boolean; why?: string } = {},
): JsonString {
  const value = readString(ctx, object, key, path, lookup);
  const why = options.why ? ` ${options.why}` : '';
  if (!value) ctx.fail('MissingField', `required field "${key}" is missing${why}`, { path, offset: object.start });
  if (options.nonEmpty && value.value === '')
    ctx.fail('MissingField', `field "${key}" is empty${why}`, { path: childPath(path, key), offset: value.start });
  return value;
}

/** The edit that writes `value` into a string token, or none when the value is unchanged. */
export function stringEdit(
  ctx: ValueContext,
  token: JsonString,
  value: string,
  what: string,
  path: string,
  allowEmpty = false,
): Edit[] {
  if (token.value === value) return [];
  checkReplacementString(ctx, value, what, path, allowEmpty);
  return [{ start: token.start, end: token.end, text: encodeJsonString(value) }];
}

/**
 * The edits that make a JSON object of strings hold `fields` (a GCP key). When both have the same
 * keys, only changed value tokens are spliced; otherwise the object is written anew in the layout
 * of the old one (its indentation, spacing and key order, new keys last).
 */
export function objectOfStringsEdits(
  ctx: ValueContext,
  object: JsonObject,
  fields: ReadonlyMap<string, string>,
  what: string,
  path: string,
): Edit[] {
  const sameKeys =
    object.members.length === fields.size &&
    object.members.every((m) => fields.has(m.key.value) && m.value.kind === 'string');
  if (sameKeys) {
    return object.members.flatMap((m) =>
      m.value.kind === 'string' ? stringEdit(ctx, m.value, fields.get(m.key.value) ?? '', what, path, true) : [],
    );
  }
  for (const value of fields.values()) checkReplacementString(ctx, value, what, path, true);
  const order = [
    ...object.members.map((m) => m.key.value).filter((k) => fields.has(k)),
    ...[...fields.keys()].filter((k) => !getMember(object, k)),
  ];
  const entries = order.map((k) => [k, fields.get(k) ?? ''] as const);
  return [{ start: object.start, end: object.end, text: renderObjectLike(ctx.text, object, entries) }];
}

/** Renders `{ entries }` with the whitespace found in `like`. */
export function renderObjectLike(
  text: string,
  like: JsonObject,
  entries: readonly (readonly [string, string])[],
): string {
  const first = like.members[0];
  const second = like.members[1];
  const last = like.members[like.members.length - 1];
  const open = first ? text.slice(like.start + 1, first.key.start) : '';
  const colon = first ? text.slice(first.key.end, first.value.start) : ':';
  const separator = first && second ? text.slice(first.value.end, second.key.start) : `,${open || ' '}`;
  const close = last ? text.slice(last.value.end, like.end - 1) : '';
  const body = entries.map(([k, v]) => `${encodeJsonString(k)}${colon}${encodeJsonString(v)}`).join(separator);
  return `{${open}${body}${close}}`;
}

/**
 * Returns the JSON text `oldText` (an object of strings, such as a GCP key held as a string) made
 * to hold `fields`, keeping its layout: changed values are spliced in place, and only when the
 * keys differ is the object written anew, in the old one's style.
 */
export function relayoutObjectText(
  ctx: ValueContext,
  oldText: string,
  fields: ReadonlyMap<string, string>,
  what: string,
  path: string,
): string {
  const inner = new ValueContext(ctx.location, oldText);
  const object = expectObject(inner, parseJsonSource(oldText), path, what);
  return applyEdits(oldText, objectOfStringsEdits(inner, object, fields, what, path));
}
