/**
 * The Azure provider: storage-account keys key1/key2 through ARM (`@azure/arm-storage`, with an
 * `@azure/identity` credential; both loaded on first use). The slot the sites use is found by
 * comparing values with listKeys; the other slot is regenerated and the sites rotate onto it;
 * retiring the old key regenerates its slot, which invalidates it at once — so only after every
 * site is proven on the new slot. There is no deactivation and no usage data to query.
 */
import type { TokenCredential } from '@azure/identity';
import type { StorageManagementClient } from '@azure/arm-storage';
import { kindFromStatus, ProviderError, providerErrorFrom, type ErrorClassifier } from '../errors.js';
import { proveKey, realClock } from '../prove.js';
import type { SanitizedError } from '../sanitize.js';
import { fingerprint } from '../../shared/fingerprint.js';
import { SecretValue } from '../../shared/secret-value.js';
import type {
  HeldValue,
  Inspection,
  IssuedKey,
  IssueRequest,
  KeyInfo,
  KeyProvider,
  KeyRef,
  Principal,
  ProviderCapabilities,
  ProviderClock,
  ProviderCredential,
  UsageEvidence,
} from '../types.js';

export interface AzureClientSecret {
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: SecretValue;
}

export interface AzureProviderConfig {
  readonly subscriptionId: string;
  /** The storage accounts' resource group. Default: found by listing the subscription's storage accounts. */
  readonly resourceGroup?: string;
  /** ARM endpoint (`https://management.chinacloudapi.cn` for a sovereign cloud, an emulator). Default Azure's. */
  readonly armEndpoint?: string;
  /** Microsoft Entra ID authority host for the credential. Default Azure's. */
  readonly authorityHost?: string;
  /** Blob service URL template for the shared-key proof (see `IdentityEndpoints.azureBlob`). */
  readonly blobEndpoint?: string;
  /** The service principal that manages keys. Default: DefaultAzureCredential (environment, workload identity, managed identity, Azure CLI). */
  readonly credentials?: AzureClientSecret;
  /** Extra CA certificate (PEM) trusted for ARM and the authority: private clouds, emulators. */
  readonly caPem?: string;
  readonly clock?: ProviderClock;
}

export const AZURE_PERMISSIONS = {
  identify: ['Microsoft.Storage/storageAccounts/read'],
  inspect: ['Microsoft.Storage/storageAccounts/listKeys/action'],
  issue: ['Microsoft.Storage/storageAccounts/regenerateKey/action'],
  delete: ['Microsoft.Storage/storageAccounts/regenerateKey/action'],
} as const;

export const azureCapabilities: ProviderCapabilities = {
  maxKeysPerPrincipal: 2,
  inactiveKeysCount: true,
  overlap: 'key-slots',
  canIssue: true,
  retireSteps: ['regenerate'],
  canReactivate: false,
  evidence: { kind: 'none', source: 'none (storage logs are not queried)', reportingDelayMs: 0 },
  permissions: AZURE_PERMISSIONS,
};

const AZURE_KINDS: Readonly<Record<string, ProviderError['kind']>> = {
  AuthorizationFailed: 'permission_missing',
  LinkedAuthorizationFailed: 'permission_missing',
  ResourceNotFound: 'not_found',
  ResourceGroupNotFound: 'not_found',
  SubscriptionNotFound: 'not_found',
  StorageAccountNotFound: 'not_found',
  TooManyRequests: 'throttled',
  InvalidAuthenticationToken: 'invalid_key',
  AuthenticationFailed: 'invalid_key',
  // @azure/identity: the managing credential was refused or is missing.
  AuthenticationError: 'invalid_key',
  CredentialUnavailableError: 'invalid_key',
  invalid_client: 'invalid_key',
  unauthorized_client: 'invalid_key',
};

export const azureErrors: ErrorClassifier = {
  kind: (error: SanitizedError) =>
    (error.code ? AZURE_KINDS[error.code] : undefined) ?? AZURE_KINDS[error.name] ?? kindFromStatus(error),
  permission: (error: SanitizedError) => /perform action '([^']+)'/.exec(error.message)?.[1],
};

type Slot = 'key1' | 'key2';
const isSlot = (value: string): value is Slot => value === 'key1' || value === 'key2';

export function createAzureProvider(config: AzureProviderConfig): KeyProvider {
  const clock = config.clock ?? realClock;
  const adminSecrets = config.credentials ? [config.credentials.clientSecret.reveal()] : [];
  let client: Promise<StorageManagementClient> | undefined;
  const arm = () =>
    (client ??= (async () => {
      const tlsOptions = config.caPem ? { tlsOptions: { ca: config.caPem } } : {};
      let credential: TokenCredential;
      const identity = await import('@azure/identity');
      if (config.credentials) {
        credential = new identity.ClientSecretCredential(
          config.credentials.tenantId,
          config.credentials.clientId,
          config.credentials.clientSecret.reveal(),
          {
            ...(config.authorityHost
              ? // A private authority is not in Microsoft's instance metadata: skip that lookup.
                { authorityHost: config.authorityHost, disableInstanceDiscovery: true }
              : {}),
            ...tlsOptions,
          },
        );
      } else {
        credential = new identity.DefaultAzureCredential({
          ...(config.authorityHost ? { authorityHost: config.authorityHost } : {}),
          ...tlsOptions,
        });
      }
      const { StorageManagementClient } = await import('@azure/arm-storage');
      return new StorageManagementClient(credential, config.subscriptionId, {
        ...(config.armEndpoint ? { endpoint: config.armEndpoint.replace(/\/+$/, '') } : {}),
        ...tlsOptions,
        retryOptions: { maxRetries: 2 },
      });
    })());

  const fail = (error: unknown, operation: string, subject?: string, secrets: readonly string[] = []) =>
    providerErrorFrom(error, { provider: 'azure', operation, ...(subject ? { subject } : {}) }, azureErrors, [
      ...adminSecrets,
      ...secrets,
    ]);

  const groupOf = (p: Principal) => p.resourceGroup ?? config.resourceGroup ?? '';

  async function listKeys(
    principal: Principal,
    signal: AbortSignal,
  ): Promise<Map<Slot, { value: string; createdAt?: string }>> {
    let answer;
    try {
      answer = await (
        await arm()
      ).storageAccounts.listKeys(groupOf(principal), principal.name, { abortSignal: signal });
    } catch (error: unknown) {
      throw fail(error, 'listKeys', `storage account ${principal.name}`);
    }
    const keys = new Map<Slot, { value: string; createdAt?: string }>();
    for (const key of answer.keys ?? []) {
      const slot = (key.keyName ?? '').toLowerCase();
      if (isSlot(slot) && key.value)
        keys.set(slot, {
          value: key.value,
          ...(key.creationTime ? { createdAt: new Date(key.creationTime).toISOString() } : {}),
        });
    }
    return keys;
  }

  async function regenerate(principal: Principal, slot: Slot, signal: AbortSignal): Promise<string> {
    let answer;
    try {
      answer = await (
        await arm()
      ).storageAccounts.regenerateKey(
        groupOf(principal),
        principal.name,
        { keyName: slot },
        {
          abortSignal: signal,
        },
      );
    } catch (error: unknown) {
      throw fail(error, 'regenerateKey', `${principal.name} ${slot}`);
    }
    const value = (answer.keys ?? []).find((k) => (k.keyName ?? '').toLowerCase() === slot)?.value;
    if (!value)
      throw new ProviderError(
        { provider: 'azure', operation: 'regenerateKey', kind: 'unknown' },
        `regenerateKey of ${principal.name} ${slot} answered without the new key`,
      );
    return value;
  }

  const unsupported = (operation: string): never => {
    throw new ProviderError(
      {
        provider: 'azure',
        operation,
        kind: 'unknown',
        code: 'Unsupported',
        hint: 'Azure storage keys have no inactive state: retire with --retire delete (regenerates the old slot).',
      },
      `azure storage-account keys cannot be ${operation}d`,
    );
  };

  return {
    id: 'azure',
    cloud: 'azure',
    capabilities: azureCapabilities,

    async identify(credential: ProviderCredential, signal: AbortSignal): Promise<Principal> {
      if (credential.provider !== 'azure')
        throw new TypeError(`the azure provider cannot identify a ${credential.provider} key`);
      let resourceGroup = config.resourceGroup;
      if (resourceGroup === undefined) {
        try {
          for await (const account of (await arm()).storageAccounts.list({ abortSignal: signal })) {
            if (account.name === credential.accountName) {
              resourceGroup = /\/resourceGroups\/([^/]+)\//i.exec(account.id ?? '')?.[1];
              break;
            }
          }
        } catch (error: unknown) {
          throw fail(error, 'storageAccounts.list', `subscription ${config.subscriptionId}`);
        }
        if (resourceGroup === undefined)
          throw new ProviderError(
            {
              provider: 'azure',
              operation: 'identify',
              kind: 'not_found',
              hint: 'Check the subscription id, or give the resource group.',
            },
            `no storage account ${credential.accountName} in subscription ${config.subscriptionId}`,
          );
      }
      return {
        provider: 'azure',
        id: `/subscriptions/${config.subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Storage/storageAccounts/${credential.accountName}`,
        name: credential.accountName,
        account: config.subscriptionId,
        resourceGroup,
      };
    },

    async inspect(principal: Principal, held: readonly HeldValue[], signal: AbortSignal): Promise<Inspection> {
      const slots = await listKeys(principal, signal);
      const keys: KeyInfo[] = [...slots].map(([slot, key]) => ({
        ref: { principal, keyId: slot, fingerprint: fingerprint(key.value) },
        status: 'active',
        ...(key.createdAt ? { createdAt: key.createdAt } : {}),
      }));
      return {
        principal,
        keys,
        holders: held.map((h) => {
          const value =
            h.credential.provider === 'azure' && h.credential.accountName === principal.name
              ? h.credential.accountKey
              : undefined;
          const slot = value ? [...slots].find(([, key]) => value.equals(new SecretValue(key.value)))?.[0] : undefined;
          return { site: h.site, keyId: slot };
        }),
        permissions: {
          how: 'listKeys succeeded; regenerateKey cannot be checked without trying it',
          granted: [...AZURE_PERMISSIONS.inspect],
          missing: [],
          unchecked: [...AZURE_PERMISSIONS.issue],
        },
        inspectedAt: clock.now().toISOString(),
      };
    },

    async issue(request: IssueRequest, signal: AbortSignal): Promise<IssuedKey> {
      const current = request.replacing.keyId;
      if (!isSlot(current))
        throw new ProviderError(
          { provider: 'azure', operation: 'issue', kind: 'not_found' },
          `${current} is not a storage key slot (key1 or key2)`,
        );
      const slot: Slot = current === 'key1' ? 'key2' : 'key1';
      const value = await regenerate(request.principal, slot, signal);
      return {
        ref: { principal: request.principal, keyId: slot, fingerprint: fingerprint(value) },
        credential: { provider: 'azure', accountName: request.principal.name, accountKey: new SecretValue(value) },
        createdAt: clock.now().toISOString(),
      };
    },

    prove(request, signal) {
      return proveKey(request, config.blobEndpoint ? { azureBlob: config.blobEndpoint } : {}, clock, signal);
    },

    /** A slot regenerated by a run that crashed before it recorded the value: read it again. */
    async adopt(ref: KeyRef, signal: AbortSignal): Promise<IssuedKey | undefined> {
      if (!isSlot(ref.keyId)) return undefined;
      const key = (await listKeys(ref.principal, signal)).get(ref.keyId);
      if (!key || (ref.fingerprint !== undefined && fingerprint(key.value) !== ref.fingerprint)) return undefined;
      return {
        ref: { principal: ref.principal, keyId: ref.keyId, fingerprint: fingerprint(key.value) },
        credential: { provider: 'azure', accountName: ref.principal.name, accountKey: new SecretValue(key.value) },
        createdAt: key.createdAt ?? clock.now().toISOString(),
      };
    },

    deactivate: () => Promise.reject(unsupported('deactivate')),
    reactivate: () => Promise.reject(unsupported('reactivate')),

    /** Regenerates the slot if it still holds the referenced key; a slot that moved on is left alone. */
    async delete(ref: KeyRef, signal: AbortSignal): Promise<void> {
      if (!isSlot(ref.keyId) || ref.fingerprint === undefined)
        throw new ProviderError(
          { provider: 'azure', operation: 'delete', kind: 'not_found' },
          `an Azure key reference needs a slot and the fingerprint of its value (got ${ref.keyId})`,
        );
      const slots = await listKeys(ref.principal, signal);
      const now = slots.get(ref.keyId);
      if (!now || fingerprint(now.value) !== ref.fingerprint) return;
      await regenerate(ref.principal, ref.keyId, signal);
    },

    async evidence(ref: KeyRef, since: Date, signal: AbortSignal): Promise<UsageEvidence> {
      const slots = await listKeys(ref.principal, signal);
      const present = isSlot(ref.keyId) && fingerprint(slots.get(ref.keyId)?.value ?? '') === ref.fingerprint;
      const window = { from: since.toISOString(), to: clock.now().toISOString() };
      const checked = [
        `listKeys: ${ref.keyId} ${present ? 'still holds' : 'no longer holds'} key fp=${ref.fingerprint ?? '?'}`,
      ];
      const notChecked = ['storage account logs (Azure Monitor resource logs of the blob service): not queried'];
      return present
        ? {
            ref,
            usedSince: 'unknown',
            window,
            checked,
            notChecked,
            summary: `Azure gives no per-key usage data: only the sites' own evidence says ${ref.keyId} is unused`,
          }
        : {
            ref,
            usedSince: 'no',
            window,
            checked,
            notChecked,
            summary: `${ref.keyId} was regenerated: the old key works nowhere`,
          };
    },
  };
}
