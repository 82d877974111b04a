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
