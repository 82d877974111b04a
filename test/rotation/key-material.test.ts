/**
 * Key material a journal keeps (issue 8, defect 11): only the data keys a rotation changes are backed
 * up; the new values are dropped once Verified (digests stay); the old ones until the old key is
 * retired or the backup expires (`--keep-backup`), after which a rollback is refused, saying why;
 * and a rotation whose journal would not fit in one Secret (1 MiB) is refused with nothing written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.js';
import { selectClusters } from '../../src/kube/kubeconfig.js';
import { Journal } from '../../src/rotation/journal/journal.js';
import { ProgressStream } from '../../src/rotation/progress.js';
import { RotationService } from '../../src/rotation/service.js';
import { systemClock, type Clock } from '../../src/shared/clock.js';
import { SIM_RESOURCES } from '../../src/sim/kube/index.js';
import { fakeAwsKey, layoutSecretValues, type FakeCredential } from '../../src/sim/kubecost/index.js';
import { leakedSecrets, runCliInProcess } from '../support/capture.js';
import { decode, journalById, journals, MANAGED_BY_SELECTOR, snapshotDiff, snapshotSecrets } from './harness.js';
import { startRotationWorld, type RotationWorld } from './world.js';

type AwsKey = FakeCredential & { provider: 'aws' };

let world: RotationWorld;
/** Time as the service sees it: real time moved on by `shift` ms (to let a backup expire). */
let shift = 0;
const clock: Clock = { ...systemClock, now: () => new Date(Date.now() + shift) };
const service = new RotationService({ clock, retry: { attempts: 2, baseMs: 50 } });
const UNRELATED = 'notes.txt';
const UNRELATED_VALUE = 'an unrelated value in the same Secret, 7f3a9c2e41d84b6aa0c5e9b1d2f48c73';

const cluster = () => world.fleet.cluster('cluster-1');
const integration = () => cluster().api.get(SIM_RESOURCES.secrets, 'kubecost', 'cloud-integration');
const dataOf = (o: object) => (o as { data?: Record<string, string> }).data ?? {};
const selection = () => ({ kubeconfig: world.kubeconfig, allContexts: true });
let current: AwsKey;

/** Rotates the billing key to a new one through the service; returns the new key and the rotation id. */
async function rotate(options: { keepBackupMs?: number } = {}): Promise<{ next: AwsKey; id: string }> {
  const next = fakeAwsKey(current.user) as AwsKey;
  world.allow(next);
  const prepared = await service.prepare({
    selection: selection(),
    credential: current.accessKeyId,
    newKey: {
      text: JSON.stringify({ accessKeyId: next.accessKeyId, secretAccessKey: next.secretAccessKey }),
      source: 'test',
    },
    options: { verifyWindowMs: 300, rolloutTimeoutMs: 30_000, ...options },
  });
  const outcome = await service.rotate(prepared, new ProgressStream());
  expect(outcome.phase, outcome.message).toBe('Verified');
  return { next, id: prepared.plan.id };
}

/** Every value a journal Secret holds, decoded (a blob holds a Secret's data value: decoded, it is the file). */
function journalText(id: string): string {
  const secret = cluster()
    .api.select(SIM_RESOURCES.secrets, 'kubecost', { labelSelector: MANAGED_BY_SELECTOR })
    .find((s) => decode(dataOf(s)['journal.json']).includes(id));
  return Object.entries(dataOf(secret ?? {}))
    .map(([, v]) => decode(v))
    .join('\n');
}

beforeAll(async () => {
  world = await startRotationWorld('v2-single', { backend: 'memory' });
  current = world.layout.credentials.get('billing-aws') as AwsKey;
  // A data key the rotation does not change, next to the one it does.
  const secret = integration();
  cluster().apply({
    ...secret,
    data: { ...dataOf(secret), [UNRELATED]: Buffer.from(UNRELATED_VALUE).toString('base64') },
  });
}, 120_000);

afterAll(() => world.stop());

describe('a Verified journal', () => {
  let rotation: { next: AwsKey; id: string };
  let old: AwsKey;
  beforeAll(async () => {
    old = current;
    rotation = await rotate();
    current = rotation.next;
  }, 120_000);

  it('holds no new key and no new data, and of the Secret only the old value of the key it changed', () => {
    const text = journalText(rotation.id);
    expect(leakedSecrets(text, [rotation.next.secretAccessKey])).toEqual([]);
    expect(text).not.toContain(UNRELATED_VALUE);
    // The old value of the changed key stays, for rollback --force (asserted without printing it).
    expect(text.includes(old.secretAccessKey), 'the old key is kept').toBe(true);
    const view = journalById(world, rotation.id);
    expect(view?.dataKeys.filter((k) => !k.startsWith('blob.'))).toEqual(['backups.json', 'journal.json']);
    expect(view?.dataKeys.filter((k) => k.startsWith('blob.'))).toHaveLength(1);
    const doc = JSON.parse(view?.raw ?? '{}') as { retention?: { keepUntil?: string } };
    expect(Date.parse(doc.retention?.keepUntil ?? '') - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
  });

  it('is rolled back with --force to the old value of the changed key only: an edit to another key made meanwhile stays', async () => {
    const edited = 'edited after the rotation';
    const secret = integration();
    cluster().apply({ ...secret, data: { ...dataOf(secret), [UNRELATED]: Buffer.from(edited).toString('base64') } });
    const outcome = await service.rollback(rotation.id, selection(), { force: true }, new ProgressStream());
    expect(outcome.phase, outcome.message).toBe('RolledBack');
    const after = integration();
    expect(decode(dataOf(after)[UNRELATED])).toBe(edited);
    expect(decode(dataOf(after)['cloud-integration.json'])).toContain(old.accessKeyId);
    expect(decode(dataOf(after)['cloud-integration.json'])).not.toContain(rotation.next.accessKeyId);
    expect(Object.keys(after.metadata.annotations ?? {}).filter((k) => k.startsWith('kubecost-rotate.io/'))).toEqual(
      [],
    );
    expect(journalById(world, rotation.id)?.dataKeys).toEqual(['journal.json']);
    current = old;
  });
});

describe('a backup', () => {
  it('that outlived --keep-backup is dropped when the journals are next listed, and rollback is then refused saying why', async () => {
    const old = current;
    const { id, next } = await rotate({ keepBackupMs: 60_000 });
    current = next;
    expect(journalText(id).includes(old.secretAccessKey), 'the old key is kept until the backup expires').toBe(true);
    shift = 61_000;
    try {
      const listing = await service.history(selection());
      const listed = listing.rotations.find((r) => r.id === id);
      expect(listed?.retention?.droppedAt).toBeDefined();
      expect(journalById(world, id)?.dataKeys).toEqual(['backups.json', 'journal.json']);
      expect(leakedSecrets(journalText(id), layoutSecretValues(world.layout))).toEqual([]);
      const before = snapshotSecrets(world);
      const refused = await runCliInProcess(['rollback', id, '--force', '--kubeconfig', world.kubeconfig]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(`rotation ${id} can no longer be rolled back`);
      expect(refused.stderr).toContain('the backup expired 60s after the rotation was verified (--keep-backup)');
      expect(refused.stderr).toContain(`kubecost-rotate rotate --credential ${next.accessKeyId}`);
      expect(snapshotDiff(before, snapshotSecrets(world))).toEqual([]);
      expect(journalById(world, id)?.doc.phase).toBe('Verified');
    } finally {
      shift = 0;
    }
  });

  it('is dropped by the retire step (dropBackups), after which rollback is refused naming the retired key', async () => {
    const { id, next } = await rotate();
    current = next;
    const [target] = selectClusters({ kubeconfig: world.kubeconfig, contexts: ['cluster-1'] });
    const journal = await Journal.load(new KubeClient(target as never), 'kubecost', id, { clock });
    await journal.dropBackups('the old key was retired');
    expect(journalById(world, id)?.dataKeys).toEqual(['backups.json', 'journal.json']);
    const refused = await service
      .rollback(id, selection(), { force: true }, new ProgressStream())
      .catch((error: unknown) => error as Error);
    expect((refused as Error).message).toContain('(the old key was retired)');
  });
});

describe('a rotation whose journal would not fit in one Secret', () => {
  let original: string | undefined;
  /** Pads the changed data key with whitespace (still the same JSON and key) to `bytes`; 0 puts it back. */
  const pad = (bytes: number) => {
    const secret = integration();
    original ??= dataOf(secret)['cloud-integration.json'] ?? '';
    const text = decode(original);
    const value = bytes === 0 ? original : Buffer.from(text + ' '.repeat(bytes - text.length)).toString('base64');
    cluster().apply({ ...secret, data: { ...dataOf(secret), 'cloud-integration.json': value } });
    if (bytes === 0) original = undefined;
  };

  it('is refused before the Lease and before any write, naming its size and what to do', async () => {
    pad(600 * 1024);
    try {
      const before = snapshotSecrets(world);
      const next = fakeAwsKey(current.user) as AwsKey;
      world.allow(next);
      const run = await runCliInProcess([
        'rotate',
        '--kubeconfig',
        world.kubeconfig,
        '--all-contexts',
        '--credential',
        current.accessKeyId,
        '--new-key-file',
        await world.keyFile('big.json', { accessKeyId: next.accessKeyId, secretAccessKey: next.secretAccessKey }),
        '--yes',
        '--no-probe',
      ]);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(/the journal of this rotation would hold about \d+ bytes \(1\.\d\d MiB/);
      expect(run.stderr).toContain('more than the 1048576 bytes (1 MiB) a Kubernetes Secret can hold');
      expect(run.stderr).toContain('Rotate fewer clusters per run');
      expect(snapshotDiff(before, snapshotSecrets(world))).toEqual([]);
      expect(cluster().api.select(SIM_RESOURCES.leases, undefined)).toEqual([]);
      expect(journals(world).filter((j) => !['Verified', 'RolledBack'].includes(j.doc.phase))).toEqual([]);
    } finally {
      pad(0);
    }
  });

  it('when it grew after the plan, is stopped before the first write: RolledBack, nothing changed, no backup kept', async () => {
    const next = fakeAwsKey(current.user) as AwsKey;
    world.allow(next);
    const prepared = await service.prepare({
      selection: selection(),
      credential: current.accessKeyId,
      newKey: {
        text: JSON.stringify({ accessKeyId: next.accessKeyId, secretAccessKey: next.secretAccessKey }),
        source: 'test',
      },
      options: { verifyWindowMs: 300, rolloutTimeoutMs: 30_000 },
    });
    pad(600 * 1024);
    try {
      const before = snapshotSecrets(world);
      const outcome = await service.rotate(prepared, new ProgressStream());
      expect(outcome.phase).toBe('RolledBack');
      expect(outcome.message).toContain('more than the 1048576 bytes (1 MiB) a Kubernetes Secret can hold');
      expect(outcome.message).toContain('Nothing was changed');
      expect(snapshotDiff(before, snapshotSecrets(world))).toEqual([]);
      expect(journalById(world, prepared.plan.id)?.dataKeys).toEqual(['journal.json']);
    } finally {
      pad(0);
    }
  });
});
