/**
 * Fake cloud credentials in the real formats: AWS access keys, GCP service-account key files
 * (with a real RSA key, so signatures can be checked), Azure storage-account keys and Alibaba
 * access keys. Nothing here is valid anywhere but in the simulated clouds.
 */
import { createHash, generateKeyPairSync, randomBytes, randomInt } from 'node:crypto';

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

/**
 * A GCP API key (the finops agent's CSP_PRICING_API_KEY, for the Cloud Billing pricing API): a
 * bare string, not a service-account key. Its own `provider` value keeps it apart from the
 * service-account keys in every switch of the simulators.
 */
export interface GcpApiKey {
  readonly provider: 'gcp-api-key';
  /** The project the key was created in (not written in the Secret). */
  readonly projectId: string;
  /** `AIza` and 35 characters. */
  readonly apiKey: string;
}

export type FakeCredential = AwsAccessKey | GcpServiceAccountKey | AzureStorageKey | AlibabaAccessKey | GcpApiKey;

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

export function gcpApiKey(projectId: string): GcpApiKey {
  return {
    provider: 'gcp-api-key',
    projectId,
    apiKey: `AIza${pick('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', 35)}`,
  };
}

/** The fingerprint discovery shows for a key string: the first 12 hex characters of its sha256. */
export function fingerprintOf(material: string): string {
  return createHash('sha256').update(material).digest('hex').slice(0, 12);
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
    case 'gcp-api-key':
      return [credential.apiKey];
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
    case 'gcp-api-key': {
      // The shape `gcloud services api-keys get-key-string --format=json` prints.
      const next = gcpApiKey(old.projectId);
      return { next, keyFile: JSON.stringify({ keyString: next.apiKey }, null, 2) };
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
    case 'gcp-api-key': {
      const fp = fingerprintOf(credential.apiKey);
      return selector === fp || selector === `gcp:api-key:${fp}`;
    }
  }
}
