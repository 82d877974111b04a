/**
 * The legacy `service-key.json` (reference §2.5): an AWS or Alibaba key pair, an Azure service
 * principal (not rotated here), or a GCP service-account key file, which is then the whole value.
 */
import { ValueContext, type Codec, type ParsedDocument, type ParsedSite } from './codec.js';
import { gcpKeyFields, gcpKeyFromObject, isGcpKeyProblem } from './credentials.js';
import {
  checkFoldDuplicates,
  expectObject,
  findMember,
  objectOfStringsEdits,
  parseJsonValue,
  readString,
  type KeyLookup,
} from './json-doc.js';
import { alibabaPairSite, awsPairSite, expectGcpKeyFile } from './json-sites.js';
import { getMember, type JsonObject } from './json-source.js';
import type { SecretLocation } from './errors.js';

const FOLD: KeyLookup = { fold: true };

/** The `service-key.json` codec. */
export const serviceKeyCodec: Codec = {
  family: 'service-key',
  parse(text: string, location: SecretLocation): ParsedDocument {
    const ctx: ValueContext = new ValueContext(location, text);
    const root = expectObject(ctx, parseJsonValue(ctx), '$', 'the document');
    const format = 'service-key-json';
    if (getMember(root, 'type')) return { family: 'service-key', sites: [gcpKeyFileSite(ctx, root)], skipped: [] };
    checkFoldDuplicates(ctx, root, '$');
    for (const [prefix, provider] of [
      ['aws', 'aws'],
      ['alibaba', 'alibaba'],
    ] as const) {
      const idKey = `${prefix}_access_key_id`;
      const secretKey = `${prefix}_secret_access_key`;
      if (!findMember(root, idKey, FOLD) && !findMember(root, secretKey, FOLD)) continue;
      const id = readString(ctx, root, idKey, '$', FOLD);
      const secret = readString(ctx, root, secretKey, '$', FOLD);
      if (!id?.value) ctx.fail('MissingField', `${idKey} is missing or empty`, { path: '$', offset: root.start });
      if (!secret?.value)
        ctx.fail('MissingField', `${secretKey} is missing or empty`, { path: '$', offset: root.start });
      const fields = {
        path: '$',
        format,
        id,
        idField: fieldName(root, idKey),
        secret,
        secretField: fieldName(root, secretKey),
      } as const;
      return {
        family: 'service-key',
        sites: [provider === 'aws' ? awsPairSite(ctx, fields) : alibabaPairSite(ctx, fields)],
        skipped: [],
      };
    }
    if (findMember(root, 'serviceKey', FOLD) || findMember(root, 'subscriptionId', FOLD)) {
      return {
        family: 'service-key',
        sites: [],
        skipped: [
          {
            path: '$',
            format,
            provider: 'azure',
            reason: 'UnsupportedCredential',
            detail: 'an Azure service principal (serviceKey.appId/password), not a storage account key',
          },
        ],
      };
    }
    return ctx.fail(
      'UnrecognizedFormat',
      'service-key.json has none of the known shapes: aws_access_key_id/aws_secret_access_key, alibaba_access_key_id/alibaba_secret_access_key, an Azure serviceKey, or a GCP service-account key',
      { path: '$', offset: root.start },
    );
  },
};

function fieldName(object: JsonObject, key: string): string {
  return findMember(object, key, FOLD)?.key.value ?? key;
}

/** A GCP key file: the credential is the whole value; a new key is written in the old one's layout. */
function gcpKeyFileSite(ctx: ValueContext, root: JsonObject): ParsedSite {
  const credential = gcpKeyFromObject(root, ctx.text);
  if (isGcpKeyProblem(credential))
    ctx.fail('InvalidGcpKey', credential.problem, { path: '$', offset: credential.offset ?? root.start });
  return {
    site: { location: ctx.location, path: '$', format: 'service-key-json', provider: 'gcp', fields: [], credential },
    edits(replacement) {
      const c = expectGcpKeyFile(ctx, replacement, '$');
      return objectOfStringsEdits(ctx, root, gcpKeyFields(c), 'service-account key', '$');
    },
  };
}
