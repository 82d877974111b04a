/**
 * Sites whose fields are JSON string tokens or a JSON key object, shared by the JSON codecs.
 * Internal to secret-formats.
 */
import { readConnectionString, withAccountKey } from './azure-connection-string.js';
import type { ParsedSite, ValueContext } from './codec.js';
import {
  alibabaAccessKey,
  awsAccessKey,
  azureStorageAccountKey,
  gcpKeyFields,
  gcpKeyFromObject,
  isGcpKeyProblem,
} from './credentials.js';
import { objectOfStringsEdits, stringEdit } from './json-doc.js';
import { childPath, type JsonObject, type JsonString } from './json-source.js';
import type { Credential, GcpServiceAccountKey, Provider, SiteFormat, SkippedEntry } from './types.js';

/** Narrows a replacement credential to the site's provider (index.ts checks it first; this keeps the types honest). */
export function expectProvider<P extends Provider>(
  ctx: ValueContext,
  credential: Credential,
  provider: P,
  path: string,
): Extract<Credential, { provider: P }> {
  if (credential.provider !== provider) {
    ctx.fail(
      'ProviderMismatch',
      `the site holds a ${provider} credential and the replacement is a ${credential.provider} credential`,
      { path },
    );
  }
  return credential as Extract<Credential, { provider: P }>;
}

interface PairSite {
  readonly path: string;
  readonly format: SiteFormat;
  readonly id: JsonString;
  readonly idField: string;
  readonly secret: JsonString;
  readonly secretField: string;
}

/** An AWS access key held in two string fields. */
export function awsPairSite(ctx: ValueContext, s: PairSite): ParsedSite {
  return {
    site: {
      location: ctx.location,
      path: s.path,
      format: s.format,
      provider: 'aws',
      fields: [s.idField, s.secretField],
      credential: awsAccessKey(s.id.value, s.secret.value),
    },
    edits(credential) {
      const c = expectProvider(ctx, credential, 'aws', s.path);
      return [
        ...stringEdit(ctx, s.id, c.accessKeyId, 'access key id', s.path),
        ...stringEdit(ctx, s.secret, c.secretAccessKey.reveal(), 'secret access key', s.path),
      ];
    },
  };
}

/** An Alibaba AccessKey held in two string fields. */
export function alibabaPairSite(ctx: ValueContext, s: PairSite): ParsedSite {
  return {
    site: {
      location: ctx.location,
      path: s.path,
      format: s.format,
      provider: 'alibaba',
      fields: [s.idField, s.secretField],
      credential: alibabaAccessKey(s.id.value, s.secret.value),
    },
    edits(credential) {
      const c = expectProvider(ctx, credential, 'alibaba', s.path);
      return [
        ...stringEdit(ctx, s.id, c.accessKeyId, 'AccessKey ID', s.path),
        ...stringEdit(ctx, s.secret, c.accessKeySecret.reveal(), 'AccessKey secret', s.path),
      ];
    },
  };
}

/** Refuses an Azure key for another account, or one that cannot sit in a connection string. */
export function checkAzureReplacement(
  ctx: ValueContext,
  accountName: string,
  credential: Credential,
  path: string,
): string {
  const c = expectProvider(ctx, credential, 'azure', path);
  if (c.accountName !== accountName) {
    ctx.fail(
      'AccountMismatch',
      'the new key is for another storage account than the one this site uses; a rotation keeps the account',
      { path },
    );
  }
  return c.accountKey.reveal();
}

/** An Azure storage-account key in one string field; the account name comes from elsewhere in the document. */
export function azureKeySite(
  ctx: ValueContext,
  s: { path: string; format: SiteFormat; accountName: string; key: JsonString; keyField: string },
): ParsedSite {
  return {
    site: {
      location: ctx.location,
      path: s.path,
      format: s.format,
      provider: 'azure',
      fields: [s.keyField],
      credential: azureStorageAccountKey(s.accountName, s.key.value),
    },
    edits(credential) {
      const key = checkAzureReplacement(ctx, s.accountName, credential, s.path);
      return stringEdit(ctx, s.key, key, 'storage account key', s.path);
    },
  };
}

/** An Azure connection string in one string field: a site when it holds an AccountKey, otherwise a skipped entry. */
export function azureConnectionStringSite(
  ctx: ValueContext,
  s: { path: string; format: SiteFormat; token: JsonString; field: string },
): ParsedSite | SkippedEntry {
  const content = readConnectionString(s.token.value);
  const fieldPath = childPath(s.path, s.field);
  if (content.kind === 'invalid')
    ctx.fail('InvalidConnectionString', `the storage connection string is malformed: ${content.problem}`, {
      path: fieldPath,
      offset: s.token.start,
    });
  if (content.kind === 'no-account-key') {
    return {
      path: s.path,
      format: s.format,
      provider: 'azure',
      reason: 'UnsupportedCredential',
      detail: 'the connection string has no AccountKey (a shared access signature, for example)',
    };
  }
  return {
    site: {
      location: ctx.location,
      path: s.path,
      format: s.format,
      provider: 'azure',
      fields: [s.field],
      credential: azureStorageAccountKey(content.accountName, content.accountKey),
    },
    edits(credential) {
      const key = checkAzureReplacement(ctx, content.accountName, credential, s.path);
      if (key.includes(';'))
        ctx.fail(
          'InvalidCredential',
          'the new storage account key contains ";" and cannot go into a connection string',
          { path: s.path },
        );
      return stringEdit(ctx, s.token, withAccountKey(s.token.value, key), 'storage connection string', s.path);
    },
  };
}

/** A GCP service-account key held as a JSON object under `field`. */
export function gcpObjectSite(
  ctx: ValueContext,
  s: { path: string; format: SiteFormat; key: JsonObject; field: string },
): ParsedSite {
  const keyPath = childPath(s.path, s.field);
  const credential = gcpKeyFromObject(s.key, ctx.text.slice(s.key.start, s.key.end));
  if (isGcpKeyProblem(credential))
    ctx.fail('InvalidGcpKey', credential.problem, { path: keyPath, offset: credential.offset ?? s.key.start });
  return {
    site: { location: ctx.location, path: s.path, format: s.format, provider: 'gcp', fields: [s.field], credential },
    edits(replacement) {
      const c = expectGcpKeyFile(ctx, replacement, s.path);
      return objectOfStringsEdits(ctx, s.key, gcpKeyFields(c), 'service-account key', s.path);
    },
  };
}

/** Narrows a replacement to a GCP service-account key: an API key cannot stand where a key file is. */
export function expectGcpKeyFile(ctx: ValueContext, credential: Credential, path: string): GcpServiceAccountKey {
  const c = expectProvider(ctx, credential, 'gcp', path);
  if (c.kind === 'api-key')
    ctx.fail(
      'ProviderMismatch',
      'the site holds a GCP service-account key and the replacement is a GCP API key (AIza…), which cannot authenticate here',
      { path },
    );
  return c;
}

/** Whether a codec helper returned a site rather than a skipped entry. */
export function isParsedSite(value: ParsedSite | SkippedEntry): value is ParsedSite {
  return 'site' in value;
}
