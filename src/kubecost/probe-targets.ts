/**
 * Which resource a site's consumer reads with its key, taken from the site's document: the bucket
 * of an object-store config, the Athena workgroup or BigQuery table or billing container of a
 * cloud integration. Pure; the result is plain data (no secret) that a provider probe can check.
 */
import { parseDocument } from 'yaml';
import type { SiteFormat } from './secret-formats/index.js';

export type ResourceTarget =
  | {
      readonly kind: 's3';
      readonly bucket: string;
      readonly region: string;
      readonly endpoint?: string;
      readonly prefix?: string;
    }
  | {
      readonly kind: 'athena';
      readonly region: string;
      readonly workgroup: string;
      readonly database: string;
      readonly outputLocation: string;
    }
  | { readonly kind: 'gcs'; readonly bucket: string; readonly prefix?: string }
  | { readonly kind: 'bigquery'; readonly projectId: string; readonly dataset: string; readonly table: string }
  | {
      readonly kind: 'azure-blob';
      readonly account: string;
      readonly container: string;
      readonly endpoint?: string;
      readonly prefix?: string;
    };

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

/** The array element a site path points into: `aws.athena[0].authorizer` → doc.aws.athena[0]. */
function entryAt(doc: unknown, path: string): Json {
  const m = /^(.*?\[\d+\])/.exec(path);
  if (!m) return obj(doc);
  let current: unknown = doc;
  for (const part of (m[1] ?? '').split('.')) {
    const idx = /^(\w+)\[(\d+)\]$/.exec(part);
    if (idx) {
      const list = obj(current)[idx[1] ?? ''];
      current = Array.isArray(list) ? list[Number(idx[2])] : undefined;
    } else current = obj(current)[part];
  }
  return obj(current);
}

/** Whether an S3 endpoint is AWS's own (then the probe uses the region's default endpoint). */
function customS3Endpoint(endpoint: string): string | undefined {
  if (!endpoint || /(^|\.)amazonaws\.com(\.cn)?$/.test(endpoint.replace(/^https?:\/\//, '').replace(/\/.*$/, '')))
    return undefined;
  return /^https?:\/\//.test(endpoint) ? endpoint : `https://${endpoint}`;
}

/** Formats whose document names no resource to probe: a bare API key, a key file, the cluster-controller key. */
const FORMATS_WITHOUT_RESOURCE: ReadonlySet<SiteFormat> = new Set<SiteFormat>([
  'gcp-api-key',
  'service-key-json',
  'objstore-cluster',
]);

/** Whether a site of this format names a resource a direct probe can reach (known before its document is read). */
export function namesResource(format: SiteFormat): boolean {
  return !FORMATS_WITHOUT_RESOURCE.has(format);
}

/** The resource a site's consumer reads, or undefined when the document does not name one (legacy service keys). */
export function resourceTargetOf(format: SiteFormat, path: string, text: string): ResourceTarget | undefined {
  // A bare API key and a key file name no resource (and an API key is not JSON).
  if (!namesResource(format)) return undefined;
  if (format.startsWith('objstore')) {
    const doc = obj(parseDocument(text).toJS());
    const config = obj(doc.config);
    const prefix = str(doc.prefix) || undefined;
    if (format === 'objstore-s3') {
      const endpoint = customS3Endpoint(str(config.endpoint));
      return {
        kind: 's3',
        bucket: str(config.bucket),
        region: str(config.region) || 'us-east-1',
        ...(endpoint ? { endpoint } : {}),
        ...(prefix ? { prefix } : {}),
      };
    }
    if (format === 'objstore-gcs') return { kind: 'gcs', bucket: str(config.bucket), ...(prefix ? { prefix } : {}) };
    const account = str(config.storage_account);
    const suffix = str(config.endpoint);
    return {
      kind: 'azure-blob',
      account,
      container: str(config.container),
      ...(suffix ? { endpoint: `https://${account}.${suffix}` } : {}),
      ...(prefix ? { prefix } : {}),
    };
  }
  const doc = JSON.parse(text) as unknown;
  if (format === 'cloud-integration-nested') {
    const e = entryAt(doc, path);
    if (path.startsWith('aws.athena'))
      return {
        kind: 'athena',
        region: str(e.region),
        workgroup: str(e.workgroup),
        database: str(e.database),
        outputLocation: str(e.bucket),
      };
    if (path.startsWith('aws.s3'))
      return { kind: 's3', bucket: str(e.bucket).replace(/^s3:\/\//, ''), region: str(e.region) };
    if (path.startsWith('gcp.bigQuery'))
      return { kind: 'bigquery', projectId: str(e.projectID), dataset: str(e.dataset), table: str(e.table) };
    if (path.startsWith('azure.storage'))
      return {
        kind: 'azure-blob',
        account: str(e.account) || str(obj(e.authorizer).account),
        container: str(e.container),
        ...(str(e.path) ? { prefix: str(e.path) } : {}),
      };
    return undefined;
  }
  if (format === 'cloud-integration-legacy') {
    const e = entryAt(doc, path);
    if (path.startsWith('aws[')) {
      if (str(e.athenaDatabase) || str(e.athenaTable))
        return {
          kind: 'athena',
          region: str(e.athenaRegion),
          workgroup: str(e.athenaWorkgroup) || 'primary',
          database: str(e.athenaDatabase),
          outputLocation: str(e.athenaBucketName),
        };
      return { kind: 's3', bucket: str(e.athenaBucketName).replace(/^s3:\/\//, ''), region: str(e.athenaRegion) };
    }
    if (path.startsWith('gcp[')) {
      const [dataset = '', table = ''] = str(e.billingDataDataset).split('.');
      return { kind: 'bigquery', projectId: str(e.projectID), dataset, table };
    }
    if (path.startsWith('azure['))
      return {
        kind: 'azure-blob',
        account: str(e.azureStorageAccount),
        container: str(e.azureStorageContainer),
        ...(str(e.azureContainerPath) ? { prefix: str(e.azureContainerPath) } : {}),
      };
    return undefined;
  }
  if (format === 'azure-storage-config') {
    const e = obj(doc);
    return { kind: 'azure-blob', account: str(e.azureStorageAccount), container: str(e.azureStorageContainer) };
  }
  return undefined;
}
