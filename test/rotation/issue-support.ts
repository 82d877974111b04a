/**
 * What the `rotate --issue` tests share: a rotation world on cloud-sim with the identities that
 * manage keys set in the environment as an operator would (AWS admin keys, a GCP admin key file, an
 * Azure service principal and the emulator's CA), and views of the principal's keys at the
 * emulated provider, read from cloud-sim's own state (not through the code under test).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { azureStorageAccountKey, credentialIdentity } from '../../src/kubecost/secret-formats/index.js';
import type { CloudSim } from '../../src/sim/cloud/index.js';
import { layoutSecretValues, type FakeCredential, type LayoutName } from '../../src/sim/kubecost/index.js';
import { scanLogForAuthFailures } from '../../src/verify/checks.js';
import { journalById, journals, type JournalView } from './harness.js';
import { startRotationWorld, type RotationWorld } from './world.js';

export interface IssueWorld {
  readonly world: RotationWorld;
  readonly cloud: CloudSim;
  /** The AWS identity that manages keys (for a service built in-process). */
  readonly awsAdmin: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** The environment of the key managers (for child processes; in-process runs read process.env). */
  readonly env: Record<string, string>;
  /** The managers' secrets, for the canary. */
  readonly managerSecrets: string[];
  stop(): Promise<void>;
}

export interface IssueWorldOptions {
  /** The project of the GCP service account that manages keys. Default acme-platform. */
  readonly gcpProject?: string;
  /** More of the environment, set and restored with the managers' (it may name the running world's endpoints). */
  readonly env?: (world: RotationWorld) => Record<string, string>;
}

/** Starts `layout` on cloud-sim and puts the key managers' identities in process.env until stop(). */
export async function startIssueWorld(layout: LayoutName, options: IssueWorldOptions = {}): Promise<IssueWorld> {
  const world = await startRotationWorld(layout);
  const cloud = world.cloud as CloudSim;
  const dir = join(world.kubeconfig, '..');
  const aws = cloud.aws.createAdmin();
  const gcp = cloud.gcp.createAdmin(options.gcpProject ?? 'acme-platform');
  const gcpFile = join(dir, 'gcp-admin.json');
  await writeFile(gcpFile, gcp.keyJson, { mode: 0o600 });
  const azure = cloud.azureControl.createServicePrincipal();
  const caFile = join(dir, 'azure-ca.pem');
  await writeFile(caFile, cloud.azureControl.caPem);
  const env = {
    AWS_ACCESS_KEY_ID: aws.accessKeyId,
    AWS_SECRET_ACCESS_KEY: aws.secretAccessKey,
    GOOGLE_APPLICATION_CREDENTIALS: gcpFile,
    AZURE_SUBSCRIPTION_ID: cloud.azureControl.subscriptionId,
    AZURE_TENANT_ID: azure.tenantId,
    AZURE_CLIENT_ID: azure.clientId,
    AZURE_CLIENT_SECRET: azure.clientSecret,
    KUBECOST_ROTATE_AZURE_CA_FILE: caFile,
    // cloud-sim records a key's use at once, so the tool may assume no reporting delay (AWS: 4 h).
    KUBECOST_ROTATE_AWS_LAST_USED_DELAY: '0s',
    ...options.env?.(world),
  };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  return {
    world,
    cloud,
    awsAdmin: { accessKeyId: aws.accessKeyId, secretAccessKey: aws.secretAccessKey },
    env,
    managerSecrets: [
      aws.secretAccessKey,
      (JSON.parse(gcp.keyJson) as { private_key: string }).private_key,
      azure.clientSecret,
    ],
    stop: async () => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await world.stop();
    },
  };
}

/** One provider's case of the per-provider `--issue` tests: a credential on several clusters. */
export interface IssueCase {
  readonly provider: 'aws' | 'gcp' | 'azure';
  readonly layout: LayoutName;
  /** The layout's credential to rotate. */
  readonly credential: string;
}

export const ISSUE_CASES: readonly IssueCase[] = [
  { provider: 'aws', layout: 'v1-federated', credential: 'federated-s3' },
  { provider: 'gcp', layout: 'v3.0', credential: 'federated-gcs' },
  { provider: 'azure', layout: 'v3', credential: 'federated-azure' },
];

/** A journal as the `--issue` tests read it: with what it records of the minted key. */
export type IssueJournal = JournalView & {
  readonly doc: JournalView['doc'] & {
    readonly issue?: { state: string; ref?: { keyId: string }; replacing?: { keyId: string } };
  };
};

/** The journals in the world, read from their Secrets, with their `issue` record. */
export const issueJournals = (world: RotationWorld) => journals(world) as IssueJournal[];

/** Rotation `id`'s journal, read from its Secret, with its `issue` record. */
export const issueJournal = (world: RotationWorld, id: string) => journalById(world, id) as IssueJournal | undefined;

/** The values of keys at the provider (AWS secrets, Azure keys), for the canary. */
export const keyValues = (keys: readonly SimKey[]): string[] => keys.flatMap((k) => (k.value ? [k.value] : []));

/** The private key in a GCP key file's text (a site's data), for the canary: cloud-sim keeps only the public half. */
export function privateKeysIn(text: string): string[] {
  const pem = /"private_key":\s*"([^"]+)"/.exec(text)?.[1];
  return pem ? [pem.replaceAll('\\n', '\n')] : [];
}

/** The credential id `discover` gives a fake key. */
export function credentialIdOf(key: FakeCredential): string {
  switch (key.provider) {
    case 'aws':
      return key.accessKeyId;
    case 'gcp':
      return `gcp:${key.clientEmail}:${key.privateKeyId}`;
    case 'azure':
      return credentialIdentity(azureStorageAccountKey(key.accountName, key.accountKey)).id;
    default:
      throw new Error(`no --issue for ${key.provider}`);
  }
}

/** One key of the principal at the emulated provider: its id (Azure: the slot), status, and value where it has one. */
export interface SimKey {
  readonly id: string;
  readonly status: string;
  /** AWS: the secret; Azure: the key; GCP: none (cloud-sim keeps only the public half). */
  readonly value?: string;
}

/** The keys of `key`'s principal at cloud-sim, sorted by id. */
export function principalKeys(cloud: CloudSim, key: FakeCredential): SimKey[] {
  switch (key.provider) {
    case 'aws':
      return [...cloud.aws.iam.keys.values()]
        .filter((k) => k.user === key.user)
        .map((k) => ({ id: k.accessKeyId, status: k.status, value: k.secret }))
        .sort((a, b) => a.id.localeCompare(b.id));
    case 'gcp':
      return cloud.gcp
        .listKeys(key.clientEmail)
        .map((k) => ({ id: k.privateKeyId, status: k.disabled ? 'Disabled' : 'Active' }))
        .sort((a, b) => a.id.localeCompare(b.id));
    case 'azure': {
      const keys = cloud.azure.keysOf(key.accountName);
      return keys
        ? [
            { id: 'key1', status: 'Active', value: keys.key1 },
            { id: 'key2', status: 'Active', value: keys.key2 },
          ]
        : [];
    }
    default:
      throw new Error(`no --issue for ${key.provider}`);
  }
}

/** The id of `key` among its principal's keys (Azure: its slot). */
export function keyIdOf(key: FakeCredential): string {
  switch (key.provider) {
    case 'aws':
      return key.accessKeyId;
    case 'gcp':
      return key.privateKeyId;
    case 'azure':
      return key.slot;
    default:
      throw new Error(`no --issue for ${key.provider}`);
  }
}

/** Auth failures any Kubecost program logged since `start` (an index into world.logs). */
export function authFailuresSince(world: RotationWorld, start: number): string[] {
  return scanLogForAuthFailures(
    world.logs
      .slice(start)
      .map((l) => `${l.namespace}/${l.pod}/${l.container}: ${l.line}`)
      .join('\n'),
  ).map((finding) => JSON.stringify(finding));
}

/** Every secret value the tests must never see printed: the layout's keys, the managers', and the keys minted. */
export function canaryValues(issue: IssueWorld, minted: readonly string[]): string[] {
  return [...layoutSecretValues(issue.world.layout), ...issue.managerSecrets, ...minted];
}

export const rotateIssueArgs = (world: RotationWorld, credential: string, ...extra: string[]) => [
  'rotate',
  '--kubeconfig',
  world.kubeconfig,
  '--all-contexts',
  '--credential',
  credential,
  '--issue',
  '--yes',
  '--verify-window',
  '300ms',
  '--rollout-timeout',
  '30s',
  ...world.probeFlags,
  ...extra,
];
