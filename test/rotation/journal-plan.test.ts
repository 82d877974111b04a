/**
 * The journal's plan Secret (schema 4, journal/plan-part.ts): written once before the head and never
 * again, whatever the rotation does; a journal of schema 3 (one Secret, the plan inline) is still
 * rolled back; an orphan plan Secret (a crash before the head) blocks nothing; a head whose plan
 * Secret is missing is a clear error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.js';
import { selectClusters } from '../../src/kube/kubeconfig.js';
import { JournalUnreadableError } from '../../src/rotation/journal/document.js';
import { Journal, listJournals } from '../../src/rotation/journal/journal.js';
import { planSecretOf } from '../../src/rotation/journal/plan-part.js';
import type { RotationPlan } from '../../src/rotation/plan.js';
import { ProgressStream } from '../../src/rotation/progress.js';
import { RotationService } from '../../src/rotation/service.js';
import { systemClock } from '../../src/shared/clock.js';
import { SIM_RESOURCES, type KubeObject } from '../../src/sim/kube/index.js';
import { fakeAwsKey, type FakeCredential } from '../../src/sim/kubecost/index.js';
import { decode, journalById, snapshotDiff, snapshotSecrets } from './harness.js';
import { startRotationWorld, type RotationWorld } from './world.js';

let world: RotationWorld;
beforeAll(async () => {
  world = await startRotationWorld('v2-single', { backend: 'memory' });
});
afterAll(() => world.stop());

const selection = () => ({ kubeconfig: world.kubeconfig, allContexts: true });
const dataOf = (o: KubeObject | undefined) => (o?.data as Record<string, string> | undefined) ?? {};

/** A rotation left NeedsHuman by a probe that fails in a way nobody planned for (as service.test.ts). */
async function stoppedRotation(): Promise<{ service: RotationService; plan: RotationPlan }> {
  const current = world.layout.credentials.get('billing-aws') as FakeCredential & { provider: 'aws' };
  const next = fakeAwsKey(current.user) as FakeCredential & { provider: 'aws' };
  world.allow(next);
  const service = new RotationService({
    clock: systemClock,
    retry: { attempts: 2, baseMs: 50 },
    probe: () => Promise.reject(new TypeError('unexpected')),
  });
  const prepared = await service.prepare({
    selection: selection(),
    credential: current.accessKeyId,
    newKey: {
      text: JSON.stringify({ accessKeyId: next.accessKeyId, secretAccessKey: next.secretAccessKey }),
      source: 'test',
    },
    options: { verifyWindowMs: 300, rolloutTimeoutMs: 30_000 },
  });
  const outcome = await service.rotate(prepared, new ProgressStream());
  expect(outcome.phase).toBe('NeedsHuman');
  return { service, plan: prepared.plan };
}

function clientOf(cluster: string): KubeClient {
  const [target] = selectClusters({ kubeconfig: world.kubeconfig, contexts: [cluster] });
  if (!target) throw new Error(`no context ${cluster}`);
  return new KubeClient(target);
}

describe("the journal's plan Secret", () => {
  it('is written once, before the head, and never again through a rotation and its rollback; the head holds no site', async () => {
    const before = snapshotSecrets(world);
    const writes: { name: string; type: string }[] = [];
    const stops = world.fleet.clusters.map((c) =>
      c.store.subscribe((e) => {
        if (e.def === SIM_RESOURCES.secrets && e.object.metadata.name?.startsWith('kubecost-rotate-'))
          writes.push({ name: e.object.metadata.name, type: e.type });
      }),
    );
    try {
      const { service, plan } = await stoppedRotation();
      expect((await service.rollback(plan.id, selection(), {}, new ProgressStream())).phase).toBe('RolledBack');
      const planName = `kubecost-rotate-${plan.id}-plan`;
      expect(writes.filter((w) => w.name === planName)).toEqual([{ name: planName, type: 'ADDED' }]);
      expect(writes[0]?.name, 'the plan Secret comes first').toBe(planName);
      const heads = writes.filter((w) => w.name === plan.journal.secret);
      expect(heads.length).toBeGreaterThan(5);
      const cluster = world.fleet.cluster(plan.journal.cluster);
      const planSecret = cluster.api.get(SIM_RESOURCES.secrets, plan.journal.namespace, planName);
      expect(planSecret.immutable).toBe(true);
      const head = JSON.parse(
        decode(
          dataOf(cluster.api.get(SIM_RESOURCES.secrets, plan.journal.namespace, plan.journal.secret))['journal.json'],
        ),
      ) as { schemaVersion: number; plan: Record<string, unknown> };
      expect(head.schemaVersion).toBe(4);
      expect(Object.keys(head.plan)).not.toContain('sites');
      expect(Object.keys(JSON.parse(decode(dataOf(planSecret)['plan.json'])) as object)).toContain('sites');
      // What the commands read still sees the whole plan.
      expect(journalById(world, plan.id)?.doc.plan.restarts.length).toBeGreaterThan(0);
      expect(snapshotDiff(before, snapshotSecrets(world))).toEqual([]);
    } finally {
      for (const stop of stops) stop();
    }
  });

  it('is not needed by a journal of schema 3 (one Secret, the plan inline), which is still rolled back', async () => {
    const before = snapshotSecrets(world);
    const { service, plan } = await stoppedRotation();
    const cluster = world.fleet.cluster(plan.journal.cluster);
    const ns = plan.journal.namespace;
    const head = cluster.api.get(SIM_RESOURCES.secrets, ns, plan.journal.secret);
    const planName = `kubecost-rotate-${plan.id}-plan`;
    const body = JSON.parse(
      decode(dataOf(cluster.api.get(SIM_RESOURCES.secrets, ns, planName))['plan.json']),
    ) as object;
    const { planSecret: _ref, ...doc } = JSON.parse(decode(dataOf(head)['journal.json'])) as {
      plan: object;
      planSecret?: unknown;
    };
    const v3 = { ...doc, schemaVersion: 3, plan: { ...doc.plan, ...body } };
    cluster.apply({
      ...head,
      data: { ...dataOf(head), 'journal.json': Buffer.from(JSON.stringify(v3)).toString('base64') },
    });
    cluster.api.delete(SIM_RESOURCES.secrets, ns, planName);

    expect((await service.rollback(plan.id, selection(), {}, new ProgressStream())).phase).toBe('RolledBack');
    expect(snapshotDiff(before, snapshotSecrets(world))).toEqual([]);
    // Saved as it was read: one Secret, the plan inline.
    const saved = JSON.parse(
      decode(dataOf(cluster.api.get(SIM_RESOURCES.secrets, ns, plan.journal.secret))['journal.json']),
    ) as { planSecret?: unknown; plan: { sites?: unknown[] } };
    expect(saved.planSecret).toBeUndefined();
    expect(saved.plan.sites?.length).toBeGreaterThan(0);
    expect(cluster.api.select(SIM_RESOURCES.secrets, ns).some((s) => s.metadata.name === planName)).toBe(false);
  });

  it('left without a head by a crash blocks nothing: listing ignores it and the next create of that rotation replaces it', async () => {
    const { service, plan } = await stoppedRotation(); // a real plan, to take its shape
    expect((await service.rollback(plan.id, selection(), {}, new ProgressStream())).phase).toBe('RolledBack');
    const id = '20261203-120000-orph';
    const orphanOf: RotationPlan = {
      ...plan,
      id,
      journal: { ...plan.journal, secret: `kubecost-rotate-${id}` },
      warnings: ['an older plan of this id'],
    };
    const client = clientOf(plan.journal.cluster);
    await client.createSecret(planSecretOf(orphanOf, plan.journal.namespace).secret);
    const listed = await listJournals(client, plan.journal.namespace);
    expect(listed.map((d) => d.id)).not.toContain(id);
    expect(listed.map((d) => d.id)).toContain(plan.id);

    const fresh: RotationPlan = { ...orphanOf, warnings: [] };
    await Journal.create(client, fresh, undefined, { clock: systemClock });
    const loaded = await Journal.load(client, plan.journal.namespace, id, { clock: systemClock });
    expect(loaded.plan.warnings).toEqual([]);
    expect(loaded.plan.sites).toEqual(plan.sites);
    expect((await listJournals(client, plan.journal.namespace)).map((d) => d.id)).toContain(id);
    await loaded.end('RolledBack', 'test over');
  });

  it('when missing, makes its head unreadable with a clear error naming both Secrets and what to do', async () => {
    const { service, plan } = await stoppedRotation();
    const ns = plan.journal.namespace;
    const cluster = world.fleet.cluster(plan.journal.cluster);
    const planSecret = cluster.api.get(SIM_RESOURCES.secrets, ns, `kubecost-rotate-${plan.id}-plan`);
    cluster.api.delete(SIM_RESOURCES.secrets, ns, `kubecost-rotate-${plan.id}-plan`);
    const client = clientOf(plan.journal.cluster);
    const message = `the journal ${plan.journal.secret} cannot be read: its plan Secret ${plan.journal.secret}-plan is missing (it was deleted or edited by hand. Restore it from a backup of the namespace, or, if the rotation is over, delete the journal Secret ${plan.journal.secret}).`;
    const loading = Journal.load(client, ns, plan.id, { clock: systemClock });
    await expect(loading).rejects.toBeInstanceOf(JournalUnreadableError);
    await expect(loading).rejects.toThrow(message);
    await expect(listJournals(client, ns)).rejects.toThrow(message);
    // Put back, the journal is whole again.
    const { resourceVersion: _rv, uid: _uid, ...metadata } = planSecret.metadata;
    cluster.apply({ ...planSecret, metadata });
    expect((await service.rollback(plan.id, selection(), {}, new ProgressStream())).phase).toBe('RolledBack');
  });
});
