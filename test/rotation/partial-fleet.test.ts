/**
 * A partial fleet (issue 8, defect 8): when contexts of the kubeconfig outside the selection hold
 * the key being rotated, plan and rotate refuse (exit 2, nothing written, no journal) naming them,
 * unless --partial; a partial rotation records who was left with the old key and never advises
 * retiring it. An outside context that cannot be read is named as not checked, never ignored.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { refuseRetiringHeldKey } from '../../src/rotation/partial-fleet.js';
import type { RotationPlan } from '../../src/rotation/plan.js';
import { successorOf, type FakeCredential } from '../../src/sim/kubecost/index.js';
import { runCliInProcess } from '../support/capture.js';
import { journals, runCliChild, snapshotDiff, snapshotSecrets } from './harness.js';
import { startRotationWorld, type RotationWorld } from './world.js';

let world: RotationWorld;
let shared: FakeCredential;
/** The federated store's key: one site on each of cluster-1, cluster-2 and cluster-3. */
let sharedId: string;
/** The AWS billing key: on cluster-1 only. */
let billingId: string;

beforeAll(async () => {
  world = await startRotationWorld('v2-federated', { backend: 'memory' });
  shared = world.layout.credentials.get('federated-gcs') as FakeCredential;
  const inventory = await world.discover();
  sharedId = inventory.sites.find((s) => s.cluster === 'cluster-2' && s.secret === 'federated-store')?.credential ?? '';
  billingId = (world.layout.credentials.get('billing-aws') as FakeCredential & { provider: 'aws' }).accessKeyId;
}, 120_000);
afterAll(() => world.stop());

const only = (context: string) => ['--kubeconfig', world.kubeconfig, '--context', context];

async function newKeyFile(name: string): Promise<string> {
  const { next, keyFile } = successorOf(shared);
  world.allow(next);
  return world.keyFile(name, keyFile);
}

/** The world's kubeconfig with a second context for cluster-1 (another name, the same API server and user). */
async function withAliasOfCluster1(): Promise<string> {
  const doc = parse(await readFile(world.kubeconfig, 'utf8')) as {
    contexts: { name: string; context: { cluster: string; user: string } }[];
  };
  const first = doc.contexts.find((c) => c.name === 'cluster-1');
  doc.contexts.push({ name: 'cluster-1-admin', context: { ...(first?.context ?? { cluster: '', user: '' }) } });
  const path = join(world.kubeconfig, '..', 'with-alias.yaml');
  await writeFile(path, stringify(doc));
  return path;
}

/** The world's kubeconfig with one more context, whose API server nobody answers. */
async function withUnreachableContext(): Promise<string> {
  const doc = parse(await readFile(world.kubeconfig, 'utf8')) as {
    clusters: unknown[];
    contexts: unknown[];
    users: { name: string }[];
  };
  doc.clusters.push({ name: 'far-away', cluster: { server: 'https://127.0.0.1:1' } });
  doc.contexts.push({ name: 'far-away', context: { cluster: 'far-away', user: doc.users[0]?.name ?? '' } });
  const path = join(world.kubeconfig, '..', 'with-far-away.yaml');
  await writeFile(path, stringify(doc));
  return path;
}

describe('contexts outside the selection that hold the same key', () => {
  it('plan and rotate refuse with exit 2, naming the contexts and Secrets that hold it, with nothing written and no journal', async () => {
    const before = snapshotSecrets(world);
    const file = await newKeyFile('partial-refused.json');
    for (const argv of [
      ['plan', ...only('cluster-1'), '--credential', sharedId],
      ['rotate', ...only('cluster-1'), '--credential', sharedId, '--new-key-file', file, '--yes'],
    ]) {
      const outside = world.fleet.cluster('cluster-2');
      const from = outside.requests.length;
      const run = await runCliInProcess(argv);
      // An outside context is only read, and cheaply: its workloads and its Secrets.
      const served = outside.requests.slice(from);
      expect(served.every((r) => r.method === 'GET')).toBe(true);
      expect(served.map((r) => r.facts?.resource).sort()).toEqual(['deployments', 'secrets', 'statefulsets']);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('cluster-2');
      expect(run.stderr).toContain('cluster-3');
      expect(run.stderr).toContain('kubecost/federated-store');
      expect(run.stderr).toContain('--context/--all-contexts');
      expect(run.stderr).toContain('--partial');
      expect(run.stderr).not.toContain('internal error');
    }
    expect(snapshotDiff(before, snapshotSecrets(world))).toEqual([]);
    expect(journals(world)).toEqual([]);
  });

  it('are not a reason to refuse when every context is selected', async () => {
    const run = await runCliInProcess([
      'plan',
      '--kubeconfig',
      world.kubeconfig,
      '--all-contexts',
      '--allow-owned',
      '--credential',
      sharedId,
      '-o',
      'json',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const plan = JSON.parse(run.stdout) as RotationPlan;
    expect(new Set(plan.sites.map((s) => s.cluster))).toEqual(new Set(['cluster-1', 'cluster-2', 'cluster-3']));
    expect(plan.partial).toBeUndefined();
  });

  it('are not a reason to refuse when they do not hold the key', async () => {
    const run = await runCliInProcess(['plan', ...only('cluster-1'), '--credential', billingId, '-o', 'json']);
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as RotationPlan).partial).toBeUndefined();
  });
});

describe('another context for a selected cluster', () => {
  it('is not outside the selection: it is neither refused nor named as a holder', async () => {
    const kubeconfig = await withAliasOfCluster1();
    const refused = await runCliInProcess([
      'plan',
      '--kubeconfig',
      kubeconfig,
      '--context',
      'cluster-1',
      '--credential',
      sharedId,
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('on cluster-2');
    expect(refused.stderr).not.toContain('cluster-1-admin');
    const planned = await runCliInProcess([
      'plan',
      '--kubeconfig',
      kubeconfig,
      '--context',
      'cluster-1',
      '--credential',
      billingId,
      '-o',
      'json',
    ]);
    expect(planned.code).toBe(0);
    expect((JSON.parse(planned.stdout) as RotationPlan).partial).toBeUndefined();
  });
});

describe('an outside context that cannot be read', () => {
  it('is named as not checked, in the refusal and in a plan that goes on', async () => {
    const kubeconfig = await withUnreachableContext();
    const refused = await runCliInProcess([
      'plan',
      '--kubeconfig',
      kubeconfig,
      '--context',
      'cluster-1',
      '--credential',
      sharedId,
      '--request-timeout',
      '1s',
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('cluster-2');
    expect(refused.stderr).toMatch(/far-away could not be checked/);

    const planned = await runCliInProcess([
      'plan',
      '--kubeconfig',
      kubeconfig,
      '--context',
      'cluster-1',
      '--credential',
      billingId,
      '--request-timeout',
      '1s',
    ]);
    expect(planned.code).toBe(0);
    expect(planned.stdout).toMatch(/far-away could not be checked/);
    const json = await runCliInProcess([
      'plan',
      '--kubeconfig',
      kubeconfig,
      '--context',
      'cluster-1',
      '--credential',
      billingId,
      '--request-timeout',
      '1s',
      '-o',
      'json',
    ]);
    const plan = JSON.parse(json.stdout) as RotationPlan;
    expect(plan.partial?.holders).toEqual([]);
    expect(plan.partial?.unchecked.map((u) => u.cluster)).toEqual(['far-away']);
    expect(() => refuseRetiringHeldKey(plan)).toThrow(/far-away/);

    // --issue would retire the old key after the rotation: refused before anything is minted.
    const retiring = await runCliInProcess([
      'plan',
      '--kubeconfig',
      kubeconfig,
      '--context',
      'cluster-1',
      '--credential',
      billingId,
      '--request-timeout',
      '1s',
      '--issue',
    ]);
    expect(retiring.code).toBe(2);
    expect(retiring.stderr).toContain('--retire deactivate would retire key');
    expect(retiring.stderr).toMatch(/far-away could not be checked/);
    expect(retiring.stderr).toContain('--retire none');
  });
});

describe('--partial', () => {
  it('rotates only the selected contexts, records who was left with the old key, and does not advise retiring it', async () => {
    const before = snapshotSecrets(world);
    const run = await runCliInProcess([
      'rotate',
      ...only('cluster-1'),
      '--partial',
      '--credential',
      sharedId,
      '--new-key-file',
      await newKeyFile('partial-new.json'),
      '--yes',
      '--verify-window',
      '1500ms',
      '--rollout-timeout',
      '60s',
    ]);
    expect(run.stderr).not.toContain('internal error');
    expect(run.code).toBe(0);
    // The plan said who keeps the old key.
    expect(run.stdout).toMatch(/left with the old key[\s\S]*cluster-2[\s\S]*cluster-3/);
    const result = run.stdout.slice(run.stdout.lastIndexOf('Verified'));
    expect(result).not.toMatch(/retire the old key/i);
    expect(result).toContain('cluster-2');
    expect(result).toContain('cluster-3');
    expect(result).toMatch(/do not retire/i);

    const changed = snapshotDiff(before, snapshotSecrets(world)).join('\n');
    expect(changed).toContain('cluster-1/kubecost/federated-store');
    expect(changed).not.toContain('cluster-2/');
    expect(changed).not.toContain('cluster-3/');
    const [journal] = journals(world);
    const plan = journal?.doc.plan as unknown as RotationPlan;
    expect(plan.partial?.holders.map((h) => h.cluster).sort()).toEqual(['cluster-2', 'cluster-3']);
    expect(() => refuseRetiringHeldKey(plan)).toThrow(/cluster-2.*cluster-3|cluster-3.*cluster-2/);
  }, 120_000);

  it('is kept by resume: a partial rotation that crashed ends Verified still naming who holds the old key', async () => {
    // cluster-1 holds the new key now; cluster-2 and cluster-3 still hold the old one.
    const known = new Set(journals(world).map((j) => j.doc.id));
    const crashed = await runCliChild(
      [
        'rotate',
        ...only('cluster-2'),
        '--partial',
        '--credential',
        sharedId,
        '--new-key-file',
        await newKeyFile('partial-resumed.json'),
        '--yes',
        '--verify-window',
        '1500ms',
        '--rollout-timeout',
        '60s',
      ],
      { KUBECOST_ROTATE_TEST_CRASH: 'effect:1' },
    );
    expect(crashed.signal).toBe('SIGKILL');
    const journal = journals(world).find((j) => !known.has(j.doc.id));
    expect(journal?.doc.phase).not.toBe('Verified');
    const id = journal?.doc.id ?? '';

    const resumed = await runCliInProcess(['resume', id, '--kubeconfig', world.kubeconfig]);
    expect(resumed.stderr).not.toContain('internal error');
    expect(resumed.code).toBe(0);
    const result = resumed.stdout.split('\n').find((line) => line.includes(`rotation ${id}: Verified.`)) ?? '';
    expect(result).toContain('Every site of this rotation holds key');
    expect(result).toMatch(/do not retire/i);
    expect(result).toContain('on cluster-3');
    expect(result).not.toContain('on cluster-1');
    expect(result).not.toMatch(/retire the old key/i);
  }, 120_000);
});
