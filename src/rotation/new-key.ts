/**
 * The new key a user brings (`--new-key-file` / `--new-key-stdin`), read and checked before
 * anything is written: its shape, its provider, and that it belongs to the same principal as the
 * key it replaces. Errors name the file and the field, never a value.
 */
import { createPrivateKey } from 'node:crypto';
import { open } from 'node:fs/promises';
import {
  alibabaAccessKey,
  awsAccessKey,
  azureStorageAccountKey,
  credentialFingerprint,
  credentialIdentity,
  gcpServiceAccountKey,
  isGcpApiKey,
  parseGcpApiKeyFile,
  type Credential,
  type Provider,
} from '../kubecost/secret-formats/index.js';
import { ConfigError } from '../shared/errors.js';
import { unknownKeyField } from './key-fields.js';

const AWS_KEY_ID = /^AKIA[A-Z2-7]{16}$/;
const AWS_SECRET = /^[A-Za-z0-9/+=]{40}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(obj: Record<string, unknown>, ...names: string[]): string | undefined {
  for (const n of names) if (typeof obj[n] === 'string') return obj[n];
  return undefined;
}

/**
 * A key's secret material, as read from a key file (or kept in the journal): every secret in it is a
 * SecretValue. The plan and the journal document refer to keys by {@link KeyRef} instead.
 */
export type KeyMaterial = Credential;

/**
 * Reads a key file. Accepted shapes:
 * - AWS: `{"accessKeyId","secretAccessKey"}`, or `aws iam create-access-key` output `{"AccessKey":{"AccessKeyId","SecretAccessKey",...}}`;
 * - GCP: the service-account JSON key file;
 * - Azure: `{"accountName","accountKey"}`;
 * - Alibaba: `{"accessKeyId","accessKeySecret"}`;
 * - GCP API key: the bare `AIza…` key, or `{"keyString"}` / `{"apiKey"}`.
 */
export function parseNewKey(text: string, source: string): KeyMaterial {
  const apiKey = parseGcpApiKeyFile(text, source);
  if (apiKey) return apiKey;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ConfigError(
      `${source} is not JSON.`,
      'Pass a key file: {"accessKeyId","secretAccessKey"} for AWS, the service-account JSON for GCP, {"accountName","accountKey"} for Azure.',
    );
  }
  if (!isRecord(doc)) throw new ConfigError(`${source} must hold a JSON object.`);
  const inner = isRecord(doc.AccessKey) ? doc.AccessKey : doc;
  if (doc.type === 'service_account') {
    try {
      const key = gcpServiceAccountKey(text);
      createPrivateKey(key.privateKey.reveal());
      return key;
    } catch (error: unknown) {
      if (error instanceof ConfigError) throw new ConfigError(`${source}: ${error.message}`, error.hint);
      throw new ConfigError(`${source}: the private_key of the GCP key file is not a valid PEM private key.`);
    }
  }
  const accountName = str(inner, 'accountName', 'storageAccount', 'account');
  if (accountName !== undefined) {
    const accountKey = str(inner, 'accountKey', 'key', 'value');
    if (!accountKey) throw new ConfigError(`${source}: "accountKey" is missing.`);
    const bytes = Buffer.from(accountKey, 'base64');
    if (bytes.length !== 64 || bytes.toString('base64') !== accountKey)
      throw new ConfigError(`${source}: "accountKey" is not an Azure storage key (base64 of 64 bytes).`);
    return azureStorageAccountKey(accountName, accountKey);
  }
  const alibabaSecret = str(inner, 'accessKeySecret', 'AccessKeySecret');
  const keyId = str(inner, 'accessKeyId', 'AccessKeyId', 'aws_access_key_id');
  if (alibabaSecret !== undefined) {
    if (!keyId?.startsWith('LTAI'))
      throw new ConfigError(`${source}: "accessKeyId" is not an Alibaba AccessKey ID (LTAI...).`);
    return alibabaAccessKey(keyId, alibabaSecret);
  }
  const secret = str(inner, 'secretAccessKey', 'SecretAccessKey', 'aws_secret_access_key');
  if (keyId === undefined || secret === undefined) {
    throw new ConfigError(
      `${source}: no key found.`,
      'Expected {"accessKeyId","secretAccessKey"} (AWS), a service-account JSON key (GCP), {"accountName","accountKey"} (Azure) or {"accessKeyId","accessKeySecret"} (Alibaba).',
    );
  }
  if (keyId.startsWith('ASIA'))
    throw new ConfigError(
      `${source}: ${keyId} is a temporary (STS) key; Kubecost needs a long-lived IAM user access key (AKIA...).`,
    );
  if (!AWS_KEY_ID.test(keyId))
    throw new ConfigError(`${source}: "${keyId}" is not an AWS access key id (AKIA followed by 16 characters).`);
  if (!AWS_SECRET.test(secret))
    throw new ConfigError(`${source}: the secret access key of ${keyId} is not 40 characters of base64.`);
  return awsAccessKey(keyId, secret);
}

/** The most a key file may hold: the largest key format (a GCP service-account key) is under 3 KiB. */
export const MAX_KEY_FILE_BYTES = 64 * 1024;

function checkKeySize(bytes: number, source: string): void {
  if (bytes > MAX_KEY_FILE_BYTES)
    throw new ConfigError(
      `${source} is ${bytes} bytes: a key file is at most 64 KiB (${MAX_KEY_FILE_BYTES} bytes), and no key format comes near that.`,
      'Pass the key file as the provider issued it: {"accessKeyId","secretAccessKey"} for AWS, the service-account JSON for GCP, {"accountName","accountKey"} for Azure.',
    );
}

/**
 * Reads `--new-key-file PATH`, never more than {@link MAX_KEY_FILE_BYTES} and one byte: a regular
 * file's size is checked before it is read; a pipe (`--new-key-file <(vault read ...)`) is read up
 * to the limit.
 */
export async function readKeyFile(path: string): Promise<{ text: string; source: string }> {
  const source = `--new-key-file ${path}`;
  let file;
  try {
    file = await open(path, 'r');
    const info = await file.stat();
    if (info.isDirectory()) throw new ConfigError(`${source} is a directory, not a key file.`);
    if (info.isFile()) checkKeySize(info.size, source);
    const buffer = Buffer.alloc(MAX_KEY_FILE_BYTES + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < buffer.length; length += n)
      ({ bytesRead: n } = await file.read(buffer, length, buffer.length - length, null));
    if (length > MAX_KEY_FILE_BYTES)
      throw new ConfigError(
        `${source} is over ${MAX_KEY_FILE_BYTES} bytes: a key file is at most 64 KiB, and no key format comes near that.`,
      );
    return { text: buffer.subarray(0, length).toString('utf8'), source };
  } catch (error: unknown) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`cannot read ${source}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await file?.close();
  }
}

/**
 * Reads a key a user brings, strictly: at most {@link MAX_KEY_FILE_BYTES}, one of the accepted
 * shapes ({@link parseNewKey}), and no field its format does not define (a typo or a key of
 * another kind must not pass unseen). Errors name the source and the field, never a value.
 */
export function readKeyText(text: string, source: string): KeyMaterial {
  checkKeySize(Buffer.byteLength(text, 'utf8'), source);
  const key = parseNewKey(text, source);
  const unknown = unknownKeyField(text, key);
  if (unknown)
    throw new ConfigError(
      `${source}: unknown field ${JSON.stringify(unknown.field.slice(0, 64))} in ${unknown.format}.`,
      `Remove it: ${unknown.format} has the fields ${unknown.allowed.join(', ')}.`,
    );
  return key;
}

/** What is known of the key being replaced (from discovery: no key material needed). */
export interface CurrentKey {
  readonly id: string;
  readonly provider: Provider;
  readonly principal?: string;
  readonly fingerprint: string;
}

/** Checks that `next` can replace `current`: same provider and principal, a different key. */
export function checkReplacement(current: CurrentKey, next: KeyMaterial, source: string): void {
  const label = (p: Provider) => ({ aws: 'AWS', gcp: 'GCP', azure: 'Azure', alibaba: 'Alibaba' })[p];
  if (current.provider !== next.provider)
    throw new ConfigError(
      `${source} holds a ${label(next.provider)} key, but the credential to rotate is a ${label(current.provider)} key.`,
    );
  if (current.provider === 'gcp' && current.id.startsWith('gcp:api-key:') !== isGcpApiKey(next))
    throw new ConfigError(
      `${source} holds a GCP ${isGcpApiKey(next) ? 'API key' : 'service-account key'}, but the credential to rotate is a GCP ${isGcpApiKey(next) ? 'service-account key' : 'API key'}.`,
    );
  const b = credentialIdentity(next);
  if (b.id === current.id || credentialFingerprint(next) === current.fingerprint)
    throw new ConfigError(
      `${source} holds the key that is already in use (${credentialFingerprint(next)}); create a new key first.`,
    );
  if ((current.provider === 'gcp' || current.provider === 'azure') && current.principal !== b.principal) {
    const what = current.provider === 'gcp' ? 'service account' : 'storage account';
    throw new ConfigError(
      `${source} is a key of ${what} ${b.principal ?? '?'}, but the credential to rotate belongs to ${current.principal ?? '?'}.`,
      `Create the new key for the same ${what}, so it has the same permissions.`,
    );
  }
}

/**
 * The key file of a key's material, as {@link parseNewKey} reads it back: how the journal stores the
 * new key. Key material: only the journal codec calls it.
 */
export function keyFileOf(key: KeyMaterial): string {
  switch (key.provider) {
    case 'aws':
      return JSON.stringify({
        accessKeyId: key.accessKeyId,
        secretAccessKey: key.secretAccessKey.reveal(),
      });
    case 'gcp':
      return key.kind === 'api-key' ? key.apiKey.reveal() : key.keyJson.reveal();
    case 'azure':
      return JSON.stringify({ accountName: key.accountName, accountKey: key.accountKey.reveal() });
    case 'alibaba':
      return JSON.stringify({
        accessKeyId: key.accessKeyId,
        accessKeySecret: key.accessKeySecret.reveal(),
      });
  }
}
