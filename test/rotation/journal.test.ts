/** The journal Secret: round trips exactly, and stays far below the 1 MiB Secret limit on a large fleet. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.js';
import { selectClusters } from '../../src/kube/kubeconfig.js';
import { fromSecret } from '../../src/rotation/journal/codec.js';
import { backupOf } from '../../src/rotation/journal/backup.js';
import { Journal } from '../../src/rotation/journal/journal.js';
import type { RotationPlan } from '../../src/rotation/plan.js';
import { gcpServiceAccountKey } from '../../src/kubecost/secret-formats/index.js';
import { fakeGcpKey } from '../../src/sim/kubecost/index.js';
import { systemClock } from '../../src/shared/clock.js';
import { startFleet, type Fleet } from '../../src/sim/kube/index.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';

let fleet: Fleet;
let dir: string;
let client: KubeClient;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'journal-'));
  fleet = await startFleet({ clusters: 1, kubeconfigPath: join(dir, 'kc') });
  fleet.cluster('cluster-1').apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kubecost' } });
  const [target] = selectClusters({ kubeconfig: join(dir, 'kc'), contexts: ['cluster-1'] });
  if (!target) throw new Error('no target');
  client = new KubeClient(target);
});

afterAll(async () => {
  await fleet.stop();
  await rm(dir, { recursive: true, force: true });
});

function plan(id: string): RotationPlan {
  return {
    id,
    journal: { cluster: 'cluster-1', namespace: 'kubecost', secret: `kubecost-rotate-${id}` },
    credential: { id: 'gcp:x', provider: 'gcp', fingerprint: 'f' },
    newKey: { fingerprint: 'g' },
    sites: [],
  } as unknown as RotationPlan;
}

const newKey = gcpServiceAccountKey((fakeGcpKey('kubecost', 'acme') as { json: string }).json);

describe('the journal Secret', () => {
  it('stores 200 backups of one federated store (3 KiB each) in well under 1 MiB, and reads them back exactly', async () => {
    const oldValue = randomBytes(3072).toString('base64');
    const newValue = randomBytes(3072).toString('base64');
    const journal = await Journal.create(client, plan('20261128-000000-aaaa'), newKey, { clock: systemClock });
    for (let i = 0; i < 200; i++) {
      const backup = backupOf(
        { cluster: `cluster-${i}`, namespace: 'kubecost', secret: 'federated-store' },
        {
          metadata: { resourceVersion: String(100 + i), annotations: { team: 'finops' } },
          data: { 'federated-store.yaml': oldValue, 'other.yaml': oldValue },
        },
        { 'federated-store.yaml': newValue },
      );
      journal.keepBackup(backup);
    }
    await journal.advance('Staged', 'staged 200');
    const stored = await client.readSecret('kubecost', 'kubecost-rotate-20261128-000000-aaaa');
    const size = Object.values(stored.data ?? {}).reduce((n, v) => n + v.length, 0);
    expect(size).toBeLessThan(256 * 1024);
    const back = fromSecret(stored, await client.readSecret('kubecost', 'kubecost-rotate-20261128-000000-aaaa-plan'));
    expect(back.backups.size).toBe(200);
    expect(back.backups.get('cluster-7/kubecost/federated-store')).toEqual(
      journal.backups.get('cluster-7/kubecost/federated-store'),
    );
    expect(back.newKey).toEqual(newKey);
    expect(back.doc.phase).toBe('Staged');
  });

  it('refuses to read a journal whose blobs were removed by hand, naming it', async () => {
    const stored = await client.readSecret('kubecost', 'kubecost-rotate-20261128-000000-aaaa');
    const data = Object.fromEntries(Object.entries(stored.data ?? {}).filter(([k]) => !k.startsWith('blob.')));
    const planSecret = await client.readSecret('kubecost', 'kubecost-rotate-20261128-000000-aaaa-plan');
    expect(() => fromSecret({ ...stored, data }, planSecret)).toThrow(
      /kubecost-rotate-20261128-000000-aaaa is missing blob/,
    );
  });

  it('reads a journal of schema 2 (whole Secrets backed up) into the changed keys only, and drops its new data once Verified', async () => {
    const b64 = (t: string) => Buffer.from(t).toString('base64');
    const id = '20261128-000000-bbbb';
    const oldValue = b64('key: old-secret-value');
    const newValue = b64('key: new-secret-value');
    const other = b64('unrelated: value');
    const annotations = b64(JSON.stringify({ team: 'finops', 'kubecost-rotate.io/rotation-id': 'earlier' }));
    const blob = (v: string) => createHash('sha256').update(v).digest('hex').slice(0, 32);
    const doc = {
      schemaVersion: 2,
      id,
      phase: 'Verified',
      plan: { ...plan(id), options: {} },
      steps: {},
      rollback: {},
      verdicts: [],
      timeline: [{ at: new Date().toISOString(), phase: 'Verified', message: 'verified' }],
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
    };
    const v2 = [
      {
        cluster: 'cluster-1',
        namespace: 'kubecost',
        secret: 's',
        resourceVersion: '7',
        data: { 'store.yaml': blob(oldValue), 'other.yaml': blob(other) },
        newData: { 'store.yaml': blob(newValue), 'other.yaml': blob(other) },
        annotations: blob(annotations),
      },
    ];
    await client.createSecret({
      metadata: { name: `kubecost-rotate-${id}`, namespace: 'kubecost' },
      data: {
        'journal.json': b64(JSON.stringify(doc)),
        'backups.json': b64(JSON.stringify(v2)),
        ...Object.fromEntries([oldValue, newValue, other, annotations].map((v) => [`blob.${blob(v)}`, v])),
      },
    });
    const journal = await Journal.load(client, 'kubecost', id, { clock: systemClock });
    expect(journal.doc.schemaVersion).toBe(4);
    expect(journal.backupOf({ cluster: 'cluster-1', namespace: 'kubecost', secret: 's' })).toEqual({
      cluster: 'cluster-1',
      namespace: 'kubecost',
      secret: 's',
      resourceVersion: '7',
      keys: { 'store.yaml': { old: blob(oldValue), new: blob(newValue) } },
      data: { 'store.yaml': oldValue },
      newData: { 'store.yaml': newValue },
      annotations: { 'kubecost-rotate.io/rotation-id': 'earlier' },
    });
    expect(await journal.dropLeftoverMaterial()).toBe(true);
    const stored = await client.readSecret('kubecost', `kubecost-rotate-${id}`);
    expect(Object.keys(stored.data ?? {}).sort()).toEqual(['backups.json', `blob.${blob(oldValue)}`, 'journal.json']);
  });

  it('refuses a journal of a newer schema, saying to use a newer kubecost-rotate', () => {
    const b64 = (t: string) => Buffer.from(t).toString('base64');
    expect(() =>
      fromSecret({ metadata: { name: 'kubecost-rotate-x' }, data: { 'journal.json': b64('{"schemaVersion":5}') } }),
    ).toThrow(
      'journal kubecost-rotate-x has schema version 5, which this kubecost-rotate does not know; use a newer version',
    );
  });
});
