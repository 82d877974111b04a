/**
 * What a provider probe checks (the exact resource Kubecost reads) and with which credential,
 * and what it found. Targets and results are plain JSON without secrets, safe to journal and
 * print; credentials carry their secret only inside a {@link SecretValue}.
 */
import type { SecretValue } from '../shared/secret-value.js';

/** An S3 bucket (federated ETL storage, Thanos, ETL backup, CUR exports). */
export interface S3ProbeTarget {
  readonly kind: 's3';
  readonly bucket: string;
  readonly region: string;
  /** S3 endpoint URL (`https://s3.example.com`; a bare host gets `https://`). Default: AWS's for the region. */
  readonly endpoint?: string;
  /** Key prefix the consumer writes under; the probe object goes below it. */
  readonly prefix?: string;
  /** Path-style addressing. Default: true when `endpoint` is set, else false. */
  readonly forcePathStyle?: boolean;
}

/** An Athena workgroup and database over the CUR (cloud-integration `athena` entries). */
export interface AthenaProbeTarget {
  readonly kind: 'athena';
  readonly region: string;
  readonly workgroup: string;
  readonly database: string;
  /** Query result location, `s3://bucket/path/` (the integration's `bucket`). */
  readonly outputLocation: string;
  /** Athena endpoint URL. Default: AWS's for the region. */
  readonly endpoint?: string;
}

/** A Cloud Storage bucket (federated ETL storage, Thanos, ETL backup). */
export interface GcsProbeTarget {
  readonly kind: 'gcs';
  readonly bucket: string;
  /** Cloud Storage root URL. Default `https://storage.googleapis.com`. */
  readonly endpoint?: string;
  /** OAuth 2.0 token URL. Default `https://oauth2.googleapis.com/token`. */
  readonly tokenUrl?: string;
  /** Object prefix the consumer writes under; the probe object goes below it. */
  readonly prefix?: string;
}

/** The BigQuery billing-export table (cloud-integration `bigQuery` entries). */
export interface BigQueryProbeTarget {
  readonly kind: 'bigquery';
  readonly projectId: string;
  readonly dataset: string;
  readonly table: string;
  /** BigQuery root URL. Default `https://bigquery.googleapis.com`. */
  readonly endpoint?: string;
  /** OAuth 2.0 token URL. Default `https://oauth2.googleapis.com/token`. */
  readonly tokenUrl?: string;
}

/** An Azure Blob container (billing exports, federated ETL storage, Thanos). */
export interface AzureBlobProbeTarget {
  readonly kind: 'azure-blob';
  readonly account: string;
  readonly container: string;
  /**
   * Blob service URL of the account. Default `https://<account>.blob.core.windows.net`. For a
   * sovereign cloud, `https://<account>.blob.core.chinacloudapi.cn`; for azurite-style emulators
   * the account is the first path segment, `http://127.0.0.1:10000/<account>`.
   */
  readonly endpoint?: string;
  /** Blob name prefix the consumer reads or writes under; the probe blob goes below it. */
  readonly prefix?: string;
}

export type ProbeTarget =
  S3ProbeTarget | AthenaProbeTarget | GcsProbeTarget | BigQueryProbeTarget | AzureBlobProbeTarget;

export interface AwsCredential {
  readonly provider: 'aws';
  readonly accessKeyId: string;
  readonly secretAccessKey: SecretValue;
}

export interface GcpCredential {
  readonly provider: 'gcp';
  /** The service-account key file (JSON). */
  readonly keyJson: SecretValue;
}

export interface AzureCredential {
  readonly provider: 'azure';
  readonly accountName: string;
  readonly accountKey: SecretValue;
}

export type ProviderCredential = AwsCredential | GcpCredential | AzureCredential;

/** Why a probe failed, as far as the provider's answer tells. */
export type ProbeFailureKind =
  /** The key itself was rejected: unknown, revoked, disabled, or a wrong secret. */
  | 'auth'
  /** The key is valid but may not do what the consumer does. */
  | 'permission'
  /** The bucket, container, table, workgroup or account does not exist. */
  | 'not_found'
  /** The provider asked to slow down. */
  | 'throttled'
  /** Network trouble or a provider-side error; retrying may help. */
  | 'transient'
  /** Anything else. */
  | 'unknown';

export type ProbeResult =
  | { readonly ok: true; readonly evidence: string }
  | {
      readonly ok: false;
      readonly kind: ProbeFailureKind;
      /** The provider's error code (`InvalidAccessKeyId`, `invalid_grant`, `AuthenticationFailed`, ...). */
      readonly code?: string;
      /** The provider's message, sanitized. */
      readonly message: string;
      /** What was attempted, on what, as whom (no secret). */
      readonly evidence: string;
    };

// ------------------------------------------------------------------------- the provider contract

/** The clouds whose keys kubecost-rotate can mint and retire. */
export type CloudId = 'aws' | 'gcp' | 'azure';
/** A provider: a cloud's key issuer, or `manual` (bring your own key) for one cloud. */
export type ProviderId = CloudId | 'manual';

/** The operations of the contract, as permissions and errors name them. */
export type ProviderOperation =
  'identify' | 'inspect' | 'issue' | 'prove' | 'deactivate' | 'reactivate' | 'delete' | 'evidence';

/**
 * Whose keys: an IAM user, a service account, a storage account. Plain JSON without secrets,
 * safe to journal.
 */
export interface Principal {
  readonly provider: CloudId;
  /** `arn:aws:iam::123456789012:user/kubecost`, `sa@p.iam.gserviceaccount.com`, an ARM storage account id. */
  readonly id: string;
  /** The IAM user name, the service-account email, the storage account name. */
  readonly name: string;
  /** AWS account id, GCP project id, Azure subscription id. */
  readonly account?: string;
  /** Azure: the storage account's resource group. */
  readonly resourceGroup?: string;
}

/**
 * One key of a principal, by reference: what the journal keeps to undo an issue or finish a
 * retirement. AWS: the access key id; GCP: the key id (`private_key_id`); Azure: the slot
 * (`key1`/`key2`) with the fingerprint of the value it held, so a slot that moved on is not
 * regenerated again.
 */
export interface KeyRef {
  readonly principal: Principal;
  readonly keyId: string;
  /** sha256 prefix of the key value (Azure), when the id alone does not name one value. */
  readonly fingerprint?: string;
}

export type KeyStatus = 'active' | 'inactive';

/** A key as the provider lists it. */
export interface KeyInfo {
  readonly ref: KeyRef;
  readonly status: KeyStatus;
  /** ISO 8601, when the provider tells. */
  readonly createdAt?: string;
  /** Last use, when the provider tells (AWS GetAccessKeyLastUsed). */
  readonly lastUsed?: { readonly at?: string; readonly service?: string; readonly region?: string };
}

/** A key value found in a site, to be matched against the principal's keys. */
export interface HeldValue {
  /** The site's id (or any label the caller uses). */
  readonly site: string;
  readonly credential: ProviderCredential;
}

/** What the caller may do at the provider, as far as it could be checked without doing it. */
export interface PermissionReport {
  /** How the permissions were checked (`iam:SimulatePrincipalPolicy`, `testIamPermissions`, the read calls made). */
  readonly how: string;
  readonly granted: readonly string[];
  readonly missing: readonly string[];
  /** Permissions that could not be checked in advance. */
  readonly unchecked: readonly string[];
}

/** A principal's keys, which key each site holds, and what the caller may do. */
export interface Inspection {
  readonly principal: Principal;
  readonly keys: readonly KeyInfo[];
  /** For each held value: the key id it is, or undefined when it is no key of this principal. */
  readonly holders: readonly { readonly site: string; readonly keyId: string | undefined }[];
  readonly permissions: PermissionReport;
  /** ISO 8601. */
  readonly inspectedAt: string;
}

/** A key just minted: its material (only inside SecretValues) and the journal-safe reference that undoes it. */
export interface IssuedKey {
  readonly ref: KeyRef;
  readonly credential: ProviderCredential;
  /** ISO 8601, the provider's creation time when it tells. */
  readonly createdAt: string;
}

export interface IssueRequest {
  readonly principal: Principal;
  /** The key the sites hold now (Azure regenerates the other slot; the others keep it untouched). */
  readonly replacing: KeyRef;
}

/** Bounded retries of a proof, for keys that are eventually consistent (AWS: seconds after CreateAccessKey). */
export interface RetryPolicy {
  readonly attempts: number;
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
}

export interface ProveRequest {
  readonly principal: Principal;
  readonly credential: ProviderCredential;
  /** The exact resources the sites need (deduplicated by the caller or not: each is probed once). */
  readonly targets: readonly ProbeTarget[];
  readonly retry?: RetryPolicy;
}

export type Verdict = { readonly ok: true; readonly evidence: string } | ProbeFailure;
export type ProbeFailure = Extract<ProbeResult, { ok: false }>;

/** The proof of a key: it authenticates as the principal, and reaches every target. */
export interface Proof {
  readonly ok: boolean;
  readonly identity: Verdict;
  readonly targets: readonly { readonly target: ProbeTarget; readonly result: ProbeResult }[];
  /** How many rounds it took (1 when the first passed). */
  readonly attempts: number;
}

/** Whether a key was used after a moment, as the provider can tell, and what it could not. */
export interface UsageEvidence {
  readonly ref: KeyRef;
  /** `yes`: used after `since`; `no`: not used in the whole window; `unknown`: the provider cannot tell (yet). */
  readonly usedSince: 'yes' | 'no' | 'unknown';
  /** ISO 8601: the last use the provider reports, if any. */
  readonly lastUsedAt?: string;
  readonly lastUsedService?: string;
  /** The window the answer covers: from `since` to what the provider has surely recorded. */
  readonly window: { readonly from: string; readonly to: string };
  /** What was checked (`iam:GetAccessKeyLastUsed`), and what was not. */
  readonly checked: readonly string[];
  readonly notChecked: readonly string[];
  /** One sentence for the operator. */
  readonly summary: string;
}

export type RetireStep = 'deactivate' | 'delete' | 'regenerate';

export interface ProviderCapabilities {
  /** Most keys a principal may have, active or not (AWS 2, GCP 10 user-managed, Azure 2 slots). */
  readonly maxKeysPerPrincipal: number;
  /** Whether inactive (disabled) keys count toward that limit. */
  readonly inactiveKeysCount: boolean;
  /** How old and new key overlap: a second key of the principal, or the account's other key slot. */
  readonly overlap: 'second-key' | 'key-slots' | 'bring-your-own';
  readonly canIssue: boolean;
  /** The steps that retire an old key, in order. */
  readonly retireSteps: readonly RetireStep[];
  readonly canReactivate: boolean;
  /** What evidence of use the provider gives. */
  readonly evidence: {
    readonly kind: 'last-used' | 'none';
    readonly source: string;
    /** How late the provider may record a use (AWS: hours). */
    readonly reportingDelayMs: number;
  };
  /** The permission each operation needs, as the provider names it. */
  readonly permissions: Readonly<Partial<Record<ProviderOperation, readonly string[]>>>;
}

/**
 * One provider. Every operation is idempotent where the provider allows it (delete of a missing
 * key succeeds; deactivate of an inactive key succeeds). Failures are ProviderErrors; key
 * material only ever travels inside SecretValues.
 */
export interface KeyProvider {
  readonly id: ProviderId;
  readonly cloud: CloudId;
  readonly capabilities: ProviderCapabilities;
  /** The principal a key belongs to (AWS: STS GetCallerIdentity with that key). */
  identify(credential: ProviderCredential, signal: AbortSignal): Promise<Principal>;
  inspect(principal: Principal, held: readonly HeldValue[], signal: AbortSignal): Promise<Inspection>;
  issue(request: IssueRequest, signal: AbortSignal): Promise<IssuedKey>;
  prove(request: ProveRequest, signal: AbortSignal): Promise<Proof>;
  deactivate(ref: KeyRef, signal: AbortSignal): Promise<void>;
  reactivate(ref: KeyRef, signal: AbortSignal): Promise<void>;
  delete(ref: KeyRef, signal: AbortSignal): Promise<void>;
  /**
   * The material of a key minted by a run that crashed before it recorded it, read again where the
   * provider can give it (Azure: listKeys); absent where it cannot (AWS and GCP return the secret only
   * when minting: such a key is deleted instead). Undefined when `ref` no longer names that key.
   */
  adopt?(ref: KeyRef, signal: AbortSignal): Promise<IssuedKey | undefined>;
  /** Whether `ref` was used after `since`, and what window the answer covers. */
  evidence(ref: KeyRef, since: Date, signal: AbortSignal): Promise<UsageEvidence>;
}

/** Injected time, so retries and evidence windows are testable without waiting. */
export interface ProviderClock {
  now(): Date;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}
