/**
 * The fields each key file format defines (issue 8, defect 9), for the formats the v2-federated
 * world of test/cli/bad-input.test.ts does not hold: Alibaba keys and the GCP pricing API key.
 */
import { describe, expect, it } from 'vitest';
import { readKeyText } from '../../src/rotation/new-key.js';

const alibabaId = `LTAI${'A'.repeat(20)}`;
const alibabaSecret = 'b'.repeat(30);
const apiKey = `AIza${'a'.repeat(35)}`;
const created = {
  RequestId: 'req-1',
  AccessKey: { AccessKeyId: alibabaId, AccessKeySecret: alibabaSecret, Status: 'Active', CreateDate: '2026-12-01' },
};

describe('an Alibaba key file', () => {
  it('is read as aliyun ram CreateAccessKey prints it and as {accessKeyId, accessKeySecret}', () => {
    expect(readKeyText(JSON.stringify(created), 'k.json').provider).toBe('alibaba');
    expect(
      readKeyText(JSON.stringify({ accessKeyId: alibabaId, accessKeySecret: alibabaSecret }), 'k.json').provider,
    ).toBe('alibaba');
  });

  it('with a field its format does not define is refused, naming the field and not its value', () => {
    const read = () => readKeyText(JSON.stringify({ ...created, Extra: 'value-not-printed' }), 'k.json');
    expect(read).toThrow('k.json: unknown field "Extra" in aliyun ram CreateAccessKey output');
    expect(read).not.toThrow(/value-not-printed/);
    expect(() =>
      readKeyText(JSON.stringify({ accessKeyId: alibabaId, accessKeySecret: alibabaSecret, region: 'x' }), 'k.json'),
    ).toThrow('unknown field "region" in an Alibaba key file');
  });
});

describe('a GCP API key file', () => {
  it('is read bare or as gcloud services api-keys get-key-string --format=json prints it', () => {
    expect(readKeyText(apiKey, 'k.txt').provider).toBe('gcp');
    expect(readKeyText(JSON.stringify({ keyString: apiKey }), 'k.json').provider).toBe('gcp');
  });

  it('with another field is refused, naming it', () => {
    expect(() => readKeyText(JSON.stringify({ keyString: apiKey, name: 'projects/p/keys/k' }), 'k.json')).toThrow(
      'unknown field "name" in a GCP API key file',
    );
  });
});

describe('any key file', () => {
  it('over 64 KiB is refused with its size, whatever it holds', () => {
    const text = JSON.stringify({ keyString: apiKey, pad: 'x'.repeat(70_000) });
    expect(() => readKeyText(text, 'k.json')).toThrow(`k.json is ${Buffer.byteLength(text)} bytes`);
  });
});
