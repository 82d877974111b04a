/**
 * The resources a layout's Secrets name exist at cloud-sim before any Kubecost program ran, as
 * at a real cloud: a check of a site's resource (the pre-write proof of a new key) does not
 * depend on a program having created it on first use.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probe, type ProbeTarget, type ProviderCredential } from '../../src/providers/index.js';
import { SecretValue } from '../../src/shared/secret-value.js';
import { prepareCloudForLayout, provisionResources, startCloudSim, type CloudSim } from '../../src/sim/cloud/index.js';
import { installLayout, type FakeCredential } from '../../src/sim/kubecost/index.js';

let sim: CloudSim;
beforeAll(async () => {
  sim = await startCloudSim();
});
afterAll(() => sim.stop());

/** A fleet that takes the layout's objects and runs no program. */
const idleFleet = (names: string[]) => ({
  clusters: names.map((name) => ({ name, apply: () => undefined, kubelet: { bind: () => () => undefined } })),
});

describe('provisionResources', () => {
  it("creates the billing container a haMode install's cloud integration names, before any program reads it", async () => {
    const layout = installLayout(idleFleet(['cluster-1']), 'v2-hamode');
    prepareCloudForLayout(sim, layout);
    const key = layout.credentials.get('billing-azure') as FakeCredential & { provider: 'azure' };
    const credential: ProviderCredential = {
      provider: 'azure',
      accountName: key.accountName,
      accountKey: new SecretValue(key.accountKey),
    };
    const target: ProbeTarget = {
      kind: 'azure-blob',
      account: key.accountName,
      container: 'costexports',
      endpoint: sim.azure.blobUrl(key.accountName),
    };
    const signal = AbortSignal.timeout(30_000);
    expect(await probe(credential, target, signal)).toMatchObject({ ok: false, code: 'ContainerNotFound' });
    await provisionResources(sim, layout.documents ?? []);
    expect(await probe(credential, target, signal)).toMatchObject({ ok: true });
  });

  it('creates the buckets of object-store configs and the Athena output bucket of a Thanos fleet', async () => {
    const layout = installLayout(idleFleet(['cluster-1', 'cluster-2']), 'v1-thanos');
    prepareCloudForLayout(sim, layout);
    await provisionResources(sim, layout.documents ?? []);
    const key = layout.credentials.get('thanos-s3') as FakeCredential & { provider: 'aws' };
    const credential: ProviderCredential = {
      provider: 'aws',
      accessKeyId: key.accessKeyId,
      secretAccessKey: new SecretValue(key.secretAccessKey),
    };
    const docs = (layout.documents ?? []).join('\n');
    const bucket = /bucket: "?([a-z0-9.-]+)"?/.exec(docs)?.[1] ?? '';
    expect(bucket).not.toBe('');
    const result = await probe(
      credential,
      { kind: 's3', bucket, region: 'us-east-1', endpoint: sim.endpoints.s3, forcePathStyle: true },
      AbortSignal.timeout(30_000),
    );
    expect(result).toMatchObject({ ok: true });
  });
});
