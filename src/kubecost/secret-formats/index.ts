/**
 * The secret-format codecs: read the credentials a Kubecost Secret data value holds, and write a
 * new credential into one site changing nothing else (DESIGN §1, §4 invariants 4 to 6).
 *
 * Pure: no cluster, no cloud, no clock. Safe to call again with the same input.
 */
import { InternalError } from '../../shared/errors.js';
import { azureStorageConfigCodec } from './azure-storage-config.js';
import { cloudIntegrationCodec } from './cloud-integration.js';
import { ValueContext, type Codec, type ParsedDocument } from './codec.js';
import { credentialsEqual } from './credentials.js';
import { gcpApiKeyCodec, looksLikeGcpApiKey } from './gcp-api-key.js';
import { describePlace, SecretFormatError, type SecretLocation } from './errors.js';
import { parseJsonSource, type JsonNode } from './json-source.js';
import { objstoreCodec } from './objstore.js';
import { decodeSecretData } from './secret-data.js';
import { serviceKeyCodec } from './service-key.js';
import { applyEdits, decodeValueText, encodeText } from './text.js';
import type { Credential, ParsedSecret, SecretFormatFamily, Site, SiteFormat } from './types.js';
import { isMap, parseDocument } from 'yaml';

export { SecretFormatError, describePlace, inspectCommand } from './errors.js';
export type { SecretFormatErrorCode, SecretLocation } from './errors.js';
export { SecretValue } from '../../shared/secret-value.js';
export {
  alibabaAccessKey,
  awsAccessKey,
  azureStorageAccountKey,
  credentialFingerprint,
  credentialIdentity,
  credentialsEqual,
  gcpApiKey,
  gcpServiceAccountKey,
  isGcpApiKey,
  GCP_API_KEY,
} from './credentials.js';
export { parseGcpApiKeyFile } from './new-key.js';
export { azureSubscriptionIdIn, serviceKeySubscriptionId } from './azure-storage-config.js';
export { decodeSecretData } from './secret-data.js';
export { MAX_VALUE_BYTES } from './text.js';
export type {
  AlibabaAccessKey,
  AwsAccessKey,
  AzureStorageAccountKey,
  Credential,
  CredentialIdentity,
  GcpApiKey,
  GcpServiceAccountKey,
  ParsedSecret,
  Provider,
  SecretFormatFamily,
  Site,
  SiteFormat,
  SkippedEntry,
  SkipReason,
} from './types.js';

const CODECS: Record<SecretFormatFamily, Codec> = {
  'cloud-integration': cloudIntegrationCodec,
  objstore: objstoreCodec,
  'service-key': serviceKeyCodec,
  'azure-storage-config': azureStorageConfigCodec,
  'gcp-api-key': gcpApiKeyCodec,
};

const FAMILY_OF_FORMAT: Record<SiteFormat, SecretFormatFamily> = {
  'cloud-integration-nested': 'cloud-integration',
  'cloud-integration-legacy': 'cloud-integration',
  'objstore-s3': 'objstore',
  'objstore-gcs': 'objstore',
  'objstore-azure': 'objstore',
  'objstore-cluster': 'objstore',
  'service-key-json': 'service-key',
  'azure-storage-config': 'azure-storage-config',
  'gcp-api-key': 'gcp-api-key',
};

/** Data keys whose format the Helm chart fixes (reference §2). */
const FAMILY_OF_DATA_KEY: Readonly<Record<string, SecretFormatFamily>> = {
  'cloud-integration.json': 'cloud-integration',
  'federated-store.yaml': 'objstore',
  'object-store.yaml': 'objstore',
  // 3.x actions stores (clusterController.storageConfigSecret, kubecostProductConfigs.actions.storageConfigSecret).
  'actions-store.yaml': 'objstore',
  // The finops agent's pricing key (<release>-csp-pricing-api-key-secret).
  CSP_PRICING_API_KEY: 'gcp-api-key',
  'service-key.json': 'service-key',
  // gcpSecretKeyName's default: a GCP key file projected as service-key.json.
  'compute-viewer-kubecost-key.json': 'service-key',
  'azure-storage-config.json': 'azure-storage-config',
};

/** The format a data key name implies, if it is one the chart uses. */
export function familyOfDataKey(dataKey: string): SecretFormatFamily | undefined {
  return Object.hasOwn(FAMILY_OF_DATA_KEY, dataKey) ? FAMILY_OF_DATA_KEY[dataKey] : undefined;
}

/** Guesses the format from the content, for data keys the chart does not fix. Pure; never throws. */
export function sniffFamily(text: string): SecretFormatFamily | undefined {
  const body = text.replace(/^\uFEFF/, '').trimStart();
  if (looksLikeGcpApiKey(body)) return 'gcp-api-key';
  if (body.startsWith('{')) {
    let node: JsonNode | undefined;
    try {
      node = parseJsonSource(body);
    } catch {
      node = undefined;
    }
    if (node?.kind === 'object') {
      const keys = new Set(node.members.map((m) => m.key.value.toLowerCase()));
      const has = (...names: string[]): boolean => names.some((n) => keys.has(n));
      if (has('aws', 'gcp', 'azure', 'alibaba', 'oci')) return 'cloud-integration';
      if (has('azurestorageaccount', 'azurestorageaccesskey')) return 'azure-storage-config';
      if (keys.has('type') && keys.has('config')) return 'objstore';
      if (
        has(
          'type',
          'aws_access_key_id',
          'aws_secret_access_key',
          'alibaba_access_key_id',
          'alibaba_secret_access_key',
          'servicekey',
          'subscriptionid',
        )
      )
        return 'service-key';
      return undefined;
    }
  }
  const doc = parseDocument(body, { prettyErrors: false });
  if (isMap(doc.contents) && doc.contents.has('type') && doc.contents.has('config')) return 'objstore';
  return undefined;
}

/** Whether `text` is base64 whose decoding starts like a JSON object or objstore YAML. */
function isEncodedTwice(text: string): boolean {
  const body = text.trim();
  if (body.length < 16 || body.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return false;
  const inner = Buffer.from(body, 'base64').toString('utf8');
  return /^\s*(\{\s*"|(#[^\n]*\n\s*)*(type|config|prefix)\s*:)/.test(inner);
}

function parseDocumentBytes(
  bytes: Uint8Array,
  location: SecretLocation,
  family: SecretFormatFamily | undefined,
): { text: string; doc: ParsedDocument } {
  const text = decodeValueText(bytes, location);
  if (isEncodedTwice(text)) {
    throw new SecretFormatError({
      code: 'EncodedTwice',
      location,
      problem:
        'the value is base64 text that decodes to a JSON or YAML document: it was base64-encoded twice (Secret data is already base64)',
    });
  }
  const chosen = family ?? familyOfDataKey(location.dataKey) ?? sniffFamily(text);
  if (!chosen) {
    throw new SecretFormatError({
      code: 'UnrecognizedFormat',
      location,
      problem:
        'neither the data key name nor the content matches a known format (cloud-integration.json, federated-store.yaml, object-store.yaml, actions-store.yaml, service-key.json, azure-storage-config.json, CSP_PRICING_API_KEY)',
      hint: 'Name the format explicitly, or check that this is the Secret Kubecost reads.',
    });
  }
  return { text, doc: CODECS[chosen].parse(text, location) };
}

/**
 * Reads the sites and skipped entries of one Secret data value. The codec is chosen by `hint`,
 * else by the data key name (`cloud-integration.json`, `federated-store.yaml`,
 * `object-store.yaml`, `service-key.json`, `azure-storage-config.json`), else by the content.
 * `location` names the place in errors and is copied into each site. Pure; throws
 * {@link SecretFormatError} for bad input.
 */
export function detectAndParse(bytes: Uint8Array, location: SecretLocation, hint?: SecretFormatFamily): ParsedSecret {
  const { doc } = parseDocumentBytes(bytes, location, hint);
  return { family: doc.family, sites: doc.sites.map((s) => s.site), skipped: doc.skipped };
}

/** {@link decodeSecretData} then {@link detectAndParse}: from a Secret's base64 `data` map. */
export function parseSecretData(
  data: Readonly<Record<string, unknown>> | null | undefined,
  location: SecretLocation,
  hint?: SecretFormatFamily,
): ParsedSecret {
  return detectAndParse(decodeSecretData(data, location), location, hint);
}

/**
 * Returns `bytes` with `site`'s credential replaced by `credential`; every other byte is kept
 * (JSON: only the credential's string tokens are spliced; YAML: only the credential scalars are
 * rewritten, in their own style). With the credential the site already holds, returns a copy of
 * `bytes`. The result is parsed again before it is returned, and must show `credential` at the
 * site and every other site unchanged.
 *
 * Pure and idempotent. Throws {@link SecretFormatError}: `ProviderMismatch`, `AccountMismatch`
 * (Azure), `InvalidCredential`, `SiteNotFound` or `StaleSite` (the value no longer holds
 * `site.credential` at `site.path`), or any parse error of `bytes`.
 */
export function replaceCredential(bytes: Uint8Array, site: Site, credential: Credential): Uint8Array {
  const family = FAMILY_OF_FORMAT[site.format];
  const { text, doc } = parseDocumentBytes(bytes, site.location, family);
  const ctx: ValueContext = new ValueContext(site.location, text);
  const at = { path: site.path };
  if (credential.provider !== site.provider) {
    ctx.fail(
      'ProviderMismatch',
      `the site holds a ${site.provider} credential and the replacement is a ${credential.provider} credential`,
      at,
    );
  }
  const target = doc.sites.find((s) => s.site.path === site.path && s.site.format === site.format);
  if (!target) ctx.fail('SiteNotFound', `there is no ${site.format} credential at this path any more`, at);
  if (!credentialsEqual(target.site.credential, site.credential)) {
    ctx.fail('StaleSite', 'the credential at this path is not the one that was read earlier', at);
  }
  if (credentialsEqual(target.site.credential, credential)) return bytes.slice();
  const replaced = encodeText(applyEdits(text, target.edits(credential)));
  checkRewrite(doc, replaced, site, credential);
  return replaced;
}

/** Guards invariant 4: the rewritten value parses, holds the new credential at the site, and nothing else changed. */
function checkRewrite(before: ParsedDocument, replaced: Uint8Array, site: Site, credential: Credential): void {
  const place = describePlace({ location: site.location, path: site.path });
  let after: ParsedDocument;
  try {
    after = parseDocumentBytes(replaced, site.location, before.family).doc;
  } catch (error: unknown) {
    const code = error instanceof SecretFormatError ? error.code : 'unknown';
    throw new InternalError(
      `rewriting ${place} produced a value that does not parse again (${code}); nothing was written`,
    );
  }
  const same =
    after.sites.length === before.sites.length &&
    after.sites.every((s, i) => {
      const old = before.sites[i];
      if (!old || old.site.path !== s.site.path || old.site.format !== s.site.format) return false;
      const expected = s.site.path === site.path ? credential : old.site.credential;
      return credentialsEqual(s.site.credential, expected);
    });
  if (!same)
    throw new InternalError(
      `rewriting ${place} did not produce exactly the new credential at that site and the old ones elsewhere; nothing was written`,
    );
}
