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
import { randomBytes } from 'node:crypto';

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
    const back = fromSecret(stored);
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
    expect(() => fromSecret({ ...stored, data })).toThrow(/kubecost-rotate-20261128-000000-aaaa is missing blob/);
  });
});
