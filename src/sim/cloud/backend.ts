/**
 * The simulated Kubecost components' cloud access through the official SDKs, against cloud-sim:
 * `@aws-sdk/client-s3` and `@aws-sdk/client-athena` (SigV4), google-auth-library's JWT client
 * (JWT-bearer grant at the emulated token endpoint, then the GCS and BigQuery JSON APIs) and
 * `@azure/storage-blob` (shared key). Every client is pointed at `cloud.endpoints.*` whatever
 * endpoint the Kubecost config names, as if DNS led there; nothing reaches the internet.
 *
 * A refusal comes back as a {@link CloudCallError} with the provider's code and wording
 * (reference §6); every other failure too, with a sanitized message (no secret, signature,
 * token or request id). The resources the layouts name (buckets, containers, BigQuery tables,
 * the Athena output bucket) are created on first use, as if they had been provisioned.
 */
import { createHash } from 'node:crypto';
import type * as AthenaSdk from '@aws-sdk/client-athena';
import type { AthenaClient } from '@aws-sdk/client-athena';
import type * as S3Sdk from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type * as AzureSdk from '@azure/storage-blob';
import type { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import type * as GoogleSdk from 'google-auth-library';
import type { JWT } from 'google-auth-library';
import {
  CloudCallError,
  type AlibabaAccess,
  type AthenaAccess,
  type AzureAccess,
  type BigQueryAccess,
  type CloudBackend,
  type GcsAccess,
  type ObjectStoreAccess,
  type S3Access,
} from '../kubecost/backend.js';
import type { InstalledLayout } from '../kubecost/layouts.js';
import { parseCloudIntegration, parseStoreConfig } from '../kubecost/programs.js';
import type { CloudSim, CloudSimEndpoints } from './cloud-sim.js';
import { GOOGLE_TOKEN_URL } from './gcp.js';
import { trustCredential } from './trust.js';

export interface CloudSimBackendOptions {
  /**
   * The valid Alibaba access keys (id → secret): there is no Alibaba emulator. The map is used as
   * given and read on every call, so a test (or {@link prepareCloudForLayout}) can change it later.
   * Default: a new empty map, reachable as `backend.alibabaKeys`.
   */
  readonly alibabaKeys?: Map<string, string>;
  /** How many SDK clients (one per credential and service) are kept; the least recently used goes first. Default 32. */
  readonly maxClients?: number;
  /** Per-request timeout of every SDK call (each try). Default 10 000 ms. */
  readonly timeoutMs?: number;
  /**
   * Where the programs' data-plane requests go instead of cloud-sim's own endpoints (e.g. a proxy
   * in front of them that injects network faults). Default: `cloud.endpoints`.
   */
  readonly endpoints?: Partial<
    Pick<CloudSimEndpoints, 's3' | 'athena' | 'azureBlob' | 'gcpToken' | 'gcs' | 'bigquery'>
  >;
}

/** The SDK requests a backend made, by operation, and how many clients it built. */
export interface CloudSimBackendStats {
  /** e.g. `s3:PutObject`, `athena:StartQueryExecution`, `gcp:token`, `gcs:insert`, `bigquery:query`, `azure:upload`; `alibaba:in-memory` counts Alibaba checks, which make no request. */
  readonly requests: Readonly<Record<string, number>>;
  readonly totalRequests: number;
  readonly clientsBuilt: number;
  readonly clientsCached: number;
}

export interface CloudSimBackend extends CloudBackend {
  /** The valid Alibaba keys (id → secret); see {@link CloudSimBackendOptions.alibabaKeys}. */
  readonly alibabaKeys: Map<string, string>;
  stats(): CloudSimBackendStats;
  /** Drops every cached client and closes its sockets. The backend keeps working (clients are rebuilt). */
  close(): void;
}

// ------------------------------------------------------------------------------------ sanitizing

const REDACTED = '[redacted]';

const RULES: readonly (readonly [RegExp, string])[] = [
  [/-----BEGIN [A-Z0-9 ]+-----[\s\S]*?-----END [A-Z0-9 ]+-----/g, '[redacted pem]'],
  [/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*/g, '[redacted pem]'],
  [
    /<(SignatureProvided|StringToSign|StringToSignBytes|CanonicalRequest|CanonicalRequestBytes)>[\s\S]*?<\/\1>/g,
    `<$1>${REDACTED}</$1>`,
  ],
  [/(X-Amz-Credential|Credential|X-Amz-Signature|Signature|X-Amz-Security-Token)=[^,\s&"']+/gi, `$1=${REDACTED}`],
  [/\b(request[ _-]?id)(\s*[:=]\s*)[\w./+=-]+/gi, `$1$2${REDACTED}`],
  [/\bTime:\d{4}-\d{2}-\d{2}T[\d:.]+Z/g, `Time:${REDACTED}`],
  [/(The MAC signature found in the HTTP request )'[^']*'/g, `$1'${REDACTED}'`],
  [/(Server used following string to sign: )'[\s\S]*?'/g, `$1'${REDACTED}'`],
  [/\bSharedKey(Lite)?\s+([^:\s]+):[A-Za-z0-9+/=]+/g, `SharedKey$1 $2:${REDACTED}`],
  [/\b(AccountKey|SharedAccessSignature)=[^;\s"']+/gi, `$1=${REDACTED}`],
  [/\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, '[redacted jwt]'],
  [/\b(Bearer)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${REDACTED}`],
  [/\bya29\.[A-Za-z0-9._-]+/g, REDACTED],
];

/** `text` without the secrets (as is, JSON-escaped or URL-encoded), signatures, tokens and request ids; one line, bounded. */
function sanitize(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    for (const form of new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]))
      if (form.length >= 6) out = out.split(form).join(REDACTED);
  }
  for (const [pattern, replacement] of RULES) out = out.replace(pattern, replacement);
  out = out.replace(/\s+/g, ' ').trim();
  return out.length > 500 ? `${out.slice(0, 500)}…` : out;
}

type Json = Record<string, unknown>;
const rec = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const text = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

const GENERIC_NAMES = new Set([
  'Error',
  'TypeError',
  'RangeError',
  'SyntaxError',
  'RestError',
  'GaxiosError',
  'FetchError',
  'AbortError',
  'TimeoutError',
]);

/** The network error code of an error or its causes (ECONNREFUSED, ETIMEDOUT...). */
function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = text(rec(current).code);
    if (code && /^(E[A-Z]+|UND_ERR_[A-Z_]+|REQUEST_SEND_ERROR|ERR_[A-Z_]+)$/.test(code)) return code;
    current = rec(current).cause;
  }
  return undefined;
}

/**
 * How many tries a storage or billing call gets, as the SDKs the real programs use do by default
 * (AWS SDK standard mode: 3 attempts; the Azure and Google Go clients retry a few times too):
 * a reset connection, a time-out, a 5xx or throttling is tried again; an answer such as 403 is not.
 */
const TRIES = 3;
/** Azure's and Google's back-off, shortened from the SDKs' seconds (the emulators answer in milliseconds). */
const RETRY_DELAY_MS = 100;
const MAX_RETRY_DELAY_MS = 400;

/** A Google (gaxios) failure worth another try: no answer (reset, refused, timed out), 408, 429 or a 5xx. */
function transientGoogleError(error: unknown): boolean {
  const status = num(rec(rec(error).response).status);
  if (status !== undefined) return status === 408 || status === 429 || status >= 500;
  const name = text(rec(error).name) ?? '';
  const message = error instanceof Error ? error.message : '';
  return (
    networkCode(error) !== undefined ||
    name === 'AbortError' ||
    name === 'TimeoutError' ||
    /timeout|timed out|socket hang up/i.test(message)
  );
}

/** Any error that is not a provider's answer: a CloudCallError naming what happened, sanitized. */
function otherError(error: unknown, secrets: readonly string[], status?: number): CloudCallError {
  if (error instanceof CloudCallError) return error;
  const e = rec(error);
  const name = text(e.name);
  const code =
    networkCode(error) ??
    (name && !GENERIC_NAMES.has(name) ? name : undefined) ??
    (error instanceof Error && error.name === 'TimeoutError' ? 'RequestTimeout' : 'UnknownError');
  const message = error instanceof Error ? error.message : String(error);
  return new CloudCallError(sanitize(code, secrets), sanitize(message || code, secrets), status);
}

/** An AWS SDK v3 service exception (named after the error code) as a CloudCallError. */
function awsError(error: unknown, secrets: readonly string[]): CloudCallError {
  const e = rec(error);
  const status = num(rec(e.$metadata).httpStatusCode);
  const name = text(e.name);
  if (status === undefined || !name || GENERIC_NAMES.has(name)) return otherError(error, secrets, status);
  const message = text(e.message) ?? text(e.Message) ?? name;
  return new CloudCallError(sanitize(name, secrets), sanitize(message, secrets), status);
}

/** A gaxios error from the token endpoint (OAuth error) or from GCS/BigQuery (Google API error). */
function googleError(error: unknown, secrets: readonly string[]): CloudCallError {
  const response = rec(rec(error).response);
  const status = num(response.status);
  let data: unknown = response.data;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      // not JSON: handled below
    }
  }
  const body = rec(data);
  const oauth = text(body.error);
  if (oauth) {
    // golang/oauth2's RetrieveError, as Kubecost logs it.
    const description = text(body.error_description) ?? '';
    return new CloudCallError(
      sanitize(oauth, secrets),
      sanitize(`oauth2: ${JSON.stringify(oauth)} ${JSON.stringify(description)}`, secrets),
      status,
    );
  }
  const api = rec(body.error);
  const apiMessage = text(api.message);
  if (status !== undefined && apiMessage) {
    // google-api-go-client's googleapi.Error: "googleapi: Error 401: Invalid Credentials, authError".
    const reason =
      text(rec(Array.isArray(api.errors) ? api.errors[0] : undefined).reason) ?? text(api.status) ?? `HTTP${status}`;
    return new CloudCallError(
      sanitize(reason, secrets),
      sanitize(`googleapi: Error ${status}: ${apiMessage}, ${reason}`, secrets),
      status,
    );
  }
  return otherError(error, secrets, status);
}

/** An Azure RestError as a CloudCallError: the storage error code, and the first line of its message. */
function azureError(error: unknown, secrets: readonly string[]): CloudCallError {
  const e = rec(error);
  const status = num(e.statusCode);
  const response = rec(e.response);
  const headerCode =
    typeof rec(response.headers).get === 'function'
      ? (response.headers as { get(name: string): string | undefined }).get('x-ms-error-code')
      : undefined;
  const code = text(rec(e.details).errorCode) ?? text(headerCode) ?? (status !== undefined ? text(e.code) : undefined);
  if (status === undefined || !code) return otherError(error, secrets, status);
  let message = (text(e.message) ?? '').split('\n')[0] ?? '';
  // HEAD and some downloads carry no body: Azure's wording for the code then.
  if (!message || /^Unexpected status code/.test(message)) {
    message =
      code === 'AuthenticationFailed' || code === 'AuthorizationFailure'
        ? 'Server failed to authenticate the request. Make sure the value of the Authorization header is formed correctly including the signature.'
        : `HTTP ${status}`;
  }
  return new CloudCallError(sanitize(code, secrets), sanitize(message, secrets), status);
}

// ------------------------------------------------------------------------------------ clients

const fingerprint = (secret: string) => createHash('sha256').update(secret).digest('hex').slice(0, 16);

interface CachedClient {
  readonly client: unknown;
  dispose(): void;
}

/** A bounded least-recently-used cache of SDK clients, keyed by service, key id and a fingerprint of the secret. */
class ClientCache {
  private readonly entries = new Map<string, CachedClient>();
  built = 0;

  constructor(private readonly max: number) {}

  get<T>(key: string, make: () => { client: T; dispose(): void }): T {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.client as T;
    }
    const made = make();
    this.built += 1;
    this.entries.set(key, made);
    while (this.entries.size > this.max) {
      const [oldest, entry] = this.entries.entries().next().value as [string, CachedClient];
      this.entries.delete(oldest);
      entry.dispose();
    }
    return made.client;
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    this.entries.delete(key);
    entry?.dispose();
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    for (const entry of this.entries.values()) entry.dispose();
    this.entries.clear();
  }
}

/** Loads an SDK on first use (a backend that never talks to Azure never loads it). */
function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () =>
    (promise ??= load().catch((error: unknown) => {
      promise = undefined;
      throw error;
    }));
}

interface ServiceAccount {
  readonly clientEmail: string;
  readonly privateKeyId: string;
  readonly privateKey: string;
}

function parseServiceAccount(json: string): ServiceAccount {
  let doc: Json;
  try {
    doc = rec(JSON.parse(json));
  } catch {
    throw new CloudCallError('invalid_key', 'google: could not parse credentials: the service account key is not JSON');
  }
  const clientEmail = text(doc.client_email);
  const privateKey = text(doc.private_key);
  const privateKeyId = text(doc.private_key_id) ?? '';
  if (!clientEmail || !privateKey)
    throw new CloudCallError(
      'invalid_key',
      'google: could not parse credentials: the service account key has no client_email or private_key',
    );
  return { clientEmail, privateKeyId, privateKey };
}

const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

/** `prefix/key` for Azure (the components leave Azure's objstore prefix to the bucket client, as Thanos does). */
function azureBlobName(access: AzureAccess, key: string): string {
  const prefix = access.prefix?.replace(/\/+$/, '');
  return prefix && !key.startsWith(`${prefix}/`) ? `${prefix}/${key}` : key;
}

/**
 * A {@link CloudBackend} over cloud-sim with the official SDKs. Which keys work is cloud-sim's
 * business (`trustCredential`, `distrustCredential`, or {@link prepareCloudForLayout}); Alibaba
 * keys are checked against `options.alibabaKeys`. SDK clients are reused per credential (at
 * most `maxClients`); buckets, containers and tables are ensured once, on first use.
 */
export function cloudSimBackend(cloud: CloudSim, options: CloudSimBackendOptions = {}): CloudSimBackend {
  const alibabaKeys = options.alibabaKeys ?? new Map<string, string>();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const endpoints = { ...cloud.endpoints, ...options.endpoints };
  const clients = new ClientCache(Math.max(1, options.maxClients ?? 32));
  const requests: Record<string, number> = {};
  const count = (operation: string) => {
    requests[operation] = (requests[operation] ?? 0) + 1;
  };
  const s3Sdk = lazy<typeof S3Sdk>(() => import('@aws-sdk/client-s3'));
  const athenaSdk = lazy<typeof AthenaSdk>(() => import('@aws-sdk/client-athena'));
  const azureSdk = lazy<typeof AzureSdk>(() => import('@azure/storage-blob'));
  const googleSdk = lazy<typeof GoogleSdk>(() => import('google-auth-library'));

  // Resources, as provisioned: ensured once each (a failure is retried on the next call, and the
  // SDK call then meets the provider's own "no such bucket" answer).
  const ensured = new Map<string, Promise<void>>();
  const ensure = async (id: string, make: () => void | Promise<void>): Promise<void> => {
    let promise = ensured.get(id);
    if (!promise) {
      promise = Promise.resolve().then(make);
      ensured.set(id, promise);
      promise.catch(() => ensured.delete(id));
    }
    await promise.catch(() => undefined);
  };
  const ensureS3Bucket = (bucket: string) => ensure(`s3:${bucket}`, () => cloud.aws.ensureBucket(bucket));
  const ensureGcsBucket = (bucket: string) => ensure(`gcs:${bucket}`, () => cloud.gcp.ensureBucket(bucket));
  const ensureContainer = (account: string, container: string) =>
    ensure(`azure:${account}/${container}`, () => cloud.azure.ensureContainer(account, container));
  const ensureTable = (project: string, dataset: string, table: string) =>
    ensure(`bq:${project}.${dataset}.${table}`, () => cloud.gcp.ensureTable(project, dataset, table));

  const awsRequestHandler = { requestTimeout: timeoutMs, connectionTimeout: timeoutMs };

  async function s3Client(access: S3Access): Promise<S3Client> {
    const { S3Client } = await s3Sdk();
    const region = access.region || 'us-east-1';
    return clients.get(`s3|${region}|${access.accessKeyId}|${fingerprint(access.secretAccessKey)}`, () => {
      const client = new S3Client({
        region,
        endpoint: endpoints.s3,
        forcePathStyle: true,
        credentials: { accessKeyId: access.accessKeyId, secretAccessKey: access.secretAccessKey },
        // The SDK's default (standard mode): 3 attempts for transient failures, jittered back-off.
        maxAttempts: TRIES,
        requestHandler: awsRequestHandler,
      });
      return { client, dispose: () => client.destroy() };
    });
  }

  async function athenaClient(access: AthenaAccess): Promise<AthenaClient> {
    const { AthenaClient } = await athenaSdk();
    const region = access.region || 'us-east-1';
    return clients.get(`athena|${region}|${access.accessKeyId}|${fingerprint(access.secretAccessKey)}`, () => {
      const client = new AthenaClient({
        region,
        endpoint: endpoints.athena,
        credentials: { accessKeyId: access.accessKeyId, secretAccessKey: access.secretAccessKey },
        maxAttempts: TRIES,
        requestHandler: awsRequestHandler,
      });
      return { client, dispose: () => client.destroy() };
    });
  }

  async function azureClient(account: string, accountKey: string): Promise<BlobServiceClient> {
    const { BlobServiceClient, StorageSharedKeyCredential } = await azureSdk();
    return clients.get(`azure|${account}|${fingerprint(accountKey)}`, () => {
      let credential: StorageSharedKeyCredential;
      try {
        credential = new StorageSharedKeyCredential(account, accountKey);
      } catch {
        throw new CloudCallError(
          'InvalidAuthenticationInfo',
          'Authentication information is not given in the correct format. Check the value of Authorization header.',
          400,
        );
      }
      // The storage SDK's retry policy (reset, time-out, 5xx; never a 4xx), with shorter delays.
      const client = new BlobServiceClient(`${endpoints.azureBlob}/${account}`, credential, {
        retryOptions: {
          maxTries: TRIES,
          tryTimeoutInMs: timeoutMs,
          retryDelayInMs: RETRY_DELAY_MS,
          maxRetryDelayInMs: MAX_RETRY_DELAY_MS,
        },
      });
      return { client, dispose: () => undefined };
    });
  }

  const googleKey = (account: ServiceAccount) =>
    `gcp|${account.clientEmail}|${account.privateKeyId}|${fingerprint(account.privateKey)}`;

  /**
   * google-auth-library's JWT client for a key file. Its token request always goes to Google's
   * URL; a request interceptor on its transporter (which it also hands to gtoken) sends it to
   * cloud-sim's token endpoint instead, keeping `aud` Google's. The client keeps its access
   * token between calls (one token request per key, not per call).
   */
  async function googleClient(account: ServiceAccount): Promise<JWT> {
    const { JWT } = await googleSdk();
    return clients.get(googleKey(account), () => {
      const client = new JWT({
        email: account.clientEmail,
        key: account.privateKey,
        keyId: account.privateKeyId || undefined,
        scopes: [CLOUD_PLATFORM],
      });
      const tokenUrl = new URL(endpoints.gcpToken);
      client.transporter.interceptors.request.add({
        resolved: (config) => {
          if (config.url.href === GOOGLE_TOKEN_URL) {
            config.url = new URL(tokenUrl.href);
            config.timeout = timeoutMs;
            count('gcp:token');
          }
          return Promise.resolve(config);
        },
      });
      return { client, dispose: () => undefined };
    });
  }

  /**
   * An authorized request with the key's client. A 401 means the cached access token died (the
   * emulator revokes a deleted key's tokens at once, where Google lets them run out): the
   * client is dropped and the call made once more with a fresh one, so a revoked key surfaces
   * as the token endpoint's `invalid_grant`, as it does for Kubecost once its token expires.
   * (gtoken caches the token itself, so the library's own forceRefreshOnFailure would resend it.)
   */
  async function googleRequest(account: ServiceAccount, options: Parameters<JWT['request']>[0]): Promise<void> {
    const once = async () => {
      await (await googleClient(account)).request({ ...options, timeout: timeoutMs, retry: false });
    };
    // The Google client libraries retry a call (token request included) that met no answer, a
    // 408, a 429 or a 5xx, with back-off, a bounded number of times.
    const attempt = async () => {
      for (let tried = 1; ; tried++) {
        try {
          await once();
          return;
        } catch (error: unknown) {
          if (tried >= TRIES || !transientGoogleError(error)) throw error;
          await new Promise((r) => setTimeout(r, Math.min(MAX_RETRY_DELAY_MS, RETRY_DELAY_MS * 2 ** (tried - 1))));
        }
      }
    };
    try {
      await attempt();
    } catch (error: unknown) {
      if (rec(rec(error).response).status !== 401) throw error;
      clients.delete(googleKey(account));
      await attempt();
    }
  }

  // ------------------------------------------------------------------ object stores

  // s3rver writes an object's content and then its metadata file in place, so a GET that meets a
  // PUT of the same key can read half a metadata file and answer 500 InternalError, where S3's
  // PUT is atomic. Calls on one object are therefore made one at a time (in this backend).
  const objectQueues = new Map<string, Promise<void>>();
  const oneAtATime = (id: string, fn: () => Promise<void>): Promise<void> => {
    const run = (objectQueues.get(id) ?? Promise.resolve()).then(fn);
    const tail = run.catch(() => undefined);
    objectQueues.set(id, tail);
    void tail.then(() => {
      if (objectQueues.get(id) === tail) objectQueues.delete(id);
    });
    return run;
  };

  async function s3Object(access: S3Access, key: string, body: string | undefined): Promise<void> {
    const secrets = [access.secretAccessKey];
    await ensureS3Bucket(access.bucket);
    const { PutObjectCommand, GetObjectCommand } = await s3Sdk();
    const client = await s3Client(access);
    await oneAtATime(`${access.bucket}/${key}`, async () => {
      try {
        if (body !== undefined) {
          count('s3:PutObject');
          await client.send(new PutObjectCommand({ Bucket: access.bucket, Key: key, Body: body }));
        } else {
          count('s3:GetObject');
          const read = await client.send(new GetObjectCommand({ Bucket: access.bucket, Key: key }));
          // Read the body through: an unread body holds its keep-alive socket.
          await read.Body?.transformToString();
        }
      } catch (error: unknown) {
        const e = awsError(error, secrets);
        if (body === undefined && e.code === 'NoSuchKey') return;
        throw e;
      }
    });
  }

  async function gcsObject(access: GcsAccess, key: string, body: string | undefined): Promise<void> {
    const account = parseServiceAccount(access.serviceAccountJson);
    const secrets = [account.privateKey, access.serviceAccountJson];
    await ensureGcsBucket(access.bucket);
    const bucket = encodeURIComponent(access.bucket);
    try {
      if (body !== undefined) {
        count('gcs:insert');
        await googleRequest(account, {
          url: `${endpoints.gcs}/upload/storage/v1/b/${bucket}/o?uploadType=media&name=${encodeURIComponent(key)}`,
          method: 'POST',
          data: body,
          headers: { 'Content-Type': 'application/octet-stream' },
        });
      } else {
        count('gcs:get');
        await googleRequest(account, {
          url: `${endpoints.gcs}/storage/v1/b/${bucket}/o/${encodeURIComponent(key)}?alt=media`,
          responseType: 'text',
        });
      }
    } catch (error: unknown) {
      const e = googleError(error, secrets);
      if (body === undefined && e.status === 404 && e.message.includes('No such object')) return;
      throw e;
    }
  }

  async function azureObject(access: AzureAccess, key: string, body: string | undefined): Promise<void> {
    const secrets = [access.accountKey];
    await ensureContainer(access.account, access.container);
    const service = await azureClient(access.account, access.accountKey);
    const blob = service.getContainerClient(access.container).getBlockBlobClient(azureBlobName(access, key));
    try {
      if (body !== undefined) {
        count('azure:upload');
        await blob.upload(body, Buffer.byteLength(body));
      } else {
        count('azure:download');
        const read = await blob.download();
        for await (const _chunk of read.readableStreamBody ?? []) {
          // drained
        }
      }
    } catch (error: unknown) {
      const e = azureError(error, secrets);
      if (body === undefined && e.code === 'BlobNotFound') return;
      throw e;
    }
  }

  function objectStore(store: ObjectStoreAccess, key: string, body: string | undefined): Promise<void> {
    switch (store.type) {
      case 'S3':
        return s3Object(store.access, key, body);
      case 'GCS':
        return gcsObject(store.access, key, body);
      case 'AZURE':
        return azureObject(store.access, key, body);
    }
  }

  // ------------------------------------------------------------------ billing

  async function athenaQuery(access: AthenaAccess): Promise<void> {
    const secrets = [access.secretAccessKey];
    if (access.outputLocation) await ensureS3Bucket(access.outputLocation);
    const { StartQueryExecutionCommand, GetQueryExecutionCommand } = await athenaSdk();
    const client = await athenaClient(access);
    try {
      count('athena:StartQueryExecution');
      const started = await client.send(
        new StartQueryExecutionCommand({
          // What Kubecost asks first: the CUR table's columns.
          QueryString: `SELECT column_name FROM information_schema.columns WHERE table_schema = '${access.database.replace(/'/g, "''")}'`,
          WorkGroup: access.workgroup || 'primary',
          ...(access.database ? { QueryExecutionContext: { Database: access.database } } : {}),
          ...(access.outputLocation ? { ResultConfiguration: { OutputLocation: access.outputLocation } } : {}),
        }),
      );
      count('athena:GetQueryExecution');
      const execution = await client.send(
        new GetQueryExecutionCommand({ QueryExecutionId: started.QueryExecutionId ?? '' }),
      );
      const status = execution.QueryExecution?.Status;
      if (status?.State === 'FAILED' || status?.State === 'CANCELLED') {
        throw new CloudCallError(
          status.State === 'FAILED' ? 'QueryFailed' : 'QueryCancelled',
          sanitize(
            `QueryAthenaPaginated: query execution error: ${status.StateChangeReason ?? status.AthenaError?.ErrorMessage ?? status.State}`,
            secrets,
          ),
        );
      }
    } catch (error: unknown) {
      throw awsError(error, secrets);
    }
  }

  async function bigQuery(access: BigQueryAccess): Promise<void> {
    const account = parseServiceAccount(access.keyJson);
    const secrets = [account.privateKey, access.keyJson];
    await ensureTable(access.projectId, access.dataset, access.table);
    try {
      count('bigquery:query');
      await googleRequest(account, {
        url: `${endpoints.bigquery}/bigquery/v2/projects/${encodeURIComponent(access.projectId)}/queries`,
        method: 'POST',
        data: {
          query: `SELECT 1 FROM \`${access.projectId}.${access.dataset}.${access.table}\` LIMIT 1`,
          useLegacySql: false,
        },
      });
    } catch (error: unknown) {
      throw googleError(error, secrets);
    }
  }

  async function azureBillingList(access: AzureAccess): Promise<void> {
    const secrets = [access.accountKey];
    await ensureContainer(access.account, access.container);
    const service = await azureClient(access.account, access.accountKey);
    try {
      count('azure:listBlobs');
      await service
        .getContainerClient(access.container)
        .listBlobsFlat(access.prefix ? { prefix: access.prefix } : {})
        .byPage({ maxPageSize: 100 })
        .next();
    } catch (error: unknown) {
      throw azureError(error, secrets);
    }
  }

  /** No SDK call: Alibaba is not emulated. A deleted key is unknown; a known id with another secret fails its signature, as Alibaba answers. */
  function alibabaBill(access: AlibabaAccess): Promise<void> {
    count('alibaba:in-memory');
    const known = alibabaKeys.get(access.accessKeyId);
    if (known === undefined)
      return Promise.reject(
        new CloudCallError('InvalidAccessKeyId.NotFound', 'Specified access key is not found.', 404),
      );
    if (known !== access.accessKeySecret)
      return Promise.reject(
        new CloudCallError('SignatureDoesNotMatch', 'Specified signature is not matched with our calculation.', 400),
      );
    return Promise.resolve();
  }

  /** Every failure leaves as a CloudCallError, whatever threw it. */
  const guarded =
    <A extends unknown[]>(fn: (...args: A) => Promise<void>, secretsOf: (...args: A) => string[]) =>
    async (...args: A): Promise<void> => {
      try {
        await fn(...args);
      } catch (error: unknown) {
        throw otherError(error, secretsOf(...args));
      }
    };
  const storeSecrets = (store: ObjectStoreAccess) =>
    store.type === 'S3'
      ? [store.access.secretAccessKey]
      : store.type === 'GCS'
        ? [store.access.serviceAccountJson]
        : [store.access.accountKey];

  return {
    alibabaKeys,
    writeObject: guarded(
      (store: ObjectStoreAccess, key: string, body: string) => objectStore(store, key, body),
      storeSecrets,
    ),
    readObject: guarded((store: ObjectStoreAccess, key: string) => objectStore(store, key, undefined), storeSecrets),
    athenaQuery: guarded(athenaQuery, (a) => [a.secretAccessKey]),
    bigQuery: guarded(bigQuery, (a) => [a.keyJson]),
    azureBillingList: guarded(azureBillingList, (a) => [a.accountKey]),
    alibabaBill: guarded(alibabaBill, (a) => [a.accessKeySecret]),
    stats: () => ({
      requests: { ...requests },
      totalRequests: Object.values(requests).reduce((a, b) => a + b, 0),
      clientsBuilt: clients.built,
      clientsCached: clients.size,
    }),
    close: () => clients.clear(),
  };
}

/**
 * Makes every credential of an installed layout valid in cloud-sim (`trustCredential`), as if
 * the keys in its Secrets had been issued by the clouds. Alibaba has no emulator: its keys go
 * into `alibabaKeys` (pass `backend.alibabaKeys`), or are skipped when none is given. Call it
 * right after `installLayout`, then {@link provisionResources} with the layout's Secrets.
 */
export function prepareCloudForLayout(
  cloud: CloudSim,
  layout: InstalledLayout,
  alibabaKeys?: Map<string, string>,
): void {
  for (const credential of layout.credentials.values()) {
    if (credential.provider === 'alibaba') alibabaKeys?.set(credential.accessKeyId, credential.accessKeySecret);
    else trustCredential(cloud, credential);
  }
}

/**
 * Creates every bucket, container, Athena output bucket and BigQuery table the given documents
 * (the data values of a layout's Secrets) name, read with the Kubecost programs' own parsers: at
 * a real cloud these exist before Kubecost is configured to use them, so a check of the resource
 * (the pre-write proof of a new key) must not depend on a program having run first. Documents
 * that are no Kubecost configuration are passed over.
 */
export async function provisionResources(cloud: CloudSim, documents: Iterable<string>): Promise<void> {
  const store = async (s: ObjectStoreAccess): Promise<void> => {
    if (s.type === 'S3') await cloud.aws.ensureBucket(s.access.bucket);
    else if (s.type === 'GCS') cloud.gcp.ensureBucket(s.access.bucket);
    else await cloud.azure.ensureContainer(s.access.account, s.access.container);
  };
  const provisioner: CloudBackend = {
    writeObject: (s) => store(s),
    readObject: (s) => store(s),
    athenaQuery: async (a) => {
      if (a.outputLocation) await cloud.aws.ensureBucket(a.outputLocation);
    },
    bigQuery: (a) => Promise.resolve(cloud.gcp.ensureTable(a.projectId, a.dataset, a.table)),
    azureBillingList: (a) => cloud.azure.ensureContainer(a.account, a.container),
    alibabaBill: () => Promise.resolve(),
  };
  const ignore = () => undefined;
  for (const text of documents) {
    let integrations: ReturnType<typeof parseCloudIntegration> = [];
    try {
      integrations = parseCloudIntegration(text);
    } catch {
      // not a cloud integration
    }
    for (const integration of integrations) await integration.run(provisioner).catch(ignore);
    let config: ReturnType<typeof parseStoreConfig> | undefined;
    try {
      config = parseStoreConfig(text);
    } catch {
      // not a store configuration
    }
    if (config && config.type !== 'CLUSTER') await store(config).catch(ignore);
  }
}
