/**
 * What every codec provides, and the error helper they share. Internal to secret-formats.
 */
import { SecretFormatError, type SecretFormatErrorCode, type SecretLocation } from './errors.js';
import { LineIndex, type Edit } from './text.js';
import type { Credential, SecretFormatFamily, Site, SkippedEntry } from './types.js';

/** A site plus how to rewrite it. */
export interface ParsedSite {
  readonly site: Site;
  /**
   * The edits that put `credential` (already checked to be of the site's provider) in place of
   * the site's credential; fields whose value does not change get no edit. Throws
   * {@link SecretFormatError} when the credential cannot go there (another Azure account, a
   * string that cannot be encoded).
   */
  edits(credential: Credential): Edit[];
}

/** One parsed data value. */
export interface ParsedDocument {
  readonly family: SecretFormatFamily;
  readonly sites: readonly ParsedSite[];
  readonly skipped: readonly SkippedEntry[];
}

/** One format: parse text (already decoded and checked by `decodeValueText`) into sites. */
export interface Codec {
  readonly family: SecretFormatFamily;
  /** Pure. Throws {@link SecretFormatError}. */
  parse(text: string, location: SecretLocation): ParsedDocument;
}

/** Where in a value a problem is. */
export interface At {
  readonly path?: string;
  /** String offset in the value; turned into line and column. */
  readonly offset?: number;
}

/** Builds errors for one value, turning offsets into line and column. */
export class ValueContext {
  private lineIndex: LineIndex | undefined;
  constructor(
    readonly location: SecretLocation,
    readonly text: string,
  ) {}

  /** 1-based line and column of a string offset. */
  lineColumn(offset: number): { line: number; column: number } {
    this.lineIndex ??= new LineIndex(this.text);
    return this.lineIndex.at(offset);
  }

  error(code: SecretFormatErrorCode, problem: string, at: At = {}, hint?: string): SecretFormatError {
    const position = at.offset !== undefined ? this.lineColumn(at.offset) : {};
    return new SecretFormatError({
      code,
      location: this.location,
      problem,
      ...(hint !== undefined ? { hint } : {}),
      ...position,
      ...(at.path !== undefined ? { path: at.path } : {}),
    });
  }

  fail(code: SecretFormatErrorCode, problem: string, at: At = {}, hint?: string): never {
    throw this.error(code, problem, at, hint);
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Refuses a replacement that is empty or cannot be encoded as text. */
export function checkReplacementString(
  ctx: ValueContext,
  value: string,
  what: string,
  path: string,
  allowEmpty = false,
): void {
  if (value === '' && !allowEmpty) ctx.fail('InvalidCredential', `the new ${what} is empty`, { path });
  if (LONE_SURROGATE.test(value))
    ctx.fail(
      'InvalidCredential',
      `the new ${what} contains unpaired UTF-16 surrogates and cannot be written as UTF-8`,
      { path },
    );
}
