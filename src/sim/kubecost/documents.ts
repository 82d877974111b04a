/**
 * Secret documents as people and the Helm chart write them: cloud-integration.json in the legacy
 * and nested formats, Thanos/objstore YAML for S3, GCS and AZURE (with comments and a block
 * scalar for the GCS key), the legacy service-key.json and azure-storage-config.json.
 */
import type { AlibabaAccessKey, AwsAccessKey, AzureStorageKey, GcpServiceAccountKey } from './credentials.js';

export interface AthenaTarget {
  readonly account: string;
  readonly region: string;
  readonly bucket: string;
  readonly database: string;
  readonly table: string;
  readonly workgroup: string;
}

export interface BigQueryTarget {
  readonly projectId: string;
  readonly dataset: string;
  readonly table: string;
}

export interface AzureBillingTarget {
  readonly subscriptionId: string;
  readonly container: string;
  readonly path: string;
}

export type NestedEntry =
  | { kind: 'athena'; target: AthenaTarget; key: AwsAccessKey; assumeRoleArn?: string }
  | { kind: 's3'; target: Omit<AthenaTarget, 'database' | 'table' | 'workgroup'>; key: AwsAccessKey }
  | { kind: 'bigQuery'; target: BigQueryTarget; key: GcpServiceAccountKey }
  | { kind: 'azureStorage'; target: AzureBillingTarget; key: AzureStorageKey }
  | { kind: 'boa'; account: string; region: string; key: AlibabaAccessKey };

function awsAuthorizer(key: AwsAccessKey, assumeRoleArn?: string): object {
  const inner = { authorizerType: 'AWSAccessKey', id: key.accessKeyId, secret: key.secretAccessKey };
  return assumeRoleArn ? { authorizerType: 'AWSAssumeRole', roleARN: assumeRoleArn, authorizer: inner } : inner;
}

/** cloud-integration.json, nested format (2-space indent, as the docs show it). */
export function cloudIntegrationNested(entries: readonly NestedEntry[]): string {
  const doc: Record<string, Record<string, object[]>> = {};
  const add = (provider: string, list: string, entry: object) => {
    doc[provider] ??= {};
    (doc[provider][list] ??= []).push(entry);
  };
  for (const e of entries) {
    if (e.kind === 'athena') {
      add('aws', 'athena', {
        bucket: e.target.bucket,
        region: e.target.region,
        database: e.target.database,
        table: e.target.table,
        workgroup: e.target.workgroup,
        account: e.target.account,
        authorizer: awsAuthorizer(e.key, e.assumeRoleArn),
      });
    } else if (e.kind === 's3') {
      add('aws', 's3', {
        bucket: e.target.bucket,
        region: e.target.region,
        account: e.target.account,
        authorizer: awsAuthorizer(e.key),
      });
    } else if (e.kind === 'bigQuery') {
      add('gcp', 'bigQuery', {
        projectID: e.target.projectId,
        dataset: e.target.dataset,
        table: e.target.table,
        authorizer: { authorizerType: 'GCPServiceAccountKey', key: JSON.parse(e.key.json) as object },
      });
    } else if (e.kind === 'azureStorage') {
      add('azure', 'storage', {
        subscriptionID: e.target.subscriptionId,
        account: e.key.accountName,
        container: e.target.container,
        path: e.target.path,
        cloud: 'public',
        authorizer: { authorizerType: 'AzureAccessKey', accessKey: e.key.accountKey, account: e.key.accountName },
      });
    } else {
      add('alibaba', 'boa', {
        account: e.account,
        region: e.region,
        authorizer: {
          authorizerType: 'AlibabaAccessKey',
          accessKeyID: e.key.accessKeyId,
          accessKeySecret: e.key.accessKeySecret,
        },
      });
    }
  }
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export type LegacyEntry =
  | { kind: 'aws'; target: AthenaTarget; key: AwsAccessKey; masterPayerArn?: string }
  | { kind: 'gcp'; projectId: string; billingDataDataset: string; key: GcpServiceAccountKey }
  | { kind: 'azure'; subscriptionId: string; container: string; key: AzureStorageKey }
  | { kind: 'alibaba'; region: string; account: string; key: AlibabaAccessKey };

/** cloud-integration.json, legacy format (top-level arrays; 4-space indent, as many hand-written files). */
export function cloudIntegrationLegacy(entries: readonly LegacyEntry[]): string {
  const doc: Record<string, object[]> = {};
  for (const e of entries) {
    if (e.kind === 'aws') {
      (doc.aws ??= []).push({
        athenaBucketName: e.target.bucket,
        athenaRegion: e.target.region,
        athenaDatabase: e.target.database,
        athenaTable: e.target.table,
        athenaWorkgroup: e.target.workgroup,
        projectID: e.target.account,
        serviceKeyName: e.key.accessKeyId,
        serviceKeySecret: e.key.secretAccessKey,
        ...(e.masterPayerArn ? { masterPayerARN: e.masterPayerArn } : {}),
      });
    } else if (e.kind === 'gcp') {
      (doc.gcp ??= []).push({
        projectID: e.projectId,
        billingDataDataset: e.billingDataDataset,
        key: JSON.parse(e.key.json) as object,
      });
    } else if (e.kind === 'azure') {
      (doc.azure ??= []).push({
        azureSubscriptionID: e.subscriptionId,
        azureStorageAccount: e.key.accountName,
        azureStorageAccessKey: e.key.accountKey,
        azureStorageContainer: e.container,
        azureContainerPath: '',
        azureCloud: 'public',
      });
    } else {
      (doc.alibaba ??= []).push({
        clusterRegion: e.region,
        accountID: e.account,
        serviceKeyName: e.key.accessKeyId,
        serviceKeySecret: e.key.accessKeySecret,
      });
    }
  }
  return `${JSON.stringify(doc, null, 4)}\n`;
}

/** Thanos/objstore S3 config, with the comments and quoting people write. */
export function objstoreS3(bucket: string, region: string, key: AwsAccessKey, prefix?: string): string {
  return [
    '# Object store for Kubecost ETL (Thanos objstore format)',
    'type: S3',
    'config:',
    `  bucket: "${bucket}"`,
    '  endpoint: "s3.amazonaws.com"',
    `  region: ${region}`,
    `  access_key: "${key.accessKeyId}"`,
    `  secret_key: "${key.secretAccessKey}"`,
    '  insecure: false',
    '  signature_version2: false',
    '  put_user_metadata:',
    '    "X-Amz-Acl": "bucket-owner-full-control"',
    '  http_config:',
    '    idle_conn_timeout: 90s',
    '    response_header_timeout: 2m',
    '    insecure_skip_verify: false',
    '  trace:',
    '    enable: true',
    '  part_size: 134217728',
    ...(prefix ? [`prefix: ${prefix}`] : []),
    '',
  ].join('\n');
}

/** Thanos/objstore GCS config: the service-account key JSON as a literal block scalar. */
export function objstoreGcs(bucket: string, key: GcpServiceAccountKey): string {
  const indented = key.json
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
  return [
    'type: GCS',
    'config:',
    `  bucket: "${bucket}"`,
    '  # key for the kubecost-federated service account (rotate with kubecost-rotate)',
    '  service_account: |-',
    indented,
    '',
  ].join('\n');
}

/** Thanos/objstore AZURE config. */
export function objstoreAzure(container: string, key: AzureStorageKey, prefix?: string): string {
  return [
    'type: AZURE',
    'config:',
    `  storage_account: "${key.accountName}"`,
    `  storage_account_key: "${key.accountKey}"`,
    `  container: "${container}"`,
    '  endpoint: ""',
    '  max_retries: 0',
    ...(prefix ? [`prefix: "${prefix}"`] : []),
    '',
  ].join('\n');
}

/** The legacy AWS service-key.json (createServiceKeySecret). */
export function serviceKeyAws(key: AwsAccessKey): string {
  return `{"aws_access_key_id":"${key.accessKeyId}","aws_secret_access_key":"${key.secretAccessKey}"}`;
}

/** The deprecated azure-storage-config.json. */
export function azureStorageConfig(key: AzureStorageKey, container: string): string {
  return `${JSON.stringify({ azureStorageAccount: key.accountName, azureStorageAccessKey: key.accountKey, azureStorageContainer: container, azureContainerPath: '', azureCloud: 'public' }, null, 2)}\n`;
}

/**
 * The 3.x default federated store when none is configured: Kubecost's in-cluster local store,
 * no credential (reference §1.10). The field under `config` is this simulator's choice; the
 * reference does not record the rendered field names.
 */
export function objstoreCluster(release: string, namespace: string): string {
  return ['type: cluster', 'config:', `  endpoint: "${release}-local-store.${namespace}:9006"`, ''].join('\n');
}

/** An S3 store with temporary credentials (access key, secret and session token from STS). */
export function objstoreS3Session(bucket: string, region: string, key: AwsAccessKey, sessionToken: string): string {
  return [
    'type: S3',
    'config:',
    `  bucket: "${bucket}"`,
    '  endpoint: "s3.amazonaws.com"',
    `  region: ${region}`,
    `  access_key: "${key.accessKeyId.replace(/^AKIA/, 'ASIA')}"`,
    `  secret_key: "${key.secretAccessKey}"`,
    `  session_token: "${sessionToken}"`,
    '',
  ].join('\n');
}

/** The finops agent's metrics.json (no key): which metrics it emits. */
export function metricsConfig(): string {
  return `${JSON.stringify({ metrics: [{ name: 'node_cpu_hourly_cost' }, { name: 'container_memory_allocation_bytes' }] }, null, 2)}\n`;
}
