/**
 * Building, naming, fingerprinting and comparing credentials. Pure.
 */
import { ConfigError } from '../../shared/errors.js';
import { describeJsonKind, JsonSyntaxError, parseJsonSource, type JsonObject } from './json-source.js';
import { SecretValue } from '../../shared/secret-value.js';
import type {
  AlibabaAccessKey,
  AwsAccessKey,
  AzureStorageAccountKey,
  Credential,
  CredentialIdentity,
  GcpApiKey,
  GcpServiceAccountKey,
} from './types.js';

function wrap(value: string | SecretValue): SecretValue {
  return typeof value === 'string' ? new SecretValue(value) : value;
}

/** Builds an AWS access key credential. */
export function awsAccessKey(accessKeyId: string, secretAccessKey: string | SecretValue): AwsAccessKey {
  return { provider: 'aws', accessKeyId, secretAccessKey: wrap(secretAccessKey) };
}

/** Builds an Azure storage-account key credential. */
export function azureStorageAccountKey(accountName: string, accountKey: string | SecretValue): AzureStorageAccountKey {
  return { provider: 'azure', accountName, accountKey: wrap(accountKey) };
}

/** Builds an Alibaba AccessKey credential. */
export function alibabaAccessKey(accessKeyId: string, accessKeySecret: string | SecretValue): AlibabaAccessKey {
  return { provider: 'alibaba', accessKeyId, accessKeySecret: wrap(accessKeySecret) };
}

/** Builds a GCP API key credential. */
export function gcpApiKey(apiKey: string | SecretValue): GcpApiKey {
  return { provider: 'gcp', kind: 'api-key', apiKey: wrap(apiKey) };
}

/** Whether a credential is a GCP API key (not a service-account key). */
export function isGcpApiKey(credential: Credential): credential is GcpApiKey {
  return credential.provider === 'gcp' && credential.kind === 'api-key';
}

/** The shape of every GCP API key: `AIza` and 35 URL-safe base64 characters. */
export const GCP_API_KEY = /^AIza[0-9A-Za-z_-]{35}$/;

/** A problem with a GCP key, relative to the key object. */
export interface GcpKeyProblem {
  readonly problem: string;
  /** Offset in the key text, when known. */
  readonly offset?: number;
}

const GCP_REQUIRED = ['client_email', 'private_key_id', 'private_key', 'project_id'] as const;

/**
 * Reads a GCP service-account key from its parsed JSON object. `keyText` is the exact source of
 * that object. Returns the credential or a problem that quotes no value; a problem's offset is in
 * the text the object was parsed from.
 */
export function gcpKeyFromObject(object: JsonObject, keyText: string): GcpServiceAccountKey | GcpKeyProblem {
  for (const member of object.members) {
    if (member.value.kind !== 'string') {
      return {
        problem: `field "${member.key.value}" of the service-account key is ${describeJsonKind(member.value)}; every field of a key file is a string`,
        offset: member.value.start,
      };
    }
  }
  const fields = new Map(object.members.map((m) => [m.key.value, m.value.kind === 'string' ? m.value.value : '']));
  const type = fields.get('type');
  if (type === undefined) return { problem: 'the service-account key has no "type" field; expected "service_account"' };
  if (type !== 'service_account')
    return { problem: 'the key is not a service-account key ("type" is not "service_account")' };
  for (const name of GCP_REQUIRED) {
    if (!fields.get(name)) return { problem: `the service-account key has no "${name}" (missing or empty)` };
  }
  const privateKey = fields.get('private_key') ?? '';
  if (!/^\s*-----BEGIN (RSA )?PRIVATE KEY-----\r?\n[\s\S]*-----END (RSA )?PRIVATE KEY-----\s*$/.test(privateKey)) {
    return {
      problem:
        '"private_key" of the service-account key is not a PEM private key (-----BEGIN PRIVATE KEY----- … -----END PRIVATE KEY-----)',
    };
  }
  return {
    provider: 'gcp',
    kind: 'service-account-key',
    clientEmail: fields.get('client_email') ?? '',
    privateKeyId: fields.get('private_key_id') ?? '',
    projectId: fields.get('project_id') ?? '',
    privateKey: new SecretValue(privateKey),
    keyJson: new SecretValue(keyText),
  };
}

/** Reads a GCP service-account key from its JSON text. Returns the credential or a problem that quotes no value. */
export function gcpKeyFromText(keyText: string): GcpServiceAccountKey | GcpKeyProblem {
  let node;
  try {
    node = parseJsonSource(keyText);
  } catch (error: unknown) {
    if (error instanceof JsonSyntaxError) {
      return { problem: `the service-account key is not valid JSON: ${error.problem}`, offset: error.offset };
    }
    throw error;
  }
  if (node.kind !== 'object')
    return { problem: `the service-account key is ${describeJsonKind(node)}, not a JSON object` };
  return gcpKeyFromObject(node, keyText);
}

/** Whether a GCP key read returned a problem. */
export function isGcpKeyProblem(value: GcpServiceAccountKey | GcpKeyProblem): value is GcpKeyProblem {
  return 'problem' in value;
}

/**
 * Builds a GCP credential from a key file's text, for a new key. Throws {@link ConfigError} when
 * the text is not a usable service-account key.
 */
export function gcpServiceAccountKey(keyJson: string | SecretValue): GcpServiceAccountKey {
  const text = typeof keyJson === 'string' ? keyJson : keyJson.reveal();
  const key = gcpKeyFromText(text);
  if (isGcpKeyProblem(key))
    throw new ConfigError(
      `The GCP key is not usable: ${key.problem}.`,
      'Pass the JSON key file of a service account, as downloaded from IAM.',
    );
  return key;
}

/** The fields of a GCP key object, in order. Contains key material: keep it inside this module's callers. */
export function gcpKeyFields(key: GcpServiceAccountKey): Map<string, string> {
  const node = parseJsonSource(key.keyJson.reveal());
  if (node.kind !== 'object') throw new Error('a GCP credential holds key JSON that is not an object');
  return new Map(node.members.map((m) => [m.key.value, m.value.kind === 'string' ? m.value.value : '']));
}

/** The material a fingerprint is computed from, per provider (its secret part). */
function fingerprintMaterial(credential: Credential): SecretValue {
  switch (credential.provider) {
    case 'aws':
      return credential.secretAccessKey;
    case 'gcp':
      return credential.kind === 'api-key' ? credential.apiKey : credential.privateKey;
    case 'azure':
      return credential.accountKey;
    case 'alibaba':
      return credential.accessKeySecret;
  }
}

/**
 * The fingerprint to show for a credential: the AWS access key id, otherwise the sha256 prefix of
 * the key material (GCP `private_key` or API key, the Azure account key, the Alibaba AccessKey secret).
 */
export function credentialFingerprint(credential: Credential): string {
  return credential.provider === 'aws' ? credential.accessKeyId : fingerprintMaterial(credential).fingerprint;
}

/** Who a credential is (DESIGN §1). Safe to print. */
export function credentialIdentity(credential: Credential): CredentialIdentity {
  switch (credential.provider) {
    case 'aws':
      return { provider: 'aws', keyId: credential.accessKeyId, id: `aws:${credential.accessKeyId}` };
    case 'gcp':
      if (credential.kind === 'api-key') return { provider: 'gcp', id: `gcp:api-key:${credential.apiKey.fingerprint}` };
      return {
        provider: 'gcp',
        principal: credential.clientEmail,
        keyId: credential.privateKeyId,
        id: `gcp:${credential.clientEmail}:${credential.privateKeyId}`,
      };
    case 'azure':
      return {
        provider: 'azure',
        principal: credential.accountName,
        id: `azure:${credential.accountName}:${credential.accountKey.fingerprint}`,
      };
    case 'alibaba':
      return { provider: 'alibaba', keyId: credential.accessKeyId, id: `alibaba:${credential.accessKeyId}` };
  }
}

/**
 * Whether two credentials are the same key: same provider, same ids and same material. GCP keys
 * compare field by field, so the same key written with other whitespace is equal.
 */
export function credentialsEqual(a: Credential, b: Credential): boolean {
  switch (a.provider) {
    case 'aws':
      return b.provider === 'aws' && a.accessKeyId === b.accessKeyId && a.secretAccessKey.equals(b.secretAccessKey);
    case 'azure':
      return b.provider === 'azure' && a.accountName === b.accountName && a.accountKey.equals(b.accountKey);
    case 'alibaba':
      return b.provider === 'alibaba' && a.accessKeyId === b.accessKeyId && a.accessKeySecret.equals(b.accessKeySecret);
    case 'gcp': {
      if (b.provider !== 'gcp') return false;
      if (a.kind === 'api-key' || b.kind === 'api-key')
        return a.kind === 'api-key' && b.kind === 'api-key' && a.apiKey.equals(b.apiKey);
      const fa = gcpKeyFields(a);
      const fb = gcpKeyFields(b);
      if (fa.size !== fb.size) return false;
      for (const [name, value] of fa) if (fb.get(name) !== value) return false;
      return true;
    }
  }
}
