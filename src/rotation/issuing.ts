/**
 * Minting and retiring keys at the provider (`--issue`, `--retire`): which provider manages the
 * credential's keys and as whom, and the preflight `plan --issue` runs before any effect — the
 * principal found from the key the sites hold, its keys inspected once, and the pure capability
 * checks of providers/preflight.ts (the key limit, an inactive key in the way, a missing
 * permission). Changes nothing at the provider or in any cluster.
 */
import type { KubeClient } from '../kube/client.js';
import {
  preflight,
  ProviderError,
  providers,
  type AwsCredential,
  type AzureClientSecret,
  type CloudId,
  type GcpCredential,
  type Inspection,
  type KeyProvider,
  type Preflight,
  type Principal,
  type ProviderCredential,
} from '../providers/index.js';
import type { Clock } from '../shared/clock.js';
import { ConfigError } from '../shared/errors.js';
import type { RotationPlan } from './plan.js';
import { providerCredential, type ProviderEndpoints } from './probe.js';
import { readSites } from './proof.js';

export type RetirePolicy = 'none' | 'deactivate' | 'delete';

/** What `--issue`, `--retire`, `--grace` and `--delete-inactive` ask for. */
export interface IssuePolicy {
  readonly retire: RetirePolicy;
  /** Between deactivating and deleting the old key. */
  readonly graceMs: number;
  readonly deleteInactive: boolean;
}

export const DEFAULT_ISSUE_POLICY: IssuePolicy = {
  retire: 'deactivate',
  graceMs: 24 * 3_600_000,
  deleteInactive: false,
};

/** How the providers are reached, and the identities that manage keys (from the environment). */
export interface ProviderSettings {
  readonly endpoints: ProviderEndpoints;
  readonly clock: Clock;
  /** AWS: the IAM identity that manages access keys. Default: the SDK's credential chain. */
  readonly aws?: AwsCredential;
  /** GCP: the key file of the identity that manages service-account keys. Default: Application Default Credentials. */
  readonly gcp?: GcpCredential;
  /** Azure: the subscription of the storage accounts, and the service principal that manages their keys. */
  readonly azure?: AzureSettings;
}

export interface AzureSettings {
  readonly subscriptionId: string;
  readonly resourceGroup?: string;
  /** Default: DefaultAzureCredential (environment, workload identity, managed identity, Azure CLI). */
  readonly credentials?: AzureClientSecret;
  /** Extra CA certificate (PEM) trusted for ARM and the authority: private clouds, emulators. */
  readonly caPem?: string;
}

/** The provider that mints and retires keys of a cloud. */
export function keyProviderFor(cloud: string, settings: ProviderSettings): KeyProvider {
  const { endpoints, clock } = settings;
  switch (cloud) {
    case 'aws':
      return providers.create('aws', {
        ...(endpoints.iam ? { iamEndpoint: endpoints.iam } : {}),
        ...(endpoints.sts ? { stsEndpoint: endpoints.sts } : {}),
        ...(settings.aws ? { credentials: settings.aws } : {}),
        clock,
      });
    case 'gcp':
      return providers.create('gcp', {
        ...(endpoints.gcpIam ? { iamEndpoint: endpoints.gcpIam, policyAnalyzerEndpoint: endpoints.gcpIam } : {}),
        ...(endpoints.gcpToken ? { tokenUrl: endpoints.gcpToken } : {}),
        ...(settings.gcp ? { credentials: settings.gcp } : {}),
        clock,
      });
    case 'azure': {
      const azure = settings.azure;
      if (!azure)
        throw new ConfigError(
          '--issue needs the Azure subscription of the storage account: AZURE_SUBSCRIPTION_ID is not set.',
          'Set AZURE_SUBSCRIPTION_ID, and AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for a service principal (else DefaultAzureCredential is used).',
        );
      return providers.create('azure', {
        subscriptionId: azure.subscriptionId,
        ...(azure.resourceGroup ? { resourceGroup: azure.resourceGroup } : {}),
        ...(endpoints.azureArm ? { armEndpoint: endpoints.azureArm } : {}),
        ...(endpoints.azureAuthority ? { authorityHost: endpoints.azureAuthority } : {}),
        ...(endpoints.azureBlob ? { blobEndpoint: endpoints.azureBlob } : {}),
        ...(azure.credentials ? { credentials: azure.credentials } : {}),
        ...(azure.caPem ? { caPem: azure.caPem } : {}),
        clock,
      });
    }
    default:
      throw new ConfigError(
        `--issue cannot mint a ${cloud} key (AWS IAM user keys, GCP service-account keys and Azure storage keys only).`,
        'Create the new key yourself and pass it with --new-key-file.',
      );
  }
}

/** What `plan --issue` found at the provider. */
export interface IssuePreflight {
  readonly cloud: CloudId;
  readonly principal: Principal;
  readonly inspection: Inspection;
  readonly replacing: string;
  readonly result: Preflight;
}

const keyIdOfHeld = (credential: ProviderCredential, inspection: Inspection, site: string) =>
  credential.provider === 'aws' ? credential.accessKeyId : inspection.holders.find((h) => h.site === site)?.keyId;

/** Finds the principal of the key the sites hold, inspects its keys, and runs the pure preflight. */
export async function preflightIssue(
  plan: RotationPlan,
  clients: ReadonlyMap<string, KubeClient>,
  policy: IssuePolicy,
  settings: ProviderSettings,
  signal: AbortSignal,
): Promise<IssuePreflight> {
  const sites = await readSites(plan, clients, signal);
  const held = sites.flatMap((s) => {
    const credential = providerCredential(s.credential);
    return credential ? [{ site: s.site.id, credential }] : [];
  });
  const first = held[0];
  if (!first) throw new ConfigError(`--issue cannot mint a key for credential ${plan.credential.id}.`);
  const cloud = first.credential.provider;
  const provider = keyProviderFor(cloud, settings);
  let principal: Principal;
  let inspection: Inspection;
  try {
    principal = await provider.identify(first.credential, signal);
    inspection = await provider.inspect(principal, held, signal);
  } catch (error: unknown) {
    if (!(error instanceof ProviderError)) throw error;
    throw new ConfigError(
      `--issue: cannot inspect the keys of credential ${plan.credential.id} at ${cloud}: ${error.message}`,
      error.kind === 'permission_missing'
        ? 'Grant the identity kubecost-rotate runs as the permission named, then run again.'
        : 'Check the provider endpoints and the credentials kubecost-rotate manages keys with.',
    );
  }
  const replacing = keyIdOfHeld(first.credential, inspection, first.site) ?? plan.credential.keyId ?? '';
  const result = preflight(provider.capabilities, inspection, {
    issue: true,
    retire: policy.retire,
    deleteInactive: policy.deleteInactive,
    replacing,
  });
  return { cloud, principal, inspection, replacing, result };
}

/** The preflight as lines for `plan` (no secret: key ids, statuses, dates). */
export function renderIssuePreflight(found: IssuePreflight, policy: IssuePolicy): string {
  const lines = [
    '',
    `Issue (--issue): a new key for ${found.principal.id} at ${found.cloud}, replacing ${found.replacing}`,
    ...found.inspection.keys.map(
      (k) =>
        `  key ${k.ref.keyId}  ${k.status}${k.createdAt ? `  created ${k.createdAt}` : ''}${k.lastUsed?.at ? `  last used ${k.lastUsed.at}${k.lastUsed.service ? ` (${k.lastUsed.service})` : ''}` : ''}${k.ref.keyId === found.replacing ? '  <- the sites hold it' : ''}`,
    ),
    `  retire: ${policy.retire}${policy.retire === 'delete' ? `, after a grace of ${policy.graceMs / 1000} s` : ''}`,
  ];
  const { result } = found;
  if (result.ok)
    for (const step of result.steps) lines.push(`  before issuing: delete ${step.ref.keyId}: ${step.reason}`);
  else
    for (const r of result.refusals) lines.push(`  REFUSED (${r.kind}): ${r.message}`, `    what to do: ${r.remedy}`);
  for (const note of result.notes) lines.push(`  note: ${note}`);
  return `${lines.join('\n')}\n`;
}
