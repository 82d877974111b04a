/**
 * From a Secret's `data` map (base64 values, as the API returns them) to the raw bytes of one
 * data value.
 */
import { SecretFormatError, type SecretLocation } from './errors.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Returns the decoded bytes of `data[location.dataKey]`. Throws {@link SecretFormatError}:
 * `EmptySecret` when the Secret has no data, `MissingDataKey` when the key is absent,
 * `InvalidBase64` when the value is not standard padded base64. Pure.
 */
export function decodeSecretData(
  data: Readonly<Record<string, unknown>> | null | undefined,
  location: SecretLocation,
): Uint8Array {
  const keys = data ? Object.keys(data) : [];
  if (!data || keys.length === 0) {
    throw new SecretFormatError({ code: 'EmptySecret', location, problem: 'the Secret has no data at all' });
  }
  if (!Object.hasOwn(data, location.dataKey)) {
    const shown = keys
      .slice(0, 10)
      .map((k) => `"${k}"`)
      .join(', ');
    const more = keys.length > 10 ? `, and ${keys.length - 10} more` : '';
    throw new SecretFormatError({
      code: 'MissingDataKey',
      location,
      problem: `the Secret has no data key "${location.dataKey}" (it has ${shown}${more})`,
    });
  }
  const encoded = data[location.dataKey];
  if (typeof encoded !== 'string') {
    throw new SecretFormatError({ code: 'WrongType', location, problem: 'the data value is not a string' });
  }
  const bad = encoded.search(/[^A-Za-z0-9+/=]/);
  if (bad !== -1 || !BASE64.test(encoded) || encoded.length % 4 !== 0) {
    const where = bad !== -1 ? `a character that is not base64 at position ${bad}` : 'wrong length or padding';
    throw new SecretFormatError({
      code: 'InvalidBase64',
      location,
      problem: `the data value is not valid base64 (${where})`,
    });
  }
  return new Uint8Array(Buffer.from(encoded, 'base64'));
}
