/**
 * What `sandbox new-key` asks the emulated clouds for: a new key of a credential's principal, made
 * the way the provider makes it, through cloud-sim's control planes (their limits included), and
 * valid next to the old one. AWS: CreateAccessKey of the IAM emulation (two keys per user). GCP:
 * IAM keys.create of the service account (ten keys per account). Azure: regenerateKey of the
 * storage account's slot the sites do not use (the one the credential named does not hold). The
 * key file is in a shape `rotate --new-key-file` reads.
 */
import type { CloudSim } from '../cloud/index.js';
import { fingerprintOf, type AzureStorageKey, type FakeCredential } from './credentials.js';

export interface SandboxNewKey {
  readonly next: FakeCredential;
  readonly keyFile: string;
}

/** A refusal of the emulated cloud, with what it said (no key material). */
export class SandboxKeyRefused extends Error {}

const refusal = (error: unknown) =>
  new SandboxKeyRefused(error instanceof Error ? error.message.replace(/^cloud-sim: /, '') : 'refused');

/**
 * The slot of `account` the selector's key is in: the fingerprint of an `azure:ACCOUNT:FP` id, else
 * the latest known key of the account that a slot still holds.
 */
function slotInUse(cloud: CloudSim, known: readonly AzureStorageKey[], selector: string): 'key1' | 'key2' {
  const account = known[0]?.accountName ?? '';
  const keys = cloud.azure.keysOf(account);
  if (!keys) throw new SandboxKeyRefused(`no Azure storage account ${account} in the sandbox cloud`);
  const fp = /^azure:[^:]+:([0-9a-f]+)$/.exec(selector)?.[1];
  if (fp) {
    if (fingerprintOf(keys.key1) === fp) return 'key1';
    if (fingerprintOf(keys.key2) === fp) return 'key2';
    throw new SandboxKeyRefused(
      `neither slot of storage account ${account} holds the key ${fp} any more; run kubecost-rotate discover for the id of the key the sites hold`,
    );
  }
  for (const key of [...known].reverse()) {
    const slot = cloud.azure.slotOf(account, key.accountKey);
    if (slot) return slot;
  }
  throw new SandboxKeyRefused(
    `the sandbox does not know which slot of storage account ${account} the sites use; pass the credential id from kubecost-rotate discover (azure:${account}:...)`,
  );
}

/**
 * Makes a new key for `old`'s principal at cloud-sim. `known` holds every key of that principal the
 * sandbox made or installed, oldest first (Azure: to tell the slot in use).
 */
export function newKeyAtCloud(
  cloud: CloudSim,
  old: FakeCredential,
  known: readonly FakeCredential[],
  selector: string,
): SandboxNewKey | undefined {
  switch (old.provider) {
    case 'aws': {
      let made: { accessKeyId: string; secretAccessKey: string };
      try {
        made = cloud.aws.createAccessKey(old.user);
      } catch (error: unknown) {
        throw refusal(error);
      }
      const next: FakeCredential = { provider: 'aws', user: old.user, ...made };
      // The shape `aws iam create-access-key` prints.
      const keyFile = JSON.stringify(
        {
          AccessKey: {
            UserName: old.user,
            AccessKeyId: made.accessKeyId,
            Status: 'Active',
            SecretAccessKey: made.secretAccessKey,
          },
        },
        null,
        2,
      );
      return { next, keyFile };
    }
    case 'gcp': {
      let made: { privateKeyId: string; keyJson: string };
      try {
        made = cloud.gcp.createServiceAccountKey(old.clientEmail, old.projectId);
      } catch (error: unknown) {
        throw refusal(error);
      }
      const privateKey = (JSON.parse(made.keyJson) as { private_key: string }).private_key;
      const next: FakeCredential = {
        provider: 'gcp',
        clientEmail: old.clientEmail,
        projectId: old.projectId,
        privateKeyId: made.privateKeyId,
        privateKey,
        json: made.keyJson,
      };
      // The key file as `gcloud iam service-accounts keys create` writes it.
      return { next, keyFile: made.keyJson };
    }
    case 'azure': {
      const ofAccount = known.filter(
        (c): c is AzureStorageKey => c.provider === 'azure' && c.accountName === old.accountName,
      );
      const slot = slotInUse(cloud, ofAccount, selector) === 'key1' ? 'key2' : 'key1';
      let accountKey: string;
      try {
        accountKey = cloud.azure.regenerateKey(old.accountName, slot);
      } catch (error: unknown) {
        throw refusal(error);
      }
      const next: FakeCredential = { provider: 'azure', accountName: old.accountName, slot, accountKey };
      return { next, keyFile: JSON.stringify({ accountName: old.accountName, accountKey }, null, 2) };
    }
    default:
      // Alibaba keys and GCP API keys have no control plane in cloud-sim: the caller makes one valid.
      return undefined;
  }
}
