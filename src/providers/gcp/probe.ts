/**
 * GCP probes with google-auth-library: the key's JWT is exchanged for an access token (the step
 * that fails for a revoked or unknown key), then Cloud Storage (write, read back and delete a
 * probe object) or BigQuery (get the billing-export table and dry-run a query on it) is called
 * with that token, over the library's authorized `request`.
 */
import type { JWT } from 'google-auth-library';
import { failure, kindFromStatus, probeContent, probeObjectName, rethrowIfAborted, Steps } from '../probe-support.js';
import { describeProviderError, secretsOfDocument, type SanitizedError } from '../sanitize.js';
import type { BigQueryProbeTarget, GcpCredential, GcsProbeTarget, ProbeFailureKind, ProbeResult } from '../types.js';
import { parseServiceAccountKey, serviceAccountClient, type ServiceAccountKey } from './auth.js';

const STORAGE_SCOPE = 'https://www.googleapis.com/auth/devstorage.read_write';
const BIGQUERY_SCOPE = 'https://www.googleapis.com/auth/bigquery';

/** OAuth token-endpoint errors (RFC 6749 §5.2, Google's usage) and API `reason`s by meaning. */
const GCP_KINDS: Readonly<Record<string, ProbeFailureKind>> = {
  invalid_grant: 'auth',
  invalid_client: 'auth',
  unauthorized_client: 'permission',
  access_denied: 'permission',
  authError: 'auth',
  UNAUTHENTICATED: 'auth',
  forbidden: 'permission',
  accessDenied: 'permission',
  insufficientPermissions: 'permission',
  PERMISSION_DENIED: 'permission',
  notFound: 'not_found',
  NOT_FOUND: 'not_found',
  rateLimitExceeded: 'throttled',
  userRateLimitExceeded: 'throttled',
  quotaExceeded: 'throttled',
  RESOURCE_EXHAUSTED: 'throttled',
  backendError: 'transient',
  internalError: 'transient',
};

/** What a token-endpoint or Google API error means for the key. */
export function classifyGcpError(error: SanitizedError): ProbeFailureKind {
  return (error.code ? GCP_KINDS[error.code] : undefined) ?? kindFromStatus(error);
}

const keyLabel = (key: ServiceAccountKey) => `${key.clientEmail} (key ${key.privateKeyId.slice(0, 8)}…)`;

const INVALID_KEY_FILE: ProbeResult = {
  ok: false,
  kind: 'auth',
  code: 'InvalidKeyFile',
  message: 'the service-account key is not a JSON key file with client_email, private_key and private_key_id',
  evidence: 'read the service-account key file',
};

function root(endpoint: string | undefined, fallback: string): string {
  return (endpoint ?? fallback).replace(/\/+$/, '');
}

/** Runs `body` with an authorized client, turning any provider error into a sanitized failure. */
async function withClient(
  credential: GcpCredential,
  scope: string,
  tokenUrl: string | undefined,
  signal: AbortSignal,
  describe: (key: ServiceAccountKey, steps: string) => string,
  body: (client: JWT, key: ServiceAccountKey, steps: Steps, setStep: (step: string) => void) => Promise<ProbeResult>,
): Promise<ProbeResult> {
  const document = credential.keyJson.reveal();
  const key = parseServiceAccountKey(document);
  if (!key) return INVALID_KEY_FILE;
  const secrets = secretsOfDocument(document);
  const steps = new Steps();
  let step = 'token';
  try {
    const client = await serviceAccountClient(key, [scope], tokenUrl);
    // Get the token first, so a rejected key shows as a failed token exchange.
    await client.authorize();
    rethrowIfAborted(signal);
    steps.ok(step);
    return await body(client, key, steps, (next) => (step = next));
  } catch (error: unknown) {
    rethrowIfAborted(signal);
    const described = describeProviderError(error, secrets);
    return failure(classifyGcpError(described), described, describe(key, steps.failed(step)));
  }
}

/**
 * Proves the key can write, read and delete in the bucket, as Kubecost's ETL storage does:
 * token exchange, then objects.insert, objects.get (`alt=media`, compared with what was written)
 * and objects.delete of `<prefix>/kubecost-rotate-probe/<random>`. Touches the cloud; safe to retry.
 */
export async function probeGcs(
  credential: GcpCredential,
  target: GcsProbeTarget,
  signal: AbortSignal,
): Promise<ProbeResult> {
  const base = root(target.endpoint, 'https://storage.googleapis.com');
  const name = probeObjectName(target.prefix);
  const content = probeContent();
  const objectUrl = `${base}/storage/v1/b/${encodeURIComponent(target.bucket)}/o/${encodeURIComponent(name)}`;
  const evidenceOf = (key: ServiceAccountKey, steps: string) =>
    `${steps} gs://${target.bucket}/${name} as ${keyLabel(key)}`;
  let written = false;
  let authorized: JWT | undefined;
  try {
    return await withClient(
      credential,
      STORAGE_SCOPE,
      target.tokenUrl,
      signal,
      evidenceOf,
      async (client, key, steps, setStep) => {
        authorized = client;
        setStep('objects.insert');
        await client.request({
          url: `${base}/upload/storage/v1/b/${encodeURIComponent(target.bucket)}/o?uploadType=media&name=${encodeURIComponent(name)}`,
          method: 'POST',
          headers: { 'Content-Type': 'text/plain' },
          data: content,
          signal,
        });
        written = true;
        steps.ok('objects.insert');
        setStep('objects.get');
        const read = await client.request<string>({ url: `${objectUrl}?alt=media`, responseType: 'text', signal });
        if (read.data !== content)
          return {
            ok: false,
            kind: 'unknown',
            code: 'ProbeMismatch',
            message: 'the object read back differs from the object written',
            evidence: evidenceOf(key, steps.failed('objects.get')),
          };
        steps.ok('objects.get');
        setStep('objects.delete');
        await client.request({ url: objectUrl, method: 'DELETE', signal });
        written = false;
        steps.ok('objects.delete');
        return { ok: true, evidence: evidenceOf(key, steps.toString()) };
      },
    );
  } finally {
    if (written && authorized && !signal.aborted)
      await authorized.request({ url: objectUrl, method: 'DELETE' }).catch(() => undefined);
  }
}

/**
 * Proves the key can read the billing export as Kubecost's BigQuery integration does: token
 * exchange, tables.get of `project.dataset.table`, and a dry-run `jobs.query` of
 * `SELECT 1 FROM` the table (checks the query permissions without running or billing a query).
 * Touches the cloud (reads only); safe to retry.
 */
export async function probeBigQuery(
  credential: GcpCredential,
  target: BigQueryProbeTarget,
  signal: AbortSignal,
): Promise<ProbeResult> {
  const base = `${root(target.endpoint, 'https://bigquery.googleapis.com')}/bigquery/v2/projects/${encodeURIComponent(target.projectId)}`;
  const table = `${target.projectId}.${target.dataset}.${target.table}`;
  const evidenceOf = (key: ServiceAccountKey, steps: string) =>
    `${steps} on bigquery table ${table} as ${keyLabel(key)}`;
  return withClient(
    credential,
    BIGQUERY_SCOPE,
    target.tokenUrl,
    signal,
    evidenceOf,
    async (client, key, steps, setStep) => {
      setStep('tables.get');
      await client.request({
        url: `${base}/datasets/${encodeURIComponent(target.dataset)}/tables/${encodeURIComponent(target.table)}`,
        signal,
      });
      steps.ok('tables.get');
      setStep('jobs.query(dryRun)');
      await client.request({
        url: `${base}/queries`,
        method: 'POST',
        data: { query: `SELECT 1 FROM \`${table}\` LIMIT 1`, useLegacySql: false, dryRun: true },
        signal,
      });
      steps.ok('jobs.query(dryRun)');
      return { ok: true, evidence: evidenceOf(key, steps.toString()) };
    },
  );
}
