/**
 * The bad-input corpus: odd or broken Secret values, each with the error it must get. Every
 * message must name the place and contain no secret value from the input (DESIGN §4, 5 and 6).
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/errors.js';
import {
  detectAndParse,
  parseSecretData,
  SecretFormatError,
  type SecretFormatErrorCode,
  type SecretLocation,
} from './index.js';

const KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const AZURE_KEY = 'ZmFrZS1henVyZS1rZXktY29ycHVzLTAwMDAwMDAwMA==';
const ALIBABA_SECRET = 'fakeAlibabaCorpusSecret0001';
const PEM = '-----BEGIN PRIVATE KEY-----\nMIIEvCORPUSxFAKExKEYxBODY\n-----END PRIVATE KEY-----\n';
/** Every secret value planted in the inputs below; no error may show any of them. */
const API_KEY_BODY = 'SyCORPUSfakeAPIkeyBODY00000000000';
const PLANTED = [
  KEY_ID,
  SECRET,
  AZURE_KEY,
  ALIBABA_SECRET,
  'MIIEvCORPUSxFAKExKEYxBODY',
  'connection-secret-value',
  API_KEY_BODY,
];

const gcpKey = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'service_account',
  project_id: 'kubecost-demo-123456',
  private_key_id: '0123456789abcdef0123456789abcdef01234567',
  private_key: PEM,
  client_email: 'kubecost@kubecost-demo-123456.iam.gserviceaccount.com',
  client_id: '1234567890',
  ...overrides,
});

const athena = (authorizer: unknown, overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  bucket: 's3://aws-athena-query-results-123456789012-us-east-1',
  region: 'us-east-1',
  database: 'athenacurcfn_kubecost_cur',
  table: 'kubecost_cur',
  workgroup: 'primary',
  account: '123456789012',
  authorizer,
  ...overrides,
});

const accessKey = { authorizerType: 'AWSAccessKey', id: KEY_ID, secret: SECRET };
const nested = (authorizer: unknown, overrides: Record<string, unknown> = {}): string =>
  JSON.stringify({ aws: { athena: [athena(authorizer, overrides)] } }, null, 2);
const bigQuery = (authorizer: unknown): string =>
  JSON.stringify(
    {
      gcp: {
        bigQuery: [
          { projectID: 'kubecost-demo-123456', dataset: 'billing_export', table: 'gcp_billing_export_v1', authorizer },
        ],
      },
    },
    null,
    2,
  );
const azureStorage = (authorizer: unknown): string =>
  JSON.stringify(
    {
      azure: {
        storage: [
          {
            subscriptionID: 'sub',
            account: 'kubecostexport',
            container: 'costexports',
            path: '',
            cloud: 'public',
            authorizer,
          },
        ],
      },
    },
    null,
    2,
  );
const legacyGcp = (key: unknown): string =>
  JSON.stringify(
    { gcp: [{ projectID: 'kubecost-demo-123456', billingDataDataset: 'billing_export.table', key }] },
    null,
    2,
  );

const CI = 'cloud-integration.json';
const FS = 'federated-store.yaml';
const SK = 'service-key.json';
const AZ = 'azure-storage-config.json';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

interface Case {
  /** Either the Secret's base64 data map, or one decoded value. */
  readonly data?: Record<string, string> | null;
  readonly value?: string | Uint8Array;
  readonly dataKey: string;
  readonly code: SecretFormatErrorCode;
  /** A substring of the message naming the place (path, line, column) or the problem. */
  readonly at: string;
}

const CORPUS: Record<string, Case> = {
  // --- the Secret and its base64 ---
  'a Secret with empty data': { data: {}, dataKey: CI, code: 'EmptySecret', at: 'has no data at all' },
  'a Secret with no data field': { data: null, dataKey: CI, code: 'EmptySecret', at: 'has no data at all' },
  'a Secret without the expected data key': {
    data: { 'cloud-integration.jsn': b64(nested(accessKey)) },
    dataKey: CI,
    code: 'MissingDataKey',
    at: 'no data key "cloud-integration.json" (it has "cloud-integration.jsn")',
  },
  'a data value that is not base64': {
    data: { [CI]: 'not*base64!' },
    dataKey: CI,
    code: 'InvalidBase64',
    at: 'position 3',
  },
  'a data value with broken base64 padding': {
    data: { [CI]: `${b64(SECRET)}=` },
    dataKey: CI,
    code: 'InvalidBase64',
    at: 'wrong length or padding',
  },
  'base64 wrapped across lines': {
    data: { [CI]: `${b64(nested(accessKey)).slice(0, 76)}\n${b64(nested(accessKey)).slice(76)}` },
    dataKey: CI,
    code: 'InvalidBase64',
    at: 'position 76',
  },
  'a value encoded in base64 twice': {
    data: { [FS]: b64(b64(`type: S3\nconfig:\n  access_key: ${KEY_ID}\n`)) },
    dataKey: FS,
    code: 'EncodedTwice',
    at: 'base64-encoded twice',
  },
  'a JSON value encoded in base64 twice': {
    data: { [CI]: b64(b64(nested(accessKey))) },
    dataKey: CI,
    code: 'EncodedTwice',
    at: 'base64-encoded twice',
  },

  // --- bytes that are no text document ---
  'an empty value': { value: '', dataKey: CI, code: 'EmptyValue', at: 'the value is empty' },
  'a value of only whitespace': { value: ' \n\t\r\n ', dataKey: FS, code: 'EmptyValue', at: 'only whitespace' },
  'a 2 MiB value': {
    value: `{"aws": [{"serviceKeySecret": "${SECRET}${'x'.repeat(2 * 1024 * 1024)}"}]}`,
    dataKey: CI,
    code: 'ValueTooLarge',
    at: 'at most 1048576 bytes',
  },
  'gzip-compressed bytes': {
    value: new Uint8Array([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03]),
    dataKey: CI,
    code: 'BinaryContent',
    at: '(line 1, column 1)',
  },
  'a NUL byte inside otherwise valid JSON': {
    value: `{\n  "aws": [{"serviceKeyName": "${KEY_ID}\u0000"}]\n}`,
    dataKey: CI,
    code: 'BinaryContent',
    at: '(line 2, column 51)',
  },
  'Latin-1 text that is not UTF-8': {
    value: new Uint8Array([...Buffer.from('type: S3\nconfig:\n  bucket: caf'), 0xe9, 0x0a]),
    dataKey: FS,
    code: 'InvalidUtf8',
    at: '(line 3, column 14)',
  },
  'a UTF-8 sequence cut off at the end': {
    value: new Uint8Array([...Buffer.from(`{"aws": []} `), 0xe2, 0x82]),
    dataKey: CI,
    code: 'InvalidUtf8',
    at: 'offset 12',
  },
  'an encoded UTF-16 surrogate': {
    value: new Uint8Array([...Buffer.from('{"a": "'), 0xed, 0xa0, 0x80, ...Buffer.from('"}')]),
    dataKey: CI,
    code: 'InvalidUtf8',
    at: 'offset 7',
  },
  'a UTF-8 byte order mark before the JSON': {
    value: `\uFEFF${nested(accessKey)}`,
    dataKey: CI,
    code: 'ByteOrderMark',
    at: '(line 1, column 1)',
  },

  // --- JSON syntax ---
  'truncated JSON': { value: nested(accessKey).slice(0, 200), dataKey: CI, code: 'InvalidJson', at: 'truncated' },
  'a trailing comma after the last entry': {
    value: `{"aws": {"athena": [${JSON.stringify(athena(accessKey))},]}}`,
    dataKey: CI,
    code: 'InvalidJson',
    at: 'at aws.athena (line 1',
  },
  'a comment in the JSON': {
    value: `{\n  // billing\n  "aws": {}\n}`,
    dataKey: CI,
    code: 'InvalidJson',
    at: '(line 2, column 3): not valid JSON: a comment',
  },
  'single-quoted JSON strings': {
    value: `{'aws': {'athena': []}}`,
    dataKey: CI,
    code: 'InvalidJson',
    at: 'single quotes',
  },
  'a PEM pasted with real line breaks into a JSON string': {
    value: `{"gcp": [{"projectID": "p", "key": {"type": "service_account", "private_key": "${PEM}"}}]}`,
    dataKey: CI,
    code: 'InvalidJson',
    at: 'at gcp[0].key.private_key (line 1',
  },
  'JSON nested 100 levels deep': {
    value: `{"aws": ${'['.repeat(100)}${']'.repeat(100)}}`,
    dataKey: CI,
    code: 'InvalidJson',
    at: 'nested more than 64 levels',
  },
  'a duplicate key in an authorizer': {
    value: nested(accessKey).replace(`"secret": "${SECRET}"`, `"secret": "${SECRET}", "secret": "${SECRET}x"`),
    dataKey: CI,
    code: 'DuplicateKey',
    at: 'at aws.athena[0].authorizer.secret (line 14, column 65)',
  },
  'top-level keys that differ only in case': {
    value: `{"aws": {"athena": []}, "AWS": {"s3": []}}`,
    dataKey: CI,
    code: 'DuplicateKey',
    at: 'at AWS (line 1, column 25)',
  },
  'legacy fields that differ only in case': {
    value: JSON.stringify({ aws: [{ serviceKeyName: KEY_ID, serviceKeySecret: SECRET, ServiceKeySecret: SECRET }] }),
    dataKey: CI,
    code: 'DuplicateKey',
    at: 'at aws[0].ServiceKeySecret',
  },

  // --- cloud-integration.json structure ---
  'a top-level array': {
    value: `[${nested(accessKey)}]`,
    dataKey: CI,
    code: 'WrongType',
    at: 'at $ (line 1, column 1): the document is an array',
  },
  'JSON null': { value: 'null', dataKey: CI, code: 'WrongType', at: 'the document is null' },
  'legacy arrays mixed with nested objects': {
    value: JSON.stringify({ aws: [{ serviceKeyName: KEY_ID, serviceKeySecret: SECRET }], gcp: { bigQuery: [] } }),
    dataKey: CI,
    code: 'MixedFormats',
    at: 'at gcp',
  },
  'a provider that is a string': {
    value: JSON.stringify({ aws: 'athena' }),
    dataKey: CI,
    code: 'WrongType',
    at: 'at aws (line 1, column 8): a string',
  },
  'a nested athena object instead of a list': {
    value: JSON.stringify({ aws: { athena: athena(accessKey) } }),
    dataKey: CI,
    code: 'WrongType',
    at: 'at aws.athena',
  },
  'a nested entry without authorizer': {
    value: nested(undefined),
    dataKey: CI,
    code: 'MissingField',
    at: 'at aws.athena[0] (line 4, column 7): required field "authorizer"',
  },
  'an authorizer without authorizerType': {
    value: nested({ id: KEY_ID, secret: SECRET }),
    dataKey: CI,
    code: 'MissingField',
    at: 'at aws.athena[0].authorizer',
  },
  'a misspelt authorizerType': {
    value: nested({ ...accessKey, authorizerType: 'AWSAccesKey' }),
    dataKey: CI,
    code: 'UnknownAuthorizerType',
    at: 'at aws.athena[0].authorizer.authorizerType (line 12',
  },
  'authorizerType GCPKey, which Kubecost does not know': {
    value: bigQuery({ authorizerType: 'GCPKey', key: gcpKey() }),
    dataKey: CI,
    code: 'UnknownAuthorizerType',
    at: 'GCPServiceAccountKey, GCPWorkloadIdentity',
  },
  'an authorizerType in the wrong letter case': {
    value: nested({ ...accessKey, authorizerType: 'awsaccesskey' }),
    dataKey: CI,
    code: 'UnknownAuthorizerType',
    at: 'case-sensitive',
  },
  'an AWS authorizer type under gcp': {
    value: bigQuery(accessKey),
    dataKey: CI,
    code: 'UnknownAuthorizerType',
    at: 'at gcp.bigQuery[0].authorizer.authorizerType',
  },
  'an AWSAccessKey without secret': {
    value: nested({ authorizerType: 'AWSAccessKey', id: KEY_ID }),
    dataKey: CI,
    code: 'MissingField',
    at: 'required field "secret" is missing',
  },
  'an AWSAccessKey with an empty id': {
    value: nested({ ...accessKey, id: '' }),
    dataKey: CI,
    code: 'MissingField',
    at: 'at aws.athena[0].authorizer.id',
  },
  'an access key id that is a number': {
    value: nested({ ...accessKey, id: 123456 }),
    dataKey: CI,
    code: 'WrongType',
    at: 'at aws.athena[0].authorizer.id (line 13, column 17)',
  },
  'an AWSAssumeRole without the wrapped authorizer': {
    value: nested({ authorizerType: 'AWSAssumeRole', roleARN: 'arn:aws:iam::210987654321:role/KubecostRole' }),
    dataKey: CI,
    code: 'MissingField',
    at: 'the credentials that assume the role',
  },
  'an AWSAssumeRole wrapping an unknown type': {
    value: nested({
      authorizerType: 'AWSAssumeRole',
      roleARN: 'arn:aws:iam::1:role/R',
      authorizer: { ...accessKey, authorizerType: 'AWSKey' },
    }),
    dataKey: CI,
    code: 'UnknownAuthorizerType',
    at: 'at aws.athena[0].authorizer.authorizer.authorizerType',
  },
  'an athena entry without workgroup': {
    value: nested(accessKey, { workgroup: undefined }),
    dataKey: CI,
    code: 'MissingField',
    at: 'required field "workgroup" is missing',
  },
  'an AzureAccessKey without account': {
    value: azureStorage({ authorizerType: 'AzureAccessKey', accessKey: AZURE_KEY }),
    dataKey: CI,
    code: 'MissingField',
    at: 'at azure.storage[0].authorizer',
  },
  'a connection string with a key but no account name': {
    value: azureStorage({
      authorizerType: 'AzureStorageConnectionString',
      storageConnectionString: `DefaultEndpointsProtocol=https;AccountKey=${AZURE_KEY}`,
    }),
    dataKey: CI,
    code: 'InvalidConnectionString',
    at: 'at azure.storage[0].authorizer.storageConnectionString',
  },
  'a connection string segment without "="': {
    value: azureStorage({
      authorizerType: 'AzureStorageConnectionString',
      storageConnectionString: 'AccountName=a;connection-secret-value',
    }),
    dataKey: CI,
    code: 'InvalidConnectionString',
    at: 'not of the form Name=value',
  },
  'a GCP key given as a string': {
    value: bigQuery({ authorizerType: 'GCPServiceAccountKey', key: JSON.stringify(gcpKey()) }),
    dataKey: CI,
    code: 'WrongType',
    at: 'at gcp.bigQuery[0].authorizer.key',
  },
  'a GCP key without private_key': {
    value: bigQuery({ authorizerType: 'GCPServiceAccountKey', key: gcpKey({ private_key: undefined }) }),
    dataKey: CI,
    code: 'InvalidGcpKey',
    at: 'no "private_key"',
  },
  'a GCP key of type authorized_user': {
    value: legacyGcp(gcpKey({ type: 'authorized_user' })),
    dataKey: CI,
    code: 'InvalidGcpKey',
    at: 'at gcp[0].key',
  },
  'a GCP private_key that is not PEM': {
    value: legacyGcp(gcpKey({ private_key: 'MIIEvCORPUSxFAKExKEYxBODY' })),
    dataKey: CI,
    code: 'InvalidGcpKey',
    at: 'not a PEM private key',
  },
  'a GCP key with a number in it': {
    value: legacyGcp(gcpKey({ client_id: 1234567890 })),
    dataKey: CI,
    code: 'InvalidGcpKey',
    at: 'field "client_id" of the service-account key is a number',
  },
  'a legacy AWS entry with serviceKeyName but no serviceKeySecret': {
    value: JSON.stringify({ aws: [{ athenaBucketName: 's3://b', serviceKeyName: KEY_ID }] }),
    dataKey: CI,
    code: 'MissingField',
    at: 'at aws[0]',
  },
  'a legacy Azure entry without azureStorageAccessKey': {
    value: JSON.stringify({ azure: [{ azureStorageAccount: 'kubecostexport', azureStorageContainer: 'c' }] }),
    dataKey: CI,
    code: 'MissingField',
    at: 'at azure[0]',
  },
  'a legacy Alibaba entry without keys': {
    value: JSON.stringify({ alibaba: [{ clusterRegion: 'cn-hangzhou', accountID: '1' }] }),
    dataKey: CI,
    code: 'MissingField',
    at: 'at alibaba[0]',
  },
  'a legacy entry that is a string': {
    value: JSON.stringify({ aws: [SECRET] }),
    dataKey: CI,
    code: 'WrongType',
    at: 'at aws[0] (line 1, column 9): this entry is a string',
  },

  // --- objstore YAML ---
  'YAML with an unclosed quote': {
    value: `type: S3\nconfig:\n  secret_key: "${SECRET}\n`,
    dataKey: FS,
    code: 'InvalidYaml',
    at: 'not closed',
  },
  'YAML indented with a tab': {
    value: `type: S3\nconfig:\n\taccess_key: ${KEY_ID}\n\tsecret_key: ${SECRET}\n`,
    dataKey: FS,
    code: 'InvalidYaml',
    at: '(line 3, column 1): not valid YAML: a line is indented with a tab',
  },
  'YAML that reuses a value through an anchor and alias': {
    value: `type: S3\nconfig:\n  access_key: &k ${KEY_ID}\n  secret_key: ${SECRET}\n  bucket: *k\n`,
    dataKey: FS,
    code: 'YamlAliasUnsupported',
    at: '(line 3, column 18)',
  },
  'YAML with a merge key': {
    value: `base: &b {bucket: x}\ntype: S3\nconfig:\n  <<: *b\n  secret_key: ${SECRET}\n`,
    dataKey: FS,
    code: 'YamlAliasUnsupported',
    at: '(line 1, column 10)',
  },
  'a duplicate YAML key': {
    value: `type: S3\nconfig:\n  access_key: ${KEY_ID}\n  access_key: ${KEY_ID}\n  secret_key: ${SECRET}\n`,
    dataKey: FS,
    code: 'DuplicateKey',
    at: '(line 4, column 3)',
  },
  'two YAML documents': {
    value: `type: S3\nconfig: {access_key: ${KEY_ID}, secret_key: ${SECRET}}\n---\ntype: GCS\n`,
    dataKey: FS,
    code: 'InvalidYaml',
    at: 'holds 2 YAML documents',
  },
  'YAML of only comments': {
    value: `# type: S3\n# secret_key: ${SECRET}\n`,
    dataKey: FS,
    code: 'EmptyValue',
    at: 'no YAML document',
  },
  'a YAML list at the top': {
    value: `- type: S3\n  config: {}\n`,
    dataKey: FS,
    code: 'WrongType',
    at: 'at $ (line 1, column 1): the document is a sequence',
  },
  'an objstore type Kubecost does not read': {
    value: `type: COS\nconfig:\n  bucket: b\n  secret_key: ${SECRET}\n`,
    dataKey: FS,
    code: 'UnknownObjstoreType',
    at: 'at type (line 1, column 7)',
  },
  'objstore YAML without type': {
    value: `config:\n  access_key: ${KEY_ID}\n  secret_key: ${SECRET}\n`,
    dataKey: FS,
    code: 'MissingField',
    at: 'required field "type"',
  },
  'objstore YAML without config': {
    value: 'type: S3\nprefix: kubecost\n',
    dataKey: FS,
    code: 'MissingField',
    at: 'required field "config"',
  },
  'a config that is a string': {
    value: `type: S3\nconfig: "${SECRET}"\n`,
    dataKey: FS,
    code: 'WrongType',
    at: 'at config (line 2, column 9)',
  },
  'an unknown top-level field': {
    value: `type: S3\nbucket: kubecost\nconfig:\n  access_key: ${KEY_ID}\n  secret_key: ${SECRET}\n`,
    dataKey: FS,
    code: 'UnknownField',
    at: 'at bucket (line 2, column 1)',
  },
  'an S3 secret_key without access_key': {
    value: `type: S3\nconfig:\n  bucket: b\n  secret_key: ${SECRET}\n`,
    dataKey: FS,
    code: 'MissingField',
    at: 'access_key is missing',
  },
  'an S3 access_key written as a mapping': {
    value: `type: S3\nconfig:\n  access_key:\n    id: ${KEY_ID}\n  secret_key: ${SECRET}\n`,
    dataKey: FS,
    code: 'WrongType',
    at: 'at config.access_key (line 4, column 5)',
  },
  'S3 keys together with aws_sdk_auth': {
    value: `type: S3\nconfig:\n  aws_sdk_auth: true\n  access_key: ${KEY_ID}\n  secret_key: ${SECRET}\n`,
    dataKey: FS,
    code: 'ConflictingFields',
    at: 'at config.aws_sdk_auth',
  },
  'an S3 secret_key with a !!binary tag': {
    value: `type: S3\nconfig:\n  access_key: ${KEY_ID}\n  secret_key: !!binary ${b64(SECRET)}\n`,
    dataKey: FS,
    code: 'WrongType',
    at: 'at config.secret_key',
  },
  'a GCS service_account that is not JSON': {
    value: `type: GCS\nconfig:\n  bucket: b\n  service_account: |\n    type: service_account\n    private_key: ${SECRET}\n`,
    dataKey: FS,
    code: 'InvalidGcpKey',
    at: 'at config.service_account (line 4, column 20)',
  },
  'a GCS service_account with truncated key JSON': {
    value: `type: GCS\nconfig:\n  service_account: |\n    ${JSON.stringify(gcpKey()).slice(0, 120)}\n`,
    dataKey: FS,
    code: 'InvalidGcpKey',
    at: 'of the key JSON',
  },
  'an AZURE key without storage_account': {
    value: `type: AZURE\nconfig:\n  container: c\n  storage_account_key: ${AZURE_KEY}\n`,
    dataKey: FS,
    code: 'MissingField',
    at: 'storage_account is missing',
  },
  'an AZURE connection string without storage_account (thanos-io/objstore and OpenCost refuse it)': {
    value: `type: AZURE\nconfig:\n  container: c\n  storage_connection_string: "AccountName=a;AccountKey=${AZURE_KEY}"\n`,
    dataKey: 'object-store.yaml',
    code: 'MissingField',
    at: 'storage_connection_string is set but storage_account is missing',
  },
  'a type: cluster store whose config is a list': {
    value: 'type: cluster\nconfig:\n  - kubecost-local-store\n',
    dataKey: FS,
    code: 'WrongType',
    at: 'config is a sequence',
  },
  'a store of a type Kubecost does not read': {
    value: 'type: SWIFT\nconfig:\n  container: c\n',
    dataKey: FS,
    code: 'UnknownObjstoreType',
    at: 'not S3, GCS, AZURE or cluster',
  },

  // --- the finops agent's GCP pricing API key ---
  'a CSP_PRICING_API_KEY that is not an API key': {
    value: `AIzb${API_KEY_BODY}xx\n`,
    dataKey: 'CSP_PRICING_API_KEY',
    code: 'InvalidApiKey',
    at: 'does not start with AIza',
  },
  'a CSP_PRICING_API_KEY cut short': {
    value: `AIza${API_KEY_BODY}`,
    dataKey: 'CSP_PRICING_API_KEY',
    code: 'InvalidApiKey',
    at: 'it is 37 characters',
  },
  'a CSP_PRICING_API_KEY of two lines': {
    value: `AIza${API_KEY_BODY}00\nAIza${API_KEY_BODY}01\n`,
    dataKey: 'CSP_PRICING_API_KEY',
    code: 'InvalidApiKey',
    at: 'more than one line',
  },
  'an AZURE key and connection string together': {
    value: `type: AZURE\nconfig:\n  storage_account: a\n  storage_account_key: ${AZURE_KEY}\n  storage_connection_string: "AccountName=a;AccountKey=${AZURE_KEY}"\n`,
    dataKey: 'object-store.yaml',
    code: 'ConflictingFields',
    at: 'cannot both be set',
  },

  // --- service-key.json and azure-storage-config.json ---
  'a service-key.json of an unknown shape': {
    value: JSON.stringify({ accessKey: KEY_ID, secretKey: SECRET }),
    dataKey: SK,
    code: 'UnrecognizedFormat',
    at: 'at $ (line 1, column 1)',
  },
  'a service-key.json with only aws_access_key_id': {
    value: JSON.stringify({ aws_access_key_id: KEY_ID }),
    dataKey: SK,
    code: 'MissingField',
    at: 'aws_secret_access_key is missing',
  },
  'an azure-storage-config.json without the key': {
    value: JSON.stringify({ azureStorageAccount: 'a', azureStorageContainer: 'c' }),
    dataKey: AZ,
    code: 'MissingField',
    at: 'required field "azureStorageAccessKey"',
  },
  'an azure-storage-config.json that is a JSON string': {
    value: JSON.stringify(AZURE_KEY),
    dataKey: AZ,
    code: 'WrongType',
    at: 'the document is a string',
  },

  // --- detection ---
  'an unknown data key whose content is neither JSON nor objstore YAML': {
    value: `access_key=${KEY_ID}\nsecret_key=${SECRET}\n`,
    dataKey: 'credentials',
    code: 'UnrecognizedFormat',
    at: 'key "credentials": neither the data key name nor the content',
  },
};

function errorOf(c: Case, location: SecretLocation): SecretFormatError {
  try {
    if (c.value !== undefined)
      detectAndParse(typeof c.value === 'string' ? new TextEncoder().encode(c.value) : c.value, location);
    else parseSecretData(c.data, location);
  } catch (error: unknown) {
    if (error instanceof SecretFormatError) return error;
    throw error;
  }
  throw new Error('the input was accepted');
}

describe('the bad-input corpus', () => {
  it('has at least 40 cases', () => {
    expect(Object.keys(CORPUS).length).toBeGreaterThanOrEqual(40);
  });

  for (const [name, c] of Object.entries(CORPUS)) {
    it(`refuses ${name} with ${c.code}, naming the place and no secret`, () => {
      const location: SecretLocation = {
        cluster: 'prod-east',
        namespace: 'kubecost',
        secret: 'cloud-keys',
        dataKey: c.dataKey,
      };
      const error = errorOf(c, location);
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.code).toBe(c.code);
      expect(error.message).toContain(`cluster "prod-east", Secret "kubecost/cloud-keys", key "${c.dataKey}"`);
      expect(error.message).toContain(c.at);
      expect(error.hint).toBeTruthy();
      const everything = `${error.message}\n${error.hint ?? ''}\n${JSON.stringify(error)}\n${inspect(error)}`;
      for (const secret of PLANTED) expect(everything).not.toContain(secret);
    });
  }
});
