/**
 * Secrets whose value another controller owns (issue 8, defect 13): an ExternalSecret's Secret is
 * refused by default, naming where to change the key instead; with --allow-owned it is written,
 * the owner puts the old value back, the final re-read sees it and the rotation rolls back (taking
 * off the annotations the owner left).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIM_RESOURCES } from '../../src/sim/kube/index.js';
import { revertOwnedSecrets, successorOf, type FakeCredential } from '../../src/sim/kubecost/index.js';
import { runCliInProcess } from '../support/capture.js';
import { MANAGED_BY_SELECTOR, snapshotDiff, snapshotSecrets } from './harness.js';
import { startRotationWorld, type RotationWorld } from './world.js';

let world: RotationWorld;
let stopOwners: () => void;
let old: FakeCredential;
let credentialId: string;

beforeAll(async () => {
  world = await startRotationWorld('v2-federated', { backend: 'memory' });
  stopOwners = revertOwnedSecrets(world.fleet.cluster('cluster-3'), { delayMs: 300 });
  old = world.layout.credentials.get('federated-gcs') as FakeCredential;
  const inventory = await world.discover();
  credentialId =
    inventory.sites.find((s) => s.cluster === 'cluster-3' && s.secret === 'federated-store')?.credential ?? '';
}, 120_000);

afterAll(async () => {
  stopOwners();
  await world.stop();
});

const args = async (...extra: string[]) => {
  const { next, keyFile } = successorOf(old);
  world.allow(next);
  return [
    'rotate',
    '--kubeconfig',
    world.kubeconfig,
    '--all-contexts',
    '--credential',
    credentialId,
    '--new-key-file',
    await world.keyFile('owned.json', keyFile),
    '--yes',
    '--verify-window',
    '1500ms',
    '--rollout-timeout',
    '60s',
    ...extra,
  ];
};

const journals = () =>
  world.fleet.clusters.flatMap((c) =>
    c.api.select(SIM_RESOURCES.secrets, undefined, { labelSelector: MANAGED_BY_SELECTOR }),
  );

describe('a Secret an ExternalSecret owns', () => {
  it('is refused by default, naming the Secret, its owner and where to change the key, with nothing written', async () => {
    const before = snapshotSecrets(world);
    const run = await runCliInProcess(await args());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'Secret kubecost/federated-store on cluster-3: owned by ExternalSecret federated-store; change the key in the external store',
    );
    expect(run.stderr).toContain('--allow-owned');
    expect(snapshotDiff(before, snapshotSecrets(world))).toEqual([]);
    expect(journals()).toEqual([]);
  });

  it('with --allow-owned is written, put back by its owner, caught by the final re-read, and everything rolls back', async () => {
    const before = snapshotSecrets(world);
    const run = await runCliInProcess(await args('--allow-owned'));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/FAIL\s+secret-holds-new-key cluster-3\/kubecost\/federated-store/);
    expect(run.stdout).toMatch(/rotation \S+: RolledBack\./);
    // Every byte is the old one again: the owner put the data back but left the rotation's annotations,
    // which rollback then takes off.
    expect(snapshotDiff(before, snapshotSecrets(world))).toEqual([]);
  });
});
