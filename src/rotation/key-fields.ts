/**
 * The fields each key file format defines (issue 8, defect 9): a key file with any other field is
 * refused, so that a typo, a merged file or a key of another kind does not pass unseen. Pure.
 */
import type { Credential } from '../kubecost/secret-formats/index.js';

/** The GCP service-account key file, as `gcloud iam service-accounts keys create` writes it. */
export const GCP_SERVICE_ACCOUNT_FIELDS = [
  'type',
  'project_id',
  'private_key_id',
  'private_key',
  'client_email',
  'client_id',
  'auth_uri',
  'token_uri',
  'auth_provider_x509_cert_url',
  'client_x509_cert_url',
  'universe_domain',
] as const;

/** An AWS key: its two fields, as the SDKs, the console's CSV header and the credentials file spell them. */
const AWS_FIELDS = [
  'accessKeyId',
  'secretAccessKey',
  'AccessKeyId',
  'SecretAccessKey',
  'aws_access_key_id',
  'aws_secret_access_key',
];
/** `aws iam create-access-key` output: `{"AccessKey": {...}}`. */
const AWS_CREATE_ACCESS_KEY = ['UserName', 'AccessKeyId', 'Status', 'SecretAccessKey', 'CreateDate'];
const AZURE_FIELDS = ['accountName', 'storageAccount', 'account', 'accountKey', 'key', 'value'];
const ALIBABA_FIELDS = ['accessKeyId', 'accessKeySecret', 'AccessKeyId', 'AccessKeySecret'];
/** `aliyun ram CreateAccessKey` output: `{"RequestId", "AccessKey": {...}}`. */
const ALIBABA_CREATE_ACCESS_KEY = ['AccessKeyId', 'AccessKeySecret', 'Status', 'CreateDate'];
const GCP_API_KEY_FIELDS = ['keyString', 'apiKey', 'CSP_PRICING_API_KEY'];

export interface UnknownField {
  readonly field: string;
  /** The format, as a person calls it. */
  readonly format: string;
  readonly allowed: readonly string[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function firstUnknown(
  doc: Record<string, unknown>,
  allowed: readonly string[],
  format: string,
): UnknownField | undefined {
  const field = Object.keys(doc).find((k) => !allowed.includes(k));
  return field === undefined ? undefined : { field, format, allowed };
}

/** The first field of a key file that its format (known from the parsed key) does not define. */
export function unknownKeyField(text: string, key: Credential): UnknownField | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    return undefined; // a bare API key: no fields
  }
  if (!isRecord(doc)) return undefined;
  switch (key.provider) {
    case 'gcp':
      return key.kind === 'api-key'
        ? firstUnknown(doc, GCP_API_KEY_FIELDS, 'a GCP API key file')
        : firstUnknown(doc, GCP_SERVICE_ACCOUNT_FIELDS, 'a GCP service-account key file');
    case 'aws':
      return isRecord(doc.AccessKey)
        ? (firstUnknown(doc, ['AccessKey'], 'aws iam create-access-key output') ??
            firstUnknown(doc.AccessKey, AWS_CREATE_ACCESS_KEY, 'aws iam create-access-key output (AccessKey)'))
        : firstUnknown(doc, AWS_FIELDS, 'an AWS key file');
    case 'azure':
      return isRecord(doc.AccessKey)
        ? (firstUnknown(doc, ['AccessKey'], 'an Azure key file') ??
            firstUnknown(doc.AccessKey, AZURE_FIELDS, 'an Azure key file (AccessKey)'))
        : firstUnknown(doc, AZURE_FIELDS, 'an Azure key file');
    case 'alibaba':
      return isRecord(doc.AccessKey)
        ? (firstUnknown(doc, ['RequestId', 'AccessKey'], 'aliyun ram CreateAccessKey output') ??
            firstUnknown(doc.AccessKey, ALIBABA_CREATE_ACCESS_KEY, 'aliyun ram CreateAccessKey output (AccessKey)'))
        : firstUnknown(doc, ALIBABA_FIELDS, 'an Alibaba key file');
  }
}
