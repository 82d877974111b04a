/**
 * Patterns for recorded answers: a plain value must be equal, an object pattern names only the
 * fields that matter (others may be there), an array pattern must match element by element, and
 * matchers cover what varies (uids, resourceVersions, times, generated names).
 */
export class Matcher {
  constructor(
    readonly description: string,
    /** undefined when the value matches, else why not. */
    readonly check: (value: unknown, present: boolean) => string | undefined,
  ) {}
}

const show = (value: unknown): string => {
  const text = JSON.stringify(value);
  return text === undefined ? 'undefined' : text.length > 160 ? `${text.slice(0, 160)}…` : text;
};

const typeOf = (value: unknown): string => (Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value);

export const any = new Matcher('anything present', (_v, present) => (present ? undefined : 'missing'));
export const absent = new Matcher('absent', (v, present) => (present ? `present (${show(v)})` : undefined));
export const str = new Matcher('a string', (v) => (typeof v === 'string' ? undefined : `not a string: ${show(v)}`));
export const nonEmpty = new Matcher('a non-empty string', (v) =>
  typeof v === 'string' && v.length > 0 ? undefined : `not a non-empty string: ${show(v)}`,
);
export const int = new Matcher('an integer', (v) => (Number.isInteger(v) ? undefined : `not an integer: ${show(v)}`));
export const uuid = re(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
export const rfc3339 = re(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
export const microTime = re(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
export const resourceVersion = re(/^\d+$/);

export function re(pattern: RegExp): Matcher {
  return new Matcher(`matching ${String(pattern)}`, (v) =>
    typeof v === 'string' && pattern.test(v) ? undefined : `${show(v)} does not match ${String(pattern)}`,
  );
}

export function oneOf(...patterns: unknown[]): Matcher {
  return new Matcher(`one of ${patterns.map(show).join(', ')}`, (v, present) =>
    patterns.some((p) => mismatches(p, v, '', present).length === 0) ? undefined : `${show(v)} is none of them`,
  );
}

/** An array holding an element matching each pattern (in any order, others allowed). */
export function containing(...patterns: unknown[]): Matcher {
  return new Matcher(`an array containing ${patterns.map(show).join(', ')}`, (v) => {
    if (!Array.isArray(v)) return `not an array: ${show(v)}`;
    const missing = patterns.filter((p) => !v.some((item) => mismatches(p, item).length === 0));
    return missing.length === 0 ? undefined : `no element matches ${missing.map(show).join(', ')}`;
  });
}

/** An array whose every element matches, of the given length when one is given. */
export function each(pattern: unknown, length?: number): Matcher {
  return new Matcher(`an array of ${show(pattern)}`, (v) => {
    if (!Array.isArray(v)) return `not an array: ${show(v)}`;
    if (length !== undefined && v.length !== length) return `length ${v.length}, expected ${length}`;
    const bad = v.map((item, i) => mismatches(pattern, item, `[${i}]`)).flat();
    return bad.length === 0 ? undefined : bad.join('; ');
  });
}

export function length(n: number): Matcher {
  return new Matcher(`of length ${n}`, (v) =>
    (Array.isArray(v) || typeof v === 'string') && v.length === n
      ? undefined
      : `length ${Array.isArray(v) || typeof v === 'string' ? v.length : 'n/a'}, expected ${n}`,
  );
}

/** Every mismatch between `pattern` and `value`, each naming its JSON path; empty when they match. */
export function mismatches(pattern: unknown, value: unknown, path = '', present = value !== undefined): string[] {
  const at = path || '$';
  if (pattern instanceof Matcher) {
    const why = pattern.check(value, present);
    return why === undefined ? [] : [`${at}: ${why}`];
  }
  if (!present) return [`${at}: missing, expected ${show(pattern)}`];
  if (Array.isArray(pattern)) {
    if (!Array.isArray(value)) return [`${at}: expected an array, got ${typeOf(value)} ${show(value)}`];
    if (value.length !== pattern.length)
      return [`${at}: expected ${pattern.length} elements, got ${value.length}: ${show(value)}`];
    return pattern.flatMap((p, i) => mismatches(p, value[i], `${path}[${i}]`));
  }
  if (typeof pattern === 'object' && pattern !== null) {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return [`${at}: expected an object, got ${typeOf(value)} ${show(value)}`];
    const record = value as Record<string, unknown>;
    return Object.entries(pattern).flatMap(([key, p]) =>
      mismatches(p, record[key], `${path}.${key}`, Object.prototype.hasOwnProperty.call(record, key)),
    );
  }
  return Object.is(pattern, value) ? [] : [`${at}: expected ${show(pattern)}, got ${show(value)}`];
}
