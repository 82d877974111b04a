/**
 * trustCredential / distrustCredential: the fake credentials a sandbox layout puts in Secrets
 * become valid (and invalid again) in the emulated clouds, checked through the official SDKs.
 */
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distrustCredential, startCloudSim, trustCredential, type CloudSim } from '../../src/sim/cloud/index.js';
import {
  alibabaAccessKey,
  awsAccessKey,
  azureStorageKey,
  gcpServiceAccountKey,
  type AwsAccessKey,
  type AzureStorageKey,
  type GcpServiceAccountKey,
} from '../../src/sim/kubecost/credentials.js';
import { googleClient } from './support.js';

let sim: CloudSim;

beforeAll(async () => {
  sim = await startCloudSim();
  await sim.aws.ensureBucket('acme-kubecost-thanos');
});

afterAll(async () => {
  await sim.stop();
});

/** Whether the emulated cloud accepts the credential (one authenticated call through its SDK). */
async function accepted(credential: AwsAccessKey | GcpServiceAccountKey | AzureStorageKey): Promise<boolean> {
  try {
    if (credential.provider === 'aws') {
      const s3 = new S3Client({
        region: 'us-east-1',
        endpoint: sim.endpoints.s3,
        forcePathStyle: true,
        credentials: credential,
        maxAttempts: 1,
      });
      await s3.send(new PutObjectCommand({ Bucket: 'acme-kubecost-thanos', Key: 'trust-check', Body: 'x' }));
    } else if (credential.provider === 'gcp') {
      await googleClient(sim.endpoints.gcpToken, credential).authorize();
    } else {
      const service = new BlobServiceClient(
        sim.azure.blobUrl(credential.accountName),
        new StorageSharedKeyCredential(credential.accountName, credential.accountKey),
        { retryOptions: { maxTries: 1 } },
      );
      await service.getProperties();
    }
    return true;
  } catch {
    return false;
  }
}

describe('trustCredential and distrustCredential', () => {
  it.each([
    ['an AWS access key', () => awsAccessKey('kubecost-thanos')],
    ['a GCP service-account key', () => gcpServiceAccountKey('kubecost-federated', 'acme-platform')],
    ['an Azure storage key in slot key2', () => azureStorageKey('acmecostexports', 'key2')],
  ] as const)('make %s valid, then invalid again', async (_, make) => {
    const credential = make();
    expect(await accepted(credential)).toBe(false);
    trustCredential(sim, credential);
    trustCredential(sim, credential);
    expect(await accepted(credential)).toBe(true);
    distrustCredential(sim, credential);
    expect(await accepted(credential)).toBe(false);
    distrustCredential(sim, credential);
  });

  it('keep the other Azure slot when trusting a key, and leave a slot that already moved on alone', async () => {
    const key1 = azureStorageKey('acmekubecostfed', 'key1');
    const key2 = azureStorageKey('acmekubecostfed', 'key2');
    trustCredential(sim, key1);
    trustCredential(sim, key2);
    expect([await accepted(key1), await accepted(key2)]).toEqual([true, true]);
    const replacement = azureStorageKey('acmekubecostfed', 'key1');
    trustCredential(sim, replacement);
    distrustCredential(sim, key1);
    expect([await accepted(key1), await accepted(key2), await accepted(replacement)]).toEqual([false, true, true]);
  });

  it('keep two simulators in one process apart: a key trusted by one is unknown to the other', async () => {
    const other = await startCloudSim();
    try {
      const aws = awsAccessKey('kubecost-thanos');
      const azure = azureStorageKey('acmeotherexports', 'key1');
      trustCredential(other, aws);
      trustCredential(other, azure);
      expect([await accepted(aws), await accepted(azure)]).toEqual([false, false]);
      trustCredential(sim, aws);
      trustCredential(sim, azure);
      expect([await accepted(aws), await accepted(azure)]).toEqual([true, true]);
      distrustCredential(other, aws);
      expect(await accepted(aws)).toBe(true);
    } finally {
      await other.stop();
    }
  });

  it('refuse Alibaba keys, which are not emulated', () => {
    const key = alibabaAccessKey();
    expect(() => trustCredential(sim, key)).toThrow(/Alibaba keys are not emulated/);
    expect(() => distrustCredential(sim, key)).toThrow(/Alibaba keys are not emulated/);
  });
});
