/**
 * Makes the fake credentials of `sim/kubecost` valid (or invalid again) in the emulated clouds,
 * so a layout's Secrets hold keys that work until a test or a rotation retires them.
 */
import type { FakeCredential } from '../kubecost/credentials.js';
import type { CloudSim } from './cloud-sim.js';

/**
 * Makes a credential valid: an AWS access key on S3 and Athena, a GCP service-account key at the
 * token endpoint, an Azure storage key in its slot (the other slot keeps its key). Idempotent.
 * Alibaba keys are not emulated (bring-your-own only) and are refused.
 */
export function trustCredential(cloud: CloudSim, credential: FakeCredential): void {
  switch (credential.provider) {
    case 'aws':
      return cloud.aws.allowKey(credential.accessKeyId, credential.secretAccessKey, credential.user);
    case 'gcp':
      return cloud.gcp.allowKey(credential.clientEmail, credential.privateKeyId, credential.privateKey);
    case 'azure':
      return cloud.azure.setKey(credential.accountName, credential.slot, credential.accountKey);
    case 'alibaba':
      throw new Error(`cloud-sim: Alibaba keys are not emulated (${credential.accessKeyId})`);
  }
}

/**
 * Makes a credential invalid: the AWS or GCP key is revoked; an Azure slot that still holds this
 * key is regenerated (a slot that already moved on is left alone). Idempotent.
 */
export function distrustCredential(cloud: CloudSim, credential: FakeCredential): void {
  switch (credential.provider) {
    case 'aws':
      return cloud.aws.revokeKey(credential.accessKeyId);
    case 'gcp':
      return cloud.gcp.revokeKey(credential.clientEmail, credential.privateKeyId);
    case 'azure': {
      const slot = cloud.azure.slotOf(credential.accountName, credential.accountKey);
      if (slot) cloud.azure.regenerateKey(credential.accountName, slot);
      return;
    }
    case 'alibaba':
      throw new Error(`cloud-sim: Alibaba keys are not emulated (${credential.accessKeyId})`);
  }
}
