/**
 * discover against every sandbox layout: the exact installations, sites, consumers, credential
 * grouping and warnings, found through the real client from labels and pod templates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialIdentity, azureStorageAccountKey } from '../../src/kubecost/secret-formats/index.js';
import type { Inventory } from '../../src/kubecost/inventory.js';
import type { FakeCredential } from '../../src/sim/kubecost/index.js';
import { siteLines, startLayout, type LayoutWorld } from './layout-support.js';

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
  }
}

function grouping(world: LayoutWorld, inventory: Inventory): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, credential] of world.layout.credentials)
    out[name] = [...(inventory.credentials.find((c) => c.id === idOf(credential))?.sites ?? [])].sort();
  return out;
}

const warningCodes = (inventory: Inventory) =>
  inventory.warnings
    .map((w) => `${w.code} ${w.cluster}/${w.namespace ?? ''}/${w.secret ?? ''}${w.workload ? ` ${w.workload}` : ''}`)
    .sort();

describe('discover on v1-thanos (1.x primary and secondary with Thanos)', () => {
  let world: LayoutWorld;
  let inventory: Inventory;
  beforeAll(async () => {
    world = await startLayout('v1-thanos');
    inventory = await world.discover();
  });
  afterAll(() => world.stop());

  it('finds the primary by its thanos-store and the secondary without one', () => {
    expect(
      inventory.installations.map((i) => [i.cluster, i.namespace, i.release, i.layout, i.role, i.chartVersion]),
    ).toEqual([
      ['cluster-1', 'kubecost', 'kubecost', 'v1-thanos', 'primary', '1.108.1'],
      ['cluster-2', 'kubecost', 'kubecost', 'v1-thanos', 'secondary', '1.108.1'],
    ]);
    expect(inventory.installations[0]?.components.map((c) => c.role)).toEqual([
      'cost-analyzer',
      'prometheus-server',
      'thanos-compact',
      'thanos-query',
      'thanos-store',
    ]);
  });

  it('lists every site with the consumers read from pod templates, cost-model included as ETL backup reader', () => {
    expect(siteLines(inventory)).toEqual([
      'cluster-1/kubecost/cloud-integration/cloud-integration.json#aws[0] cloud-integration-legacy <- Deployment/kubecost-cost-analyzer:cost-model(volume /var/configs/cloud-integration)[cost-analyzer]',
      'cluster-1/kubecost/cloud-integration/cloud-integration.json#gcp[0] cloud-integration-legacy <- Deployment/kubecost-cost-analyzer:cost-model(volume /var/configs/cloud-integration)[cost-analyzer]',
      'cluster-1/kubecost/cloud-integration/cloud-integration.json#azure[0] cloud-integration-legacy <- Deployment/kubecost-cost-analyzer:cost-model(volume /var/configs/cloud-integration)[cost-analyzer]',
      'cluster-1/kubecost/kubecost-thanos/object-store.yaml#config objstore-s3 <- Deployment/kubecost-cost-analyzer:cost-model(volume /var/configs/etl)[cost-analyzer] Deployment/kubecost-prometheus-server:thanos-sidecar(volume /etc/config)[prometheus-server] Deployment/kubecost-thanos-compact:thanos-compact(volume /etc/config)[thanos-compact] Deployment/kubecost-thanos-store:thanos-store(volume /etc/config)[thanos-store]',
      'cluster-2/kubecost/kubecost-thanos/object-store.yaml#config objstore-s3 <- Deployment/kubecost-cost-analyzer:cost-model(volume /var/configs/etl)[cost-analyzer] Deployment/kubecost-prometheus-server:thanos-sidecar(volume /etc/config)[prometheus-server]',
    ]);
  });

  it('groups the Thanos key of both clusters as one credential and keeps the billing keys apart', () => {
    expect(grouping(world, inventory)).toEqual({
      'thanos-s3': [
        'cluster-1/kubecost/kubecost-thanos/object-store.yaml#config',
        'cluster-2/kubecost/kubecost-thanos/object-store.yaml#config',
      ],
      'billing-aws': ['cluster-1/kubecost/cloud-integration/cloud-integration.json#aws[0]'],
      'billing-gcp': ['cluster-1/kubecost/cloud-integration/cloud-integration.json#gcp[0]'],
      'billing-azure': ['cluster-1/kubecost/cloud-integration/cloud-integration.json#azure[0]'],
    });
    const thanos = world.layout.credentials.get('thanos-s3');
    const record = inventory.credentials.find((c) => c.id === idOf(thanos));
    expect(record).toMatchObject({
      provider: 'aws',
      keyId: thanos?.provider === 'aws' ? thanos.accessKeyId : '',
      fingerprint: thanos?.provider === 'aws' ? thanos.accessKeyId : '',
      clusters: ['cluster-1', 'cluster-2'],
    });
  });

  it('warns that Helm owns the cloud-integration Secret, and reports no problem', () => {
    expect(warningCodes(inventory)).toEqual(['ManagedByHelm cluster-1/kubecost/cloud-integration']);
    expect(inventory.problems).toEqual([]);
  });
});

describe('discover on v2-single (2.x singlepod)', () => {
  let world: LayoutWorld;
  let inventory: Inventory;
  beforeAll(async () => {
    world = await startLayout('v2-single');
    inventory = await world.discover();
  });
  afterAll(() => world.stop());

  it('finds one single installation whose cloud-cost container is the only integration reader', () => {
    expect(inventory.installations.map((i) => [i.cluster, i.layout, i.role])).toEqual([
      ['cluster-1', 'v2-single', 'single'],
    ]);
    expect(siteLines(inventory)).toEqual([
      'cluster-1/kubecost/cloud-integration/cloud-integration.json#aws.athena[0].authorizer cloud-integration-nested <- Deployment/kubecost-cost-analyzer:cloud-cost(volume /var/configs/cloud-integration)[cost-analyzer]',
      'cluster-1/kubecost/cloud-integration/cloud-integration.json#azure.storage[0].authorizer cloud-integration-nested <- Deployment/kubecost-cost-analyzer:cloud-cost(volume /var/configs/cloud-integration)[cost-analyzer]',
      'cluster-1/kubecost/kubecost-etl-backup/object-store.yaml#config objstore-gcs <- Deployment/kubecost-cost-analyzer:cloud-cost(volume /var/configs/etl)[cost-analyzer] Deployment/kubecost-cost-analyzer:cost-model(volume /var/configs/etl)[cost-analyzer]',
    ]);
    expect(inventory.warnings).toEqual([]);
  });
});

describe('discover on v2-federated (primary with aggregator, two agentOnly secondaries)', () => {
  let world: LayoutWorld;
  let inventory: Inventory;
  beforeAll(async () => {
    world = await startLayout('v2-federated');
    inventory = await world.discover();
  });
  afterAll(() => world.stop());

  it('finds the primary by its aggregator StatefulSet', () => {
    expect(inventory.installations.map((i) => [i.cluster, i.layout, i.role])).toEqual([
      ['cluster-1', 'v2-federated', 'primary'],
      ['cluster-2', 'v2-federated', 'secondary'],
      ['cluster-3', 'v2-federated', 'secondary'],
    ]);
    expect(inventory.installations[0]?.components.map((c) => `${c.kind}/${c.name}`)).toEqual([
      'StatefulSet/kubecost-aggregator',
      'Deployment/kubecost-cloud-cost',
      'Deployment/kubecost-cost-analyzer',
      'Deployment/kubecost-diagnostics',
      'Deployment/kubecost-prometheus-server',
    ]);
  });

  it('lists the federated store on every cluster with all of its readers on the primary', () => {
    expect(siteLines(inventory).filter((l) => l.includes('federated-store'))).toEqual([
      'cluster-1/kubecost/federated-store/federated-store.yaml#config objstore-gcs <- Deployment/kubecost-cloud-cost:cloud-cost(volume /var/configs/etl/federated)[cloud-cost] Deployment/kubecost-cost-analyzer:cost-model(volume /var/configs/etl/federated)[cost-analyzer] Deployment/kubecost-diagnostics:diagnostics(volume /var/configs/etl)[diagnostics] StatefulSet/kubecost-aggregator:aggregator(volume /var/configs/etl)[aggregator]',
      'cluster-2/kubecost/federated-store/federated-store.yaml#config objstore-gcs <- Deployment/kubecost-cost-analyzer:cost-model(volume /var/configs/etl/federated)[cost-analyzer]',
      'cluster-3/kubecost/federated-store/federated-store.yaml#config objstore-gcs <- Deployment/kubecost-cost-analyzer:cost-model(volume /var/configs/etl/federated)[cost-analyzer]',
    ]);
  });

  it('groups one GCS service-account key across the three clusters', () => {
    expect(grouping(world, inventory)).toEqual({
      'federated-gcs': [
        'cluster-1/kubecost/federated-store/federated-store.yaml#config',
        'cluster-2/kubecost/federated-store/federated-store.yaml#config',
        'cluster-3/kubecost/federated-store/federated-store.yaml#config',
      ],
      'billing-gcp': ['cluster-1/kubecost/cloud-integration/cloud-integration.json#gcp.bigQuery[0].authorizer'],
      'billing-aws': ['cluster-1/kubecost/cloud-integration/cloud-integration.json#aws.s3[0].authorizer'],
      'billing-azure': ['cluster-1/kubecost/cloud-integration/cloud-integration.json#azure.storage[0].authorizer'],
    });
    const federated = inventory.credentials.find((c) => c.id === idOf(world.layout.credentials.get('federated-gcs')));
    expect(federated?.principal).toBe('kubecost-federated@acme-platform.iam.gserviceaccount.com');
    expect(federated?.fingerprint).toMatch(/^[0-9a-f]{12}$/);
  });

  it('warns that an ExternalSecret owns the store Secret on the third cluster', () => {
    expect(warningCodes(inventory)).toEqual(['ManagedByExternalSecret cluster-3/kubecost/federated-store']);
  });
});

describe('discover on v3-federated (3.x names, subPath mount)', () => {
  let world: LayoutWorld;
  let inventory: Inventory;
  beforeAll(async () => {
    world = await startLayout('v3-federated');
    inventory = await world.discover();
  });
  afterAll(() => world.stop());

  it('finds 3.x Secret names and the AWSAssumeRole-wrapped access key', () => {
    expect(inventory.installations.map((i) => [i.cluster, i.layout, i.role, i.chartVersion])).toEqual([
      ['cluster-1', 'v3-federated', 'primary', '3.0.2'],
      ['cluster-2', 'v3-federated', 'secondary', '3.0.2'],
    ]);
    expect(siteLines(inventory)).toEqual([
      'cluster-1/kubecost/kubecost-cloud-cost-integration/cloud-integration.json#aws.athena[0].authorizer.authorizer cloud-integration-nested <- Deployment/kubecost-cloud-cost:cloud-cost(volume /var/configs/cloud-integration)[cloud-cost]',
      'cluster-1/kubecost/kubecost-cloud-cost-integration/cloud-integration.json#gcp.bigQuery[0].authorizer cloud-integration-nested <- Deployment/kubecost-cloud-cost:cloud-cost(volume /var/configs/cloud-integration)[cloud-cost]',
      'cluster-1/kubecost/kubecost-federated-storage-config/federated-store.yaml#config objstore-azure <- Deployment/kubecost-cloud-cost:cloud-cost(volume /var/configs/etl/federated)[cloud-cost] Deployment/kubecost-cost-analyzer:cost-model(volume /var/configs/etl/federated)[cost-analyzer] StatefulSet/kubecost-aggregator:aggregator(subPath /var/configs/federated-store.yaml)[aggregator]',
      'cluster-2/kubecost/kubecost-federated-storage-config/federated-store.yaml#config objstore-azure <- Deployment/kubecost-cost-analyzer:cost-model(volume /var/configs/etl/federated)[cost-analyzer]',
    ]);
    expect(grouping(world, inventory)['federated-azure']).toHaveLength(2);
  });

  it('warns about the subPath mount and the Helm-rendered Secrets', () => {
    expect(warningCodes(inventory)).toEqual([
      'ManagedByHelm cluster-1/kubecost/kubecost-cloud-cost-integration',
      'ManagedByHelm cluster-1/kubecost/kubecost-federated-storage-config',
      'ManagedByHelm cluster-2/kubecost/kubecost-federated-storage-config',
      'SubPathMount cluster-1/kubecost/kubecost-federated-storage-config StatefulSet/kubecost-aggregator',
    ]);
    expect(inventory.warnings.find((w) => w.code === 'SubPathMount')?.message).toContain(
      'must restart to read a new key',
    );
  });
});

describe('discover on mixed (several releases, namespaces, an override, one key in two Secrets)', () => {
  let world: LayoutWorld;
  let inventory: Inventory;
  beforeAll(async () => {
    world = await startLayout('mixed');
    inventory = await world.discover();
  });
  afterAll(() => world.stop());

  it('finds installations by labels whatever their names and namespaces', () => {
    expect(inventory.installations.map((i) => [i.cluster, i.namespace, i.release, i.layout, i.role])).toEqual([
      ['cluster-1', 'cost', 'finops', 'v2-federated', 'primary'],
      ['cluster-2', 'kubecost', 'kubecost', 'v2-federated', 'secondary'],
      ['cluster-3', 'monitoring', 'kubecost', 'v1-single', 'single'],
    ]);
    expect(inventory.installations[0]?.components.find((c) => c.role === 'cost-analyzer')?.name).toBe('cost-suite');
  });

  it('groups the AWS key used for billing and for federated storage into one credential on two clusters', () => {
    const shared = world.layout.credentials.get('shared-aws');
    expect(grouping(world, inventory)['shared-aws']).toEqual([
      'cluster-1/cost/cloud-integration/cloud-integration.json#aws[0]',
      'cluster-1/cost/kubecost-object-store/federated-store.yaml#config',
      'cluster-2/kubecost/kubecost-object-store/federated-store.yaml#config',
    ]);
    expect(inventory.credentials.find((c) => c.id === idOf(shared))?.clusters).toEqual(['cluster-1', 'cluster-2']);
  });

  it('reads legacy service-key.json and azure-storage-config.json Secrets', () => {
    expect(siteLines(inventory).filter((l) => l.startsWith('cluster-3'))).toEqual([
      'cluster-3/monitoring/azure-storage-config/azure-storage-config.json#$ azure-storage-config <- Deployment/kubecost-cost-analyzer:cost-model(volume /var/azure-storage-config)[cost-analyzer]',
      'cluster-3/monitoring/cloud-service-key/service-key.json#$ service-key-json <- Deployment/kubecost-cost-analyzer:cost-model(volume /var/secrets)[cost-analyzer]',
    ]);
  });

  it('warns about the unknown and env consumer, sealed and Argo CD Secrets, the missing Secret and IRSA', () => {
    expect([...new Set(warningCodes(inventory))]).toEqual([
      'AmbientIdentityAvailable cluster-3/monitoring/cloud-service-key Deployment/kubecost-cost-analyzer',
      'EnvConsumer cluster-1/cost/kubecost-object-store Deployment/cur-exporter',
      'ManagedByArgoCD cluster-3/monitoring/cloud-service-key',
      'ManagedBySealedSecret cluster-2/kubecost/kubecost-object-store',
      'MissingSecret cluster-3/monitoring/old-gcp-key Deployment/kubecost-cost-analyzer',
      'UnknownConsumer cluster-1/cost/cloud-integration Deployment/cur-exporter',
      'UnknownConsumer cluster-1/cost/kubecost-object-store Deployment/cur-exporter',
    ]);
    expect(inventory.warnings.find((w) => w.code === 'AmbientIdentityAvailable')?.message).toContain(
      'arn:aws:iam::123456789012:role/kubecost-irsa',
    );
  });

  it('limits discovery to one namespace with -n', async () => {
    const scoped = await world.discover({ namespace: 'monitoring' });
    expect(scoped.installations.map((i) => i.cluster)).toEqual(['cluster-3']);
    expect(scoped.sites.every((s) => s.namespace === 'monitoring')).toBe(true);
  });
});
