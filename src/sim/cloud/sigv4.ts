/**
 * Server-side AWS Signature Version 4 checking for the emulated JSON APIs (Athena). The expected
 * signature is computed with the official signer (`@smithy/signature-v4`, the one the AWS SDK
 * itself signs with) over exactly the headers the client listed in `SignedHeaders`, so a
 * request signed by the SDK with the right secret always matches, and any other secret never does.
 */
import { createHash, createHmac, timingSafeEqual, type Hash, type Hmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';

type SourceData = string | ArrayBuffer | ArrayBufferView;

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** SHA-256 (or HMAC-SHA-256 with a secret) in the shape the signer expects, on node:crypto. */
class NodeSha256 {
  private readonly hash: Hash | Hmac;

  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }

  update(data: SourceData): void {
    this.hash.update(toBuffer(data));
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

export interface SignedRequest {
  readonly method: string;
  /** The request target as received (path and query string). */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** An AWS JSON-protocol error: `__type` and message, as the service returns them. */
export interface AwsJsonError {
  readonly status: number;
  readonly type: string;
  readonly message: string;
}

export type SigV4Result = { ok: true; accessKeyId: string; region: string } | { ok: false; error: AwsJsonError };

/** How far the client clock may be from the server's (AWS allows 15 minutes). */
const MAX_SKEW_MS = 15 * 60 * 1000;

const fail = (type: string, message: string, status = 400): SigV4Result => ({
  ok: false,
  error: { status, type, message },
});

const INVALID_SIGNATURE =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** Parses `20261128T101500Z`. */
function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  return new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
}

function parseQuery(search: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(search)) {
    const existing = query[key];
    if (existing === undefined) query[key] = value;
    else query[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return query;
}

/**
 * Checks the SigV4 `Authorization` header of a request to `service`. `secretOf` returns the
 * registered secret of an access key id, or undefined for an unknown (or revoked) one. The
 * wording of every failure is the one AWS JSON APIs use.
 */
export async function verifySigV4(
  request: SignedRequest,
  service: string,
  secretOf: (accessKeyId: string) => string | undefined,
  now = new Date(),
): Promise<SigV4Result> {
  const authorization = header(request.headers, 'authorization');
  if (!authorization) return fail('MissingAuthenticationTokenException', 'Missing Authentication Token');
  const m = /^AWS4-HMAC-SHA256\s+Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)\s*$/.exec(
    authorization,
  );
  if (!m)
    return fail(
      'IncompleteSignatureException',
      `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters. Authorization=AWS4-HMAC-SHA256`,
    );
  const [, credential = '', signedHeaderList = '', signature = ''] = m;
  const [accessKeyId = '', shortDate = '', region = '', scopeService = '', terminator = ''] = credential.split('/');
  const secret = secretOf(accessKeyId);
  if (secret === undefined)
    return fail('UnrecognizedClientException', 'The security token included in the request is invalid.');
  if (scopeService !== service || terminator !== 'aws4_request')
    return fail('InvalidSignatureException', `Credential should be scoped to correct service: '${service}'. `);

  const amzDate = header(request.headers, 'x-amz-date');
  const signingDate = amzDate ? parseAmzDate(amzDate) : undefined;
  if (!amzDate || !signingDate)
    return fail(
      'IncompleteSignatureException',
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    );
  if (!amzDate.startsWith(shortDate))
    return fail(
      'InvalidSignatureException',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${shortDate}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
    );
  if (Math.abs(now.getTime() - signingDate.getTime()) > MAX_SKEW_MS) {
    return fail(
      'InvalidSignatureException',
      `Signature expired: ${amzDate} is now earlier than the allowed window (15 min.) around the server time.`,
    );
  }

  const signedHeaders = signedHeaderList.split(';');
  if (!signedHeaders.includes('host'))
    return fail(
      'InvalidSignatureException',
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    );
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = header(request.headers, name);
    if (value === undefined) return fail('InvalidSignatureException', INVALID_SIGNATURE);
    headers[name] = value;
  }
  // The signer trusts a given payload hash, so check it against the body here.
  const claimedHash = headers['x-amz-content-sha256'];
  if (
    claimedHash !== undefined &&
    claimedHash !== 'UNSIGNED-PAYLOAD' &&
    claimedHash !== createHash('sha256').update(request.body).digest('hex')
  ) {
    return fail('InvalidSignatureException', INVALID_SIGNATURE);
  }

  const target = new URL(request.url, 'http://signed.invalid');
  const path = target.pathname
    .split('/')
    .map((segment) => decodeURIComponent(segment))
    .join('/');
  const signer = new SignatureV4({
    service,
    region,
    credentials: { accessKeyId, secretAccessKey: secret },
    sha256: NodeSha256,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: headers.host ?? '',
      path,
      query: parseQuery(target.search),
      headers,
      body: request.body,
    },
    { signingDate, signableHeaders: new Set(signedHeaders) },
  );
  const expected =
    /Signature=([0-9a-f]+)$/.exec(String(signed.headers.authorization ?? signed.headers.Authorization ?? ''))?.[1] ??
    '';
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(signature, 'utf8');
  if (a.length !== b.length || !timingSafeEqual(a, b)) return fail('InvalidSignatureException', INVALID_SIGNATURE);
  return { ok: true, accessKeyId, region };
}
