/**
 * `retire ID` reads the contexts of the kubeconfig outside the selection it is given when it runs,
 * not as the plan found them: a context that has come to hold the old key since the rotation
 * (issue 8, defect 8, at retire time) refuses the retirement (exit 2, nothing changed at the
 * provider), naming it; once nothing outside holds the key, retire says what it read and goes on.
 * What a --partial plan recorded of a context the kubeconfig given to retire does not have still counts.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { CloudSim } from '../../src/sim/cloud/index.js';
import { SIM_RESOURCES } from '../../src/sim/kube/index.js';
import { successorOf, type FakeCredential } from '../../src/sim/kubecost/index.js';
import { leakedSecrets, runCliInProcess } from '../support/capture.js';
import { journalById, settle } from './harness.js';
import { canaryValues, credentialIdOf, startIssueWorld, type IssueWorld } from './issue-support.js';
import type { RotationWorld } from './world.js';

let issue: IssueWorld;
let world: RotationWorld;
let cloud: CloudSim;
const minted: string[] = [];

beforeAll(async () => {
  issue = await startIssueWorld('v2-federated', {
    gcpProject: 'acme-billing',
    env: (w) => ({ KUBECOST_ROTATE_PROVIDER_ENDPOINTS: w.probeFlags[1] ?? '' }),
  });
  ({ world, cloud } = issue);
}, 120_000);

afterAll(() => issue.stop());

/** The CLI on cluster-1 only, with the other contexts of the kubeconfig outside the selection. */
const cli = (...argv: string[]) =>
  runCliInProcess([...argv, '--kubeconfig', world.kubeconfig, '--context', 'cluster-1']);

/** Rotates `old` on cluster-1 onto the key in `keyFile` (Verified, or the test fails); returns the run and its id. */
async function rotateOnCluster1(old: FakeCredential, keyFile: string, ...extra: string[]) {
  const rotated = await cli(
    'rotate',
    ...extra,
    '--credential',
    credentialIdOf(old),
    '--new-key-file',
    await world.keyFile(`outside-${Date.now()}.json`, keyFile),
    '--yes',
    '--verify-window',
    '1500ms',
    '--rollout-timeout',
    '30s',
  );
  expect(rotated.code, rotated.stdout + rotated.stderr).toBe(0);
  return { rotated, id: /rotation (\S+): Verified\./.exec(rotated.stdout)?.[1] ?? '' };
}

describe('retire, when a context outside its selection has come to hold the old key', () => {
  it('refuses naming it, changes nothing at the provider, and retires once it no longer holds the key', async () => {
    // The AWS billing key is on cluster-1 only: its rotation of cluster-1 leaves nothing outside.
    const old = world.layout.credentials.get('billing-aws') as FakeCredential & { provider: 'aws' };
    const installed = world.fleet.cluster('cluster-1').api.get(SIM_RESOURCES.secrets, 'kubecost', 'cloud-integration');
    const { next, keyFile } = successorOf(old);
    world.allow(next);
    if (next.provider === 'aws') minted.push(next.secretAccessKey);
    const { rotated, id } = await rotateOnCluster1(old, keyFile);
    expect((journalById(world, id)?.doc.plan as { partial?: unknown } | undefined)?.partial).toBeUndefined();
    await settle(world);

    // Since then, someone gave cluster-2 a copy of the old integration: it holds the old key.
    world.fleet.cluster('cluster-2').apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'cloud-integration-copy', namespace: 'kubecost' },
      data: { ...(installed.data as Record<string, string>) },
    });
    const refused = await cli('retire', id, '--retire', 'delete', '--grace', '0s', ...world.probeFlags);
    expect(refused.code, refused.stdout + refused.stderr).toBe(2);
    expect(refused.stderr).toContain(`the old key ${old.accessKeyId} of rotation ${id} is not retired`);
    expect(refused.stderr).toContain('Secret kubecost/cloud-integration-copy (cloud-integration.json) on cluster-2');
    expect(cloud.aws.iam.keys.get(old.accessKeyId)?.status).toBe('Active');
    expect(journalById(world, id)?.doc.phase).toBe('Verified');

    world.fleet.cluster('cluster-2').api.delete(SIM_RESOURCES.secrets, 'kubecost', 'cloud-integration-copy');
    const retired = await cli('retire', id, '--retire', 'delete', '--grace', '0s', ...world.probeFlags);
    expect(retired.code, retired.stdout + retired.stderr).toBe(0);
    expect(retired.stdout).toContain(
      `read the 2 context(s) outside the selection (cluster-2, cluster-3) now: none holds the old key`,
    );
    expect(journalById(world, id)?.doc.phase).toBe('Retired');
    expect(cloud.aws.iam.keys.has(old.accessKeyId)).toBe(false);
    for (const run of [rotated, refused, retired])
      expect(leakedSecrets(run.stdout + run.stderr, canaryValues(issue, minted))).toEqual([]);
  }, 120_000);
});

describe('retire of a --partial rotation', () => {
  it('refuses while the contexts left on the old key hold it, and on the plan\u2019s record when the kubeconfig lacks them', async () => {
    // The federated store's key: one site on each of cluster-1, cluster-2 and cluster-3.
    const shared = world.layout.credentials.get('federated-gcs') as FakeCredential;
    const { next, keyFile } = successorOf(shared);
    world.allow(next);
    if (next.provider === 'gcp') minted.push(next.privateKey);
    const { rotated, id } = await rotateOnCluster1(shared, keyFile, '--partial');
    await settle(world);

    const read = await cli('retire', id, '--retire', 'delete', '--grace', '0s', ...world.probeFlags);
    expect(read.code, read.stdout + read.stderr).toBe(2);
    expect(read.stderr).toMatch(/federated-store \(\S+\) on cluster-2.*on cluster-3/);

    // A kubeconfig of cluster-1 alone cannot show cluster-2 and cluster-3 on the new key: the plan's record stands.
    const doc = parse(await readFile(world.kubeconfig, 'utf8')) as {
      contexts: { name: string }[];
      'current-context'?: string;
    };
    doc.contexts = doc.contexts.filter((c) => c.name === 'cluster-1');
    doc['current-context'] = 'cluster-1';
    const alone = join(world.kubeconfig, '..', 'cluster-1-alone.yaml');
    await writeFile(alone, stringify(doc));
    const recorded = await runCliInProcess([
      'retire',
      id,
      '--kubeconfig',
      alone,
      '--retire',
      'delete',
      '--grace',
      '0s',
      ...world.probeFlags,
    ]);
    expect(recorded.code, recorded.stdout + recorded.stderr).toBe(2);
    expect(recorded.stderr).toMatch(/on cluster-2.*on cluster-3/);
    expect(journalById(world, id)?.doc.phase).toBe('Verified');
    if (shared.provider === 'gcp')
      expect(cloud.gcp.listKeys(shared.clientEmail).map((k) => k.privateKeyId)).toContain(shared.privateKeyId);
    for (const run of [rotated, read, recorded])
      expect(leakedSecrets(run.stdout + run.stderr, canaryValues(issue, minted))).toEqual([]);
  }, 120_000);
});
