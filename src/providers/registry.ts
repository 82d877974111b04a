/**
 * The providers by id, each made from its own config. Importing the registry loads no cloud SDK:
 * every provider imports its SDK on its first call (an AWS-only run never loads Google's or
 * Azure's). Tests build their own registry with the factories they need.
 */
import { createAwsProvider, type AwsProviderConfig } from './aws/provider.js';
import { createAzureProvider, type AzureProviderConfig } from './azure/provider.js';
import { createGcpProvider, type GcpProviderConfig } from './gcp/provider.js';
import { createManualProvider, type ManualProviderConfig } from './manual/provider.js';
import type { KeyProvider, ProviderId } from './types.js';

export interface ProviderFactory<C> {
  readonly id: ProviderId;
  create(config: C): KeyProvider;
}

export const awsProviderFactory = {
  id: 'aws',
  create: (config: AwsProviderConfig) => createAwsProvider(config),
} satisfies ProviderFactory<AwsProviderConfig>;

export const gcpProviderFactory = {
  id: 'gcp',
  create: (config: GcpProviderConfig) => createGcpProvider(config),
} satisfies ProviderFactory<GcpProviderConfig>;

export const azureProviderFactory = {
  id: 'azure',
  create: (config: AzureProviderConfig) => createAzureProvider(config),
} satisfies ProviderFactory<AzureProviderConfig>;

export const manualProviderFactory = {
  id: 'manual',
  create: (config: ManualProviderConfig) => createManualProvider(config),
} satisfies ProviderFactory<ManualProviderConfig>;

export interface ProviderConfigs {
  readonly aws: AwsProviderConfig;
  readonly gcp: GcpProviderConfig;
  readonly azure: AzureProviderConfig;
  readonly manual: ManualProviderConfig;
}

export interface ProviderRegistry {
  ids(): ProviderId[];
  create<I extends ProviderId>(id: I, config: ProviderConfigs[I]): KeyProvider;
}

/** A registry of `factories`; two factories with one id are a bug (thrown at once). */
export function createProviderRegistry(factories: readonly ProviderFactory<never>[]): ProviderRegistry {
  const byId = new Map<ProviderId, ProviderFactory<never>>();
  for (const factory of factories) {
    if (byId.has(factory.id)) throw new Error(`two provider factories for "${factory.id}"`);
    byId.set(factory.id, factory);
  }
  return {
    ids: () => [...byId.keys()],
    create: (id, config) => {
      const factory = byId.get(id);
      if (!factory) throw new Error(`no provider "${id}" (known: ${[...byId.keys()].join(', ')})`);
      return (factory as ProviderFactory<typeof config>).create(config);
    },
  };
}

export const providers: ProviderRegistry = createProviderRegistry([
  awsProviderFactory,
  gcpProviderFactory,
  azureProviderFactory,
  manualProviderFactory,
]);
