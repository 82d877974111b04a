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
import { CloudCallError, type CloudBackend, type ObjectStoreAccess } from './backend.js';

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

/** Parses an objstore config as Thanos does: yaml.UnmarshalStrict, so unknown fields are errors. */
export function parseObjstore(text: string): ObjectStoreAccess {
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

function bucketName(store: ObjectStoreAccess): string {
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

/** Uses an object store from a config file read once at start, as writer or reader. */
function runObjectStore(
  ctx: ContainerContext,
  backend: CloudBackend,
  path: string,
  mode: 'write' | 'read',
  style: 'thanos-sidecar' | 'thanos-store' | 'kubecost',
  options: Required<ProgramOptions>,
): void {
  const bytes = ctx.readFile(path);
  if (!bytes) throw new Error(`parsing config YAML file: open ${path}: no such file or directory`);
  const store = parseObjstore(bytes.toString('utf8'));
  const use = async () => {
    // Object keys go under the configured prefix (a directory); the Azure backend adds its own.
    const prefix = store.type === 'AZURE' || !store.access.prefix ? '' : `${store.access.prefix.replace(/\/+$/, '')}/`;
    const key = `${prefix}${style === 'kubecost' ? `federated/${ctx.env.CLUSTER_ID ?? ctx.cluster}/etl/${ctx.now().toISOString().slice(0, 10)}.json` : `${ulid()}/meta.json`}`;
    try {
      if (mode === 'write') await backend.writeObject(store, key, '{}');
      else await backend.readObject(store, key);
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
    if (config) runObjectStore(ctx, backend, config, 'write', 'kubecost', options);
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
        runIngestion(ctx, backend, '/var/configs/cloud-integration/cloud-integration.json', options, statuses);
        writeEtl(ctx);
        serveStatus(ctx, 9005, '/cloudCost/status', statuses);
        return;
      }
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
          runObjectStore(ctx, backend, ctx.env.FEDERATED_STORE_CONFIG, 'read', 'kubecost', options);
        return;
      case 'diagnostics':
        if (ctx.env.FEDERATED_STORE_CONFIG)
          runObjectStore(ctx, backend, ctx.env.FEDERATED_STORE_CONFIG, 'read', 'kubecost', options);
        return;
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
