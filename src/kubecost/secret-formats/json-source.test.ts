import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  childPath,
  encodeJsonString,
  JsonSyntaxError,
  MAX_JSON_DEPTH,
  parseJsonSource,
  type JsonObject,
} from './json-source.js';

function syntaxError(text: string): JsonSyntaxError {
  try {
    parseJsonSource(text);
  } catch (error: unknown) {
    if (error instanceof JsonSyntaxError) return error;
    throw error;
  }
  throw new Error('expected a syntax error');
}

describe('parseJsonSource', () => {
  it('records the exact source range of every string token', () => {
    const text = '{ "a" : "x\\/y",\n  "b": ["\\u0041", 1.5e3, true, null] }';
    const root = parseJsonSource(text) as JsonObject;
    const [a, b] = root.members;
    expect(text.slice(a!.key.start, a!.key.end)).toBe('"a"');
    expect(a!.value.kind === 'string' && a!.value.value).toBe('x/y');
    expect(text.slice(a!.value.start, a!.value.end)).toBe('"x\\/y"');
    expect(b!.value.kind).toBe('array');
    expect(text.slice(b!.value.start, b!.value.end)).toBe('["\\u0041", 1.5e3, true, null]');
    expect(root.start).toBe(0);
    expect(root.end).toBe(text.length);
  });

  it('decodes every escape, including surrogate pairs', () => {
    const node = parseJsonSource('"\\"\\\\\\/\\b\\f\\n\\r\\t\\ud83d\\ude00"');
    expect(node.kind === 'string' && node.value).toBe('"\\/\b\f\n\r\t😀');
  });

  it('decodes what JSON.parse decodes, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value, null, 1);
        const node = parseJsonSource(text);
        expect(node.start).toBe(0);
        expect(node.end).toBe(text.length);
      }),
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const node = parseJsonSource(encodeJsonString(s));
        expect(node.kind === 'string' && node.value).toBe(s);
      }),
    );
  });

  const bad: Record<string, [string, RegExp]> = {
    'refuses a trailing comma in an object': ['{"a": 1,}', /trailing commas/],
    'refuses a trailing comma in an array': ['[1,]', /trailing commas/],
    'refuses comments': ['{"a": 1 // no\n}', /comment/],
    'refuses single-quoted strings': ["{'a': 1}", /single quotes/],
    'refuses a truncated document': ['{"a": {"b": "c"', /truncated/],
    'refuses a raw line break inside a string': ['"a\nb"', /raw control character/],
    'refuses an unknown escape': ['"\\x41"', /invalid escape/],
    'refuses a short \\u escape': ['"\\u12"', /four hex digits/],
    'refuses numbers with leading zeros': ['[01]', /malformed/],
    'refuses text after the value': ['{} {}', /after the end/],
    'refuses bare words': ['{"a": yes}', /unexpected word/],
  };
  for (const [name, [text, message]] of Object.entries(bad)) {
    it(name, () => {
      expect(syntaxError(text).problem).toMatch(message);
    });
  }

  it('refuses duplicate keys and names the path and offset of the second one', () => {
    const text = '{"aws": {"athena": [{"id": "a", "id": "b"}]}}';
    const error = syntaxError(text);
    expect(error.duplicateKey).toBe(true);
    expect(error.path).toBe('aws.athena[0].id');
    expect(error.offset).toBe(text.lastIndexOf('"id"'));
  });

  it('refuses nesting deeper than the limit without overflowing the stack', () => {
    const deep = `${'['.repeat(MAX_JSON_DEPTH + 2)}${']'.repeat(MAX_JSON_DEPTH + 2)}`;
    expect(syntaxError(deep).problem).toMatch(/nested more than/);
    expect(() => parseJsonSource(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`)).not.toThrow();
  });

  it('never puts the text it failed on into the error', () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG';
    for (const text of [
      `{"secret": "${secret}`,
      `{"secret": '${secret}'}`,
      `{"secret": ${secret}}`,
      `{"s": "${secret}\n"}`,
    ]) {
      expect(syntaxError(text).message).not.toContain(secret);
    }
  });
});

describe('childPath', () => {
  it('writes dotted keys, indexes and quoted odd keys', () => {
    expect(childPath('$', 'aws')).toBe('aws');
    expect(childPath('aws', 'athena')).toBe('aws.athena');
    expect(childPath('aws.athena', 0)).toBe('aws.athena[0]');
    expect(childPath('$', 0)).toBe('[0]');
    expect(childPath('a', 'b c')).toBe('a["b c"]');
  });
});
