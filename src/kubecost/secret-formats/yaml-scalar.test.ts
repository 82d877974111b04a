import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMap, isScalar, parseDocument, type Scalar } from 'yaml';
import { applyEdits } from './text.js';
import { doubleQuoted, scalarEdit } from './yaml-scalar.js';

/** Rewrites the scalar under `config.k` of `text` and returns the new text. */
function rewrite(text: string, value: string): string {
  const doc = parseDocument(text, { prettyErrors: false });
  const config = doc.get('config', true);
  if (!isMap(config)) throw new Error('fixture has no config mapping');
  const node = config.get('k', true) as Scalar;
  return applyEdits(text, scalarEdit(text, node, String(node.value), value, { inFlow: Boolean(config.flow) }));
}

/** Characters Go's YAML 1.1 reader refuses raw, or reads as line breaks. */
// eslint-disable-next-line no-control-regex
const RAW_FORBIDDEN = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x85\u2028\u2029\ufeff]/;

function valueOf(text: string): unknown {
  expect(text).not.toMatch(RAW_FORBIDDEN);
  const doc = parseDocument(text, { prettyErrors: false });
  expect(doc.errors).toEqual([]);
  const node = doc.getIn(['config', 'k'], true);
  return isScalar(node) ? node.value : undefined;
}

describe('scalarEdit', () => {
  const cases: Record<string, [before: string, value: string, after: string]> = {
    'keeps a plain scalar plain and its comment': [
      'config:\n  k: old   # note\n  x: 1\n',
      'new/key+AB==',
      'config:\n  k: new/key+AB==   # note\n  x: 1\n',
    ],
    'quotes a plain scalar whose new value would read as a comment': [
      'config:\n  k: old\n',
      'a #b',
      'config:\n  k: "a #b"\n',
    ],
    'quotes a plain scalar whose new value would read as null': [
      'config:\n  k: old\n',
      'null',
      'config:\n  k: "null"\n',
    ],
    'quotes a plain scalar whose new value holds ": "': ['config:\n  k: old\n', 'a: b', 'config:\n  k: "a: b"\n'],
    'quotes a plain scalar in a flow mapping when the value holds a comma': [
      'config: {k: old, x: 1}\n',
      'a,b',
      'config: {k: "a,b", x: 1}\n',
    ],
    'keeps single quotes and doubles an apostrophe': ["config:\n  k: 'old'\n", "it's", "config:\n  k: 'it''s'\n"],
    'switches single quotes to double quotes for a line break': [
      "config:\n  k: 'old'\n",
      'a\nb',
      'config:\n  k: "a\\nb"\n',
    ],
    'keeps double quotes and escapes quotes and backslashes': [
      'config:\n  k: "old"\n',
      'a"b\\c',
      'config:\n  k: "a\\"b\\\\c"\n',
    ],
    'keeps a literal block, its indentation and its clip chomping': [
      'config:\n  k: |\n    old1\n    old2\n  x: 1\n',
      'new1\nnew2\n',
      'config:\n  k: |\n    new1\n    new2\n  x: 1\n',
    ],
    'keeps strip chomping and the header comment': [
      'config:\n  k: |-  # the key\n      old\n  x: 1\n',
      '{\n  "a": 1\n}',
      'config:\n  k: |-  # the key\n      {\n        "a": 1\n      }\n  x: 1\n',
    ],
    'changes the chomping only when the new value needs it': [
      'config:\n  k: |\n    old\n',
      'new',
      'config:\n  k: |-\n    new\n',
    ],
    'adds an indentation indicator when the value starts with a space': [
      'config:\n  k: |\n    old\n',
      ' lead\nx\n',
      'config:\n  k: |2\n     lead\n    x\n',
    ],
    'keeps CRLF line breaks inside a block scalar': [
      'config:\r\n  k: |\r\n    old\r\n  x: 1\r\n',
      'a\nb\n',
      'config:\r\n  k: |\r\n    a\r\n    b\r\n  x: 1\r\n',
    ],
    'keeps a one-line folded block folded': ['config:\n  k: >-\n    old\n', 'new', 'config:\n  k: >-\n    new\n'],
    'turns a folded block into a literal one for a multi-line value': [
      'config:\n  k: >\n    old\n',
      'a\nb\n',
      'config:\n  k: |\n    a\n    b\n',
    ],
    'writes a block scalar at the end of a file without a final newline': [
      'config:\n  k: |-\n    old',
      'new',
      'config:\n  k: |-\n    new',
    ],
  };
  for (const [name, [before, value, after]] of Object.entries(cases)) {
    it(name, () => {
      const out = rewrite(before, value);
      expect(out).toBe(after);
      expect(valueOf(out)).toBe(value);
    });
  }

  it('leaves the text alone when the value does not change', () => {
    const text = 'config:\n  k: "a\\x41"\n';
    expect(rewrite(text, 'aA')).toBe(text);
  });

  it('writes any printable string into any style so that it reads back the same', () => {
    const styles = [
      'config:\n  k: old\n',
      "config:\n  k: 'old'\n",
      'config:\n  k: "old"\n',
      'config:\n  k: |\n    old\n',
      'config:\n  k: >\n    old\n',
      'config: {k: old}\n',
    ];
    fc.assert(
      fc.property(fc.constantFrom(...styles), fc.string({ unit: 'grapheme', minLength: 1 }), (style, value) => {
        expect(valueOf(rewrite(style, value))).toBe(value);
      }),
      { numRuns: 500 },
    );
  });

  it('writes strings with control characters and any code point so that they read back the same', () => {
    const styles = [
      'config:\n  k: old\n',
      "config:\n  k: 'old'\n",
      'config:\n  k: |-\n    old\n',
      'config: {k: old}\n',
    ];
    const wellFormed = (s: string): boolean =>
      !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
    fc.assert(
      fc.property(
        fc.constantFrom(...styles),
        fc.string({ unit: 'binary', minLength: 1 }).filter(wellFormed),
        (style, value) => {
          expect(valueOf(rewrite(style, value))).toBe(value);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('doubleQuoted', () => {
  it('escapes control characters, line separators and the byte order mark', () => {
    expect(doubleQuoted('\u0000\u0007\u007f\u0085\u2028\ufeff\t')).toBe('"\\x00\\x07\\x7f\\x85\\u2028\\ufeff\\t"');
  });
});
