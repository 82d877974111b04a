/**
 * AWS probes with the official SDK v3: S3 (write, read back and delete a probe object) and
 * Athena (start `SELECT 1` in the integration's workgroup and database, and wait for it). The SDK
 * clients are loaded on first use, so runs without AWS never load them.
 */
import type { AthenaClient } from '@aws-sdk/client-athena';
import type { S3Client } from '@aws-sdk/client-s3';
import { failure, kindFromStatus, probeContent, probeObjectName, rethrowIfAborted, Steps } from '../probe-support.js';
import { describeProviderError, type SanitizedError } from '../sanitize.js';
import type { AthenaProbeTarget, AwsCredential, ProbeFailureKind, ProbeResult, S3ProbeTarget } from '../types.js';

/** AWS error codes (SDK `name`) by what they mean for a key. */
const AWS_KINDS: Readonly<Record<string, ProbeFailureKind>> = {
  InvalidAccessKeyId: 'auth',
  SignatureDoesNotMatch: 'auth',
  UnrecognizedClientException: 'auth',
  InvalidSignatureException: 'auth',
  InvalidClientTokenId: 'auth',
  IncompleteSignature: 'auth',
  IncompleteSignatureException: 'auth',
  MissingAuthenticationTokenException: 'auth',
  ExpiredToken: 'auth',
  ExpiredTokenException: 'auth',
  TokenRefreshRequired: 'auth',
  AuthFailure: 'auth',
  AccessDenied: 'permission',
  AccessDeniedException: 'permission',
  AllAccessDisabled: 'permission',
  AccountProblem: 'permission',
  NoSuchBucket: 'not_found',
  NoSuchKey: 'not_found',
  ResourceNotFoundException: 'not_found',
  MetadataException: 'not_found',
  SlowDown: 'throttled',
  Throttling: 'throttled',
  ThrottlingException: 'throttled',
  TooManyRequestsException: 'throttled',
  RequestLimitExceeded: 'throttled',
  InternalError: 'transient',
  InternalServerException: 'transient',
  ServiceUnavailable: 'transient',
  RequestTimeout: 'transient',
};

/** What an AWS SDK error means for the key. */
export function classifyAwsError(error: SanitizedError): ProbeFailureKind {
  const byCode = error.code ? AWS_KINDS[error.code] : undefined;
  if (byCode) return byCode;
  // Athena reports a missing workgroup or database as a bad request.
  if (error.code === 'InvalidRequestException' && /not found|does not exist/i.test(error.message)) return 'not_found';
  return kindFromStatus(error);
}

/** What a failed Athena query's reason means. */
function classifyQueryFailure(reason: string): ProbeFailureKind {
  if (/permission denied|access denied|not authorized|AccessDenied/i.test(reason)) return 'permission';
  if (/does not exist|not found|SCHEMA_NOT_FOUND|TABLE_NOT_FOUND|Unable to verify\/create output bucket/i.test(reason))
    return 'not_found';
  return 'unknown';
}

function endpointUrl(endpoint: string | undefined): string | undefined {
  if (endpoint === undefined) return undefined;
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint) ? endpoint : `https://${endpoint}`;
}

const credentialsOf = (credential: AwsCredential) => ({
  accessKeyId: credential.accessKeyId,
  secretAccessKey: credential.secretAccessKey.reveal(),
});

/**
 * Proves the key can write, read and delete under the bucket's prefix, as Kubecost's ETL writers
 * and readers do: PutObject, GetObject (compared with what was written) and DeleteObject of
 * `<prefix>/kubecost-rotate-probe/<random>`. Touches the cloud; leaves nothing behind when it can
 * delete. Safe to retry.
 */
export async function probeS3(
  credential: AwsCredential,
  target: S3ProbeTarget,
  signal: AbortSignal,
): Promise<ProbeResult> {
  const { S3Client, PutObjectCommand, GetObjectCommand, DeleteObjectCommand } = await import('@aws-sdk/client-s3');
  const key = probeObjectName(target.prefix);
  const content = probeContent();
  const evidenceOf = (steps: string) => `${steps} s3://${target.bucket}/${key} as ${credential.accessKeyId}`;
  const secrets = [credential.secretAccessKey.reveal()];
  const endpoint = endpointUrl(target.endpoint);
  const client: S3Client = new S3Client({
    region: target.region,
    ...(endpoint ? { endpoint } : {}),
    forcePathStyle: target.forcePathStyle ?? endpoint !== undefined,
    credentials: credentialsOf(credential),
    maxAttempts: 2,
  });
  const steps = new Steps();
  let step = 'PutObject';
  let written = false;
  try {
    await client.send(
      new PutObjectCommand({ Bucket: target.bucket, Key: key, Body: content, ContentType: 'text/plain' }),
      { abortSignal: signal },
    );
    written = true;
    steps.ok(step);
    step = 'GetObject';
    const read = await client.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }), { abortSignal: signal });
    const body = (await read.Body?.transformToString('utf-8')) ?? '';
    if (body !== content)
      return {
        ok: false,
        kind: 'unknown',
        code: 'ProbeMismatch',
        message: 'the object read back differs from the object written',
        evidence: evidenceOf(steps.failed(step)),
      };
    steps.ok(step);
    step = 'DeleteObject';
    await client.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: key }), { abortSignal: signal });
    written = false;
    steps.ok(step);
    return { ok: true, evidence: evidenceOf(steps.toString()) };
  } catch (error: unknown) {
    rethrowIfAborted(signal);
    const described = describeProviderError(error, secrets);
    return failure(classifyAwsError(described), described, evidenceOf(steps.failed(step)));
  } finally {
    if (written && !signal.aborted) {
      // Best effort: do not leave the probe object behind after a failed read.
      await client.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: key })).catch(() => undefined);
    }
    client.destroy();
  }
}

/** How long the Athena probe waits for `SELECT 1` to finish. */
const ATHENA_WAIT_MS = 20_000;

async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
  rethrowIfAborted(signal);
}

/**
 * Proves the key can query the CUR as Kubecost does: StartQueryExecution of `SELECT 1` in the
 * integration's workgroup and database with its output location, then GetQueryExecution until
 * the query ends (a query that fails on the output bucket or the database is reported as such).
 * Touches the cloud (one tiny query). Safe to retry.
 */
export async function probeAthena(
  credential: AwsCredential,
  target: AthenaProbeTarget,
  signal: AbortSignal,
): Promise<ProbeResult> {
  const { AthenaClient, StartQueryExecutionCommand, GetQueryExecutionCommand } = await import('@aws-sdk/client-athena');
  const where = `workgroup ${target.workgroup}, database ${target.database}, output ${target.outputLocation}`;
  const evidenceOf = (steps: string, state = '') =>
    `${steps} of SELECT 1 in ${where}${state} as ${credential.accessKeyId}`;
  const secrets = [credential.secretAccessKey.reveal()];
  const endpoint = endpointUrl(target.endpoint);
  const client: AthenaClient = new AthenaClient({
    region: target.region,
    ...(endpoint ? { endpoint } : {}),
    credentials: credentialsOf(credential),
    maxAttempts: 2,
  });
  const steps = new Steps();
  let step = 'StartQueryExecution';
  try {
    const started = await client.send(
      new StartQueryExecutionCommand({
        QueryString: 'SELECT 1',
        WorkGroup: target.workgroup,
        QueryExecutionContext: { Database: target.database },
        ResultConfiguration: { OutputLocation: target.outputLocation },
      }),
      { abortSignal: signal },
    );
    steps.ok(step);
    step = 'GetQueryExecution';
    const id = started.QueryExecutionId ?? '';
    const deadline = Date.now() + ATHENA_WAIT_MS;
    for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
      const execution = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }), {
        abortSignal: signal,
      });
      const status = execution.QueryExecution?.Status;
      const state = status?.State ?? 'UNKNOWN';
      if (state === 'SUCCEEDED') {
        steps.ok(step);
        return { ok: true, evidence: evidenceOf(steps.toString(), ` -> ${state} (query ${id})`) };
      }
      if (state === 'FAILED' || state === 'CANCELLED') {
        const reason = describeProviderError(
          new Error(status?.StateChangeReason ?? status?.AthenaError?.ErrorMessage ?? `query ${state}`),
          secrets,
        );
        return {
          ok: false,
          kind: classifyQueryFailure(reason.message),
          code: `Query${state === 'FAILED' ? 'Failed' : 'Cancelled'}`,
          message: reason.message,
          evidence: evidenceOf(steps.failed(step), ` -> ${state} (query ${id})`),
        };
      }
      if (Date.now() + delay > deadline) {
        // The key was accepted; only the query is slow. That proves the credential, not the data path.
        steps.ok(step);
        return {
          ok: true,
          evidence: evidenceOf(steps.toString(), ` -> still ${state} after ${ATHENA_WAIT_MS / 1000}s (query ${id})`),
        };
      }
      await sleep(delay, signal);
    }
  } catch (error: unknown) {
    rethrowIfAborted(signal);
    const described = describeProviderError(error, secrets);
    return failure(classifyAwsError(described), described, evidenceOf(steps.failed(step)));
  } finally {
    client.destroy();
  }
}
