/**
 * The deprecated `azure-storage-config.json` (reference §2.5): `azureStorageAccount`,
 * `azureStorageAccessKey`, `azureStorageContainer`.
 */
import { ValueContext, type Codec, type ParsedDocument } from './codec.js';
import {
  checkFoldDuplicates,
  expectObject,
  findMember,
  parseJsonValue,
  requireString,
  type KeyLookup,
} from './json-doc.js';
import { azureKeySite } from './json-sites.js';
import type { SecretLocation } from './errors.js';

const FOLD: KeyLookup = { fold: true };

/** The `azure-storage-config.json` codec. */
export const azureStorageConfigCodec: Codec = {
  family: 'azure-storage-config',
  parse(text: string, location: SecretLocation): ParsedDocument {
    const ctx: ValueContext = new ValueContext(location, text);
    const root = expectObject(ctx, parseJsonValue(ctx), '$', 'the document');
    checkFoldDuplicates(ctx, root, '$');
    const account = requireString(ctx, root, 'azureStorageAccount', '$', FOLD, { nonEmpty: true });
    const key = requireString(ctx, root, 'azureStorageAccessKey', '$', FOLD, { nonEmpty: true });
    const keyField = findMember(root, 'azureStorageAccessKey', FOLD)?.key.value ?? 'azureStorageAccessKey';
    return {
      family: 'azure-storage-config',
      sites: [
        azureKeySite(ctx, { path: '$', format: 'azure-storage-config', accountName: account.value, key, keyField }),
      ],
      skipped: [],
    };
  },
};

/**
 * The subscription id an `azure-storage-config.json` names (`azureSubscriptionID`, any case, as
 * Go's JSON decoder matches it), or undefined. OpenCost's HelmWatcher then falls back to the
 * `subscriptionId` of /var/secrets/service-key.json, then to the pricing configuration; its
 * validation fails without one. Pure; never throws (an unreadable value has no id).
 */
export function azureSubscriptionIdIn(text: string): string | undefined {
  return stringFieldFold(text, 'azureSubscriptionID');
}

/** The `subscriptionId` of a legacy Azure `service-key.json` (any case), or undefined. Pure; never throws. */
export function serviceKeySubscriptionId(text: string): string | undefined {
  return stringFieldFold(text, 'subscriptionId');
}

function stringFieldFold(text: string, name: string): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  for (const [key, value] of Object.entries(doc))
    if (key.toLowerCase() === name.toLowerCase() && typeof value === 'string' && value !== '') return value;
  return undefined;
}
