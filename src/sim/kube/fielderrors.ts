/**
 * field.Error of k8s.io/apimachinery: the causes of a 422 Invalid, with the real server's wording
 * (`Invalid value: "x": detail`, `Required value`, `Unsupported value: ...: supported values: ...`)
 * and its Go-style rendering of values.
 */
export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueNotFound'
  | 'FieldValueDuplicate'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany';

export interface FieldError {
  readonly field: string;
  readonly reason: FieldErrorType;
  readonly message: string;
}

const TYPE_TEXT: Record<FieldErrorType, string> = {
  FieldValueRequired: 'Required value',
  FieldValueNotFound: 'Not found',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
};

function sortedJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedJson);
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortedJson((value as Record<string, unknown>)[k])]),
    );
  return value;
}

/** How field.Error renders a value: %q for strings, %v for numbers and booleans, JSON for the rest (maps sorted). */
export function goValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return 'null';
  return JSON.stringify(sortedJson(value));
}

function make(field: string, reason: FieldErrorType, value: unknown, detail: string, withValue: boolean): FieldError {
  let message = TYPE_TEXT[reason];
  if (withValue) message += `: ${goValue(value)}`;
  if (detail) message += `: ${detail}`;
  return { field, reason, message };
}

export const fe = {
  required: (field: string, detail = '') => make(field, 'FieldValueRequired', undefined, detail, false),
  notFound: (field: string, value: unknown) => make(field, 'FieldValueNotFound', value, '', true),
  duplicate: (field: string, value: unknown) => make(field, 'FieldValueDuplicate', value, '', true),
  invalid: (field: string, value: unknown, detail: string) => make(field, 'FieldValueInvalid', value, detail, true),
  /** An Invalid cause whose value is already rendered (Go structs printed with %#v). */
  invalidRendered: (field: string, rendered: string, detail: string) => ({
    field,
    reason: 'FieldValueInvalid' as const,
    message: `Invalid value: ${rendered}: ${detail}`,
  }),
  notSupported: (field: string, value: unknown, supported: readonly string[]) =>
    make(
      field,
      'FieldValueNotSupported',
      value,
      supported.length > 0 ? `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}` : '',
      true,
    ),
  forbidden: (field: string, detail: string) => make(field, 'FieldValueForbidden', undefined, detail, false),
  tooLong: (field: string, max: number) =>
    make(field, 'FieldValueTooLong', undefined, `may not be more than ${max} ${max === 1 ? 'byte' : 'bytes'}`, false),
};

// ------------------------------------------------------------------ k8s.io/apimachinery/pkg/util/validation

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const C_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function regexError(message: string, regex: string, ...examples: string[]): string {
  if (examples.length === 0) return `${message} (regex used for validation is '${regex}')`;
  return `${message} (e.g. ${examples.map((e) => `'${e}'`).join(',  or ')}, regex used for validation is '${regex}')`;
}

const maxLen = (n: number) => `must be no more than ${n} characters`;

export function isDNS1123Label(value: string): string[] {
  const out: string[] = [];
  if (value.length > 63) out.push(maxLen(63));
  if (!DNS1123_LABEL.test(value))
    out.push(
      DNS1123_SUBDOMAIN.test(value)
        ? 'must not contain dots'
        : regexError(
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
            '[a-z0-9]([-a-z0-9]*[a-z0-9])?',
            'my-name',
            '123-abc',
          ),
    );
  return out;
}

export function isDNS1123Subdomain(value: string): string[] {
  const out: string[] = [];
  if (value.length > 253) out.push(maxLen(253));
  if (!DNS1123_SUBDOMAIN.test(value))
    out.push(
      regexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*',
        'example.com',
      ),
    );
  return out;
}

/** Label keys, annotation keys, finalizers: an optional DNS subdomain prefix and a name part. */
export function isQualifiedName(value: string): string[] {
  const parts = value.split('/');
  let name: string;
  const out: string[] = [];
  if (parts.length === 1) name = parts[0] ?? '';
  else if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    name = parts[1] ?? '';
    if (prefix.length === 0) out.push('prefix part must be non-empty');
    else for (const msg of isDNS1123Subdomain(prefix)) out.push(`prefix part ${msg}`);
  } else {
    return [
      `${regexError(
        "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]',
        'MyName',
        'my.name',
        '123-abc',
      )} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) out.push('name part must be non-empty');
  else if (name.length > 63) out.push(`name part ${maxLen(63)}`);
  if (!QUALIFIED_NAME.test(name))
    out.push(
      regexError(
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]',
        'MyName',
        'my.name',
        '123-abc',
      ),
    );
  return out;
}

export function isValidLabelValue(value: string): string[] {
  const out: string[] = [];
  if (value.length > 63) out.push(maxLen(63));
  if (!LABEL_VALUE.test(value))
    out.push(
      regexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?',
        'MyValue',
        'my_value',
        '12345',
      ),
    );
  return out;
}

export function isConfigMapKey(value: string): string[] {
  const out: string[] = [];
  if (value.length > 253) out.push(maxLen(253));
  if (!CONFIG_KEY.test(value))
    out.push(
      regexError(
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
        '[-._a-zA-Z0-9]+',
        'key.name',
        'KEY_NAME',
        'key-name',
      ),
    );
  if (value === '.') out.push("must not be '.'");
  else if (value === '..') out.push("must not be '..'");
  else if (value.startsWith('..')) out.push("must not start with '..'");
  return out;
}

/** IsValidPortName: an IANA_SVC_NAME. */
export function isValidPortName(port: string): string[] {
  const out: string[] = [];
  if (port.length > 15) out.push(maxLen(15));
  if (!/^[-a-z0-9]+$/.test(port)) out.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(port)) out.push('must contain at least one letter (a-z)');
  if (port.includes('--')) out.push('must not contain consecutive hyphens');
  if (port.length > 0 && (port.startsWith('-') || port.endsWith('-'))) out.push('must not begin or end with a hyphen');
  return out;
}

/** RelaxedEnvironmentVariableValidation (on by default since 1.32). */
export function isEnvVarName(value: string): string[] {
  if (value.length === 0 || !/^[\x20-\x3c\x3e-\x7e]+$/.test(value))
    return ["a valid environment variable name must consist only of printable ASCII characters other than '='"];
  return [];
}

export function isCIdentifier(value: string): boolean {
  return C_IDENTIFIER.test(value);
}

export function isPortNumber(port: number): string[] {
  return port >= 1 && port <= 65535 ? [] : ['must be between 1 and 65535, inclusive'];
}
