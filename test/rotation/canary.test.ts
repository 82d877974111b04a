/** The secret canary itself: it must catch a value, its base64 at any offset, and partial copies. */
import { describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/shared/fingerprint.js';
import { leakedSecrets } from '../support/capture.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYZZXAMPLEKEY';

describe('the secret canary', () => {
  it('finds the value itself', () => {
    expect(leakedSecrets(`error: bad key ${SECRET}`, [SECRET])).toEqual([SECRET]);
  });

  it('finds the base64 of any text holding the value, at every offset (a Secret printed with its data)', () => {
    for (const prefix of ['', 'a', 'ab', 'abc', 'access_key: "AKIA"\nsecret_key: "'])
      expect(
        leakedSecrets(`data: ${Buffer.from(`${prefix}${SECRET}"\n`).toString('base64')}`, [SECRET]),
        `prefix of ${prefix.length} characters`,
      ).toEqual([SECRET]);
  });

  it('finds a partial copy of 31 characters or more, anywhere in the value', () => {
    for (let start = 0; start + 31 <= SECRET.length; start++)
      expect(leakedSecrets(`… ${SECRET.slice(start, start + 31)} …`, [SECRET]), `from ${start}`).toEqual([SECRET]);
  });

  it('finds nothing in what may be printed: fingerprints, ids, short fragments', () => {
    expect(leakedSecrets(`key ${fingerprint(SECRET)} (AKIAIOSFODNN7EXAMPLE) ${SECRET.slice(0, 12)}`, [SECRET])).toEqual(
      [],
    );
  });
});
