/**
 * Fake cloud credentials in the real formats: AWS access keys, GCP service-account key files
 * (with a real RSA key, so signatures can be checked), Azure storage-account keys and Alibaba
 * access keys. Nothing here is valid anywhere but in the simulated clouds.
 */
import { generateKeyPairSync, randomBytes, randomInt } from 'node:crypto';

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function pick(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

export interface AwsAccessKey {
  readonly provider: 'aws';
  /** IAM user name. */
  readonly user: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface GcpServiceAccountKey {
  readonly provider: 'gcp';
  readonly clientEmail: string;
  readonly projectId: string;
  readonly privateKeyId: string;
  /** PKCS#8 PEM. */
  readonly privateKey: string;
  /** The key file as the console downloads it (pretty JSON). */
  readonly json: string;
}

export interface AzureStorageKey {
  readonly provider: 'azure';
  readonly accountName: string;
  /** Which of the account's two keys this is. */
  readonly slot: 'key1' | 'key2';
  readonly accountKey: string;
}

export interface AlibabaAccessKey {
  readonly provider: 'alibaba';
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
}

export type FakeCredential = AwsAccessKey | GcpServiceAccountKey | AzureStorageKey | AlibabaAccessKey;

export function awsAccessKey(user: string): AwsAccessKey {
  return {
    provider: 'aws',
    user,
    accessKeyId: `AKIA${pick(UPPER_ALNUM, 16)}`,
    secretAccessKey: pick(SECRET_ALPHABET, 40),
  };
}

/** RSA key generation is the slow part (tens of ms); a fleet reuses few service accounts. */
export function gcpServiceAccountKey(account: string, projectId: string): GcpServiceAccountKey {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const clientEmail = `${account}@${projectId}.iam.gserviceaccount.com`;
  const privateKeyId = randomBytes(20).toString('hex');
  const json = JSON.stringify(
    {
      type: 'service_account',
      project_id: projectId,
      private_key_id: privateKeyId,
      private_key: privateKey,
      client_email: clientEmail,
      client_id: String(randomInt(100_000_000, 999_999_999)) + String(randomInt(100_000_000, 999_999_999)),
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: 'https://oauth2.googleapis.com/token',
      auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
      client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(clientEmail)}`,
      universe_domain: 'googleapis.com',
    },
    null,
    2,
  );
  return { provider: 'gcp', clientEmail, projectId, privateKeyId, privateKey, json };
}

export function azureStorageKey(accountName: string, slot: 'key1' | 'key2' = 'key1'): AzureStorageKey {
  return { provider: 'azure', accountName, slot, accountKey: randomBytes(64).toString('base64') };
}

export function alibabaAccessKey(): AlibabaAccessKey {
  return {
    provider: 'alibaba',
    accessKeyId: `LTAI${pick(UPPER_ALNUM, 20)}`,
    accessKeySecret: pick(SECRET_ALPHABET.slice(0, 62), 30),
  };
}

/** Every secret string a credential carries (for canary scans: none may ever be printed). */
export function secretValuesOf(credential: FakeCredential): string[] {
  switch (credential.provider) {
    case 'aws':
      return [credential.secretAccessKey];
    case 'gcp':
      return [credential.privateKey, ...credential.privateKey.split('\n').filter((line) => line.length > 40)];
    case 'azure':
      return [credential.accountKey];
    case 'alibaba':
      return [credential.accessKeySecret];
  }
}

/** A new key for the same principal (what an operator creates before a rotation), and its key file as a user would hold it. */
export function successorOf(old: FakeCredential): { next: FakeCredential; keyFile: string } {
  switch (old.provider) {
    case 'aws': {
      const next = awsAccessKey(old.user);
      // The shape `aws iam create-access-key` prints.
      return {
        next,
        keyFile: JSON.stringify(
          {
            AccessKey: {
              UserName: old.user,
              AccessKeyId: next.accessKeyId,
              Status: 'Active',
              SecretAccessKey: next.secretAccessKey,
            },
          },
          null,
          2,
        ),
      };
    }
    case 'gcp': {
      const next = gcpServiceAccountKey(old.clientEmail.split('@')[0] ?? '', old.projectId);
      return { next, keyFile: next.json };
    }
    case 'azure': {
      // Azure rotation regenerates the slot the sites do not use.
      const next = azureStorageKey(old.accountName, old.slot === 'key1' ? 'key2' : 'key1');
      return { next, keyFile: JSON.stringify({ accountName: next.accountName, accountKey: next.accountKey }, null, 2) };
    }
    case 'alibaba': {
      const next = alibabaAccessKey();
      return {
        next,
        keyFile: JSON.stringify({ accessKeyId: next.accessKeyId, accessKeySecret: next.accessKeySecret }, null, 2),
      };
    }
  }
}

/** Whether a discovery credential id (or AWS key id, GCP key id, Azure account) names this fake credential. */
export function matchesCredential(credential: FakeCredential, selector: string): boolean {
  switch (credential.provider) {
    case 'aws':
      return selector === credential.accessKeyId || selector === `aws:${credential.accessKeyId}`;
    case 'gcp':
      return (
        selector === credential.privateKeyId ||
        selector === `gcp:${credential.clientEmail}:${credential.privateKeyId}` ||
        selector === credential.clientEmail
      );
    case 'azure':
      return selector === credential.accountName || selector.startsWith(`azure:${credential.accountName}:`);
    case 'alibaba':
      return selector === credential.accessKeyId || selector === `alibaba:${credential.accessKeyId}`;
  }
}
