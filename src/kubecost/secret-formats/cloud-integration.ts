/**
 * `cloud-integration.json` (reference §3): the legacy format (top-level provider arrays) and the
 * nested format (provider objects whose entries carry an `authorizer`). The format found is kept;
 * a replacement splices only the credential's string tokens.
 *
 * Go's decoder matches the top-level keys, the provider objects' keys and the legacy entries'
 * fields case-insensitively; the nested entries and their authorizers are map lookups, so exact.
 */
import { ValueContext, type Codec, type ParsedDocument, type ParsedSite } from './codec.js';
import {
  checkFoldDuplicates,
  expectArray,
  expectObject,
  findMember,
  parseJsonValue,
  readString,
  requireString,
  type KeyLookup,
} from './json-doc.js';
import { childPath, describeJsonKind, getMember, type JsonMember, type JsonObject } from './json-source.js';
import {
  alibabaPairSite,
  awsPairSite,
  azureConnectionStringSite,
  azureKeySite,
  gcpObjectSite,
  isParsedSite,
} from './json-sites.js';
import type { SecretLocation } from './errors.js';
import type { SkippedEntry } from './types.js';

const FOLD: KeyLookup = { fold: true };
const EXACT: KeyLookup = { fold: false };

/** Top-level keys that hold provider configurations. */
const PROVIDER_KEYS = ['aws', 'gcp', 'azure', 'alibaba', 'oci'] as const;
type ProviderKey = (typeof PROVIDER_KEYS)[number];

/** Nested format: provider → config lists → keys every entry must have besides `authorizer` (reference §3.2). */
const NESTED_CONFIGS: Record<ProviderKey, Record<string, readonly string[]>> = {
  aws: {
    athena: ['bucket', 'region', 'database', 'table', 'workgroup', 'account'],
    s3: ['bucket', 'region', 'account'],
  },
  gcp: { bigQuery: ['projectID', 'dataset', 'table'] },
  azure: { storage: ['subscriptionID', 'account', 'container', 'path', 'cloud'] },
  alibaba: { boa: ['account', 'region'] },
  oci: { usageApi: ['tenancyID', 'region'] },
};

/** Valid `authorizerType` values per provider (reference §3.2). */
const AUTHORIZER_TYPES: Record<ProviderKey, readonly string[]> = {
  aws: ['AWSAccessKey', 'AWSAssumeRole', 'AWSServiceAccount', 'AWSWebIdentity'],
  gcp: ['GCPServiceAccountKey', 'GCPWorkloadIdentity'],
  azure: ['AzureAccessKey', 'AzureStorageConnectionString', 'AzureDefaultCredential', 'AzureClientSecretCredential'],
  alibaba: ['AlibabaAccessKey'],
  oci: ['OCIRawConfigProvider'],
};

/** How many `AWSAssumeRole` wrappers may nest. */
const MAX_ROLE_CHAIN = 4;

interface Collected {
  sites: ParsedSite[];
  skipped: SkippedEntry[];
}

/** The `cloud-integration.json` codec. */
export const cloudIntegrationCodec: Codec = {
  family: 'cloud-integration',
  parse(text: string, location: SecretLocation): ParsedDocument {
    const ctx: ValueContext = new ValueContext(location, text);
    const root = expectObject(ctx, parseJsonValue(ctx), '$', 'the document');
    checkFoldDuplicates(ctx, root, '$');
    const providers: { key: ProviderKey; member: JsonMember }[] = [];
    for (const member of root.members) {
      const key = PROVIDER_KEYS.find((p) => p === member.key.value.toLowerCase());
      if (key && member.value.kind !== 'null') providers.push({ key, member });
    }
    for (const { member } of providers) {
      if (member.value.kind !== 'array' && member.value.kind !== 'object') {
        ctx.fail(
          'WrongType',
          `${describeJsonKind(member.value)} where an array (legacy format) or an object (nested format) belongs`,
          { path: childPath('$', member.key.value), offset: member.value.start },
        );
      }
    }
    const legacy = providers.filter((p) => p.member.value.kind === 'array');
    const nested = providers.filter((p) => p.member.value.kind === 'object');
    const firstNested = nested[0];
    if (legacy.length > 0 && firstNested) {
      ctx.fail(
        'MixedFormats',
        'this provider is an object (nested format) while another provider is an array (legacy format); Kubecost reads one format per file and would ignore the whole file',
        { path: childPath('$', firstNested.member.key.value), offset: firstNested.member.key.start },
        'Convert every provider to the same format (the nested format is current), then run the command again.',
      );
    }
    const out: Collected = { sites: [], skipped: [] };
    if (legacy.length > 0) for (const p of legacy) readLegacyProvider(ctx, p.key, p.member, out);
    else for (const p of nested) readNestedProvider(ctx, p.key, p.member, out);
    return { family: 'cloud-integration', ...out };
  },
};

function readLegacyProvider(ctx: ValueContext, provider: ProviderKey, member: JsonMember, out: Collected): void {
  const listPath = childPath('$', member.key.value);
  const list = expectArray(ctx, member.value, listPath);
  list.items.forEach((item, index) => {
    const path = childPath(listPath, index);
    const entry = expectObject(ctx, item, path, 'this entry');
    checkFoldDuplicates(ctx, entry, path);
    const format = 'cloud-integration-legacy';
    switch (provider) {
      case 'aws':
      case 'alibaba': {
        const id = readString(ctx, entry, 'serviceKeyName', path, FOLD);
        const secret = readString(ctx, entry, 'serviceKeySecret', path, FOLD);
        if (!id?.value && !secret?.value) {
          if (provider === 'alibaba')
            ctx.fail(
              'MissingField',
              'the entry has neither serviceKeyName nor serviceKeySecret; Alibaba needs an AccessKey',
              { path, offset: entry.start },
            );
          out.skipped.push({
            path,
            format,
            provider,
            reason: 'AmbientIdentity',
            detail: 'no serviceKeyName/serviceKeySecret: the default AWS credential chain (IRSA or instance role)',
          });
          return;
        }
        if (!id?.value)
          ctx.fail(
            'MissingField',
            'serviceKeySecret is set but serviceKeyName (the access key id) is missing or empty',
            { path, offset: entry.start },
          );
        if (!secret?.value)
          ctx.fail('MissingField', 'serviceKeyName is set but serviceKeySecret is missing or empty', {
            path,
            offset: entry.start,
          });
        const fields = {
          path,
          format,
          id,
          idField: fieldName(entry, 'serviceKeyName'),
          secret,
          secretField: fieldName(entry, 'serviceKeySecret'),
        } as const;
        out.sites.push(provider === 'aws' ? awsPairSite(ctx, fields) : alibabaPairSite(ctx, fields));
        return;
      }
      case 'gcp': {
        const keyMember = findMember(entry, 'key', FOLD);
        if (
          !keyMember ||
          keyMember.value.kind === 'null' ||
          (keyMember.value.kind === 'object' && keyMember.value.members.length === 0)
        ) {
          out.skipped.push({
            path,
            format,
            provider: 'gcp',
            reason: 'AmbientIdentity',
            detail: 'no key: GCP workload identity',
          });
          return;
        }
        const key = expectObject(ctx, keyMember.value, childPath(path, keyMember.key.value), 'the service-account key');
        out.sites.push(gcpObjectSite(ctx, { path, format, key, field: keyMember.key.value }));
        return;
      }
      case 'azure': {
        const account = requireString(ctx, entry, 'azureStorageAccount', path, FOLD, { nonEmpty: true });
        const key = requireString(ctx, entry, 'azureStorageAccessKey', path, FOLD, { nonEmpty: true });
        out.sites.push(
          azureKeySite(ctx, {
            path,
            format,
            accountName: account.value,
            key,
            keyField: fieldName(entry, 'azureStorageAccessKey'),
          }),
        );
        return;
      }
      case 'oci':
        out.skipped.push({
          path,
          format,
          provider: 'oci',
          reason: 'UnsupportedCredential',
          detail: 'OCI configurations are not rotated by this tool',
        });
        return;
    }
  });
}

/** The key as written in the document (Go matched it case-insensitively). */
function fieldName(object: JsonObject, key: string): string {
  return findMember(object, key, FOLD)?.key.value ?? key;
}

function readNestedProvider(ctx: ValueContext, provider: ProviderKey, member: JsonMember, out: Collected): void {
  const providerPath = childPath('$', member.key.value);
  const object = expectObject(ctx, member.value, providerPath);
  checkFoldDuplicates(ctx, object, providerPath);
  for (const [configKey, required] of Object.entries(NESTED_CONFIGS[provider])) {
    const listMember = findMember(object, configKey, FOLD);
    if (!listMember || listMember.value.kind === 'null') continue;
    const listPath = childPath(providerPath, listMember.key.value);
    const list = expectArray(ctx, listMember.value, listPath);
    list.items.forEach((item, index) => {
      const path = childPath(listPath, index);
      const entry = expectObject(ctx, item, path, 'this entry');
      for (const key of required) {
        requireString(ctx, entry, key, path, EXACT, {
          why: `(Kubecost refuses ${configKey} entries without it, even as "")`,
        });
      }
      const authorizer = getMember(entry, 'authorizer');
      if (!authorizer)
        ctx.fail('MissingField', 'required field "authorizer" is missing', { path, offset: entry.start });
      readAuthorizer(ctx, provider, authorizer.value, childPath(path, 'authorizer'), out, 0);
    });
  }
}

function readAuthorizer(
  ctx: ValueContext,
  provider: ProviderKey,
  node: JsonMember['value'],
  path: string,
  out: Collected,
  roleDepth: number,
): void {
  const authorizer = expectObject(ctx, node, path, 'the authorizer');
  const typeToken = requireString(ctx, authorizer, 'authorizerType', path, EXACT, { nonEmpty: true });
  const type = typeToken.value;
  const format = 'cloud-integration-nested';
  const valid = AUTHORIZER_TYPES[provider];
  if (!valid.includes(type)) {
    ctx.fail(
      'UnknownAuthorizerType',
      `authorizerType is not one Kubecost knows for ${provider} (expected one of ${valid.join(', ')}; the names are case-sensitive)`,
      { path: childPath(path, 'authorizerType'), offset: typeToken.start },
    );
  }
  const need = (key: string): ReturnType<typeof requireString> =>
    requireString(ctx, authorizer, key, path, EXACT, { nonEmpty: true, why: `(required by ${type})` });
  switch (type) {
    case 'AWSAccessKey':
      out.sites.push(
        awsPairSite(ctx, {
          path,
          format,
          id: need('id'),
          idField: 'id',
          secret: need('secret'),
          secretField: 'secret',
        }),
      );
      return;
    case 'AWSAssumeRole': {
      need('roleARN');
      const inner = getMember(authorizer, 'authorizer');
      if (!inner)
        ctx.fail('MissingField', 'required field "authorizer" (the credentials that assume the role) is missing', {
          path,
          offset: authorizer.start,
        });
      if (roleDepth >= MAX_ROLE_CHAIN)
        ctx.fail('WrongType', `AWSAssumeRole authorizers are nested more than ${MAX_ROLE_CHAIN} deep`, {
          path,
          offset: authorizer.start,
        });
      readAuthorizer(ctx, provider, inner.value, childPath(path, 'authorizer'), out, roleDepth + 1);
      return;
    }
    case 'AlibabaAccessKey':
      out.sites.push(
        alibabaPairSite(ctx, {
          path,
          format,
          id: need('accessKeyID'),
          idField: 'accessKeyID',
          secret: need('accessKeySecret'),
          secretField: 'accessKeySecret',
        }),
      );
      return;
    case 'AzureAccessKey': {
      const account = need('account');
      out.sites.push(
        azureKeySite(ctx, { path, format, accountName: account.value, key: need('accessKey'), keyField: 'accessKey' }),
      );
      return;
    }
    case 'AzureStorageConnectionString': {
      const result = azureConnectionStringSite(ctx, {
        path,
        format,
        token: need('storageConnectionString'),
        field: 'storageConnectionString',
      });
      if (isParsedSite(result)) out.sites.push(result);
      else out.skipped.push(result);
      return;
    }
    case 'GCPServiceAccountKey': {
      const key = getMember(authorizer, 'key');
      if (!key || key.value.kind === 'null')
        ctx.fail('MissingField', 'required field "key" (the service-account key) is missing', {
          path,
          offset: authorizer.start,
        });
      const keyObject = expectObject(ctx, key.value, childPath(path, 'key'), 'the service-account key');
      if (keyObject.members.length === 0)
        ctx.fail('MissingField', 'the service-account key is empty', {
          path: childPath(path, 'key'),
          offset: keyObject.start,
        });
      out.sites.push(gcpObjectSite(ctx, { path, format, key: keyObject, field: 'key' }));
      return;
    }
    case 'AzureClientSecretCredential':
      out.skipped.push({
        path,
        format,
        provider: 'azure',
        reason: 'UnsupportedCredential',
        detail: `authorizerType ${type}: a service principal secret, not a storage account key`,
      });
      return;
    case 'OCIRawConfigProvider':
      out.skipped.push({
        path,
        format,
        provider: 'oci',
        reason: 'UnsupportedCredential',
        detail: `authorizerType ${type}: OCI API keys are not rotated by this tool`,
      });
      return;
    default:
      // AWSServiceAccount, AWSWebIdentity, GCPWorkloadIdentity, AzureDefaultCredential.
      out.skipped.push({
        path,
        format,
        provider: provider === 'oci' ? 'oci' : provider,
        reason: 'AmbientIdentity',
        detail: `authorizerType ${type}: the workload's own identity, no key`,
      });
  }
}
