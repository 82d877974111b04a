/**
 * Conformance worlds on cloud-sim: each provider (and `manual` for each cloud) wired to the
 * emulated control and data planes, with its own principal, so the worlds can share one sim.
 */
import {
  createAwsProvider,
  createAzureProvider,
  createGcpProvider,
  createManualProvider,
  type ConformanceWorld,
  type ProbeTarget,
  type ProviderClock,
  type ProviderCredential,
} from '../../src/providers/index.js';
import { SecretValue } from '../../src/shared/secret-value.js';
import { ARM_ACTIONS, trustCredential, type CloudSim } from '../../src/sim/cloud/index.js';
import { awsAccessKey, azureStorageKey, gcpServiceAccountKey } from '../../src/sim/kubecost/credentials.js';

/** A clock that only moves when slept on: retries and evidence windows without waiting. */
export function fakeClock(start = Date.now()): ProviderClock & { ms: number } {
  const clock = {
    ms: start,
    now: () => new Date(clock.ms),
    sleep: (ms: number) => {
      clock.ms += ms;
      return Promise.resolve();
    },
  };
  return clock;
}

const RETRY = { attempts: 8, firstDelayMs: 500, maxDelayMs: 4000 };
const aws = (key: { accessKeyId: string; secretAccessKey: string }): ProviderCredential => ({
  provider: 'aws',
  accessKeyId: key.accessKeyId,
  secretAccessKey: new SecretValue(key.secretAccessKey),
});
const gcp = (json: string): ProviderCredential => ({ provider: 'gcp', keyJson: new SecretValue(json) });
const azure = (accountName: string, accountKey: string): ProviderCredential => ({
  provider: 'azure',
  accountName,
  accountKey: new SecretValue(accountKey),
});

export async function awsTargets(sim: CloudSim): Promise<ProbeTarget[]> {
  await sim.aws.ensureBucket('acme-kubecost-federated');
  await sim.aws.ensureBucket('aws-athena-query-results-123456789012-us-east-1');
  return [
    {
      kind: 's3',
      bucket: 'acme-kubecost-federated',
      region: 'us-east-1',
      endpoint: sim.endpoints.s3,
      forcePathStyle: true,
      prefix: 'federated',
    },
    {
      kind: 'athena',
      region: 'us-east-1',
      workgroup: 'primary',
      database: 'athenacurcfn_kubecost',
      outputLocation: 's3://aws-athena-query-results-123456789012-us-east-1/',
      endpoint: sim.endpoints.athena,
    },
  ];
}

function gcpTargets(sim: CloudSim): ProbeTarget[] {
  sim.gcp.ensureBucket('acme-kubecost-etl');
  sim.gcp.ensureTable('acme', 'billing_export', 'gcp_billing_export_v1');
  return [
    { kind: 'gcs', bucket: 'acme-kubecost-etl', endpoint: sim.endpoints.gcs, tokenUrl: sim.endpoints.gcpToken },
    {
      kind: 'bigquery',
      projectId: 'acme',
      dataset: 'billing_export',
      table: 'gcp_billing_export_v1',
      endpoint: sim.endpoints.bigquery,
      tokenUrl: sim.endpoints.gcpToken,
    },
  ];
}

async function azureTargets(sim: CloudSim, account: string): Promise<ProbeTarget[]> {
  await sim.azure.ensureContainer(account, 'costexports');
  return [
    { kind: 'azure-blob', account, container: 'costexports', endpoint: sim.azure.blobUrl(account), prefix: 'exports' },
  ];
}

/** The AWS provider, managing keys as an admin user, with new keys refused for 3 s (the fake clock's). */
export async function awsWorld(sim: CloudSim, clock: ProviderClock, user = 'kubecost'): Promise<ConformanceWorld> {
  const old = awsAccessKey(user);
  trustCredential(sim, old);
  const admin = sim.aws.createAdmin();
  return {
    label: 'aws on cloud-sim',
    provider: createAwsProvider({
      iamEndpoint: sim.endpoints.iam,
      stsEndpoint: sim.endpoints.sts,
      credentials: aws(admin) as Extract<ProviderCredential, { provider: 'aws' }>,
      reportingDelayMs: 0,
      clock,
    }),
    clock,
    oldKey: aws(old),
    otherPrincipalKey: aws(admin),
    targets: await awsTargets(sim),
    retry: RETRY,
    eventuallyConsistent: true,
    denyIssue: () => {
      sim.aws.iam.deny('iam:CreateAccessKey');
      return Promise.resolve({
        permission: 'iam:CreateAccessKey',
        restore: () => Promise.resolve(sim.aws.iam.allow('iam:CreateAccessKey')),
      });
    },
    secrets: () => [old.secretAccessKey, admin.secretAccessKey],
  };
}

export async function gcpWorld(sim: CloudSim, clock: ProviderClock): Promise<ConformanceWorld> {
  const old = gcpServiceAccountKey('kubecost', 'acme');
  trustCredential(sim, old);
  const admin = sim.gcp.createAdmin('acme');
  return {
    label: 'gcp on cloud-sim',
    provider: createGcpProvider({
      iamEndpoint: sim.endpoints.gcs,
      tokenUrl: sim.endpoints.gcpToken,
      policyAnalyzerEndpoint: sim.endpoints.gcs,
      credentials: { provider: 'gcp', keyJson: new SecretValue(admin.keyJson) },
      clock,
    }),
    clock,
    oldKey: gcp(old.json),
    otherPrincipalKey: gcp(admin.keyJson),
    targets: gcpTargets(sim),
    retry: RETRY,
    denyIssue: () => {
      sim.gcp.deny('iam.serviceAccountKeys.create');
      return Promise.resolve({
        permission: 'iam.serviceAccountKeys.create',
        restore: () => Promise.resolve(sim.gcp.allow('iam.serviceAccountKeys.create')),
      });
    },
    secrets: () => [old.privateKey, old.json, admin.keyJson],
  };
}

export async function azureWorld(sim: CloudSim, clock: ProviderClock): Promise<ConformanceWorld> {
  const old = azureStorageKey('acmeexports', 'key1');
  const other = azureStorageKey('acmeotherexports', 'key1');
  trustCredential(sim, old);
  trustCredential(sim, other);
  const principal = sim.azureControl.createServicePrincipal();
  return {
    label: 'azure on cloud-sim',
    provider: createAzureProvider({
      subscriptionId: sim.azureControl.subscriptionId,
      armEndpoint: sim.endpoints.azureArm,
      authorityHost: sim.endpoints.azureAuthority,
      caPem: sim.azureControl.caPem,
      blobEndpoint: sim.endpoints.azureBlob,
      credentials: {
        tenantId: principal.tenantId,
        clientId: principal.clientId,
        clientSecret: new SecretValue(principal.clientSecret),
      },
      clock,
    }),
    clock,
    oldKey: azure(old.accountName, old.accountKey),
    otherPrincipalKey: azure(other.accountName, other.accountKey),
    targets: await azureTargets(sim, old.accountName),
    retry: RETRY,
    denyIssue: () => {
      sim.azureControl.deny(ARM_ACTIONS.regenerateKey);
      return Promise.resolve({
        permission: ARM_ACTIONS.regenerateKey,
        restore: () => Promise.resolve(sim.azureControl.allow(ARM_ACTIONS.regenerateKey)),
      });
    },
    secrets: () => [
      old.accountKey,
      other.accountKey,
      principal.clientSecret,
      ...Object.values(sim.azure.keysOf(old.accountName) ?? {}),
    ],
  };
}

/** `manual` for each cloud: keys made and deleted at the emulator directly, as a user would at the console. */
export async function manualWorlds(sim: CloudSim, clock: ProviderClock): Promise<ConformanceWorld[]> {
  const awsOld = awsAccessKey('kubecost-byo');
  trustCredential(sim, awsOld);
  const awsOther = awsAccessKey('someone-else');
  trustCredential(sim, awsOther);
  const gcpOld = gcpServiceAccountKey('kubecost-byo', 'acme');
  trustCredential(sim, gcpOld);
  const gcpOther = gcpServiceAccountKey('someone-else', 'acme');
  trustCredential(sim, gcpOther);
  const azureOld = azureStorageKey('acmebyoexports', 'key1');
  const azureOther = azureStorageKey('acmebyoother', 'key1');
  trustCredential(sim, azureOld);
  trustCredential(sim, azureOther);
  const byo: string[] = [];
  return [
    {
      label: 'manual aws on cloud-sim',
      provider: createManualProvider({ cloud: 'aws', endpoints: { sts: sim.endpoints.sts }, clock }),
      clock,
      oldKey: aws(awsOld),
      otherPrincipalKey: aws(awsOther),
      targets: await awsTargets(sim),
      retry: RETRY,
      bringYourOwn: () => {
        const key = awsAccessKey('kubecost-byo');
        sim.aws.allowKey(key.accessKeyId, key.secretAccessKey, key.user);
        byo.push(key.secretAccessKey);
        return Promise.resolve(aws(key));
      },
      deleteOutside: (credential) =>
        Promise.resolve(credential.provider === 'aws' ? sim.aws.revokeKey(credential.accessKeyId) : undefined),
      secrets: () => [awsOld.secretAccessKey, awsOther.secretAccessKey, ...byo],
    },
    {
      label: 'manual gcp on cloud-sim',
      provider: createManualProvider({ cloud: 'gcp', endpoints: { gcpToken: sim.endpoints.gcpToken }, clock }),
      clock,
      oldKey: gcp(gcpOld.json),
      otherPrincipalKey: gcp(gcpOther.json),
      targets: gcpTargets(sim),
      retry: RETRY,
      bringYourOwn: () => {
        const key = gcpServiceAccountKey('kubecost-byo', 'acme');
        trustCredential(sim, key);
        byo.push(key.privateKey);
        return Promise.resolve(gcp(key.json));
      },
      deleteOutside: (credential) => {
        if (credential.provider === 'gcp') {
          const doc = JSON.parse(credential.keyJson.reveal()) as { client_email: string; private_key_id: string };
          sim.gcp.revokeKey(doc.client_email, doc.private_key_id);
        }
        return Promise.resolve();
      },
      secrets: () => [gcpOld.privateKey, gcpOther.privateKey, ...byo],
    },
    {
      label: 'manual azure on cloud-sim',
      provider: createManualProvider({ cloud: 'azure', endpoints: { azureBlob: sim.endpoints.azureBlob }, clock }),
      clock,
      oldKey: azure(azureOld.accountName, azureOld.accountKey),
      otherPrincipalKey: azure(azureOther.accountName, azureOther.accountKey),
      targets: await azureTargets(sim, azureOld.accountName),
      retry: RETRY,
      bringYourOwn: () => {
        const key = sim.azure.regenerateKey(azureOld.accountName, 'key2');
        byo.push(key);
        return Promise.resolve(azure(azureOld.accountName, key));
      },
      deleteOutside: (credential) => {
        if (credential.provider === 'azure') {
          const slot = sim.azure.slotOf(credential.accountName, credential.accountKey.reveal());
          if (slot) byo.push(sim.azure.regenerateKey(credential.accountName, slot));
        }
        return Promise.resolve();
      },
      secrets: () => [azureOld.accountKey, azureOther.accountKey, ...byo],
    },
  ];
}
