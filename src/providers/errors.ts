/**
 * ProviderError: what a provider's control or data plane refused, in a small set of kinds the
 * engine and the CLI can act on (style guide §E). Built only from a sanitized description of the
 * SDK error ({@link describeProviderError}): the message never holds key material, signatures,
 * tokens or request ids, and the SDK error is not kept as `cause` (it may hold all of those).
 */
import { describeProviderError, type SanitizedError } from './sanitize.js';
import type { CloudId, ProviderOperation } from './types.js';

export const PROVIDER_ERROR_KINDS = [
  /** The caller may not do this; `permission` names what it lacks. */
  'permission_missing',
  /** A quota: two access keys per IAM user, ten keys per service account. */
  'limit_reached',
  /** The principal, key or resource does not exist. */
  'not_found',
  /** The provider asked to slow down. */
  'throttled',
  /** No answer, or a provider-side failure: retrying may help. */
  'network',
  /** The key (or the credential used to manage keys) was rejected: unknown, inactive, deleted or wrong. */
  'invalid_key',
  /** Anything else. */
  'unknown',
] as const;
export type ProviderErrorKind = (typeof PROVIDER_ERROR_KINDS)[number];

export interface ProviderErrorFields {
  readonly provider: CloudId | 'manual';
  readonly operation: ProviderOperation | string;
  readonly kind: ProviderErrorKind;
  /** The provider's error code (`LimitExceeded`, `NoSuchEntity`, `PERMISSION_DENIED`, `AuthorizationFailed`...). */
  readonly code?: string;
  readonly status?: number;
  /** For `permission_missing`: the permission, as the provider names it (`iam:CreateAccessKey`). */
  readonly permission?: string;
  /** What to do next. */
  readonly hint?: string;
}

export class ProviderError extends Error implements ProviderErrorFields {
  override readonly name = 'ProviderError';
  readonly provider: CloudId | 'manual';
  readonly operation: string;
  readonly kind: ProviderErrorKind;
  readonly code?: string;
  readonly status?: number;
  readonly permission?: string;
  readonly hint?: string;

  /** `message` must already be sanitized (use {@link providerErrorFrom} for SDK errors). */
  constructor(fields: ProviderErrorFields, message: string) {
    super(message);
    this.provider = fields.provider;
    this.operation = fields.operation;
    this.kind = fields.kind;
    if (fields.code !== undefined) this.code = fields.code;
    if (fields.status !== undefined) this.status = fields.status;
    if (fields.permission !== undefined) this.permission = fields.permission;
    if (fields.hint !== undefined) this.hint = fields.hint;
  }

  /** Whether the same call may succeed later without any change. */
  get retryable(): boolean {
    return this.kind === 'throttled' || this.kind === 'network';
  }

  /** Plain JSON, safe to journal and print. */
  toJSON(): ProviderErrorFields & { message: string } {
    return {
      provider: this.provider,
      operation: this.operation,
      kind: this.kind,
      ...(this.code !== undefined ? { code: this.code } : {}),
      ...(this.status !== undefined ? { status: this.status } : {}),
      ...(this.permission !== undefined ? { permission: this.permission } : {}),
      ...(this.hint !== undefined ? { hint: this.hint } : {}),
      message: this.message,
    };
  }
}

/** How one cloud's SDK errors map to kinds (and which permission a denial names). */
export interface ErrorClassifier {
  kind(error: SanitizedError): ProviderErrorKind;
  /** The permission a denial names, when the message says it. */
  permission(error: SanitizedError): string | undefined;
}

/** Kinds by status and network error alone, for what a provider's codes do not settle. */
export function kindFromStatus(error: SanitizedError): ProviderErrorKind {
  if (error.network || error.name === 'TimeoutError') return 'network';
  const status = error.status;
  if (status === undefined) return 'unknown';
  if (status === 401) return 'invalid_key';
  if (status === 403) return 'permission_missing';
  if (status === 404) return 'not_found';
  if (status === 429) return 'throttled';
  if (status === 408 || status >= 500) return 'network';
  return 'unknown';
}

const DEFAULT_HINTS: Readonly<Record<ProviderErrorKind, string>> = {
  permission_missing:
    'Grant the permission named to the identity kubecost-rotate uses at the provider, then run again.',
  limit_reached:
    'Delete an unused key of the principal (or pass --delete-inactive for an inactive one), then run again.',
  not_found: 'Check the principal and the key id (and the provider endpoint), then run again.',
  throttled: 'The provider asked to slow down: run again in a minute.',
  network: 'The provider could not be reached or failed: check the endpoint and the network, then run again.',
  invalid_key: 'The key was rejected by the provider: check that it exists, is active and is the whole key.',
  unknown: 'See the provider message; run again with -v for the operation that failed.',
};

/**
 * A ProviderError from any SDK error: described and sanitized with `secrets` (every form of
 * each is cut out), classified by `classifier`. An error that already is a ProviderError is
 * returned as is.
 */
export function providerErrorFrom(
  error: unknown,
  context: { provider: CloudId | 'manual'; operation: string; subject?: string },
  classifier: ErrorClassifier,
  secrets: readonly string[] = [],
): ProviderError {
  if (error instanceof ProviderError) return error;
  const described = describeProviderError(error, secrets);
  const kind = classifier.kind(described);
  const permission = kind === 'permission_missing' ? classifier.permission(described) : undefined;
  const where = context.subject ? ` for ${context.subject}` : '';
  const what = permission ? `missing permission ${permission}` : kind.replace('_', ' ');
  return new ProviderError(
    {
      provider: context.provider,
      operation: context.operation,
      kind,
      ...(described.code ? { code: described.code } : {}),
      ...(described.status !== undefined ? { status: described.status } : {}),
      ...(permission ? { permission } : {}),
      hint: permission
        ? `Grant ${permission} to the identity kubecost-rotate uses at ${context.provider}, then run again.`
        : DEFAULT_HINTS[kind],
    },
    `${context.provider} ${context.operation}${where} failed (${what}): ${described.code ? `${described.code}: ` : ''}${described.message}`,
  );
}
