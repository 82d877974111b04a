import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { fingerprint, FINGERPRINT_HEX_LENGTH } from './fingerprint.js';
import { SecretValue } from './secret-value.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

describe('fingerprint', () => {
  it('is the first 12 hex characters of the sha256 of the UTF-8 bytes', () => {
    // sha256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
    expect(fingerprint('abc')).toBe('ba7816bf8f01');
    expect(fingerprint(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01');
    expect(FINGERPRINT_HEX_LENGTH).toBe(12);
  });

  it('differs for different material', () => {
    expect(fingerprint('key1')).not.toBe(fingerprint('key2'));
  });
});

describe('SecretValue', () => {
  const value = new SecretValue(SECRET);
  const redacted = `[redacted fp=${fingerprint(SECRET)}]`;

  it('returns the value only from reveal()', () => {
    expect(value.reveal()).toBe(SECRET);
  });

  it('shows only its fingerprint through toString, template literals, JSON and util.inspect', () => {
    expect(String(value)).toBe(redacted);
    expect(`${value}`).toBe(redacted);
    expect(JSON.stringify({ value })).toBe(JSON.stringify({ value: redacted }));
    expect(inspect(value)).toBe(redacted);
    expect(inspect({ nested: { value } }, { depth: 5 })).not.toContain(SECRET);
  });

  it('keeps the value out of its enumerable properties', () => {
    expect(Object.values(value).join(' ')).not.toContain(SECRET);
    expect(JSON.stringify(Object.entries(value))).not.toContain(SECRET);
  });

  it('compares by value', () => {
    expect(value.equals(new SecretValue(SECRET))).toBe(true);
    expect(value.equals(new SecretValue(`${SECRET}x`))).toBe(false);
    expect(value.equals(new SecretValue(SECRET.replace('w', 'W')))).toBe(false);
  });

  it('makes deep equality tell two different secrets apart', () => {
    expect(new SecretValue('a')).not.toEqual(new SecretValue('b'));
    expect(new SecretValue('a')).toEqual(new SecretValue('a'));
  });

  it('knows whether it is empty', () => {
    expect(new SecretValue('').isEmpty).toBe(true);
    expect(value.isEmpty).toBe(false);
  });
});
