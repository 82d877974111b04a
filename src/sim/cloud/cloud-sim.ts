/**
 * startCloudSim: emulated AWS (S3, Athena), Azure Blob and Google (OAuth token endpoint, Cloud
 * Storage, BigQuery) data planes on 127.0.0.1, which the official SDKs talk to unchanged but for
 * their endpoint settings. Which keys are valid is up to the test (see `trust.ts`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsSim } from './aws.js';
import { AzureSim } from './azure.js';
import { AzureControlPlane } from './azure-arm.js';
import { GcpSim } from './gcp.js';

export interface CloudSimOptions {
  /** Where S3 objects and Azure blobs are kept. Default: a fresh temporary folder, removed by `stop()`. */
  readonly directory?: string;
  /** The AWS account id that owns every allowed access key. Default `123456789012`. */
  readonly awsAccountId?: string;
  /** How long a new AWS access key is refused everywhere after CreateAccessKey (IAM's eventual consistency). Default 0. */
  readonly awsConsistencyDelayMs?: number;
  /** How late IAM GetAccessKeyLastUsed reports a use of a key (AWS: up to about 4 hours). Default 0; also `aws.iam.lastUsedDelayMs`. */
  readonly awsLastUsedDelayMs?: number;
  /** The control planes' clock (ms): key creation and last-use times, the consistency delay. Default Date.now. */
  readonly clock?: () => number;
}

export interface CloudSimEndpoints {
  /** S3, path-style buckets (`forcePathStyle: true`). */
  readonly s3: string;
  /** Athena (AWS JSON 1.1). */
  readonly athena: string;
  /** AWS IAM (Query protocol): CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey, GetAccessKeyLastUsed... */
  readonly iam: string;
  /** AWS STS (GetCallerIdentity); the same server as IAM. */
  readonly sts: string;
  /** Azure Blob service root; accounts are in the path: `${azureBlob}/<account>`. */
  readonly azureBlob: string;
  /** Azure Resource Manager (https; trust `azureArmCa`): storage accounts, listKeys, regenerateKey. */
  readonly azureArm: string;
  /** The Entra ID-like authority host (https, same server as ARM), for ClientSecretCredential's `authorityHost`. */
  readonly azureAuthority: string;
  /** Google's OAuth 2.0 token endpoint (JWT-bearer grant). */
  readonly gcpToken: string;
  /** Cloud Storage root (the stand-in for https://storage.googleapis.com; JSON API under /storage/v1). */
  readonly gcs: string;
  /** BigQuery root (the stand-in for https://bigquery.googleapis.com; REST API under /bigquery/v2). */
  readonly bigquery: string;
  /** GCP IAM (service-account keys, testIamPermissions) and Policy Analyzer roots; the same server as GCS. */
  readonly gcpIam: string;
}

export interface CloudSim {
  readonly endpoints: CloudSimEndpoints;
  readonly aws: AwsSim;
  readonly azure: AzureSim;
  /** Azure's control plane: service principals, resource groups, deny rules; its CA is `azureControl.caPem`. */
  readonly azureControl: AzureControlPlane;
  readonly gcp: GcpSim;
  /** Stops every endpoint (open connections are cut) and removes the temporary folder. */
  stop(): Promise<void>;
}

/** Starts every emulated cloud endpoint. Startup takes tens of milliseconds. */
export async function startCloudSim(options: CloudSimOptions = {}): Promise<CloudSim> {
  const temporary = options.directory === undefined;
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 'kubecost-rotate-cloud-')));
  const started: { stop(): Promise<void> }[] = [];
  try {
    const aws = await AwsSim.start(join(directory, 's3'), {
      accountId: options.awsAccountId ?? '123456789012',
      ...(options.awsConsistencyDelayMs !== undefined ? { consistencyDelayMs: options.awsConsistencyDelayMs } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.awsLastUsedDelayMs !== undefined ? { lastUsedDelayMs: options.awsLastUsedDelayMs } : {}),
    });
    started.push(aws);
    const azure = await AzureSim.start(join(directory, 'azure'));
    started.push(azure);
    const azureControl = await AzureControlPlane.start(azure);
    started.push(azureControl);
    const gcp = await GcpSim.start(options.clock ? { clock: options.clock } : {});
    started.push(gcp);
    const endpoints: CloudSimEndpoints = {
      s3: aws.s3Endpoint,
      athena: aws.athenaEndpoint,
      iam: aws.iamEndpoint,
      sts: aws.iamEndpoint,
      azureBlob: azure.blobEndpoint,
      azureArm: azureControl.url,
      azureAuthority: azureControl.url,
      gcpToken: gcp.tokenUrl,
      gcs: gcp.url,
      bigquery: gcp.url,
      gcpIam: gcp.url,
    };
    let stopped = false;
    return {
      endpoints,
      aws,
      azure,
      azureControl,
      gcp,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await Promise.all([aws.stop(), azure.stop(), azureControl.stop(), gcp.stop()]);
        if (temporary) await rm(directory, { recursive: true, force: true });
      },
    };
  } catch (error: unknown) {
    await Promise.allSettled(started.map((s) => s.stop()));
    if (temporary) await rm(directory, { recursive: true, force: true });
    throw error;
  }
}
