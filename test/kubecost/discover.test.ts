/**
 * discover against every sandbox layout: the exact installations (layout, role), sites with their
 * kind and consumers (kind, name, container, mount), places with no key, and warnings, found
 * through the real client from labels and pod templates. The layouts follow what the Kubecost
 * charts render (reference §1.10).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialIdentity, azureStorageAccountKey } from '../../src/kubecost/secret-formats/index.js';
import type { Inventory } from '../../src/kubecost/inventory.js';
import { fingerprint } from '../../src/shared/fingerprint.js';
import { LAYOUTS, type FakeCredential, type LayoutName } from '../../src/sim/kubecost/index.js';
import {
  installationLines,
  keylessLines,
  siteLines,
  startLayout,
  warningLines,
  type LayoutWorld,
} from './layout-support.js';

/** The credential id discover must give a fake credential (provider:key id, or principal and key id). */
function idOf(credential: FakeCredential | undefined): string {
  if (!credential) throw new Error('no such credential in the layout');
  switch (credential.provider) {
    case 'aws':
      return `aws:${credential.accessKeyId}`;
    case 'gcp':
      return `gcp:${credential.clientEmail}:${credential.privateKeyId}`;
    case 'azure':
      // Azure keys have no id: the identity carries a fingerprint of the key.
      return credentialIdentity(azureStorageAccountKey(credential.accountName, credential.accountKey)).id;
    case 'alibaba':
      return `alibaba:${credential.accessKeyId}`;
    case 'gcp-api-key':
      return `gcp:api-key:${fingerprint(credential.apiKey)}`;
  }
}

const worlds = new Map<LayoutName, { world: LayoutWorld; inventory: Inventory }>();
async function layout(name: LayoutName): Promise<{ world: LayoutWorld; inventory: Inventory }> {
  let entry = worlds.get(name);
  if (!entry) {
    const world = await startLayout(name);
    entry = { world, inventory: await world.discover() };
    worlds.set(name, entry);
  }
  return entry;
}
afterAll(async () => {
  for (const { world } of worlds.values()) await world.stop();
});

function grouping(world: LayoutWorld, inventory: Inventory): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, credential] of world.layout.credentials)
    out[name] = [...(inventory.credentials.find((c) => c.id === idOf(credential))?.sites ?? [])].sort();
  return out;
}

interface Expected {
  readonly installations: string[];
  readonly sites: string[];
  readonly keyless: string[];
  readonly warnings: string[];
}

const EXPECTED: Record<LayoutName, Expected> = {
  'v1-thanos': {
    installations: [
      'cluster-1 kubecost/kubecost v1-thanos primary 1.108.1',
      'cluster-2 kubecost/kubecost v1-thanos secondary 1.108.1',
    ],
    sites: [
      'cluster-1/kubecost/cloud-integration/cloud-integration.json#aws[0] cloud-integration-legacy cloud-integration <- Deployment/kubecost-cost-analyzer:cost-model(volume /var/configs/cloud-integration)[cost-analyzer]',
      'cluster-1/kubecost/cloud-integration/cloud-integration.json#gcp[0] cloud-integration-legacy cloud-integration <- Deployment/kubecost-cost-analyzer:cost-model(volume /var/configs/cloud-integration)[cost-analyzer]',
      'cluster-1/kubecost/cloud-integration/cloud-integration.json#azure[0] cloud-integration-legacy cloud-integration <- Deployment/kubecost-cost-analyzer:cost-model(volume /var/configs/cloud-integration)[cost-analyzer]',
      'cluster-1/kubecost/kubecost-thanos/object-store.yaml#config objstore-s3 thanos <- Deployment/kubecost-cost-analyzer:cost-model(volume /var/configs/etl)[cost-analyzer] Deployment/kubecost-diagnostics:diagnostics(volume /var/configs/etl)[diagnostics] Deployment/kubecost-prometheus-server:thanos-sidecar(volume /etc/config)[prometheus-server] Deployment/kubecost-thanos-compact:thanos-compact(volume /etc/config)[thanos-compact] Deployment/kubecost-thanos-store:thanos-store(volume /etc/config)[thanos-store]',
      'cluster-2/kubecost/kubecost-thanos/object-store.yaml#config objstore-s3 thanos <- Deployment/kubecost-cost-analyzer:cost-model(volume /var/configs/etl)[cost-analyzer] Deployment/kubecost-diagnostics:diagnostics(volume /var/configs/etl)[diagnostics] Deployment/kubecost-prometheus-server:thanos-sidecar(volume /etc/config)[prometheus-server]',
    ],
    keyless: [],
    warnings: ['ManagedByHelm cluster-1/kubecost/cloud-integration'],
  },
  'v1-federated': {
    installations: [
      'cluster-1 kubecost/kubecost v1-federated primary 1.108.1',
      'cluster-2 kubecost/kubecost v1-federated secondary 1.108.1',
    ],
    sites: [
      'cluster-1/kubecost/cloud-integration/cloud-integration.json#aws.athena[0].authorizer cloud-integration-nested cloud-integration <- Deployment/kubecost-cost-analyzer:cost-model(volume /var/configs/cloud-integration)[cost-analyzer]',
      'cluster-1/kubecost/federated-store/federated-store.yaml#config objstore-s3 federated-etl <- Deployment/kubecost-cost-analyzer:cost-model(volume /var/configs/etl/federated)[cost-analyzer] Deployment/kubecost-federator:federator(volume /var/configs/etl/federated)[federator] StatefulSet/kubecost-aggregator:aggregator(volume /var/configs/etl)[aggregator]',
      'cluster-2/kubecost/federated-store/federated-store.yaml#config objstore-s3 federated-etl <- Deployment/kubecost-cost-analyzer:cost-model(volume /var/configs/etl/federated)[cost-analyzer]',
    ],
    keyless: [],
    warnings: [],
  },
  'v2-single': {
    installations: ['cluster-1 kubecost/kubecost v2-single single 2.4.2'],
    sites: [
      'cluster-1/kubecost/cloud-integration/cloud-integration.json#aws.athena[0].authorizer cloud-integration-nested cloud-integration <- Deployment/kubecost-cost-analyzer:cloud-cost(volume /var/configs/cloud-integration)[cost-analyzer]',
      'cluster-1/kubecost/cloud-integration/cloud-integration.json#azure.storage[0].authorizer cloud-integration-nested cloud-integration <- Deployment/kubecost-cost-analyzer:cloud-cost(volume /var/configs/cloud-integration)[cost-analyzer]',
      'cluster-1/kubecost/kubecost-etl-backup/object-store.yaml#config objstore-gcs etl-backup <- Deployment/kubecost-cost-analyzer:cloud-cost(volume /var/configs/etl)[cost-analyzer] Deployment/kubecost-cost-analyzer:cost-model(volume /var/configs/etl)[cost-analyzer]',
    ],
    keyless: [],
    warnings: [],
  },
  'v2-federated': {
    installations: [
      'cluster-1 kubecost/kubecost v2-federated primary 2.4.2',
      'cluster-2 kubecost/kubecost v2-federated secondary 2.4.2',
      'cluster-3 kubecost/kubecost v2-federated secondary 2.4.2',
    ],
    sites: [
      'cluster-1/kubecost/cloud-integration/cloud-integration.json#gcp.bigQuery[0].authorizer cloud-integration-nested cloud-integration <- Deployment/kubecost-cloud-cost:cloud-cost(volume /var/configs/cloud-integration)[cloud-cost]',
      'cluster-1/kubecost/cloud-integration/cloud-integration.json#aws.s3[0].authorizer cloud-integration-nested cloud-integration <- Deployment/kubecost-cloud-cost:cloud-cost(volume /var/configs/cloud-integration)[cloud-cost]',
      'cluster-1/kubecost/cloud-integration/cloud-integration.json#azure.storage[0].authorizer cloud-integration-nested cloud-integration <- Deployment/kubecost-cloud-cost:cloud-cost(volume /var/configs/cloud-integration)[cloud-cost]',
      'cluster-1/kubecost/federated-store/federated-store.yaml#config objstore-gcs federated-etl <- Deployment/kubecost-cloud-cost:cloud-cost(volume /var/configs/etl/federated)[cloud-cost] Deployment/kubecost-cost-analyzer:cost-model(volume /var/configs/etl/federated)[cost-analyzer] Deployment/kubecost-diagnostics:diagnostics(volume /var/configs/etl)[diagnostics] StatefulSet/kubecost-aggregator:aggregator(volume /var/configs/etl)[aggregator]',
      'cluster-2/kubecost/federated-store/federated-store.yaml#config objstore-gcs federated-etl <- Deployment/kubecost-cost-analyzer:cost-model(volume /var/configs/etl/federated)[cost-analyzer]',
      'cluster-3/kubecost/federated-store/federated-store.yaml#config objstore-gcs federated-etl <- Deployment/kubecost-cost-analyzer:cost-model(volume /var/configs/etl/federated)[cost-analyzer]',
    ],
    keyless: [],
    warnings: ['ManagedByExternalSecret cluster-3/kubecost/federated-store'],
  },
  'v2-singlepod': {
    installations: [
      'cluster-1 kubecost/kubecost v2-federated primary 2.8.7',
      'cluster-2 kubecost/kubecost v2-federated secondary 2.8.7',
    ],
    sites: [
      'cluster-1/kubecost/cloud-integration/cloud-integration.json#gcp.bigQuery[0].authorizer cloud-integration-nested cloud-integration <- Deployment/kubecost-cost-analyzer:cloud-cost(volume /var/configs/cloud-integration)[cost-analyzer]',
      'cluster-1/kubecost/federated-store/federated-store.yaml#config objstore-s3 federated-etl <- Deployment/kubecost-cost-analyzer:aggregator(volume /var/configs/etl)[cost-analyzer] Deployment/kubecost-cost-analyzer:cloud-cost(volume /var/configs/etl/federated)[cost-analyzer] Deployment/kubecost-cost-analyzer:cost-model(volume /var/configs/etl/federated)[cost-analyzer]',
      'cluster-2/kubecost/federated-store/federated-store.yaml#config objstore-s3 federated-etl <- Deployment/kubecost-cost-analyzer:cost-model(volume /var/configs/etl/federated)[cost-analyzer]',
    ],
    keyless: [],
    warnings: [],
  },
  'v2-hamode': {
    installations: ['cluster-1 kubecost/kubecost v2-single single 2.8.7'],
    sites: [
      'cluster-1/kubecost/cloud-integration/cloud-integration.json#azure.storage[0].authorizer cloud-integration-nested cloud-integration <- Deployment/kubecost-cost-analyzer:cloud-cost(volume /var/configs/cloud-integration)[cost-analyzer]',
    ],
    keyless: [],
    warnings: [],
  },
  'v2.9': {
    installations: [
      'cluster-1 kubecost/kubecost v2-federated primary 2.9.7',
      'cluster-2 kubecost/kubecost v2-federated secondary 2.9.7',
      'cluster-3 kubecost/kubecost v2-single single 2.9.7',
    ],
    sites: [
      'cluster-1/kubecost/cloud-integration/cloud-integration.json#aws.athena[0].authorizer cloud-integration-nested cloud-integration <- Deployment/kubecost-cloud-cost:cloud-cost(volume /var/configs/cloud-integration)[cloud-cost]',
      'cluster-1/kubecost/federated-store/federated-store.yaml#config objstore-s3 global-federated-storage <- Deployment/kubecost-cloud-cost:cloud-cost(volume /var/configs/etl/federated)[cloud-cost] Deployment/kubecost-cost-analyzer:cost-model(volume /var/configs/etl/federated)[cost-analyzer] Deployment/kubecost-diagnostics:diagnostics(volume /var/configs/etl)[diagnostics] Deployment/kubecost-finopsagent:finops-agent(subPath /var/configs/federated-store.yaml)[finops-agent] StatefulSet/kubecost-aggregator:aggregator(volume /var/configs/etl)[aggregator]',
      'cluster-1/kubecost/gcp-key/compute-viewer-kubecost-key.json#$ service-key-json legacy-key <- Deployment/kubecost-cost-analyzer:cost-model(volume /var/secrets)[cost-analyzer]',
      'cluster-1/kubecost/kubecost-csp-pricing-api-key-secret/CSP_PRICING_API_KEY#$ gcp-api-key pricing-api-key <- Deployment/kubecost-finopsagent:finops-agent(volume /opt/gcp)[finops-agent] Deployment/kubecost-finopsagent:finops-agent(env CLOUD_PROVIDER_API_KEY)[finops-agent]',
      'cluster-1/kubecost/kubecost-thanos/object-store.yaml#config objstore-s3 thanos <- Deployment/kubecost-etl-utils:etl-utils(volume /var/configs/etl)[etl-utils]',
      'cluster-2/kubecost/federated-store/federated-store.yaml#config objstore-s3 global-federated-storage <- Deployment/kubecost-cost-analyzer:cost-model(volume /var/configs/etl/federated)[cost-analyzer] Deployment/kubecost-diagnostics:diagnostics(volume /var/configs/etl)[diagnostics] Deployment/kubecost-finopsagent:finops-agent(subPath /var/configs/federated-store.yaml)[finops-agent]',
      'cluster-2/kubecost/kubecost-csp-pricing-api-key-secret/CSP_PRICING_API_KEY#$ gcp-api-key pricing-api-key <- Deployment/kubecost-finopsagent:finops-agent(volume /opt/gcp)[finops-agent] Deployment/kubecost-finopsagent:finops-agent(env CLOUD_PROVIDER_API_KEY)[finops-agent]',
      'cluster-3/kubecost/cloud-integration/cloud-integration.json#azure.storage[0].authorizer cloud-integration-nested cloud-integration <- Deployment/kubecost-cost-analyzer:cloud-cost(volume /var/configs/cloud-integration)[cost-analyzer]',
      'cluster-3/kubecost/gcp-key/compute-viewer-kubecost-key.json#$ service-key-json legacy-key <- Deployment/kubecost-cost-analyzer:cost-model(volume /var/secrets)[cost-analyzer]',
      'cluster-3/kubecost/kubecost-csp-pricing-api-key-secret/CSP_PRICING_API_KEY#$ gcp-api-key pricing-api-key <- Deployment/kubecost-finopsagent:finops-agent(volume /opt/gcp)[finops-agent] Deployment/kubecost-finopsagent:finops-agent(env CLOUD_PROVIDER_API_KEY)[finops-agent]',
      'cluster-3/kubecost/kubecost-federated-storage-config/federated-store.yaml#config objstore-gcs global-federated-storage <- Deployment/kubecost-cost-analyzer:aggregator(volume /var/configs/etl)[cost-analyzer] Deployment/kubecost-cost-analyzer:cloud-cost(volume /var/configs/etl/federated)[cost-analyzer] Deployment/kubecost-cost-analyzer:cost-model(volume /var/configs/etl/federated)[cost-analyzer] Deployment/kubecost-finopsagent:finops-agent(subPath /var/configs/federated-store.yaml)[finops-agent]',
    ],
    keyless: [],
    warnings: [
      'EnvConsumer cluster-1/kubecost/kubecost-csp-pricing-api-key-secret Deployment/kubecost-finopsagent',
      'EnvConsumer cluster-2/kubecost/kubecost-csp-pricing-api-key-secret Deployment/kubecost-finopsagent',
      'EnvConsumer cluster-3/kubecost/kubecost-csp-pricing-api-key-secret Deployment/kubecost-finopsagent',
      'ManagedByHelm cluster-1/kubecost/kubecost-csp-pricing-api-key-secret',
      'ManagedByHelm cluster-2/kubecost/kubecost-csp-pricing-api-key-secret',
      'ManagedByHelm cluster-3/kubecost/kubecost-csp-pricing-api-key-secret',
      'ManagedByHelm cluster-3/kubecost/kubecost-federated-storage-config',
      'SubPathMount cluster-1/kubecost/federated-store Deployment/kubecost-finopsagent',
      'SubPathMount cluster-2/kubecost/federated-store Deployment/kubecost-finopsagent',
      'SubPathMount cluster-3/kubecost/kubecost-federated-storage-config Deployment/kubecost-finopsagent',
    ],
  },
  v3: {
    installations: [
      'cluster-1 kubecost/kubecost v3-federated primary 3.2.1',
      'cluster-2 kubecost/kubecost v3-federated secondary 3.2.1',
      'cluster-3 kubecost/kubecost v3-single single 3.2.1',
    ],
    sites: [
      'cluster-1/kubecost/cloud-integration/cloud-integration.json#aws.athena[0].authorizer.authorizer cloud-integration-nested cloud-integration <- Deployment/kubecost-cloud-cost:cloud-cost(subPath /var/configs/cloud-integration.json)[cloud-cost]',
      'cluster-1/kubecost/cloud-integration/cloud-integration.json#gcp.bigQuery[0].authorizer cloud-integration-nested cloud-integration <- Deployment/kubecost-cloud-cost:cloud-cost(subPath /var/configs/cloud-integration.json)[cloud-cost]',
      'cluster-1/kubecost/cluster-controller-service-key/service-key.json#$ service-key-json cluster-controller-key <- Deployment/kubecost-cluster-controller:kubecost-cluster-controller(volume /var/keys)[cluster-controller]',
      'cluster-1/kubecost/federated-store/federated-store.yaml#config objstore-azure global-federated-storage <- Deployment/kubecost-cloud-cost:cloud-cost(subPath /var/configs/federated-store.yaml)[cloud-cost] Deployment/kubecost-cluster-controller:kubecost-cluster-controller(subPath /var/configs/actions/storage/actions-store.yaml)[cluster-controller] Deployment/kubecost-finopsagent:finops-agent(subPath /var/configs/federated-store.yaml)[finops-agent] StatefulSet/kubecost-aggregator:aggregator(subPath /var/configs/federated-store.yaml)[aggregator]',
      'cluster-1/kubecost/kubecost-csp-pricing-api-key-secret/CSP_PRICING_API_KEY#$ gcp-api-key pricing-api-key <- Deployment/kubecost-finopsagent:finops-agent(volume /opt/gcp)[finops-agent] Deployment/kubecost-finopsagent:finops-agent(env CLOUD_PROVIDER_API_KEY)[finops-agent]',
      'cluster-2/kubecost/cluster-controller-service-key/service-key.json#$ service-key-json cluster-controller-key <- Deployment/kubecost-cluster-controller:kubecost-cluster-controller(volume /var/keys)[cluster-controller]',
      'cluster-2/kubecost/federated-store/federated-store.yaml#config objstore-azure global-federated-storage <- Deployment/kubecost-cluster-controller:kubecost-cluster-controller(subPath /var/configs/actions/storage/actions-store.yaml)[cluster-controller] Deployment/kubecost-finopsagent:finops-agent(subPath /var/configs/federated-store.yaml)[finops-agent]',
      'cluster-2/kubecost/kubecost-csp-pricing-api-key-secret/CSP_PRICING_API_KEY#$ gcp-api-key pricing-api-key <- Deployment/kubecost-finopsagent:finops-agent(volume /opt/gcp)[finops-agent] Deployment/kubecost-finopsagent:finops-agent(env CLOUD_PROVIDER_API_KEY)[finops-agent]',
      'cluster-3/kubecost/cloud-integration/cloud-integration.json#azure.storage[0].authorizer cloud-integration-nested cloud-integration <- Deployment/kubecost-cloud-cost:cloud-cost(subPath /var/configs/cloud-integration.json)[cloud-cost]',
      'cluster-3/kubecost/cluster-controller-service-key/service-key.json#$ service-key-json cluster-controller-key <- Deployment/kubecost-cluster-controller:kubecost-cluster-controller(volume /var/keys)[cluster-controller]',
      'cluster-3/kubecost/kubecost-csp-pricing-api-key-secret/CSP_PRICING_API_KEY#$ gcp-api-key pricing-api-key <- Deployment/kubecost-finopsagent:finops-agent(volume /opt/gcp)[finops-agent] Deployment/kubecost-finopsagent:finops-agent(env CLOUD_PROVIDER_API_KEY)[finops-agent]',
    ],
    keyless: [
      'cluster-3/kubecost/kubecost-federated-storage-config/federated-store.yaml#config objstore-cluster NoCredential <- Deployment/kubecost-cloud-cost:cloud-cost(subPath /var/configs/federated-store.yaml)[cloud-cost] Deployment/kubecost-cluster-controller:kubecost-cluster-controller(subPath /var/configs/actions/storage/actions-store.yaml)[cluster-controller] Deployment/kubecost-finopsagent:finops-agent(subPath /var/configs/federated-store.yaml)[finops-agent] Deployment/kubecost-local-store:local-object-store(subPath /var/configs/federated-store.yaml)[local-store] StatefulSet/kubecost-aggregator:aggregator(subPath /var/configs/federated-store.yaml)[aggregator]',
    ],
    warnings: [
      'EnvConsumer cluster-1/kubecost/kubecost-csp-pricing-api-key-secret Deployment/kubecost-finopsagent',
      'EnvConsumer cluster-2/kubecost/kubecost-csp-pricing-api-key-secret Deployment/kubecost-finopsagent',
      'EnvConsumer cluster-3/kubecost/kubecost-csp-pricing-api-key-secret Deployment/kubecost-finopsagent',
      'ManagedByHelm cluster-1/kubecost/kubecost-csp-pricing-api-key-secret',
      'ManagedByHelm cluster-2/kubecost/kubecost-csp-pricing-api-key-secret',
      'ManagedByHelm cluster-3/kubecost/kubecost-csp-pricing-api-key-secret',
      'SubPathMount cluster-1/kubecost/cloud-integration Deployment/kubecost-cloud-cost',
      'SubPathMount cluster-1/kubecost/cloud-integration Deployment/kubecost-cloud-cost',
      'SubPathMount cluster-1/kubecost/federated-store Deployment/kubecost-cloud-cost',
      'SubPathMount cluster-1/kubecost/federated-store Deployment/kubecost-cluster-controller',
      'SubPathMount cluster-1/kubecost/federated-store Deployment/kubecost-finopsagent',
      'SubPathMount cluster-1/kubecost/federated-store StatefulSet/kubecost-aggregator',
      'SubPathMount cluster-2/kubecost/federated-store Deployment/kubecost-cluster-controller',
      'SubPathMount cluster-2/kubecost/federated-store Deployment/kubecost-finopsagent',
      'SubPathMount cluster-3/kubecost/cloud-integration Deployment/kubecost-cloud-cost',
    ],
  },
  'v3.0': {
    installations: [
      'cluster-1 kubecost/kubecost v3-federated primary 3.0.2',
      'cluster-2 kubecost/kubecost v3-federated secondary 3.0.2',
    ],
    sites: [
      'cluster-1/kubecost/cloud-integration/cloud-integration.json#gcp.bigQuery[0].authorizer cloud-integration-nested cloud-integration <- Deployment/kubecost-cloud-cost:cloud-cost(subPath /var/configs/cloud-integration.json)[cloud-cost]',
      'cluster-1/kubecost/kubecost-actions-bucket-config/actions-store.yaml#config objstore-s3 actions-store <- Deployment/kubecost-cluster-controller:kubecost-cluster-controller(subPath /var/configs/actions/storage/actions-store.yaml)[cluster-controller]',
      'cluster-1/kubecost/kubecost-csp-pricing-api-key-secret/CSP_PRICING_API_KEY#$ gcp-api-key pricing-api-key <- Deployment/kubecost-finops-agent:finops-agent(volume /opt/gcp)[finops-agent] Deployment/kubecost-finops-agent:finops-agent(env CLOUD_PROVIDER_API_KEY)[finops-agent]',
      'cluster-1/kubecost/kubecost-federated-storage-config/federated-store-prod.yaml#config objstore-gcs global-federated-storage <- Deployment/kubecost-cloud-cost:cloud-cost(subPath /var/configs/federated-store-prod.yaml)[cloud-cost] Deployment/kubecost-finops-agent:finops-agent(subPath /var/configs/federated-store.yaml)[finops-agent] StatefulSet/kubecost-aggregator:aggregator(subPath /var/configs/federated-store-prod.yaml)[aggregator]',
      'cluster-2/kubecost/kubecost-csp-pricing-api-key-secret/CSP_PRICING_API_KEY#$ gcp-api-key pricing-api-key <- Deployment/kubecost-finops-agent:finops-agent(volume /opt/gcp)[finops-agent] Deployment/kubecost-finops-agent:finops-agent(env CLOUD_PROVIDER_API_KEY)[finops-agent]',
      'cluster-2/kubecost/kubecost-federated-storage-config/federated-store-prod.yaml#config objstore-gcs global-federated-storage <- Deployment/kubecost-cluster-controller:kubecost-cluster-controller(subPath /var/configs/actions/storage/actions-store.yaml)[cluster-controller] Deployment/kubecost-finops-agent:finops-agent(subPath /var/configs/federated-store.yaml)[finops-agent]',
    ],
    keyless: [],
    warnings: [
      'EnvConsumer cluster-1/kubecost/kubecost-csp-pricing-api-key-secret Deployment/kubecost-finops-agent',
      'EnvConsumer cluster-2/kubecost/kubecost-csp-pricing-api-key-secret Deployment/kubecost-finops-agent',
      'ManagedByHelm cluster-1/kubecost/kubecost-csp-pricing-api-key-secret',
      'ManagedByHelm cluster-1/kubecost/kubecost-federated-storage-config',
      'ManagedByHelm cluster-2/kubecost/kubecost-csp-pricing-api-key-secret',
      'ManagedByHelm cluster-2/kubecost/kubecost-federated-storage-config',
      'SubPathMount cluster-1/kubecost/cloud-integration Deployment/kubecost-cloud-cost',
      'SubPathMount cluster-1/kubecost/kubecost-actions-bucket-config Deployment/kubecost-cluster-controller',
      'SubPathMount cluster-1/kubecost/kubecost-federated-storage-config Deployment/kubecost-cloud-cost',
      'SubPathMount cluster-1/kubecost/kubecost-federated-storage-config Deployment/kubecost-finops-agent',
      'SubPathMount cluster-1/kubecost/kubecost-federated-storage-config StatefulSet/kubecost-aggregator',
      'SubPathMount cluster-2/kubecost/kubecost-federated-storage-config Deployment/kubecost-cluster-controller',
      'SubPathMount cluster-2/kubecost/kubecost-federated-storage-config Deployment/kubecost-finops-agent',
    ],
  },
  mixed: {
    installations: [
      'cluster-1 cost/finops v3-federated primary 3.2.1',
      'cluster-2 kubecost/kubecost v3-federated secondary 3.2.1',
      'cluster-3 monitoring/kubecost v1-single single 1.108.1',
      'cluster-4 kubecost/kubecost v2-federated secondary 2.4.2',
      'cluster-5 kubecost/kubecost v1-federated secondary 1.108.1',
    ],
    sites: [
      'cluster-1/cost/cloud-integration/cloud-integration.json#aws[0] cloud-integration-legacy cloud-integration <- Deployment/cur-exporter:exporter(volume /etc/kubecost)[unknown] Deployment/finops-cloud-cost:cloud-cost(subPath /var/configs/cloud-integration.json)[cloud-cost]',
      'cluster-1/cost/cloud-integration/cloud-integration.json#gcp[0] cloud-integration-legacy cloud-integration <- Deployment/cur-exporter:exporter(volume /etc/kubecost)[unknown] Deployment/finops-cloud-cost:cloud-cost(subPath /var/configs/cloud-integration.json)[cloud-cost]',
      'cluster-1/cost/cloud-integration/cloud-integration.json#alibaba[0] cloud-integration-legacy cloud-integration <- Deployment/cur-exporter:exporter(volume /etc/kubecost)[unknown] Deployment/finops-cloud-cost:cloud-cost(subPath /var/configs/cloud-integration.json)[cloud-cost]',
      'cluster-1/cost/cluster-controller-service-key/service-key.json#$ service-key-json cluster-controller-key <- Deployment/finops-cluster-controller:kubecost-cluster-controller(volume /var/keys)[cluster-controller]',
      'cluster-1/cost/finops-csp-pricing-api-key-secret/CSP_PRICING_API_KEY#$ gcp-api-key pricing-api-key <- Deployment/finops-finopsagent:finops-agent(volume /opt/gcp)[finops-agent] Deployment/finops-finopsagent:finops-agent(env CLOUD_PROVIDER_API_KEY)[finops-agent]',
      'cluster-1/cost/kubecost-object-store/federated-store.yaml#config objstore-s3 global-federated-storage <- Deployment/cur-exporter:exporter(env FEDERATED_STORE_YAML)[unknown] Deployment/finops-cloud-cost:cloud-cost(subPath /var/configs/federated-store.yaml)[cloud-cost] Deployment/finops-cluster-controller:kubecost-cluster-controller(subPath /var/configs/actions/storage/actions-store.yaml)[cluster-controller] Deployment/finops-finopsagent:finops-agent(subPath /var/configs/federated-store.yaml)[finops-agent] StatefulSet/finops-aggregator:aggregator(subPath /var/configs/federated-store.yaml)[aggregator]',
      'cluster-2/kubecost/cluster-controller-service-key/service-key.json#$ service-key-json cluster-controller-key <- Deployment/kubecost-cluster-controller:kubecost-cluster-controller(volume /var/keys)[cluster-controller]',
      'cluster-2/kubecost/kubecost-csp-pricing-api-key-secret/CSP_PRICING_API_KEY#$ gcp-api-key pricing-api-key <- Deployment/kubecost-finopsagent:finops-agent(volume /opt/gcp)[finops-agent] Deployment/kubecost-finopsagent:finops-agent(env CLOUD_PROVIDER_API_KEY)[finops-agent]',
      'cluster-2/kubecost/kubecost-object-store/federated-store.yaml#config objstore-s3 global-federated-storage <- Deployment/kubecost-cluster-controller:kubecost-cluster-controller(subPath /var/configs/actions/storage/actions-store.yaml)[cluster-controller] Deployment/kubecost-finopsagent:finops-agent(subPath /var/configs/federated-store.yaml)[finops-agent]',
      'cluster-3/monitoring/azure-storage-config/azure-storage-config.json#$ azure-storage-config legacy-key <- Deployment/kubecost-cost-analyzer:cost-model(volume /var/azure-storage-config)[cost-analyzer]',
      'cluster-3/monitoring/cloud-service-key/service-key.json#$ service-key-json legacy-key <- Deployment/kubecost-cost-analyzer:cost-model(volume /var/secrets)[cost-analyzer]',
      'cluster-4/kubecost/kubecost-object-store/federated-store.yaml#config objstore-s3 federated-etl <- Deployment/cost-suite:cost-model(volume /var/configs/etl/federated)[cost-analyzer]',
      'cluster-5/kubecost/federated-store/federated-store.yaml#config objstore-s3 federated-etl <- Deployment/kubecost-cost-analyzer:cost-model(volume /var/configs/etl/federated)[cost-analyzer]',
    ],
    keyless: [
      'cluster-4/kubecost/kubecost-etl-backup/object-store.yaml#config objstore-s3 UnsupportedCredential <- Deployment/cost-suite:cost-model(volume /var/configs/etl)[cost-analyzer]',
    ],
    warnings: [
      'AmbientIdentityAvailable cluster-3/monitoring/cloud-service-key Deployment/kubecost-cost-analyzer',
      'ConfigRejected cluster-3/monitoring/azure-storage-config Deployment/kubecost-cost-analyzer',
      'EnvConsumer cluster-1/cost/finops-csp-pricing-api-key-secret Deployment/finops-finopsagent',
      'EnvConsumer cluster-1/cost/kubecost-object-store Deployment/cur-exporter',
      'EnvConsumer cluster-2/kubecost/kubecost-csp-pricing-api-key-secret Deployment/kubecost-finopsagent',
      'ManagedByArgoCD cluster-3/monitoring/cloud-service-key',
      'ManagedByHelm cluster-1/cost/finops-csp-pricing-api-key-secret',
      'ManagedByHelm cluster-2/kubecost/kubecost-csp-pricing-api-key-secret',
      'ManagedBySealedSecret cluster-4/kubecost/kubecost-object-store',
      'MissingSecret cluster-3/monitoring/old-gcp-key Deployment/kubecost-cost-analyzer',
      'SubPathMount cluster-1/cost/cloud-integration Deployment/finops-cloud-cost',
      'SubPathMount cluster-1/cost/cloud-integration Deployment/finops-cloud-cost',
      'SubPathMount cluster-1/cost/cloud-integration Deployment/finops-cloud-cost',
      'SubPathMount cluster-1/cost/kubecost-object-store Deployment/finops-cloud-cost',
      'SubPathMount cluster-1/cost/kubecost-object-store Deployment/finops-cluster-controller',
      'SubPathMount cluster-1/cost/kubecost-object-store Deployment/finops-finopsagent',
      'SubPathMount cluster-1/cost/kubecost-object-store StatefulSet/finops-aggregator',
      'SubPathMount cluster-2/kubecost/kubecost-object-store Deployment/kubecost-cluster-controller',
      'SubPathMount cluster-2/kubecost/kubecost-object-store Deployment/kubecost-finopsagent',
      'UnknownConsumer cluster-1/cost/cloud-integration Deployment/cur-exporter',
      'UnknownConsumer cluster-1/cost/cloud-integration Deployment/cur-exporter',
      'UnknownConsumer cluster-1/cost/cloud-integration Deployment/cur-exporter',
      'UnknownConsumer cluster-1/cost/kubecost-object-store Deployment/cur-exporter',
      'UnrecognizedComponent cluster-1/cost/ Deployment/finops-usage-reporter',
      'UnsupportedCredential cluster-4/kubecost/kubecost-etl-backup',
    ],
  },
};

describe.each(LAYOUTS)('discover on layout %s', (name) => {
  let world: LayoutWorld;
  let inventory: Inventory;
  const expected = EXPECTED[name];
  beforeAll(async () => {
    ({ world, inventory } = await layout(name));
  });

  it('finds exactly the installations, layouts and roles the layout installed', () => {
    expect(installationLines(inventory)).toEqual(expected.installations);
    expect(installationLines(inventory)).toEqual(
      world.layout.installations.map(
        (i) => `${i.cluster} ${i.namespace}/${i.release} ${i.layout} ${i.role} ${i.chart}`,
      ),
    );
  });

  it('lists every site with its kind and every consumer (kind, name, container, mount)', () => {
    expect(siteLines(inventory)).toEqual(expected.sites);
  });

  it('lists the places that hold no key, with their consumers', () => {
    expect(keylessLines(inventory)).toEqual(expected.keyless);
  });

  it('gives exactly these warnings and no problem', () => {
    expect(warningLines(inventory)).toEqual(expected.warnings);
    expect(inventory.problems).toEqual([]);
  });

  it('groups every site under a credential of the layout, and every credential has a site', () => {
    const ids = new Set([...world.layout.credentials.values()].map(idOf));
    expect(inventory.credentials.map((c) => c.id).filter((id) => !ids.has(id))).toEqual([]);
    for (const [key, sites] of Object.entries(grouping(world, inventory)))
      expect(sites.length, `credential ${key} has no site`).toBeGreaterThan(0);
  });
});

describe('1.x', () => {
  it('v1-thanos: groups the Thanos key of both clusters as one credential, read by diagnostics on both', async () => {
    const { world, inventory } = await layout('v1-thanos');
    const thanos = world.layout.credentials.get('thanos-s3');
    expect(grouping(world, inventory)['thanos-s3']).toEqual([
      'cluster-1/kubecost/kubecost-thanos/object-store.yaml#config',
      'cluster-2/kubecost/kubecost-thanos/object-store.yaml#config',
    ]);
    expect(inventory.credentials.find((c) => c.id === idOf(thanos))).toMatchObject({
      provider: 'aws',
      keyId: thanos?.provider === 'aws' ? thanos.accessKeyId : '',
      clusters: ['cluster-1', 'cluster-2'],
    });
    for (const site of inventory.sites.filter((s) => s.kind === 'thanos'))
      expect(site.consumers.map((c) => c.role)).toContain('diagnostics');
    expect(inventory.installations[0]?.components.map((c) => c.role)).toEqual([
      'cost-analyzer',
      'diagnostics',
      'prometheus-server',
      'thanos-compact',
      'thanos-query',
      'thanos-query-frontend',
      'thanos-store',
    ]);
  });

  it('v1-federated: a primary by its federator and aggregator, not a single cluster', async () => {
    const { inventory } = await layout('v1-federated');
    expect(inventory.installations.map((i) => [i.role, i.roleBasis])).toEqual([
      ['primary', 'runs the federator and the aggregator (1.x federated ETL)'],
      ['secondary', 'writes the federated store and runs no aggregator'],
    ]);
  });
});

describe('2.x', () => {
  it('v2-singlepod: the aggregator container of the cost-analyzer pod reading the store makes the primary', async () => {
    const { world, inventory } = await layout('v2-singlepod');
    expect(inventory.installations[0]?.components.map((c) => `${c.kind}/${c.name}`)).toEqual([
      'Deployment/kubecost-cost-analyzer',
      'Deployment/kubecost-prometheus-server',
    ]);
    expect(inventory.installations[0]?.roleBasis).toBe(
      'its aggregator reads the store that cluster-2/kubecost also uses',
    );
    // Alone (no secondary selected), a 2.8 cluster whose aggregator reads a federated store is still the primary.
    const alone = await world.discover({ contexts: ['cluster-1'] });
    expect(alone.installations.map((i) => [i.role, i.roleBasis])).toEqual([
      ['primary', 'its aggregator reads the federated store (no secondary of it in the selected clusters)'],
    ]);
  });

  it('v2-hamode: the frontend Deployment, whose pods say app=cost-analyzer, is part of the one installation', async () => {
    const { inventory } = await layout('v2-hamode');
    expect(inventory.installations).toHaveLength(1);
    expect(inventory.installations[0]?.components.map((c) => `${c.kind}/${c.name}[${c.role}]`)).toEqual([
      'Deployment/kubecost-cost-analyzer[cost-analyzer]',
      'Deployment/kubecost-frontend[frontend]',
      'Deployment/kubecost-prometheus-server[prometheus-server]',
    ]);
  });

  it('v2.9: the mandatory store makes a lone cluster single, and the shared one a primary', async () => {
    const { inventory } = await layout('v2.9');
    expect(inventory.installations.map((i) => [i.cluster, i.role, i.roleBasis])).toEqual([
      ['cluster-1', 'primary', 'its aggregator reads the store that cluster-2/kubecost also uses'],
      ['cluster-2', 'secondary', 'writes the federated store and runs no aggregator'],
      [
        'cluster-3',
        'single',
        'its aggregator reads a store no other selected cluster uses (2.9+ requires a store even on one cluster)',
      ],
    ]);
  });
});

describe('3.x', () => {
  it('v3: recognises every 3.x component by its pod labels, though 3.x has no cost-analyzer', async () => {
    const { inventory } = await layout('v3');
    expect(inventory.installations[0]?.components.map((c) => `${c.kind}/${c.name}[${c.role}]`)).toEqual([
      'StatefulSet/kubecost-aggregator[aggregator]',
      'Deployment/kubecost-cloud-cost[cloud-cost]',
      'Deployment/kubecost-cluster-controller[cluster-controller]',
      'Deployment/kubecost-finopsagent[finops-agent]',
      'Deployment/kubecost-forecasting[forecasting]',
      'Deployment/kubecost-frontend[frontend]',
      // The DaemonSet is a component too (it reads no Secret, so it is never restarted).
      'DaemonSet/kubecost-network-costs[network-costs]',
    ]);
    expect(inventory.installations[1]?.components.map((c) => c.role)).toEqual([
      'cluster-controller',
      'finops-agent',
      'network-costs',
    ]);
    expect(inventory.installations[2]?.components.map((c) => c.role)).toContain('local-store');
  });

  it('v3: the default type: cluster store is a place with no key, never a problem, and makes a single cluster', async () => {
    const { inventory } = await layout('v3');
    expect(inventory.keylessSites.map((k) => [k.id, k.reason, k.detail])).toEqual([
      [
        'cluster-3/kubecost/kubecost-federated-storage-config/federated-store.yaml#config',
        'NoCredential',
        "type: cluster: Kubecost's in-cluster local store, which takes no credential",
      ],
    ]);
    expect(inventory.installations[2]?.roleBasis).toBe(
      'its aggregator reads the keyless in-cluster store (type: cluster)',
    );
    expect(inventory.sites.some((s) => s.secret === 'kubecost-federated-storage-config')).toBe(false);
  });

  it('v3: groups the pricing API key and the cluster-controller key of every cluster, each as one credential', async () => {
    const { world, inventory } = await layout('v3');
    const pricing = inventory.credentials.find((c) => c.id === idOf(world.layout.credentials.get('pricing-api-key')));
    expect(pricing).toMatchObject({ provider: 'gcp', clusters: ['cluster-1', 'cluster-2', 'cluster-3'] });
    expect(pricing?.principal).toBeUndefined();
    expect(pricing?.sites).toHaveLength(3);
    const controller = inventory.credentials.find(
      (c) => c.id === idOf(world.layout.credentials.get('cluster-controller-gcp')),
    );
    expect(controller?.principal).toBe('kubecost-actions@acme-platform.iam.gserviceaccount.com');
    expect(grouping(world, inventory)['federated-azure']).toEqual([
      'cluster-1/kubecost/federated-store/federated-store.yaml#config',
      'cluster-2/kubecost/federated-store/federated-store.yaml#config',
    ]);
  });

  it('v3: warns that every key mount is subPath, naming the workload and what to do', async () => {
    const { inventory } = await layout('v3');
    const subPath = inventory.warnings.filter((w) => w.code === 'SubPathMount');
    expect(subPath.length).toBeGreaterThanOrEqual(8);
    expect(subPath.find((w) => w.workload === 'StatefulSet/kubecost-aggregator')?.message).toBe(
      'StatefulSet kubecost/kubecost-aggregator (container aggregator) mounts Secret federated-store with subPath at /var/configs/federated-store.yaml: the file never changes in a running pod, so it must restart to read a new key.',
    );
  });

  it('v3.0: finds the finops-agent alias, the store under its custom fileName, and the actions store', async () => {
    const { inventory } = await layout('v3.0');
    expect(inventory.installations[1]?.components.map((c) => `${c.kind}/${c.name}[${c.role}]`)).toEqual([
      'Deployment/kubecost-cluster-controller[cluster-controller]',
      'Deployment/kubecost-finops-agent[finops-agent]',
      'DaemonSet/kubecost-network-costs[network-costs]',
    ]);
    expect(inventory.sites.filter((s) => s.kind === 'global-federated-storage').map((s) => s.dataKey)).toEqual([
      'federated-store-prod.yaml',
      'federated-store-prod.yaml',
    ]);
    expect(inventory.sites.find((s) => s.kind === 'actions-store')?.id).toBe(
      'cluster-1/kubecost/kubecost-actions-bucket-config/actions-store.yaml#config',
    );
  });
});

describe('discover on mixed (3.x, 2.x and 1.x clusters sharing one federated key, and the odd shapes)', () => {
  it('groups the shared AWS key of the cloud integration and of the store on four clusters, under three Secret names', async () => {
    const { world, inventory } = await layout('mixed');
    expect(grouping(world, inventory)['shared-aws']).toEqual([
      'cluster-1/cost/cloud-integration/cloud-integration.json#aws[0]',
      'cluster-1/cost/kubecost-object-store/federated-store.yaml#config',
      'cluster-2/kubecost/kubecost-object-store/federated-store.yaml#config',
      'cluster-4/kubecost/kubecost-object-store/federated-store.yaml#config',
      'cluster-5/kubecost/federated-store/federated-store.yaml#config',
    ]);
    expect(
      inventory.sites
        .filter((s) => s.credential === idOf(world.layout.credentials.get('shared-aws')))
        .map((s) => s.kind),
    ).toEqual([
      'cloud-integration',
      'global-federated-storage',
      'global-federated-storage',
      'federated-etl',
      'federated-etl',
    ]);
    expect(inventory.installations.find((i) => i.cluster === 'cluster-4')?.components[0]?.name).toBe('cost-suite');
  });

  it('names a workload with Kubecost chart labels that no rule knows', async () => {
    const { inventory } = await layout('mixed');
    expect(inventory.warnings.find((w) => w.code === 'UnrecognizedComponent')?.message).toBe(
      "Deployment cost/finops-usage-reporter on cluster-1 carries the Kubecost chart's labels (helm.sh/chart kubecost-3.2.1) but is no component kubecost-rotate knows: a key it reads is rotated, it is restarted last, and nothing checks it uses the new key. Report its labels so that a rule can be added.",
    );
  });

  it('reports temporary S3 credentials as a warning and a place with no key, not as nothing', async () => {
    const { inventory } = await layout('mixed');
    expect(inventory.keylessSites.map((k) => [k.id, k.reason, k.detail])).toEqual([
      [
        'cluster-4/kubecost/kubecost-etl-backup/object-store.yaml#config',
        'UnsupportedCredential',
        'session_token is set: temporary credentials, which expire on their own',
      ],
    ]);
    expect(inventory.warnings.find((w) => w.code === 'UnsupportedCredential')?.message).toContain(
      'holds temporary AWS credentials (session_token): kubecost-rotate does not rotate them',
    );
  });

  it('warns that OpenCost refuses an azure-storage-config.json with no subscription id and no Azure service key beside it', async () => {
    const { inventory } = await layout('mixed');
    expect(inventory.warnings.find((w) => w.code === 'ConfigRejected')?.message).toBe(
      "Secret monitoring/azure-storage-config on cluster-3 (azure-storage-config.json) names no azureSubscriptionID, and no /var/secrets/service-key.json beside it (read by Deployment/kubecost-cost-analyzer) gives a subscriptionId: OpenCost's validation refuses this Azure billing config (unless the pricing configuration sets azureSubscriptionID). Add azureSubscriptionID before relying on a rotation of its key.",
    );
    expect(inventory.warnings.find((w) => w.code === 'AmbientIdentityAvailable')?.message).toContain(
      'arn:aws:iam::123456789012:role/kubecost-irsa',
    );
  });

  it('limits discovery to one namespace with -n', async () => {
    const { world } = await layout('mixed');
    const scoped = await world.discover({ namespace: 'monitoring' });
    expect(scoped.installations.map((i) => i.cluster)).toEqual(['cluster-3']);
    expect(scoped.sites.every((s) => s.namespace === 'monitoring')).toBe(true);
  });
});
