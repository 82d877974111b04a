/**
 * From bytes to text and back: the checks every format shares (size, binary, UTF-8), offsets to
 * line and column, and splicing edits into a text.
 */
import { SecretFormatError, type SecretLocation } from './errors.js';

/** Kubernetes refuses Secrets over 1 MiB, so no real data value is larger. */
export const MAX_VALUE_BYTES = 1024 * 1024;

/**
 * Decodes one Secret data value as UTF-8 text, refusing what no format here can be: too large,
 * empty or blank, binary (control bytes), or invalid UTF-8. A byte order mark is kept in the
 * string so that offsets map back to the exact bytes. Pure.
 */
export function decodeValueText(bytes: Uint8Array, location: SecretLocation): string {
  if (bytes.length > MAX_VALUE_BYTES) {
    throw new SecretFormatError({
      code: 'ValueTooLarge',
      location,
      problem: `the value is ${bytes.length} bytes; a Kubernetes Secret holds at most ${MAX_VALUE_BYTES} bytes, so this is not a Kubecost configuration file`,
    });
  }
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] ?? 0;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) {
      const { line, column } = lineColumnOfByte(bytes, i);
      throw new SecretFormatError({
        code: 'BinaryContent',
        location,
        line,
        column,
        problem: `the value holds a control byte (0x${b.toString(16).padStart(2, '0')}) at byte ${i}: it is binary data, not a JSON or YAML document (was it base64-encoded twice, or compressed?)`,
      });
    }
  }
  const bad = firstInvalidUtf8(bytes);
  if (bad !== undefined) {
    const { line, column } = lineColumnOfByte(bytes, bad);
    throw new SecretFormatError({
      code: 'InvalidUtf8',
      location,
      line,
      column,
      problem: `the value is not valid UTF-8 (first bad byte at offset ${bad}); Kubecost reads these files as UTF-8`,
      hint: 'Re-save the file as UTF-8 and re-create the Secret from it.',
    });
  }
  const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  if (text.replace(/^\uFEFF/, '').trim() === '') {
    throw new SecretFormatError({
      code: 'EmptyValue',
      location,
      problem: bytes.length === 0 ? 'the value is empty' : 'the value holds only whitespace',
    });
  }
  return text;
}

/** Encodes text as UTF-8 bytes. */
export function encodeText(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'utf8'));
}

/** Returns the byte offset of the first byte that breaks UTF-8 (including overlong forms and surrogates), or undefined. */
export function firstInvalidUtf8(bytes: Uint8Array): number | undefined {
  let i = 0;
  const at = (k: number): number => bytes[k] ?? -1;
  const cont = (k: number): boolean => (at(k) & 0xc0) === 0x80 && at(k) >= 0;
  while (i < bytes.length) {
    const b = at(i);
    if (b < 0x80) {
      i++;
    } else if (b >= 0xc2 && b <= 0xdf) {
      if (!cont(i + 1)) return i;
      i += 2;
    } else if (b >= 0xe0 && b <= 0xef) {
      const b1 = at(i + 1);
      if (!cont(i + 1) || !cont(i + 2)) return i;
      if (b === 0xe0 && b1 < 0xa0) return i; // overlong
      if (b === 0xed && b1 >= 0xa0) return i; // UTF-16 surrogate
      i += 3;
    } else if (b >= 0xf0 && b <= 0xf4) {
      const b1 = at(i + 1);
      if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return i;
      if (b === 0xf0 && b1 < 0x90) return i; // overlong
      if (b === 0xf4 && b1 >= 0x90) return i; // beyond U+10FFFF
      i += 4;
    } else {
      return i;
    }
  }
  return undefined;
}

function lineColumnOfByte(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** Maps string offsets to 1-based line and column. */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  at(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (this.starts[lo] ?? 0) + 1 };
  }
}

/** Replaces `text[start, end)` by `text`. */
export interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** Applies non-overlapping edits to `text`. Throws on overlap (a bug). */
export function applyEdits(text: string, edits: readonly Edit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  let out = '';
  let pos = 0;
  for (const edit of sorted) {
    if (edit.start < pos) throw new Error('overlapping edits');
    out += text.slice(pos, edit.start) + edit.text;
    pos = edit.end;
  }
  return out + text.slice(pos);
}
