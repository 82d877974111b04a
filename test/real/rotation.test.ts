/**
 * `rotate` ends Verified on the real control plane for every kind of site (the kube-sim version is
 * test/rotation/site-kinds.test.ts): Thanos, cloud integration, ETL backup, 1.x/2.x federated ETL,
 * the 2.9+/3.x global store, the 3.x actions store, the cluster-controller key and the finops
 * agent's pricing API key. Three real clusters; the Kubecost programs run on node agents and use
 * their keys against the emulated clouds; the CLI drives the real API servers through the
 * kubeconfig kcp wrote. After each rotation only the key's bytes changed, in exactly the site
 * Secrets, and with the old key revoked every consumer keeps working.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Inventory } from '../../src/kubecost/inventory.js';
import type { SiteKind } from '../../src/kubecost/restart-rules.js';
import {
  layoutSecretValues,
  secretValuesOf,
  successorOf,
  type FakeCredential,
  type LayoutName,
} from '../../src/sim/kubecost/index.js';
import { scanLogForAuthFailures } from '../../src/verify/checks.js';
import { leakedSecrets } from '../support/capture.js';
import { credentialIdOf, expectedText, snapshotRealSecrets, textsOf } from './support/secrets.js';
import { keepLogsOnFailure, startRealWorld, type RealWorld } from './support/world.js';

let world: RealWorld;
keepLogsOnFailure(() => world);

beforeAll(async () => {
  world = await startRealWorld({ clusters: 3 });
});

afterAll(async () => {
  await world?.stop();
});

/** One rotation per kind of site, grouped by the layout that has it. */
const cases: { layout: LayoutName; credential: string; kind: SiteKind; what: string }[] = [
  { layout: 'v1-thanos', credential: 'thanos-s3', kind: 'thanos', what: 'Thanos S3 key on every cluster' },
  {
    layout: 'v1-thanos',
    credential: 'billing-aws',
    kind: 'cloud-integration',
    what: 'legacy AWS Athena cloud integration key',
  },
  { layout: 'v2-single', credential: 'etl-backup-gcs', kind: 'etl-backup', what: 'ETL backup GCS key' },
  {
    layout: 'v2-federated',
    credential: 'federated-gcs',
    kind: 'federated-etl',
    what: 'federated ETL GCS key on every cluster',
  },
  {
    layout: 'v3',
    credential: 'federated-azure',
    kind: 'global-federated-storage',
    what: '3.x global store, every consumer by subPath',
  },
  {
    layout: 'v3',
    credential: 'pricing-api-key',
    kind: 'pricing-api-key',
    what: "finops agent's GCP pricing API key",
  },
  {
    layout: 'v3',
    credential: 'cluster-controller-gcp',
    kind: 'cluster-controller-key',
    what: "cluster-controller's GCP key",
  },
  { layout: 'v3.0', credential: 'actions-s3', kind: 'actions-store', what: '3.x actions store' },
];

/** Sites whose document names no resource: verified through their consumers, not probed. */
const probesAResource = (c: FakeCredential, kind: SiteKind) =>
  c.provider !== 'alibaba' && c.provider !== 'gcp-api-key' && kind !== 'cluster-controller-key';

let installed: LayoutName | undefined;

describe('rotate on the real control plane', () => {
  for (const c of cases) {
    it(`rotates the ${c.what} (${c.layout}, ${c.kind}) to Verified with exit 0, and every consumer then uses the new key`, async () => {
      if (installed !== c.layout) {
        await world.install(c.layout);
        installed = c.layout;
      }
      const old = world.layout.credentials.get(c.credential) as FakeCredential;
      const { next, keyFile } = successorOf(old);
      world.allow(next);
      const discovered = await world.cli([
        'discover',
        '-o',
        'json',
        '--kubeconfig',
        world.kubeconfig,
        '--all-contexts',
      ]);
      const inventory = JSON.parse(discovered.stdout) as Inventory;
      const record = inventory.credentials.find((r) => r.id === credentialIdOf(old));
      expect(record, `discover finds ${credentialIdOf(old)}`).toBeDefined();
      const kinds = new Set(inventory.sites.filter((s) => s.credential === record?.id).map((s) => s.kind));
      expect([...kinds]).toEqual([c.kind]);
      const before = textsOf(await snapshotRealSecrets(world));
      const logsFrom = world.logs.length;

      const run = await world.cli([
        'rotate',
        '--kubeconfig',
        world.kubeconfig,
        '--all-contexts',
        '--credential',
        record?.id ?? '',
        '--new-key-file',
        await world.keyFile(`${c.credential}.json`, keyFile),
        '--yes',
        '--verify-window',
        '1s',
        '--rollout-timeout',
        '60s',
        // Some copies are managed by an ExternalSecret, a SealedSecret or Argo CD (no controller reverts them here).
        '--allow-owned',
        ...world.probeFlags,
      ]);
      expect(run.stderr).toBe('');
      expect(run.stdout).toMatch(/: Verified\./);
      expect(run.code).toBe(0);
      const probes = run.stdout.split('\n').filter((l) => /\b(ok|FAIL)\s+probe /.test(l));
      // A site whose document names no resource has no direct probe (its consumers' checks speak for it).
      expect(probes).toHaveLength(probesAResource(old, c.kind) ? (record?.sites.length ?? -1) : 0);
      expect(probes.every((l) => /\bok\s+probe /.test(l))).toBe(true);
      expect(probes.every((l) => / → (s3|athena|gs|bigquery|azure)/.test(l))).toBe(true);

      // Only the credential's bytes changed, in exactly the Secrets of the sites.
      const after = textsOf(await snapshotRealSecrets(world));
      const changed = [...after.keys()].filter((k) => after.get(k) !== before.get(k));
      expect(changed.length).toBeGreaterThan(0);
      for (const key of changed)
        expect(after.get(key) === expectedText(before.get(key) ?? '', old, next), key).toBe(true);
      expect(new Set(changed.map((k) => k.split('/').slice(0, 3).join('/')))).toEqual(
        new Set(record?.sites.map((s) => s.split('/').slice(0, 3).join('/'))),
      );

      // Nothing failed while both keys were valid, and with the old key revoked every consumer keeps working.
      const during = world.logs
        .slice(logsFrom)
        .map((l) => `${l.namespace}/${l.pod}/${l.container} ${l.line}`)
        .join('\n');
      expect(scanLogForAuthFailures(during)).toEqual([]);
      world.revoke(old);
      const revokedAt = world.logs.length;
      await new Promise((r) => setTimeout(r, 1000));
      const lines = world.logs.slice(revokedAt);
      expect(lines.length).toBeGreaterThan(0);
      expect(
        scanLogForAuthFailures(lines.map((l) => `${l.namespace}/${l.pod}/${l.container} ${l.line}`).join('\n')),
      ).toEqual([]);
      world.layout.credentials.set(c.credential, next);
      expect(
        leakedSecrets(run.stdout + run.stderr + discovered.stdout, [
          ...layoutSecretValues(world.layout),
          ...secretValuesOf(old),
          ...secretValuesOf(next),
        ]),
      ).toEqual([]);
      expect(world.agentErrors).toEqual([]);
    });
  }
});
