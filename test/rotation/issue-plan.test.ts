/**
 * `plan --issue` (issue 10): before any effect, the principal of the key the sites hold is found at
 * the provider (emulated by cloud-sim, through the official SDKs), its keys inspected, and the pure
 * capability checks refuse what would fail half-way — an IAM user at two active keys, an inactive
 * second key (unless --delete-inactive), a service account at ten keys, a missing permission —
 * naming what is wrong and what to do. Nothing changes: not a Secret, not a key at the provider.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudSim } from '../../src/sim/cloud/index.js';
import { SIM_RESOURCES } from '../../src/sim/kube/index.js';
import { fakeAwsKey, type FakeCredential } from '../../src/sim/kubecost/index.js';
import { leakedSecrets, runCliInProcess } from '../support/capture.js';
import { canaryValues, startIssueWorld, type IssueWorld } from './issue-support.js';
import type { RotationWorld } from './world.js';

let issue: IssueWorld;
let world: RotationWorld;
let cloud: CloudSim;

beforeAll(async () => {
  // The identities kubecost-rotate manages keys as, from the environment, as an operator would set them.
  issue = await startIssueWorld('v2-federated', { gcpProject: 'acme-billing' });
  ({ world, cloud } = issue);
});

afterAll(() => issue.stop());

const awsKey = () => world.layout.credentials.get('billing-aws') as FakeCredential & { provider: 'aws' };
const gcpKey = () => world.layout.credentials.get('billing-gcp') as FakeCredential & { provider: 'gcp' };

const plan = (credential: string, ...extra: string[]) =>
  runCliInProcess([
    'plan',
    '--kubeconfig',
    world.kubeconfig,
    '--all-contexts',
    '--credential',
    credential,
    '--issue',
    ...extra,
    ...world.probeFlags,
  ]);

/** Every Secret's data and every key at the emulated providers: what must not change. */
function state(): unknown {
  const secrets = world.fleet.clusters.flatMap((c) =>
    c.api.select(SIM_RESOURCES.secrets, undefined).map((s) => [c.name, s.metadata.name, s.data]),
  );
  const iam = [...cloud.aws.iam.keys.values()].map((k) => [k.accessKeyId, k.status]).sort();
  return { secrets, iam };
}

const clean = (run: { stdout: string; stderr: string }) =>
  expect(leakedSecrets(run.stdout + run.stderr, canaryValues(issue, []))).toEqual([]);

describe('plan --issue', () => {
  it('passes for an IAM user with one key, listing its keys and the retire policy, and changes nothing', async () => {
    const before = state();
    const run = await plan(awsKey().accessKeyId);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      `Issue (--issue): a new key for arn:aws:iam::123456789012:user/${awsKey().user} at aws, replacing ${awsKey().accessKeyId}`,
    );
    expect(run.stdout).toMatch(new RegExp(`key ${awsKey().accessKeyId}  active .*<- the sites hold it`));
    expect(run.stdout).toContain('retire: deactivate');
    expect(state()).toEqual(before);
    clean(run);
  });

  it('refuses an IAM user that already has two active keys, and never deletes an active key to make room', async () => {
    const second = fakeAwsKey(awsKey().user);
    world.allow(second);
    try {
      const before = state();
      const run = await plan(awsKey().accessKeyId);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(
        `error: --issue is refused before anything is changed: ${awsKey().user} already has 2 active keys`,
      );
      expect(run.stderr).toContain('the limit of 2 keys per IAM user; kubecost-rotate never deletes an active key');
      expect(run.stdout).toContain('REFUSED (limit_reached)');
      expect(state()).toEqual(before);
      clean(run);
    } finally {
      world.revoke(second);
      cloud.aws.iam.keys.delete(second.accessKeyId);
    }
  });

  it('refuses an inactive second key, offers --delete-inactive, and with it plans the deletion without doing it', async () => {
    const inactive = fakeAwsKey(awsKey().user);
    world.allow(inactive);
    const record = cloud.aws.iam.keys.get(inactive.accessKeyId);
    if (record) record.status = 'Inactive';
    try {
      const before = state();
      const refused = await plan(awsKey().accessKeyId);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(`the inactive ${inactive.accessKeyId} still takes a slot`);
      expect(refused.stderr).toContain('hint: Pass --delete-inactive to delete it before the new key is issued');
      const honoured = await plan(awsKey().accessKeyId, '--delete-inactive');
      expect(honoured.stderr).toBe('');
      expect(honoured.code).toBe(0);
      expect(honoured.stdout).toContain(`before issuing: delete ${inactive.accessKeyId}:`);
      // A plan: the inactive key is still there.
      expect(cloud.aws.iam.keys.get(inactive.accessKeyId)?.status).toBe('Inactive');
      expect(state()).toEqual(before);
      clean(refused);
      clean(honoured);
    } finally {
      cloud.aws.iam.keys.delete(inactive.accessKeyId);
    }
  });

  it('refuses when the managing identity lacks a permission, naming it', async () => {
    cloud.aws.iam.deny('iam:CreateAccessKey');
    try {
      const before = state();
      const run = await plan(awsKey().accessKeyId);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('lacks iam:CreateAccessKey (checked with iam:SimulatePrincipalPolicy');
      expect(run.stderr).toContain('hint: Grant iam:CreateAccessKey on');
      expect(state()).toEqual(before);
      clean(run);
    } finally {
      cloud.aws.iam.allow('iam:CreateAccessKey');
    }
  });

  it('refuses a GCP service account that already has ten keys', async () => {
    const email = gcpKey().clientEmail;
    const made: string[] = [];
    for (let i = 1; i < 10; i++) made.push(cloud.gcp.createServiceAccountKey(email, 'acme-billing').privateKeyId);
    try {
      const run = await plan(`gcp:${email}:${gcpKey().privateKeyId}`);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain(`${email} already has 10 active keys`);
      expect(run.stderr).toContain('the limit of 10 keys per service account');
      clean(run);
    } finally {
      for (const id of made) cloud.gcp.revokeKey(email, id);
    }
  });

  it('refuses --retire values it does not know, and --grace without --issue', async () => {
    const bad = await plan(awsKey().accessKeyId, '--retire', 'later');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--retire later is not a retire policy.');
    const orphan = await runCliInProcess([
      'plan',
      '--kubeconfig',
      world.kubeconfig,
      '--all-contexts',
      '--credential',
      awsKey().accessKeyId,
      '--grace',
      '0s',
    ]);
    expect(orphan.code).toBe(2);
    expect(orphan.stderr).toContain('--retire, --grace and --delete-inactive go with --issue.');
  });
});
