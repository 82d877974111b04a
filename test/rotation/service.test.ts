/**
 * The rotation service without the CLI: its dependencies are injected (here a probe that fails in a
 * way nobody planned for), and an unexpected error leaves a journal a human can act on (defect 3).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProgressStream, type ProgressEvent } from '../../src/rotation/progress.js';
import { RotationService } from '../../src/rotation/service.js';
import { systemClock } from '../../src/shared/clock.js';
import { fakeAwsKey, type FakeCredential } from '../../src/sim/kubecost/index.js';
import { journalById, snapshotDiff, snapshotSecrets } from './harness.js';
import { startRotationWorld, type RotationWorld } from './world.js';

let world: RotationWorld;
beforeAll(async () => {
  world = await startRotationWorld('v2-single', { backend: 'memory' });
});
afterAll(() => world.stop());

describe('an unexpected error during a rotation', () => {
  it('ends the journal NeedsHuman with the commands that resume or roll it back, and rollback then undoes it', async () => {
    const current = world.layout.credentials.get('billing-aws') as FakeCredential & { provider: 'aws' };
    const next = fakeAwsKey(current.user) as FakeCredential & { provider: 'aws' };
    world.allow(next);
    const before = snapshotSecrets(world);
    const service = new RotationService({
      clock: systemClock,
      retry: { attempts: 2, baseMs: 50 },
      probe: () => Promise.reject(new TypeError("Cannot read properties of undefined (reading 'bucket')")),
    });
    const selection = { kubeconfig: world.kubeconfig, allContexts: true };
    const prepared = await service.prepare({
      selection,
      credential: current.accessKeyId,
      newKey: {
        text: JSON.stringify({ accessKeyId: next.accessKeyId, secretAccessKey: next.secretAccessKey }),
        source: 'test',
      },
      options: { verifyWindowMs: 300, rolloutTimeoutMs: 30_000 },
    });
    const events: ProgressEvent[] = [];
    const stream = new ProgressStream();
    stream.subscribe((e) => events.push(e));
    const outcome = await service.rotate(prepared, stream);
    const id = prepared.plan.id;
    expect(outcome.phase).toBe('NeedsHuman');
    expect(outcome.message).toContain("TypeError: Cannot read properties of undefined (reading 'bucket')");
    expect(outcome.message).toContain(`kubecost-rotate resume ${id}`);
    expect(outcome.message).toContain(`kubecost-rotate rollback ${id}`);
    expect(journalById(world, id)?.doc.phase).toBe('NeedsHuman');
    expect(events.at(-1)).toMatchObject({ type: 'result', rotation: id, phase: 'NeedsHuman' });
    expect(events.every((e) => e.rotation === id)).toBe(true);

    const undone = await service.rollback(id, selection, {}, new ProgressStream());
    expect(undone.phase).toBe('RolledBack');
    expect(snapshotDiff(before, snapshotSecrets(world))).toEqual([]);
  });
});
