/**
 * Simulated Kubecost components, as pod programs for kube-sim. Each reads its mounted Secret
 * files the way the real component does (cloud-cost re-reads cloud-integration.json every 10 s;
 * object-store configs are read once, strictly, at start), keeps using the credentials against
 * the cloud backend, and logs in the real formats (reference §6), so a rotation can be verified
 * from logs and from the cloud-cost status endpoint (reference §5) exactly as on a cluster.
 */
import { randomBytes } from 'node:crypto';
import { parseDocument } from 'yaml';
import type { ClusterTarget } from '../kube/target.js';
import type { ContainerContext, ContainerProgram } from '../kube/program.js';
import { CloudCallError, isAuthRefusal, type CloudBackend, type ObjectStoreAccess } from './backend.js';

export interface ProgramOptions {
  /** How often each component uses its credentials (simulated ms). Default 1000. */
  readonly intervalMs?: number;
  /** How often cloud-cost re-reads cloud-integration.json. Default 10 000, as OpenCost's config controller. */
  readonly configReloadMs?: number;
}

// ------------------------------------------------------------------------------------ logging

function nano(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/** OpenCost/Kubecost format: `<RFC3339Nano> <LVL> <msg>`. */
function kubecostLog(ctx: ContainerContext, level: 'INF' | 'WRN' | 'ERR', message: string): void {
  ctx.log(`${nano(ctx.now())} ${level} ${message}`);
}

/** Thanos (go-kit) format: `level=... ts=... caller=... msg="..."`. */
function thanosLog(
  ctx: ContainerContext,
  level: 'info' | 'warn' | 'error',
  caller: string,
  msg: string,
  fields: Record<string, string> = {},
): void {
  const rest = Object.entries(fields)
    .map(([k, v]) => `${k}=${/[\s"=]/.test(v) ? JSON.stringify(v) : v}`)
    .join(' ');
  ctx.log(
    `level=${level} ts=${ctx.now().toISOString()} caller=${caller} msg=${JSON.stringify(msg)}${rest ? ` ${rest}` : ''}`,
  );
}

function errorText(error: unknown): string {
  if (error instanceof CloudCallError) return `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
}

function ulid(): string {
  return `01J${randomBytes(12).toString('hex').toUpperCase().slice(0, 23)}`;
}

// ------------------------------------------------------------------------------------ objstore

const OBJSTORE_FIELDS: Record<string, ReadonlySet<string>> = {
  S3: new Set([
    'bucket',
    'endpoint',
    'region',
    'access_key',
    'secret_key',
    'session_token',
    'aws_sdk_auth',
    'insecure',
    'signature_version2',
    'put_user_metadata',
    'http_config',
    'trace',
    'part_size',
    'sse_config',
    'sts_endpoint',
    'list_objects_version',
    'bucket_lookup_type',
    'max_retries',
    'disable_dualstack',
  ]),
  GCS: new Set([
    'bucket',
    'service_account',
    'use_grpc',
    'grpc_conn_pool_size',
    'http_config',
    'chunk_size_bytes',
    'max_retries',
  ]),
  AZURE: new Set([
    'storage_account',
    'storage_account_key',
    'container',
    'endpoint',
    'max_retries',
    'storage_connection_string',
    'user_assigned_id',
    'msi_resource',
    'pipeline_config',
    'reader_config',
    'http_config',
    'az_tenant_id',
    'client_id',
    'client_secret',
    'storage_create_container',
  ]),
};

/** Kubecost 3.x's keyless in-cluster store (`type: cluster`, served by the local store). */
export interface ClusterStoreAccess {
  readonly type: 'CLUSTER';
  readonly endpoint: string;
}

/** Parses an objstore config as Thanos does: yaml.UnmarshalStrict, so unknown fields are errors. */
export function parseObjstore(text: string): ObjectStoreAccess {
  const store = parseStoreConfig(text);
  if (store.type === 'CLUSTER') throw new Error('parsing config YAML file: unsupported bucket provider cluster');
  return store;
}

/** Parses a Kubecost 2.9+/3.x store config: the objstore types, and `type: cluster` (no credential). */
export function parseStoreConfig(text: string): ObjectStoreAccess | ClusterStoreAccess {
  const doc = parseDocument(text, { uniqueKeys: true, strict: true });
  if (doc.errors.length > 0)
    throw new Error(`parsing config YAML file: ${doc.errors[0]?.message.split('\n')[0] ?? 'invalid YAML'}`);
  const root = doc.toJS() as Record<string, unknown> | null;
  if (!root || typeof root !== 'object') throw new Error('parsing config YAML file: empty document');
  for (const key of Object.keys(root))
    if (!['type', 'config', 'prefix'].includes(key))
      throw new Error(
        `parsing config YAML file: yaml: unmarshal errors:\n  field ${key} not found in type client.BucketConfig`,
      );
  const type = String(root.type ?? '').toUpperCase();
  if (type === 'CLUSTER') {
    const config = (root.config ?? {}) as Record<string, unknown>;
    return { type: 'CLUSTER', endpoint: String(config.endpoint ?? '') };
  }
  const fields = OBJSTORE_FIELDS[type];
  if (!fields) throw new Error(`parsing config YAML file: unsupported bucket provider ${String(root.type ?? '')}`);
  const config = (root.config ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(config))
    if (!fields.has(key))
      throw new Error(
        `parsing config YAML file: yaml: unmarshal errors:\n  field ${key} not found in type ${type.toLowerCase()}.Config`,
      );
  const prefix = typeof root.prefix === 'string' ? root.prefix : undefined;
  const s = (k: string) => (config[k] === undefined || config[k] === null ? '' : String(config[k]));
  if (type === 'S3') {
    if (!s('endpoint')) throw new Error('create S3 client: no s3 endpoint in config file');
    return {
      type,
      access: {
        bucket: s('bucket'),
        endpoint: s('endpoint'),
        region: s('region'),
        accessKeyId: s('access_key'),
        secretAccessKey: s('secret_key'),
        ...(prefix ? { prefix } : {}),
      },
    };
  }
  if (type === 'GCS')
    return {
      type,
      access: { bucket: s('bucket'), serviceAccountJson: s('service_account'), ...(prefix ? { prefix } : {}) },
    };
  if (!s('storage_account'))
    throw new Error('create AZURE client: storage_account_name is required but not configured');
  return {
    type: 'AZURE',
    access: {
      account: s('storage_account'),
      accountKey: s('storage_account_key'),
      container: s('container'),
      ...(prefix ? { prefix } : {}),
    },
  };
}

function bucketName(store: ObjectStoreAccess | ClusterStoreAccess): string {
  if (store.type === 'CLUSTER') return store.endpoint;
  return store.type === 'AZURE' ? store.access.container : store.access.bucket;
}

// ------------------------------------------------------------------------------------ cloud integrations

interface Integration {
  readonly key: string;
  readonly provider: 'AWS' | 'GCP' | 'Azure' | 'Alibaba';
  /** The sanitized config, as /cloudCost/status shows it. */
  readonly config: Record<string, unknown>;
  run(backend: CloudBackend): Promise<void>;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const list = (v: unknown): Json[] => (Array.isArray(v) ? v.map(obj) : []);
const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));

/** The AWS access key inside an authorizer, unwrapping AWSAssumeRole. */
function awsKey(authorizer: Json): { id: string; secret: string } | undefined {
  if (authorizer.authorizerType === 'AWSAccessKey') return { id: str(authorizer.id), secret: str(authorizer.secret) };
  if (authorizer.authorizerType === 'AWSAssumeRole') return awsKey(obj(authorizer.authorizer));
  return undefined;
}

function sanitize(authorizer: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(authorizer)) {
    if (k === 'authorizer') out[k] = sanitize(obj(v));
    else if (['secret', 'accessKey', 'accessKeySecret', 'key', 'clientSecret', 'storageConnectionString'].includes(k))
      out[k] = 'REDACTED';
    else out[k] = v;
  }
  return out;
}

/** Reads cloud-integration.json as OpenCost does: nested format first, then the legacy arrays. */
export function parseCloudIntegration(text: string): Integration[] {
  const doc = obj(JSON.parse(text) as unknown);
  const out: Integration[] = [];
  const nested = Object.values(doc).some((v) => typeof v === 'object' && v !== null && !Array.isArray(v));
  if (nested) {
    for (const e of list(obj(doc.aws).athena)) {
      const a = obj(e.authorizer);
      const key = awsKey(a);
      out.push({
        key: `${str(e.account)}/${str(e.bucket)}`,
        provider: 'AWS',
        config: { ...e, authorizer: sanitize(a) },
        run: (b) =>
          key
            ? b.athenaQuery({
                region: str(e.region),
                workgroup: str(e.workgroup),
                database: str(e.database),
                outputLocation: str(e.bucket),
                accessKeyId: key.id,
                secretAccessKey: key.secret,
              })
            : Promise.resolve(),
      });
    }
    for (const e of list(obj(doc.aws).s3)) {
      const a = obj(e.authorizer);
      const key = awsKey(a);
      out.push({
        key: `${str(e.account)}/${str(e.bucket)}`,
        provider: 'AWS',
        config: { ...e, authorizer: sanitize(a) },
        run: (b) =>
          key
            ? b.readObject(
                {
                  type: 'S3',
                  access: {
                    bucket: str(e.bucket),
                    endpoint: 's3.amazonaws.com',
                    region: str(e.region),
                    accessKeyId: key.id,
                    secretAccessKey: key.secret,
                  },
                },
                'cur/manifest.json',
              )
            : Promise.resolve(),
      });
    }
    for (const e of list(obj(doc.gcp).bigQuery)) {
      const a = obj(e.authorizer);
      out.push({
        key: `${str(e.projectID)}/${str(e.dataset)}.${str(e.table)}`,
        provider: 'GCP',
        config: { ...e, authorizer: sanitize(a) },
        run: (b) =>
          a.authorizerType === 'GCPServiceAccountKey'
            ? b.bigQuery({
                projectId: str(e.projectID),
                dataset: str(e.dataset),
                table: str(e.table),
                keyJson: JSON.stringify(a.key),
              })
            : Promise.resolve(),
      });
    }
    for (const e of list(obj(doc.azure).storage)) {
      const a = obj(e.authorizer);
      out.push({
        key: `${str(e.subscriptionID)}/${str(e.container)}${str(e.path) ? `/${str(e.path)}` : ''}`,
        provider: 'Azure',
        config: { ...e, authorizer: sanitize(a) },
        run: (b) =>
          b.azureBillingList({
            account: str(a.account || e.account),
            accountKey: str(a.accessKey),
            container: str(e.container),
          }),
      });
    }
    for (const e of list(obj(doc.alibaba).boa)) {
      const a = obj(e.authorizer);
      out.push({
        key: `${str(e.account)}/${str(e.region)}`,
        provider: 'Alibaba',
        config: { ...e, authorizer: sanitize(a) },
        run: (b) =>
          b.alibabaBill({
            accessKeyId: str(a.accessKeyID),
            accessKeySecret: str(a.accessKeySecret),
            region: str(e.region),
          }),
      });
    }
    return out;
  }
  for (const e of list(doc.aws)) {
    const id = str(e.serviceKeyName);
    const secret = str(e.serviceKeySecret);
    const config = {
      ...e,
      serviceKeySecret: 'REDACTED',
      authorizer: { authorizerType: 'AWSAccessKey', id, secret: 'REDACTED' },
    };
    out.push({
      key: `${str(e.projectID)}/${str(e.athenaBucketName)}`,
      provider: 'AWS',
      config,
      run: (b) =>
        b.athenaQuery({
          region: str(e.athenaRegion),
          workgroup: str(e.athenaWorkgroup),
          database: str(e.athenaDatabase),
          outputLocation: str(e.athenaBucketName),
          accessKeyId: id,
          secretAccessKey: secret,
        }),
    });
  }
  for (const e of list(doc.gcp)) {
    const [dataset = '', table = ''] = str(e.billingDataDataset).split('.');
    out.push({
      key: `${str(e.projectID)}/${dataset}.${table}`,
      provider: 'GCP',
      config: { ...e, key: 'REDACTED' },
      run: (b) => b.bigQuery({ projectId: str(e.projectID), dataset, table, keyJson: JSON.stringify(e.key) }),
    });
  }
  for (const e of list(doc.azure)) {
    out.push({
      key: `${str(e.azureSubscriptionID)}/${str(e.azureStorageContainer)}`,
      provider: 'Azure',
      config: {
        ...e,
        azureStorageAccessKey: 'REDACTED',
        authorizer: { authorizerType: 'AzureAccessKey', account: str(e.azureStorageAccount), accessKey: 'REDACTED' },
      },
      run: (b) =>
        b.azureBillingList({
          account: str(e.azureStorageAccount),
          accountKey: str(e.azureStorageAccessKey),
          container: str(e.azureStorageContainer),
        }),
    });
  }
  for (const e of list(doc.alibaba)) {
    out.push({
      key: `${str(e.accountID)}/${str(e.clusterRegion ?? e.ClusterRegion)}`,
      provider: 'Alibaba',
      config: { ...e, serviceKeySecret: 'REDACTED' },
      run: (b) =>
        b.alibabaBill({
          accessKeyId: str(e.serviceKeyName),
          accessKeySecret: str(e.serviceKeySecret),
          region: str(e.clusterRegion),
        }),
    });
  }
  return out;
}

interface IntegrationStatus {
  key: string;
  provider: string;
  connectionStatus: string;
  config: Record<string, unknown>;
  lastRun: string;
  runs: number;
  created: string;
}

/** The ingestion of cloud-integration.json, shared by cost-model (1.x) and cloud-cost (2.x+). */
function runIngestion(
  ctx: ContainerContext,
  backend: CloudBackend,
  path: string,
  options: Required<ProgramOptions>,
  statuses: Map<string, IntegrationStatus>,
): void {
  let text = ctx.readFile(path)?.toString('utf8');
  let integrations: Integration[] = [];
  const load = (initial: boolean) => {
    if (text === undefined) {
      kubecostLog(ctx, 'WRN', `MultiCloudWatcher: Error getting file '${path}': no such file or directory`);
      integrations = [];
      return;
    }
    try {
      const next = parseCloudIntegration(text);
      if (!initial)
        for (const i of integrations)
          kubecostLog(ctx, 'INF', `CloudCost: IngestionManager: deleting integration with key: ${i.key}`);
      integrations = next;
      statuses.clear();
      for (const i of integrations) {
        kubecostLog(ctx, 'INF', `CloudCost: IngestionManager: creating integration with key: ${i.key}`);
        statuses.set(i.key, {
          key: i.key,
          provider: i.provider,
          connectionStatus: 'No Connection',
          config: i.config,
          lastRun: '0001-01-01T00:00:00Z',
          runs: 0,
          created: ctx.now().toISOString(),
        });
      }
    } catch (error: unknown) {
      kubecostLog(
        ctx,
        'ERR',
        `MultiCloudWatcher: Error getting file '${path}': ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  };
  const ingest = async () => {
    for (const i of integrations) {
      const status = statuses.get(i.key);
      const end = ctx.now();
      const start = new Date(end.getTime() - 24 * 3600 * 1000);
      try {
        await i.run(backend);
        if (status)
          Object.assign(status, {
            connectionStatus: 'Connection Successful',
            lastRun: end.toISOString(),
            runs: status.runs + 1,
          });
        kubecostLog(
          ctx,
          'INF',
          `CloudCost[${i.key}]: ingestor: completed run for window [${start.toISOString()}, ${end.toISOString()})`,
        );
      } catch (error: unknown) {
        if (status)
          Object.assign(status, {
            connectionStatus: 'Failed Connection',
            lastRun: end.toISOString(),
            runs: status.runs + 1,
          });
        const detail =
          i.provider === 'AWS' &&
          error instanceof CloudCallError &&
          ['UnrecognizedClientException', 'InvalidSignatureException'].includes(error.code)
            ? `GetCloudCost: error getting Athena columns: QueryAthenaPaginated: start query error: operation error Athena: StartQueryExecution, https response error StatusCode: ${error.status ?? 400}, RequestID: ${randomBytes(16).toString('hex')}, api error ${error.code}: ${error.message}`
            : errorText(error);
        kubecostLog(
          ctx,
          'ERR',
          `CloudCost[${i.key}]: ingestor: build failed for window [${start.toISOString()}, ${end.toISOString()}): ${detail}`,
        );
      }
    }
  };
  load(true);
  void ingest();
  ctx.every(options.intervalMs, ingest);
  ctx.every(options.configReloadMs, () => {
    const now = ctx.readFile(path)?.toString('utf8');
    if (now !== text) {
      text = now;
      load(false);
    }
  });
}

function statusDocument(statuses: Map<string, IntegrationStatus>): unknown {
  return {
    code: 200,
    data: [...statuses.values()].map((s) => ({
      key: s.key,
      source: 'multicloud',
      provider: s.provider,
      active: true,
      valid: true,
      lastRun: s.lastRun,
      nextRun: '',
      RefreshRate: '6h0m0s',
      created: s.created,
      runs: s.runs,
      coverage: {},
      connectionStatus: s.connectionStatus,
      config: s.config,
    })),
  };
}

// ------------------------------------------------------------------------------------ components

/**
 * How a component logs its use of a store: Thanos (go-kit), 1.x/2.x Kubecost, or 2.9+/3.x
 * Kubecost, whose store failures are one INF line with no provider wording (reference §1.10).
 */
type StoreLogStyle = 'thanos-sidecar' | 'thanos-store' | 'kubecost' | 'kubecost3';

/** Uses an object store from a config file read once at start, as writer or reader. */
function runObjectStore(
  ctx: ContainerContext,
  backend: CloudBackend,
  path: string,
  mode: 'write' | 'read',
  style: StoreLogStyle,
  options: Required<ProgramOptions>,
): void {
  const bytes = ctx.readFile(path);
  if (!bytes) throw new Error(`parsing config YAML file: open ${path}: no such file or directory`);
  const text = bytes.toString('utf8');
  const store = style === 'kubecost3' ? parseStoreConfig(text) : parseObjstore(text);
  const use = async () => {
    // Object keys go under the configured prefix (a directory); the Azure backend adds its own.
    const prefix =
      store.type === 'AZURE' || store.type === 'CLUSTER' || !store.access.prefix
        ? ''
        : `${store.access.prefix.replace(/\/+$/, '')}/`;
    const key = `${prefix}${style === 'kubecost' || style === 'kubecost3' ? `federated/${ctx.env.CLUSTER_ID ?? ctx.cluster}/etl/${ctx.now().toISOString().slice(0, 10)}.json` : `${ulid()}/meta.json`}`;
    try {
      // The keyless local store takes no credential: nothing to authenticate.
      if (store.type !== 'CLUSTER') {
        if (mode === 'write') await backend.writeObject(store, key, '{}');
        else await backend.readObject(store, key);
      }
      if (style === 'thanos-sidecar') thanosLog(ctx, 'info', 'shipper.go:334', 'upload new block', { id: ulid() });
      else if (style === 'thanos-store')
        thanosLog(ctx, 'info', 'fetcher.go:478', 'successfully synchronized block metadata', {
          duration: '12ms',
          cached: '3',
          returned: '3',
        });
      else
        kubecostLog(
          ctx,
          'INF',
          `${mode === 'write' ? 'ETL: uploaded' : 'ETL: read'} ${store.type.toLowerCase()} object ${bucketName(store)}/${key}`,
        );
    } catch (error: unknown) {
      const text = errorText(error);
      if (style === 'thanos-sidecar')
        thanosLog(ctx, 'error', 'shipper.go:343', 'shipping failed', {
          block: ulid(),
          err: `upload chunks: upload file ${key}: ${text}`,
        });
      else if (style === 'thanos-store')
        thanosLog(ctx, 'error', 'bucket.go:641', 'bucket store initial sync', {
          err: `${text}\nBaseFetcher: iter bucket`,
        });
      else if (style === 'kubecost3' && isAuthRefusal(error))
        kubecostLog(ctx, 'INF', 'ClusterStorage: failed to connecting cluster storage. retry in 5s');
      // Any other failure (the SDK's retries of a reset connection, a time-out or a 5xx used up,
      // a missing bucket) is no refusal of the key: 3.x names it without the refusal's wording.
      else if (style === 'kubecost3')
        kubecostLog(
          ctx,
          'WRN',
          `ClusterStorage: ${mode === 'write' ? 'write to' : 'read from'} cluster storage failed: ${text}. retry in 5s`,
        );
      else
        kubecostLog(
          ctx,
          'ERR',
          `${mode === 'write' ? `upload ${store.type.toLowerCase()} object` : `Read from ${store.type} failed`}: ${text}`,
        );
    }
  };
  void use();
  ctx.every(options.intervalMs, use);
}

/** 2.9+/3.x components read their store at /var/configs/<fileName>; 1.x and 2.x under /var/configs/etl. */
function storeStyle(path: string): StoreLogStyle {
  return path.startsWith('/var/configs/etl/') ? 'kubecost' : 'kubecost3';
}

/** The finops agent's use of the GCP pricing API key (env CLOUD_PROVIDER_API_KEY, fixed at start). */
function runPricing(ctx: ContainerContext, backend: CloudBackend, options: Required<ProgramOptions>): void {
  const apiKey = ctx.env.CLOUD_PROVIDER_API_KEY;
  if (!apiKey) {
    kubecostLog(ctx, 'INF', 'Pricing: no CLOUD_PROVIDER_API_KEY: using public list prices');
    return;
  }
  const pricing = backend.gcpPricing?.bind(backend);
  if (!pricing) {
    kubecostLog(ctx, 'INF', 'Pricing: GCP: the pricing API is not reachable from this cluster: using list prices');
    return;
  }
  const call = async () => {
    try {
      await pricing({ apiKey });
      kubecostLog(ctx, 'INF', 'Pricing: GCP: refreshed SKU prices from cloudbilling.googleapis.com');
    } catch (error: unknown) {
      kubecostLog(ctx, 'ERR', `Pricing: GCP: error getting SKU prices: ${errorText(error)}`);
    }
  };
  void call();
  ctx.every(options.intervalMs, call);
}

/** The cluster-controller's GCP key (GOOGLE_APPLICATION_CREDENTIALS), read once at start: it authenticates to Google. */
function runControllerKey(ctx: ContainerContext, backend: CloudBackend, options: Required<ProgramOptions>): void {
  const path = ctx.env.GOOGLE_APPLICATION_CREDENTIALS ?? '';
  const keyJson = ctx.readFile(path)?.toString('utf8');
  if (keyJson === undefined) {
    kubecostLog(ctx, 'INF', `ClusterController: no GCP credentials at ${path}: GKE actions are disabled`);
    return;
  }
  let project = 'unknown';
  try {
    project = String((JSON.parse(keyJson) as { project_id?: unknown }).project_id ?? project);
  } catch {
    throw new Error(
      `google: error getting credentials using GOOGLE_APPLICATION_CREDENTIALS environment variable: invalid character in ${path}`,
    );
  }
  const call = async () => {
    try {
      // The only Google call the backend offers: a read in the project's actions bucket (token exchange first).
      await backend.readObject(
        { type: 'GCS', access: { bucket: `${project}-kubecost-actions`, serviceAccountJson: keyJson } },
        'actions/heartbeat.json',
      );
      kubecostLog(ctx, 'INF', `ClusterController: GKE: authenticated to project ${project}`);
    } catch (error: unknown) {
      kubecostLog(ctx, 'ERR', `ClusterController: GKE: ${errorText(error)}`);
    }
  };
  void call();
  ctx.every(options.intervalMs, call);
}

/** The programs of every Kubecost container kind, chosen by container name. */
function programFor(
  cluster: ClusterTarget,
  backend: CloudBackend,
  options: Required<ProgramOptions>,
  registry: Map<string, Map<string, IntegrationStatus>>,
): ContainerProgram {
  /** ETL files go to the federated store, else to the ETL backup bucket, if either is configured. */
  const writeEtl = (ctx: ContainerContext) => {
    const config = ctx.env.FEDERATED_STORE_CONFIG ?? ctx.env.ETL_BUCKET_CONFIG;
    if (config) runObjectStore(ctx, backend, config, 'write', storeStyle(config), options);
  };
  const serveStatus = (ctx: ContainerContext, port: number, path: string, statuses: Map<string, IntegrationStatus>) =>
    ctx.serve(port, (req) => {
      if (req.path === '/healthz') return { status: 200, body: 'ok' };
      if (req.path === path) return { status: 200, body: statusDocument(statuses) };
      return { status: 404, body: '404 page not found\n' };
    });
  return (ctx) => {
    const registryKey = `${ctx.namespace}/${ctx.labels['app.kubernetes.io/instance'] ?? ''}`;
    switch (ctx.container) {
      case 'cost-model': {
        kubecostLog(ctx, 'INF', 'Starting cost-model');
        const statuses = new Map<string, IntegrationStatus>();
        const integration = '/var/configs/cloud-integration/cloud-integration.json';
        if (ctx.readFile(integration)) {
          registry.set(registryKey, statuses);
          runIngestion(ctx, backend, integration, options, statuses);
        }
        writeEtl(ctx);
        serveStatus(ctx, 9003, '/model/cloudCost/status', statuses);
        return;
      }
      case 'cloud-cost': {
        kubecostLog(ctx, 'INF', 'Starting cloud-cost');
        const statuses = new Map<string, IntegrationStatus>();
        registry.set(registryKey, statuses);
        // 3.x mounts the file by subPath at CLOUD_COST_CONFIG_PATH; 2.x under CONFIG_PATH/cloud-integration.
        const integration =
          ctx.env.CLOUD_COST_CONFIG_PATH ??
          `${ctx.env.CONFIG_PATH ?? '/var/configs'}/cloud-integration/cloud-integration.json`;
        runIngestion(ctx, backend, integration, options, statuses);
        writeEtl(ctx);
        serveStatus(ctx, 9005, '/cloudCost/status', statuses);
        return;
      }
      case 'finops-agent':
        kubecostLog(ctx, 'INF', 'Starting finops-agent');
        runObjectStore(
          ctx,
          backend,
          ctx.env.FEDERATED_STORE_CONFIG ?? '/var/configs/federated-store.yaml',
          'write',
          'kubecost3',
          options,
        );
        runPricing(ctx, backend, options);
        return;
      case 'kubecost-cluster-controller':
        kubecostLog(ctx, 'INF', 'Starting cluster-controller');
        runControllerKey(ctx, backend, options);
        if (ctx.env.ACTIONS_BUCKET_CONFIG)
          runObjectStore(ctx, backend, ctx.env.ACTIONS_BUCKET_CONFIG, 'write', 'kubecost3', options);
        return;
      case 'local-object-store':
        kubecostLog(ctx, 'INF', 'Starting local object store on :9006');
        if (ctx.env.FEDERATED_STORE_CONFIG)
          runObjectStore(ctx, backend, ctx.env.FEDERATED_STORE_CONFIG, 'read', 'kubecost3', options);
        ctx.serve(9006, () => ({ status: 200, body: 'ok' }));
        return;
      case 'federator':
        kubecostLog(ctx, 'INF', 'Starting federator');
        if (ctx.env.FEDERATED_STORE_CONFIG)
          runObjectStore(ctx, backend, ctx.env.FEDERATED_STORE_CONFIG, 'read', 'kubecost', options);
        return;
      case 'etl-utils':
        if (ctx.env.ETL_BUCKET_CONFIG)
          runObjectStore(ctx, backend, ctx.env.ETL_BUCKET_CONFIG, 'read', 'kubecost', options);
        return;
      case 'frontend':
      case 'cost-analyzer-frontend':
        // nginx proxies /model/cloudCost/status to cloud-cost (2.x) or cost-model.
        ctx.serve(9090, (req) => {
          if (req.path === '/model/cloudCost/status') {
            const statuses = registry.get(registryKey);
            return statuses
              ? { status: 200, body: statusDocument(statuses) }
              : { status: 502, body: '502 Bad Gateway\n' };
          }
          return { status: 200, body: '<html>Kubecost</html>' };
        });
        return;
      case 'aggregator':
        kubecostLog(ctx, 'INF', 'Starting aggregator');
        if (ctx.env.FEDERATED_STORE_CONFIG)
          runObjectStore(
            ctx,
            backend,
            ctx.env.FEDERATED_STORE_CONFIG,
            'read',
            storeStyle(ctx.env.FEDERATED_STORE_CONFIG),
            options,
          );
        return;
      case 'diagnostics': {
        // 2.x reads the federated store; 1.108 with Thanos reads kubecost-thanos.
        const config = ctx.env.FEDERATED_STORE_CONFIG ?? ctx.env.ETL_BUCKET_CONFIG;
        if (config) runObjectStore(ctx, backend, config, 'read', 'kubecost', options);
        return;
      }
      case 'thanos-sidecar':
        runObjectStore(ctx, backend, '/etc/config/object-store.yaml', 'write', 'thanos-sidecar', options);
        return;
      case 'thanos-store':
      case 'thanos-compact':
      case 'thanos-bucket':
        runObjectStore(ctx, backend, '/etc/config/object-store.yaml', 'read', 'thanos-store', options);
        return;
      default:
        void cluster;
        return;
    }
  };
}

/** Binds the simulated Kubecost components to every Kubecost container of a cluster. */
export function bindKubecostPrograms(
  cluster: ClusterTarget,
  backend: CloudBackend,
  options: ProgramOptions = {},
): void {
  const full: Required<ProgramOptions> = {
    intervalMs: options.intervalMs ?? 1000,
    configReloadMs: options.configReloadMs ?? 10_000,
  };
  const registry = new Map<string, Map<string, IntegrationStatus>>();
  cluster.kubelet.bind({ program: programFor(cluster, backend, full, registry) });
}
