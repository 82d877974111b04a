/**
 * A strict JSON parser (RFC 8259, as Go's encoding/json accepts it) that keeps the source offsets
 * of every value, so a codec can splice one string token and leave every other byte alone, and
 * that refuses duplicate keys. Offsets are indexes into the JavaScript string.
 */

interface JsonBase {
  /** Offset of the value's first character. */
  readonly start: number;
  /** Offset just past the value's last character. */
  readonly end: number;
}

export interface JsonObject extends JsonBase {
  readonly kind: 'object';
  readonly members: readonly JsonMember[];
}

export interface JsonMember {
  readonly key: JsonString;
  readonly value: JsonNode;
}

export interface JsonArray extends JsonBase {
  readonly kind: 'array';
  readonly items: readonly JsonNode[];
}

export interface JsonString extends JsonBase {
  readonly kind: 'string';
  /** The decoded string. */
  readonly value: string;
}

export interface JsonNumber extends JsonBase {
  readonly kind: 'number';
}

export interface JsonLiteral extends JsonBase {
  readonly kind: 'true' | 'false' | 'null';
}

export type JsonNode = JsonObject | JsonArray | JsonString | JsonNumber | JsonLiteral;

/** A JSON value's kind, in words, for messages. */
export function describeJsonKind(node: JsonNode): string {
  switch (node.kind) {
    case 'object':
      return 'an object';
    case 'array':
      return 'an array';
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'null':
      return 'null';
    default:
      return 'a boolean';
  }
}

/** Why a text is not valid JSON. `problem` never quotes the text. */
export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
  constructor(
    readonly problem: string,
    /** Offset of the offending character. */
    readonly offset: number,
    /** Path of the value being read, for example `aws.athena[0]`. */
    readonly path: string,
    readonly duplicateKey: boolean = false,
  ) {
    super(problem);
  }
}

/** Deeper nesting than this is refused: no Kubecost file comes close, and it bounds recursion. */
export const MAX_JSON_DEPTH = 64;

/** Formats a path: `$` for the root, then `.key` or `[index]`; keys that are not identifiers are quoted. */
export function childPath(parent: string, step: string | number): string {
  if (typeof step === 'number') return `${parent === '$' ? '' : parent}[${step}]`;
  const key = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(step) ? step : JSON.stringify(step);
  if (parent === '$') return key.startsWith('"') ? `[${key}]` : key;
  return key.startsWith('"') ? `${parent}[${key}]` : `${parent}.${key}`;
}

/** Parses `text` as one JSON value. Throws {@link JsonSyntaxError}. */
export function parseJsonSource(text: string): JsonNode {
  const parser = new Parser(text);
  parser.skipWhitespace();
  const value = parser.parseValue('$', 0);
  parser.skipWhitespace();
  if (parser.pos < text.length) parser.fail('unexpected text after the end of the JSON value', '$');
  return value;
}

const HEX = /^[0-9a-fA-F]{4}$/;

class Parser {
  pos = 0;
  constructor(private readonly text: string) {}

  fail(problem: string, path: string, offset = this.pos, duplicateKey = false): never {
    throw new JsonSyntaxError(problem, offset, path, duplicateKey);
  }

  skipWhitespace(): void {
    const { text } = this;
    while (this.pos < text.length) {
      const c = text.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.pos++;
      else break;
    }
  }

  parseValue(path: string, depth: number): JsonNode {
    if (depth > MAX_JSON_DEPTH) this.fail(`values are nested more than ${MAX_JSON_DEPTH} levels deep`, path);
    const { text } = this;
    if (this.pos >= text.length) this.fail('the JSON ends where a value was expected (is it truncated?)', path);
    const c = text[this.pos];
    switch (c) {
      case '{':
        return this.parseObject(path, depth);
      case '[':
        return this.parseArray(path, depth);
      case '"':
        return this.parseString(path);
      case 't':
        return this.parseLiteral('true', path);
      case 'f':
        return this.parseLiteral('false', path);
      case 'n':
        return this.parseLiteral('null', path);
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.parseNumber(path);
        if (c === "'") return this.fail('a string is in single quotes; JSON needs double quotes', path);
        if (c === '/') return this.fail('a comment; JSON has no comments', path);
        if (c !== undefined && /[A-Za-z]/.test(c))
          return this.fail('unexpected word where a value was expected (strings need double quotes)', path);
        return this.fail('unexpected character where a value was expected', path);
    }
  }

  private parseObject(path: string, depth: number): JsonObject {
    const start = this.pos;
    this.pos++;
    const members: JsonMember[] = [];
    const seen = new Set<string>();
    this.skipWhitespace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return { kind: 'object', members, start, end: this.pos };
    }
    for (;;) {
      this.skipWhitespace();
      const ch = this.text[this.pos];
      if (ch !== '"') {
        if (ch === '}') this.fail('a comma before "}" (trailing commas are not JSON)', path);
        if (ch === undefined) this.fail('the JSON ends inside an object (is it truncated?)', path);
        if (ch === "'") this.fail('a key is in single quotes; JSON needs double quotes', path);
        if (ch === '/') this.fail('a comment; JSON has no comments', path);
        this.fail('expected a key in double quotes', path);
      }
      const key = this.parseString(path);
      const valuePath = childPath(path, key.value);
      if (seen.has(key.value))
        this.fail('this key appears more than once in the same object', valuePath, key.start, true);
      seen.add(key.value);
      this.skipWhitespace();
      if (this.text[this.pos] !== ':') {
        if (this.pos >= this.text.length) this.fail('the JSON ends inside an object (is it truncated?)', valuePath);
        this.fail('expected ":" after the key', valuePath);
      }
      this.pos++;
      this.skipWhitespace();
      const value = this.parseValue(valuePath, depth + 1);
      members.push({ key, value });
      this.skipWhitespace();
      const next = this.text[this.pos];
      if (next === ',') {
        this.pos++;
        continue;
      }
      if (next === '}') {
        this.pos++;
        return { kind: 'object', members, start, end: this.pos };
      }
      if (next === undefined) this.fail('the JSON ends inside an object (is it truncated?)', path);
      if (next === '/') this.fail('a comment; JSON has no comments', path);
      this.fail('expected "," or "}" after a value', path);
    }
  }

  private parseArray(path: string, depth: number): JsonArray {
    const start = this.pos;
    this.pos++;
    const items: JsonNode[] = [];
    this.skipWhitespace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return { kind: 'array', items, start, end: this.pos };
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.pos] === ']') this.fail('a comma before "]" (trailing commas are not JSON)', path);
      items.push(this.parseValue(childPath(path, items.length), depth + 1));
      this.skipWhitespace();
      const next = this.text[this.pos];
      if (next === ',') {
        this.pos++;
        continue;
      }
      if (next === ']') {
        this.pos++;
        return { kind: 'array', items, start, end: this.pos };
      }
      if (next === undefined) this.fail('the JSON ends inside an array (is it truncated?)', path);
      this.fail('expected "," or "]" after a value', path);
    }
  }

  private parseString(path: string): JsonString {
    const { text } = this;
    const start = this.pos;
    this.pos++;
    let value = '';
    let chunkStart = this.pos;
    for (;;) {
      if (this.pos >= text.length) this.fail('the JSON ends inside a string (is it truncated?)', path, start);
      const c = text.charCodeAt(this.pos);
      if (c === 0x22) {
        value += text.slice(chunkStart, this.pos);
        this.pos++;
        return { kind: 'string', value, start, end: this.pos };
      }
      if (c < 0x20)
        this.fail('a string contains a raw control character or line break; escape it (\\n, \\t, \\u00XX)', path);
      if (c !== 0x5c) {
        this.pos++;
        continue;
      }
      value += text.slice(chunkStart, this.pos);
      const e = text[this.pos + 1];
      switch (e) {
        case '"':
          value += '"';
          break;
        case '\\':
          value += '\\';
          break;
        case '/':
          value += '/';
          break;
        case 'b':
          value += '\b';
          break;
        case 'f':
          value += '\f';
          break;
        case 'n':
          value += '\n';
          break;
        case 'r':
          value += '\r';
          break;
        case 't':
          value += '\t';
          break;
        case 'u': {
          const hex = text.slice(this.pos + 2, this.pos + 6);
          if (!HEX.test(hex)) this.fail('a \\u escape is not followed by four hex digits', path);
          value += String.fromCharCode(parseInt(hex, 16));
          this.pos += 4;
          break;
        }
        case undefined:
          this.fail('the JSON ends inside a string (is it truncated?)', path, start);
          break;
        default:
          this.fail('a string contains an invalid escape sequence', path);
      }
      this.pos += 2;
      chunkStart = this.pos;
    }
  }

  private parseNumber(path: string): JsonNumber {
    const rest = this.text.slice(this.pos, this.pos + 400);
    const match = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(rest);
    if (!match) this.fail('a number is malformed', path);
    const start = this.pos;
    this.pos += match[0].length;
    const next = this.text[this.pos];
    if (next !== undefined && /[0-9A-Za-z.]/.test(next))
      this.fail('a number is malformed (leading zeros, a stray letter or dot?)', path);
    return { kind: 'number', start, end: this.pos };
  }

  private parseLiteral(word: 'true' | 'false' | 'null', path: string): JsonLiteral {
    if (!this.text.startsWith(word, this.pos))
      this.fail('unexpected word where a value was expected (strings need double quotes)', path);
    const start = this.pos;
    this.pos += word.length;
    return { kind: word, start, end: this.pos };
  }
}

/** Finds a member by exact key. */
export function getMember(object: JsonObject, key: string): JsonMember | undefined {
  return object.members.find((m) => m.key.value === key);
}

/**
 * Finds a member the way Go's JSON decoding matches struct fields: case-insensitively. Callers
 * check beforehand that no two keys differ only in case (see `findCaseInsensitiveDuplicate`).
 */
export function getMemberFold(object: JsonObject, key: string): JsonMember | undefined {
  const lower = key.toLowerCase();
  return (
    object.members.find((m) => m.key.value === key) ?? object.members.find((m) => m.key.value.toLowerCase() === lower)
  );
}

/** Returns the second of two keys that differ only in letter case, if any. */
export function findCaseInsensitiveDuplicate(object: JsonObject): JsonMember | undefined {
  const seen = new Set<string>();
  for (const member of object.members) {
    const lower = member.key.value.toLowerCase();
    if (seen.has(lower)) return member;
    seen.add(lower);
  }
  return undefined;
}

/** Encodes a string as a JSON string token. */
export function encodeJsonString(value: string): string {
  return JSON.stringify(value);
}
