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
