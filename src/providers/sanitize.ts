/**
 * Provider errors are sanitized before they travel (DESIGN §4 invariant 5, §5; style guide §F):
 * request ids, signatures, `Credential=` fragments, tokens, private keys and any echo of the
 * secret in use are cut out of the text, whatever SDK or server produced it.
 */

const REDACTED = '[redacted]';
/** Longest message kept (the start of a provider message says what went wrong). */
const MAX_MESSAGE_LENGTH = 1000;
/** Secrets shorter than this are not searched for (they would match ordinary words). */
const MIN_SECRET_LENGTH = 6;

/** [pattern, replacement] in the order they run. Each is written against a real provider's text. */
const RULES: readonly (readonly [RegExp, string])[] = [
  // PEM blocks, raw or JSON-escaped, complete or cut off.
  [/-----BEGIN [A-Z0-9 ]+-----[\s\S]*?-----END [A-Z0-9 ]+-----(\\n)?/g, '[redacted pem]'],
  [/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*/g, '[redacted pem]'],
  // S3 SignatureDoesNotMatch bodies echo what was signed.
  [
    /<(SignatureProvided|StringToSign|StringToSignBytes|CanonicalRequest|CanonicalRequestBytes)>[\s\S]*?<\/\1>/g,
    `<$1>${REDACTED}</$1>`,
  ],
  [/<(RequestId|HostId)>[^<]*<\/\1>/g, `<$1>${REDACTED}</$1>`],
  // SigV4 header and presigned-URL parts.
  [/(X-Amz-Credential|Credential)=(?!\[redacted)[^,\s&"']+/gi, `$1=${REDACTED}`],
  [/(X-Amz-Signature|Signature)=(?!\[redacted)[^,\s&"']+/gi, `$1=${REDACTED}`],
  [/(X-Amz-Security-Token)=(?!\[redacted)[^,\s&"']+/gi, `$1=${REDACTED}`],
  [
    /(x-amz-security-token|x-amz-id-2|x-amz-request-id|x-amzn-requestid|x-ms-request-id|x-ms-client-request-id|x-goog-request-id|x-guploader-uploadid)(["']?\s*[:=]\s*["']?)(?!\[redacted)[^\s,"';&]+/gi,
    `$1$2${REDACTED}`,
  ],
  // Request ids in SDK and server messages: "RequestID: ...", "RequestId:...", "request id: ...".
  [/\b(request[ _-]?id)(\s*[:=]\s*)(?!\[redacted)[\w./+=-]+/gi, `$1$2${REDACTED}`],
  // Azure's error bodies end with the server time of the request.
  [/\bTime:\d{4}-\d{2}-\d{2}T[\d:.]+Z/g, `Time:${REDACTED}`],
  // Azure's AuthenticationFailed detail quotes the signature it got and the string it signed.
  [/(The MAC signature found in the HTTP request )'[^']*'/g, `$1'${REDACTED}'`],
  [/(Server used following string to sign: )'[\s\S]*?'(?=\.?\s*(<\/AuthenticationErrorDetail>|$))/g, `$1'${REDACTED}'`],
  // Azure shared key, connection strings and SAS tokens.
  [/\bSharedKey(Lite)?\s+([^:\s]+):(?!\[redacted)[A-Za-z0-9+/=]+/g, `SharedKey$1 $2:${REDACTED}`],
  [/\b(AccountKey|SharedAccessSignature)=(?!\[redacted)[^;\s"']+/gi, `$1=${REDACTED}`],
  [/([?&]sig=)(?!\[redacted)[^&\s"']+/gi, `$1${REDACTED}`],
  // OAuth: JWT assertions, bearer tokens, issued tokens.
  [/\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, '[redacted jwt]'],
  [/\b(Bearer)\s+(?!\[redacted)[A-Za-z0-9._~+/=-]+/gi, `$1 ${REDACTED}`],
  [/\bya29\.[A-Za-z0-9._-]+/g, REDACTED],
  [
    /\b(assertion|access_token|refresh_token|id_token|client_secret)(["']?\s*[:=]\s*["']?)(?!\[redacted)[^\s&"',}]+/gi,
    `$1$2${REDACTED}`,
  ],
  // Key material under its usual field names (AWS, Kubecost configs, objstore YAML).
  [
    /\b(secret_?access_?key|aws_secret_access_key|secret_key|serviceKeySecret|accessKeySecret|storage_account_key|accountKey|accessKey|private_key)(["']?\s*[:=]\s*["']?)(?!\[redacted)[^\s"',;}]+/gi,
    `$1$2${REDACTED}`,
  ],
];

/** Every form in which a secret may come back in an error: as is, JSON-escaped, URL-encoded, line by line. */
export function secretForms(secret: string): string[] {
  const forms = new Set<string>([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]);
  if (secret.includes('\n'))
    for (const line of secret.split('\n')) if (line.trim().length >= 16) forms.add(line.trim());
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

/**
 * The secret strings inside a credential document: the document itself and, for a GCP key file,
 * its `private_key` (which an error might echo on its own).
 */
export function secretsOfDocument(document: string): string[] {
  const secrets = [document];
  try {
    const parsed: unknown = JSON.parse(document);
    if (typeof parsed === 'object' && parsed !== null) {
      for (const field of ['private_key', 'secret', 'accountKey', 'secretAccessKey']) {
        const value = (parsed as Record<string, unknown>)[field];
        if (typeof value === 'string') secrets.push(value);
      }
    }
  } catch {
    // Not JSON: the document is the only secret.
  }
  return secrets;
}

/**
 * Returns `text` with request ids, signatures, credentials scopes, tokens, private keys and every
 * form of each of `secrets` replaced, whitespace collapsed and the length bounded. Pure.
 */
export function sanitizeText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) for (const form of secretForms(secret)) out = out.split(form).join(REDACTED);
  for (const [pattern, replacement] of RULES) out = out.replace(pattern, replacement);
  out = out.replace(/\s+/g, ' ').trim();
  return out.length > MAX_MESSAGE_LENGTH ? `${out.slice(0, MAX_MESSAGE_LENGTH)}…` : out;
}

/** The facts of a provider error that may travel, all sanitized. */
export interface SanitizedError {
  /** The error class or SDK error name (`SignatureDoesNotMatch`, `RestError`, `GaxiosError`). */
  readonly name: string;
  /** The provider's error code, when it gave one. */
  readonly code?: string;
  /** The HTTP status, when there was a response. */
  readonly status?: number;
  /** A network error code (`ECONNREFUSED`, `ENOTFOUND`, ...), when the request never got an answer. */
  readonly network?: string;
  readonly message: string;
}

function field(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

const asString = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;
const asNumber = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

const GENERIC_ERROR_NAMES = new Set([
  'Error',
  'TypeError',
  'RangeError',
  'SyntaxError',
  'AbortError',
  'TimeoutError',
  'GaxiosError',
  'RestError',
  'FetchError',
]);

const NETWORK_CODES = /^(E[A-Z]+|UND_ERR_[A-Z_]+|REQUEST_SEND_ERROR|ERR_[A-Z_]+)$/;

/** The network error code of an error or of its causes (fetch wraps them in `cause`). */
function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = asString(field(current, 'code'));
    if (code && NETWORK_CODES.test(code)) return code;
    current = field(current, 'cause');
  }
  return undefined;
}

/**
 * Extracts name, code, status and message from any SDK error (AWS SDK v3 ServiceException,
 * Azure RestError, gaxios GaxiosError, Node network errors) and sanitizes them with `secrets`.
 */
export function describeProviderError(error: unknown, secrets: readonly string[] = []): SanitizedError {
  const clean = (text: string) => sanitizeText(text, secrets);
  const ownName = asString(field(error, 'name'));
  const name = ownName ?? (error instanceof Error ? error.constructor.name : typeof error);
  const oauthError = asString(field(error, 'response', 'data', 'error'));
  const googleReason =
    asString(field(error, 'response', 'data', 'error', 'errors', '0', 'reason')) ??
    asString(field(error, 'response', 'data', 'error', 'status'));
  const network = networkCode(error);
  const code =
    asString(field(error, 'Code')) ??
    asString(field(error, 'details', 'errorCode')) ??
    oauthError ??
    googleReason ??
    (network ? undefined : asString(field(error, 'code'))) ??
    // AWS SDK v3 exceptions are named after their error code; generic error classes are not codes.
    (ownName && !GENERIC_ERROR_NAMES.has(ownName) ? ownName : undefined);
  const status =
    asNumber(field(error, '$metadata', 'httpStatusCode')) ??
    asNumber(field(error, 'statusCode')) ??
    asNumber(field(error, 'response', 'status')) ??
    asNumber(field(error, 'status'));
  let message = error instanceof Error ? error.message : typeof error === 'string' ? error : '';
  if (!message && oauthError)
    message = `${oauthError}: ${asString(field(error, 'response', 'data', 'error_description')) ?? ''}`;
  if (!message && network) message = `network error ${network}`;
  if (!message && status !== undefined) message = `HTTP ${status}`;
  return {
    name: clean(name),
    ...(code ? { code: clean(code) } : {}),
    ...(status !== undefined ? { status } : {}),
    ...(network ? { network } : {}),
    message: clean(message || 'unknown error'),
  };
}
