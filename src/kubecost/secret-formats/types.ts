/**
 * The vocabulary of the secret-format codecs (DESIGN §1): credentials, and the sites that hold
 * them inside one Secret data value.
 */
import type { SecretLocation } from './errors.js';
import type { SecretValue } from '../../shared/secret-value.js';

/** A cloud whose keys Kubecost keeps in Secrets. */
export type Provider = 'aws' | 'gcp' | 'azure' | 'alibaba';

/** An AWS IAM user access key. */
export interface AwsAccessKey {
  readonly provider: 'aws';
  /** The key id (`AKIA…`): the key ref and the fingerprint. Not secret. */
  readonly accessKeyId: string;
  readonly secretAccessKey: SecretValue;
}

/** A GCP service-account key (the JSON key file). */
export interface GcpServiceAccountKey {
  readonly provider: 'gcp';
  /** Tells it from a {@link GcpApiKey}; absent on keys built before API keys existed. */
  readonly kind?: 'service-account-key';
  readonly clientEmail: string;
  readonly privateKeyId: string;
  readonly projectId: string;
  readonly privateKey: SecretValue;
  /**
   * The key JSON exactly as found (or as supplied, for a new key). Every field of the key object
   * is taken from it; it is secret because it holds `private_key`.
   */
  readonly keyJson: SecretValue;
}

/**
 * A GCP API key (`AIza…`): the finops agent's CSP_PRICING_API_KEY for the Cloud Billing pricing
 * API. Not a service-account key: it names no principal and has no key id, so its identity is
 * its fingerprint.
 */
export interface GcpApiKey {
  readonly provider: 'gcp';
  readonly kind: 'api-key';
  readonly apiKey: SecretValue;
}

/** An Azure storage-account key (key1 or key2). */
export interface AzureStorageAccountKey {
  readonly provider: 'azure';
  readonly accountName: string;
  readonly accountKey: SecretValue;
}

/** An Alibaba Cloud AccessKey pair. */
export interface AlibabaAccessKey {
  readonly provider: 'alibaba';
  /** The AccessKey ID (`LTAI…`). Not secret. */
  readonly accessKeyId: string;
  readonly accessKeySecret: SecretValue;
}

/** One cloud key, told apart by `provider`. */
export type Credential = AwsAccessKey | GcpServiceAccountKey | GcpApiKey | AzureStorageAccountKey | AlibabaAccessKey;

/**
 * Who a credential is: provider + principal + key id where one exists (DESIGN §1). Safe to print.
 * The principal of an AWS or Alibaba key (the IAM user) is not written in the Secret, so it is
 * absent here; a provider lookup finds it.
 */
export interface CredentialIdentity {
  readonly provider: Provider;
  /** GCP: the service-account email. Azure: the storage account. */
  readonly principal?: string;
  /** AWS and Alibaba: the access key id. GCP: `private_key_id`. Azure has none. */
  readonly keyId?: string;
  /** One string naming the identity, for grouping sites: `aws:AKIA…`, `gcp:<email>:<key id>`, `gcp:api-key:<fingerprint>`, `azure:<account>:<fingerprint>`, `alibaba:LTAI…`. */
  readonly id: string;
}

/** The file formats this module reads, one codec each. */
export type SecretFormatFamily =
  'cloud-integration' | 'objstore' | 'service-key' | 'azure-storage-config' | 'gcp-api-key';

/** The format of one site: the family plus the variant that decides which fields hold the key. */
export type SiteFormat =
  | 'cloud-integration-nested'
  | 'cloud-integration-legacy'
  | 'objstore-s3'
  | 'objstore-gcs'
  | 'objstore-azure'
  /** Kubecost 3.x's `type: cluster` store: never a site (no credential), only a keyless place. */
  | 'objstore-cluster'
  | 'service-key-json'
  | 'azure-storage-config'
  /** A bare GCP API key (CSP_PRICING_API_KEY): the whole value. */
  | 'gcp-api-key';

/** One place a credential's value lives (DESIGN §1). Contains key material inside `credential`, wrapped. */
export interface Site {
  readonly location: SecretLocation;
  /**
   * The object that holds the credential's fields, for example `aws.athena[0].authorizer`,
   * `gcp[0]` (legacy), `config` (objstore) or `$` (the whole document).
   */
  readonly path: string;
  readonly format: SiteFormat;
  readonly provider: Provider;
  /**
   * The names of the fields under `path` that a replacement rewrites, for example
   * `["id", "secret"]`; empty when the credential is the whole value (a GCP key file).
   */
  readonly fields: readonly string[];
  readonly credential: Credential;
}

/** Why an entry that authenticates somehow holds nothing this tool rotates. */
export type SkipReason =
  /** The entry uses the workload's own identity (IRSA, workload identity, managed identity, the default chain): there is no key. */
  | 'AmbientIdentity'
  /** The entry holds a kind of credential this tool does not rotate (Azure service principal secret, OCI API key, temporary session credentials). */
  | 'UnsupportedCredential'
  /** The entry needs no credential at all (Kubecost 3.x's in-cluster store, `type: cluster`). */
  | 'NoCredential';

/** An entry that is not a site, and why. Safe to print. */
export interface SkippedEntry {
  readonly path: string;
  readonly format: SiteFormat;
  readonly provider?: Provider | 'oci';
  readonly reason: SkipReason;
  /** A sentence naming the mechanism, for example `authorizerType AWSServiceAccount`. */
  readonly detail: string;
}

/** What one Secret data value holds. */
export interface ParsedSecret {
  readonly family: SecretFormatFamily;
  readonly sites: readonly Site[];
  readonly skipped: readonly SkippedEntry[];
}
