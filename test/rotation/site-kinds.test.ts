/**
 * A rotation of each kind of site completes on the layout that has it: cloud integration (AWS,
 * GCP, Azure, Alibaba; legacy and nested, an AssumeRole-wrapped key; 3.x by subPath), federated
 * ETL on every cluster (GCS block scalar, 1.x with a federator, 2.x singlepod, one AWS key in two
 * Secrets), the 2.9+/3.x global store (every consumer by subPath, a custom fileName), the 3.x
 * actions store, cluster-controller key and finops agent pricing API key, Thanos on every cluster
 * (diagnostics too), and ETL backup. Every consumer then uses the new key: once the old key is
 * revoked, nothing fails; and nothing failed while both keys were valid.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { SIM_RESOURCES } from '../../src/sim/kube/index.js';
import {
  layoutSecretValues,
  secretValuesOf,
  successorOf,
  type FakeCredential,
  type LayoutName,
} from '../../src/sim/kubecost/index.js';
import { azureStorageAccountKey, credentialIdentity } from '../../src/kubecost/secret-formats/index.js';
import { fingerprint } from '../../src/shared/fingerprint.js';
import { scanLogForAuthFailures } from '../../src/verify/checks.js';
import { leakedSecrets, runCliInProcess } from '../support/capture.js';
import { startRotationWorld, type RotationWorld } from './world.js';

const worlds = new Map<LayoutName, RotationWorld>();
async function worldFor(name: LayoutName): Promise<RotationWorld> {
  let world = worlds.get(name);
  if (!world) {
    world = await startRotationWorld(name);
    worlds.set(name, world);
  }
  return world;
}

afterAll(async () => {
  for (const w of worlds.values()) await w.stop();
});

/** What a Secret's text must become: the old key's values replaced by the new key's, nothing else. */
function expectedText(before: string, old: FakeCredential, next: FakeCredential): string {
  const pairs: [string, string][] = [];
  if (old.provider === 'aws' && next.provider === 'aws')
    pairs.push([old.accessKeyId, next.accessKeyId], [old.secretAccessKey, next.secretAccessKey]);
  if (old.provider === 'azure' && next.provider === 'azure') pairs.push([old.accountKey, next.accountKey]);
  if (old.provider === 'alibaba' && next.provider === 'alibaba')
    pairs.push([old.accessKeyId, next.accessKeyId], [old.accessKeySecret, next.accessKeySecret]);
  if (old.provider === 'gcp-api-key' && next.provider === 'gcp-api-key') pairs.push([old.apiKey, next.apiKey]);
  if (old.provider === 'gcp' && next.provider === 'gcp') {
    const a = JSON.parse(old.json) as Record<string, string>;
    const b = JSON.parse(next.json) as Record<string, string>;
    // Values as they appear inside JSON text (private_key with its \n escapes).
    for (const field of Object.keys(a))
      if (a[field] !== b[field])
        pairs.push([JSON.stringify(a[field]).slice(1, -1), JSON.stringify(b[field]).slice(1, -1)]);
  }
  return pairs.reduce((text, [from, to]) => text.replaceAll(from, to), before);
}

function secretTexts(world: RotationWorld): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of world.fleet.clusters) {
    for (const s of c.api.select(SIM_RESOURCES.secrets, undefined)) {
      if (s.metadata.name?.startsWith('kubecost-rotate-')) continue;
      for (const [k, v] of Object.entries((s.data as Record<string, string>) ?? {}))
        out.set(
          `${c.name}/${s.metadata.namespace ?? ''}/${s.metadata.name ?? ''}/${k}`,
          Buffer.from(v, 'base64').toString('utf8'),
        );
    }
  }
  return out;
}

/** The credential id discover gives a fake credential. */
function credentialIdOf(c: FakeCredential): string {
  switch (c.provider) {
    case 'aws':
      return `aws:${c.accessKeyId}`;
    case 'alibaba':
      return `alibaba:${c.accessKeyId}`;
    case 'gcp':
      return `gcp:${c.clientEmail}:${c.privateKeyId}`;
    case 'gcp-api-key':
      return `gcp:api-key:${fingerprint(c.apiKey)}`;
    case 'azure':
      return credentialIdentity(azureStorageAccountKey(c.accountName, c.accountKey)).id;
  }
}

/** Sites whose document names no resource: verified through their consumers, not probed. */
const noProbeTarget = (c: FakeCredential, kind: string) =>
  c.provider === 'alibaba' || c.provider === 'gcp-api-key' || kind === 'cluster-controller-key';

const cases: { layout: LayoutName; credential: string; what: string; sites: number; kind?: string }[] = [
  {
    layout: 'v1-thanos',
    credential: 'thanos-s3',
    what: 'Thanos S3 key on every cluster (sidecars, store, compact, and cost-model as ETL backup reader)',
    sites: 2,
  },
  { layout: 'v1-thanos', credential: 'billing-aws', what: 'legacy AWS Athena key with a master payer role', sites: 1 },
  { layout: 'v1-thanos', credential: 'billing-gcp', what: 'legacy GCP BigQuery key object', sites: 1 },
  { layout: 'v1-thanos', credential: 'billing-azure', what: 'legacy Azure storage key', sites: 1 },
  {
    layout: 'v2-single',
    credential: 'etl-backup-gcs',
    what: 'ETL backup GCS key read by cost-model and cloud-cost in one pod',
    sites: 1,
  },
  {
    layout: 'v2-single',
    credential: 'billing-azure',
    what: 'nested Azure storage key of a singlepod cloud-cost',
    sites: 1,
  },
  {
    layout: 'v2-federated',
    credential: 'federated-gcs',
    what: 'federated GCS key (block scalar) on every cluster',
    sites: 3,
  },
  { layout: 'v2-federated', credential: 'billing-gcp', what: 'nested GCP BigQuery key', sites: 1 },
  {
    layout: 'v1-federated',
    credential: 'federated-s3',
    what: '1.x federated ETL key read by cost-model, the federator and the aggregator',
    sites: 2,
  },
  {
    layout: 'v2-singlepod',
    credential: 'federated-s3',
    what: 'federated key of a 2.x singlepod primary (the aggregator container reads it)',
    sites: 2,
  },
  { layout: 'v2-hamode', credential: 'billing-azure', what: 'Azure key of a haMode install', sites: 1 },
  {
    layout: 'v2.9',
    credential: 'federated-s3',
    what: '2.9 global store written by the finops agent and cost-model',
    sites: 2,
    kind: 'global-federated-storage',
  },
  {
    layout: 'v3',
    credential: 'federated-azure',
    what: '3.x global store, every consumer by subPath',
    sites: 2,
    kind: 'global-federated-storage',
  },
  {
    layout: 'v3',
    credential: 'billing-aws',
    what: '3.x cloud integration (subPath) with an AWSAssumeRole-wrapped key',
    sites: 1,
    kind: 'cloud-integration',
  },
  {
    layout: 'v3',
    credential: 'pricing-api-key',
    what: "finops agent's GCP pricing API key (env and file) on every cluster",
    sites: 3,
    kind: 'pricing-api-key',
  },
  {
    layout: 'v3',
    credential: 'cluster-controller-gcp',
    what: "cluster-controller's GCP key on every cluster",
    sites: 3,
    kind: 'cluster-controller-key',
  },
  {
    layout: 'v3.0',
    credential: 'federated-gcs',
    what: '3.0 store under a custom fileName, with the finops-agent alias',
    sites: 2,
    kind: 'global-federated-storage',
  },
  { layout: 'v3.0', credential: 'actions-s3', what: '3.x actions store', sites: 1, kind: 'actions-store' },
  { layout: 'mixed', credential: 'billing-alibaba', what: 'legacy Alibaba key', sites: 1 },
];

describe('rotating each kind of site', () => {
  for (const c of cases) {
    it(`rotates the ${c.what} (${c.layout}), and every consumer then uses the new key`, async () => {
      const world = await worldFor(c.layout);
      const old = world.layout.credentials.get(c.credential) as FakeCredential;
      const { next, keyFile: file } = successorOf(old);
      world.allow(next);
      const before = secretTexts(world);
      const logsFrom = world.logs.length;
      const discovered = await world.discover();
      const record = discovered.credentials.find((r) => r.id === credentialIdOf(old));
      expect(record?.sites).toHaveLength(c.sites);
      if (c.kind)
        expect([...new Set(discovered.sites.filter((s) => s.credential === record?.id).map((s) => s.kind))]).toEqual([
          c.kind,
        ]);
      const run = await runCliInProcess([
        'rotate',
        '--kubeconfig',
        world.kubeconfig,
        '--all-contexts',
        '--credential',
        record?.id ?? '',
        '--new-key-file',
        await world.keyFile(`${c.credential}.json`, file),
        '--yes',
        '--verify-window',
        '800ms',
        '--rollout-timeout',
        '30s',
        // v2-federated keeps a copy in a Secret an ExternalSecret owns; these worlds run no owner that reverts it.
        '--allow-owned',
        ...world.probeFlags,
      ]);
      expect(run.stderr).toBe('');
      expect(run.stdout).toMatch(/: Verified\./);
      expect(run.code).toBe(0);
      // The new key was proven at its provider before anything was written (where a provider check exists).
      expect(run.stdout).toMatch(
        old.provider === 'alibaba' || old.provider === 'gcp-api-key'
          ? /^Not proven: no provider check can prove a (alibaba key|GCP API key) before it is written/m
          : /^Proven: \S+( key \S+)? authenticates as \S+ and reached \d+ resources?/m,
      );
      // The new key was tried directly at the (emulated) provider, on the resource each site names.
      const probes = run.stdout.split('\n').filter((l) => /\b(ok|FAIL)\s+probe /.test(l));
      // A site whose document names no resource is not probed: its consumers' checks speak for it.
      expect(probes).toHaveLength(noProbeTarget(old, c.kind ?? '') ? 0 : c.sites);
      expect(probes.every((l) => /\bok\s+probe .* → (s3|athena|gs|bigquery|azure)/.test(l))).toBe(true);

      // Only the credential fields changed, in exactly the Secrets of the sites.
      const after = secretTexts(world);
      const changed = [...after.keys()].filter((k) => after.get(k) !== before.get(k));
      expect(changed.length).toBeGreaterThan(0);
      for (const key of changed) expect(after.get(key)).toBe(expectedText(before.get(key) ?? '', old, next));
      expect(new Set(changed.map((k) => k.split('/').slice(0, 3).join('/'))).size).toBe(
        new Set(record?.sites.map((s) => s.split('/').slice(0, 3).join('/'))).size,
      );

      // Nothing failed while both keys were valid...
      const during = world.logs
        .slice(logsFrom)
        .map((l) => l.line)
        .join('\n');
      expect(scanLogForAuthFailures(during)).toEqual([]);
      // ...and with the old key revoked, every consumer keeps working.
      world.revoke(old);
      const revokedAt = world.logs.length;
      await new Promise((r) => setTimeout(r, 700));
      const lines = world.logs.slice(revokedAt);
      expect(lines.length).toBeGreaterThan(0);
      expect(
        scanLogForAuthFailures(lines.map((l) => `${l.namespace}/${l.pod}/${l.container} ${l.line}`).join('\n')),
      ).toEqual([]);
      // Next test of this layout starts from the new key.
      world.layout.credentials.set(c.credential, next);

      expect(
        leakedSecrets(run.stdout + run.stderr, [
          ...layoutSecretValues(world.layout),
          ...secretValuesOf(old),
          ...secretValuesOf(next),
        ]),
      ).toEqual([]);
    });
  }
});
