/**
 * Writes a new value into a YAML scalar in the style the old one had (plain, single-quoted,
 * double-quoted, literal or folded block, with its chomping, indentation and header comment), so
 * that a rotation changes only the scalar's characters. Falls back to double quotes when a value
 * cannot be written in the old style (a plain scalar cannot hold `: `, a single-quoted one cannot
 * hold a line break). Internal to secret-formats.
 */
import { parseDocument, isMap, isScalar, type Scalar } from 'yaml';
import type { Edit } from './text.js';

/** Where the scalar sits. */
export interface ScalarContext {
  /** Inside a flow mapping (`{…}`), where `,[]{}` end a plain scalar. */
  readonly inFlow: boolean;
}

/**
 * The edit that makes `node` (parsed from `text`) hold `value`; none when its value is already
 * `value`. The caller checks that the result re-parses to `value`.
 */
export function scalarEdit(
  text: string,
  node: Scalar,
  currentValue: string,
  value: string,
  context: ScalarContext,
): Edit[] {
  if (currentValue === value) return [];
  const [start, end] = node.range ?? [0, 0];
  const source = text.slice(start, end);
  return [{ start, end, text: renderScalar(text, start, source, node.type, value, context) }];
}

function renderScalar(
  text: string,
  start: number,
  source: string,
  type: Scalar['type'],
  value: string,
  context: ScalarContext,
): string {
  switch (type) {
    case 'PLAIN':
      return isSafePlain(value, context) ? value : doubleQuoted(value);
    case 'QUOTE_SINGLE':
      return canSingleQuote(value) ? `'${value.replaceAll("'", "''")}'` : doubleQuoted(value);
    case 'BLOCK_LITERAL':
    case 'BLOCK_FOLDED':
      return renderBlock(text, start, source, type, value) ?? doubleQuoted(value);
    default:
      return doubleQuoted(value);
  }
}

/** Characters YAML does not allow unescaped (outside c-printable), plus line breaks. */
// eslint-disable-next-line no-control-regex
const NON_PRINTABLE = /[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029\ufeff]/;

function canSingleQuote(value: string): boolean {
  return !NON_PRINTABLE.test(value) && !value.includes('\t');
}

/** Whether `value` written bare reads back as the same string, in this context. */
function isSafePlain(value: string, context: ScalarContext): boolean {
  if (value === '' || value !== value.trim() || NON_PRINTABLE.test(value) || value.includes('\t')) return false;
  const probe = context.inFlow ? `{k: ${value}}\n` : `k: ${value}\n`;
  const doc = parseDocument(probe, { prettyErrors: false, uniqueKeys: false });
  if (doc.errors.length > 0 || !isMap(doc.contents) || doc.contents.items.length !== 1) return false;
  const scalar = doc.contents.items[0]?.value;
  if (!isScalar(scalar) || scalar.type !== 'PLAIN' || scalar.value === null || scalar.tag !== undefined) return false;
  const range = scalar.range ?? [0, 0];
  return probe.slice(range[0], range[1]) === value;
}

/** A double-quoted scalar holding `value` exactly. */
export function doubleQuoted(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case '\\':
        out += '\\\\';
        break;
      case '"':
        out += '\\"';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\r':
        out += '\\r';
        break;
      default:
        if (code < 0x20 || code === 0x7f || code === 0x85) out += `\\x${code.toString(16).padStart(2, '0')}`;
        else if (code === 0x2028 || code === 0x2029 || code === 0xfeff)
          out += `\\u${code.toString(16).padStart(4, '0')}`;
        else out += ch;
    }
  }
  return `${out}"`;
}

const HEADER = /^([|>])([1-9]?)([+-]?)([1-9]?)([^\r\n]*)/;

/**
 * Renders a block scalar in the old one's style, or undefined when the value cannot be one (a
 * carriage return, nothing but line breaks, an indentation the indicator cannot express).
 */
function renderBlock(
  text: string,
  start: number,
  source: string,
  type: 'BLOCK_LITERAL' | 'BLOCK_FOLDED',
  value: string,
): string | undefined {
  const header = HEADER.exec(source);
  if (!header || value.includes('\r') || NON_PRINTABLE.test(value.replaceAll('\n', ''))) return undefined;
  const [, , indicatorA = '', , indicatorB = '', headerRest = ''] = header;
  const oldIndicator = indicatorA || indicatorB;
  const nl = source.includes('\r\n') ? '\r\n' : '\n';
  const keyIndent = indentationOfLineAt(text, start);
  const contentIndent = oldIndicator ? keyIndent + Number(oldIndicator) : measuredIndent(source, nl);
  if (contentIndent === undefined) return undefined;

  const trailing = /\n*$/.exec(value)?.[0].length ?? 0;
  const body = value.slice(0, value.length - trailing);
  if (body.trim() === '') return undefined;
  const chomp = trailing === 0 ? '-' : trailing === 1 ? '' : '+';
  const lines = body.split('\n');
  // A folded scalar would join our lines with spaces; keep `>` only for one line.
  const style = type === 'BLOCK_FOLDED' && lines.length === 1 ? '>' : '|';
  const firstContent = lines.find((l) => l !== '') ?? '';
  const needsIndicator = firstContent.startsWith(' ') || Boolean(oldIndicator);
  const indicator = needsIndicator ? contentIndent - keyIndent : 0;
  if (needsIndicator && (indicator < 1 || indicator > 9)) return undefined;

  let out = `${style}${needsIndicator ? String(indicator) : ''}${chomp}${headerRest}${nl}`;
  out += lines.map((l) => (l === '' ? '' : ' '.repeat(contentIndent) + l)).join(nl) + nl;
  out += nl.repeat(Math.max(0, trailing - 1));
  if (!source.endsWith('\n')) out = out.slice(0, out.length - nl.length);
  return out;
}

/** Leading spaces of the line that contains `offset`. */
function indentationOfLineAt(text: string, offset: number): number {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^ */.exec(text.slice(lineStart))?.[0].length ?? 0;
}

/** Indentation of the first non-blank content line of a block scalar's source. */
function measuredIndent(source: string, nl: string): number | undefined {
  const lines = source.split(nl).slice(1);
  const first = lines.find((l) => l.trim() !== '');
  return first === undefined ? undefined : (/^ */.exec(first)?.[0].length ?? 0);
}
