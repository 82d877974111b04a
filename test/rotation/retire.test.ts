/**
 * Retiring the old key after a Verified rotation (issue 10), on kube-sim with the simulated Kubecost
 * programs really using their keys at cloud-sim, through the official SDKs: the old key deactivated
 * and deleted only on evidence (every site rediscovered, none holding the old key; AWS
 * GetAccessKeyLastUsed shows no use after the restarts; GCP the key's status and Policy Analyzer;
 * Azure every site proven on the new slot), a grace period that `resume` continues, and a rollback
 * from Retiring that reactivates the old key first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudSim } from '../../src/sim/cloud/index.js';
import { SIM_RESOURCES } from '../../src/sim/kube/index.js';
import { ProgressStream } from '../../src/rotation/progress.js';
import { RetiringService } from '../../src/rotation/retire-service.js';
import { systemClock } from '../../src/shared/clock.js';
import { SecretValue } from '../../src/shared/secret-value.js';
import { successorOf, type FakeCredential } from '../../src/sim/kubecost/index.js';
import { scanLogForAuthFailures } from '../../src/verify/checks.js';
import { leakedSecrets, runCliInProcess, type CliRun } from '../support/capture.js';
import { journalById, runCliChild, settle } from './harness.js';
import { canaryValues, credentialIdOf, startIssueWorld, type IssueWorld } from './issue-support.js';
import type { RotationWorld } from './world.js';

let issue: IssueWorld;
let world: RotationWorld;
let cloud: CloudSim;
const minted: string[] = [];
const primary = () => world.fleet.cluster('cluster-1');

beforeAll(async () => {
  // The identities kubecost-rotate manages keys as, from the environment, as an operator would set them.
  issue = await startIssueWorld('v2-federated', {
    gcpProject: 'acme-billing',
    env: (w) => ({
      KUBECOST_ROTATE_RETRY_BASE_MS: '50',
      KUBECOST_ROTATE_PROVIDER_ENDPOINTS: w.probeFlags[1] ?? '',
    }),
  });
  ({ world, cloud } = issue);
});

afterAll(() => issue.stop());

// rollback and discover take the provider endpoints from the environment (retire, rotate and resume take the flag too).
const cli = (...argv: string[]) => runCliInProcess([...argv, '--kubeconfig', world.kubeconfig]);

/** Rotates `name` onto a key the test brings (valid at cloud-sim next to the old one); returns the rotation id. */
async function rotate(name: string): Promise<{ id: string; old: FakeCredential; next: FakeCredential }> {
  const old = world.layout.credentials.get(name) as FakeCredential;
  const { next, keyFile } = successorOf(old);
  world.allow(next);
  const run = await cli(
    'rotate',
    '--all-contexts',
    '--credential',
    credentialIdOf(old),
    '--new-key-file',
    await world.keyFile(`${name}-${Date.now()}.json`, keyFile),
    '--yes',
    '--verify-window',
    '1500ms',
    '--rollout-timeout',
    '30s',
  );
  expect(run.stderr).toBe('');
  expect(run.code, run.stdout).toBe(0);
  world.layout.credentials.set(name, next);
  minted.push(...secretsOf(next));
  const id = /rotation (\S+): Verified\./.exec(run.stdout)?.[1] ?? '';
  expect(id).not.toBe('');
  await settle(world);
  return { id, old, next };
}

const secretsOf = (c: FakeCredential) =>
  c.provider === 'aws'
    ? [c.secretAccessKey]
    : c.provider === 'gcp'
      ? [c.privateKey]
      : c.provider === 'azure'
        ? [c.accountKey]
        : [];

const retire = (id: string, ...flags: string[]) => cli('retire', id, ...flags);

function clean(...runs: CliRun[]): void {
  const secrets = canaryValues(issue, minted);
  for (const run of runs) expect(leakedSecrets(run.stdout + run.stderr, secrets)).toEqual([]);
}

const phaseOf = (id: string) => journalById(world, id)?.doc.phase;
/** Why the journal dropped the old data of its Secrets, if it did. */
const droppedBecause = (id: string) =>
  (journalById(world, id)?.doc as { retention?: { droppedBecause?: string } } | undefined)?.retention?.droppedBecause;

function eventsOn(secret: string, reason: string): string[] {
  return primary()
    .api.select(SIM_RESOURCES.events, 'kubecost')
    .filter(
      (e) =>
        (e.involvedObject as { kind?: string; name?: string }).kind === 'Secret' &&
        (e.involvedObject as { name?: string }).name === secret &&
        e.reason === reason,
    )
    .map((e) => String(e.message));
}

const iamStatus = (id: string) => cloud.aws.iam.keys.get(id)?.status;

describe('retire after an AWS rotation with a brought key', () => {
  it('with --retire delete --grace 0s reaches Retired: the old key is gone at the provider and no program logged an auth failure', async () => {
    const logsBefore = world.logs.length;
    const { id, old, next } = await rotate('billing-aws');
    if (old.provider !== 'aws' || next.provider !== 'aws') throw new Error('an AWS key');
    expect(iamStatus(old.accessKeyId)).toBe('Active');
    const run = await retire(id, '--retire', 'delete', '--grace', '0s');
    expect(run.stderr).toBe('');
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain(`rotation ${id}: Retired.`);
    expect(run.stdout).toContain(`was not used from`);
    expect(cloud.aws.iam.keys.has(old.accessKeyId)).toBe(false);
    expect(iamStatus(next.accessKeyId)).toBe('Active');
    expect(phaseOf(id)).toBe('Retired');
    const journal = journalById(world, id);
    expect(eventsOn(journal?.name ?? '', 'OldKeyDeactivated')).toEqual([
      expect.stringContaining(`deactivated the old key ${old.accessKeyId}`),
    ]);
    expect(eventsOn('cloud-integration', 'OldKeyDeleted')).toEqual([
      expect.stringContaining(`deleted the old key ${old.accessKeyId}`),
    ]);
    // The programs kept running on the new key the whole time: zero auth failures.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const lines = world.logs.slice(logsBefore).map((l) => `${l.namespace}/${l.pod}/${l.container}: ${l.line}`);
    expect(lines.some((l) => l.includes('ingestor: completed run'))).toBe(true);
    expect(scanLogForAuthFailures(lines.join('\n'))).toEqual([]);
    clean(run);
    // The journal keeps the retirement by reference: key ids and times, no secret.
    expect(journal?.raw).toContain(`"deletedAt"`);
    expect(leakedSecrets(journal?.raw ?? '', [...minted, ...issue.managerSecrets, old.secretAccessKey])).toEqual([]);
    // With the old key gone, the old data of the Secrets is dropped (their digests stay).
    expect(droppedBecause(id)).toBe(`the old key ${old.accessKeyId} was deleted at the provider`);
  });
});

describe('retirement refused on evidence', () => {
  it('is refused while a site the rotation did not update still holds the old key, naming it, and succeeds once it is gone', async () => {
    const before = primary().api.get(SIM_RESOURCES.secrets, 'kubecost', 'cloud-integration');
    const { id, old } = await rotate('billing-aws');
    if (old.provider !== 'aws') throw new Error('an AWS key');
    // A copy of the old integration, made by hand: nothing reads it, but it holds the old key.
    primary().apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'cloud-integration-copy', namespace: 'kubecost' },
      data: { ...(before.data as Record<string, string>) },
    });
    const refused = await retire(id, '--retire', 'delete', '--grace', '0s');
    expect(refused.code, refused.stdout).toBe(3);
    expect(refused.stdout).toContain(
      'still holding the old key: Secret kubecost/cloud-integration-copy key cloud-integration.json on cluster-1',
    );
    expect(refused.stdout).toContain(`then run "kubecost-rotate retire ${id}"`);
    expect(iamStatus(old.accessKeyId)).toBe('Active');
    expect(phaseOf(id)).toBe('Verified');
    primary().api.delete(SIM_RESOURCES.secrets, 'kubecost', 'cloud-integration-copy');
    const done = await retire(id);
    expect(done.code, done.stdout).toBe(0);
    expect(phaseOf(id)).toBe('Retired');
    expect(cloud.aws.iam.keys.has(old.accessKeyId)).toBe(false);
    clean(refused, done);
  });

  it('is refused when GetAccessKeyLastUsed shows a use of the old key after the consumers restarted', async () => {
    const { id, old } = await rotate('billing-aws');
    if (old.provider !== 'aws') throw new Error('an AWS key');
    // Something outside the clusters still uses the old key.
    cloud.aws.iam.markUsed(old.accessKeyId, 's3');
    const refused = await retire(id, '--retire', 'delete', '--grace', '0s');
    expect(refused.code, refused.stdout).toBe(3);
    expect(refused.stdout).toMatch(new RegExp(`refused: ${old.accessKeyId} was used after \\S+: last used \\S+ by s3`));
    expect(iamStatus(old.accessKeyId)).toBe('Active');
    expect(journalById(world, id)?.raw).toContain('iam:GetAccessKeyLastUsed');
    clean(refused);
    cloud.aws.revokeKey(old.accessKeyId);
  });

  it('waits, without deactivating, while AWS may not have recorded a use yet (the reporting delay)', async () => {
    const { id, old } = await rotate('billing-aws');
    if (old.provider !== 'aws') throw new Error('an AWS key');
    process.env.KUBECOST_ROTATE_AWS_LAST_USED_DELAY = '4h';
    try {
      const early = await retire(id, '--retire', 'delete', '--grace', '0s');
      expect(early.code, early.stdout).toBe(3);
      expect(early.stdout).toContain('too early to tell whether');
      expect(early.stdout).toContain(`Run "kubecost-rotate retire ${id}" after`);
      expect(iamStatus(old.accessKeyId)).toBe('Active');
      clean(early);
    } finally {
      process.env.KUBECOST_ROTATE_AWS_LAST_USED_DELAY = '0s';
    }
    const done = await retire(id, '--retire', 'delete', '--grace', '0s');
    expect(done.code, done.stdout).toBe(0);
  });
});

describe('retire flags', () => {
  it('refuses a policy it cannot carry out and a bad --grace before reading anything', async () => {
    const none = await retire('20261203-000000-abcd', '--retire', 'none');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--retire none is not a policy retire can carry out.');
    const grace = await retire('20261203-000000-abcd', '--grace', 'soon');
    expect(grace.code).toBe(2);
    expect(grace.stderr).toContain('--grace soon is not a duration.');
  });
});

describe('retire with the default policy', () => {
  it('deactivates the old key and ends Retired, keeping it inactive; such a rotation is not rolled back', async () => {
    const { id, old } = await rotate('billing-aws');
    if (old.provider !== 'aws') throw new Error('an AWS key');
    const run = await retire(id);
    expect(run.code, run.stdout).toBe(0);
    expect(phaseOf(id)).toBe('Retired');
    expect(run.stdout).toContain(`the old key ${old.accessKeyId} stays deactivated (--retire deactivate)`);
    expect(iamStatus(old.accessKeyId)).toBe('Inactive');
    expect(droppedBecause(id), 'a Retired journal keeps no old data').toBe(
      `the old key ${old.accessKeyId} was retired (deactivated)`,
    );
    const rollback = await cli('rollback', id, '--force');
    expect(rollback.code).toBe(2);
    expect(rollback.stderr).toContain(
      `rotation ${id} is Retired: its old key ${old.accessKeyId} is deactivated for good`,
    );
    expect(iamStatus(old.accessKeyId)).toBe('Inactive');
    clean(run, rollback);
    cloud.aws.revokeKey(old.accessKeyId);
  });
});

describe('AWS reports a use late', () => {
  it('is honoured: a use cloud-sim has not reported yet is waited for, not taken as no use, then refuses', async () => {
    const { id, old } = await rotate('billing-aws');
    if (old.provider !== 'aws') throw new Error('an AWS key');
    // Longer than the rotation took since its restarts: the window does not cover them yet.
    cloud.aws.iam.lastUsedDelayMs = 6000;
    process.env.KUBECOST_ROTATE_AWS_LAST_USED_DELAY = '6s';
    try {
      cloud.aws.iam.markUsed(old.accessKeyId, 'athena');
      const early = await retire(id, '--retire', 'delete', '--grace', '0s');
      expect(early.code, early.stdout).toBe(3);
      expect(early.stdout).toContain('too early to tell whether');
      // Once AWS (cloud-sim) has recorded the use, the window covers it.
      await new Promise((resolve) => setTimeout(resolve, 6500));
      const late = await retire(id, '--retire', 'delete', '--grace', '0s');
      expect(late.code, late.stdout).toBe(3);
      expect(late.stdout).toMatch(
        new RegExp(`refused: ${old.accessKeyId} was used after \\S+: last used \\S+ by athena`),
      );
      expect(iamStatus(old.accessKeyId)).toBe('Active');
      clean(early, late);
    } finally {
      cloud.aws.iam.lastUsedDelayMs = 0;
      process.env.KUBECOST_ROTATE_AWS_LAST_USED_DELAY = '0s';
      cloud.aws.revokeKey(old.accessKeyId);
    }
  });
});

describe('the grace period and rollback from Retiring', () => {
  it('deactivates, says when the grace ends, and resume deletes only after it', async () => {
    const { id, old } = await rotate('billing-aws');
    if (old.provider !== 'aws') throw new Error('an AWS key');
    // 12 s: the early resume below must start within the grace even on a loaded machine.
    const started = await retire(id, '--retire', 'delete', '--grace', '12s');
    expect(started.code, started.stdout).toBe(3);
    expect(phaseOf(id)).toBe('Retiring');
    expect(iamStatus(old.accessKeyId)).toBe('Inactive');
    expect(started.stdout).toMatch(/the grace period ends at \S+Z\. Run "kubecost-rotate resume \S+" after/);
    const early = await cli('resume', id);
    expect(early.code, early.stdout).toBe(3);
    expect(early.stdout).toContain('the grace period ends at');
    expect(iamStatus(old.accessKeyId)).toBe('Inactive');
    const graceEnds = Date.parse(/the grace period ends at (\S+Z)/.exec(started.stdout)?.[1] ?? '');
    expect(graceEnds).toBeGreaterThan(Date.now());
    await new Promise((resolve) => setTimeout(resolve, graceEnds - Date.now() + 200));
    const late = await cli('resume', id);
    expect(late.code, late.stdout).toBe(0);
    expect(phaseOf(id)).toBe('Retired');
    expect(cloud.aws.iam.keys.has(old.accessKeyId)).toBe(false);
    clean(started, early, late);
  });

  it('rolls back from Retiring only with --force, reactivating the old key before it goes back into the Secrets', async () => {
    const { id, old, next } = await rotate('billing-aws');
    if (old.provider !== 'aws' || next.provider !== 'aws') throw new Error('an AWS key');
    const started = await retire(id, '--retire', 'delete', '--grace', '1h');
    expect(started.code, started.stdout).toBe(3);
    expect(iamStatus(old.accessKeyId)).toBe('Inactive');
    const unforced = await cli('rollback', id);
    expect(unforced.code).toBe(2);
    expect(unforced.stderr).toContain(`Run kubecost-rotate rollback ${id} --force.`);
    expect(iamStatus(old.accessKeyId)).toBe('Inactive');
    const forced = await cli('rollback', id, '--force');
    expect(forced.code, forced.stdout + forced.stderr).toBe(0);
    expect(phaseOf(id)).toBe('RolledBack');
    expect(iamStatus(old.accessKeyId)).toBe('Active');
    const text = Buffer.from(
      (primary().api.get(SIM_RESOURCES.secrets, 'kubecost', 'cloud-integration').data as Record<string, string>)[
        'cloud-integration.json'
      ] ?? '',
      'base64',
    ).toString('utf8');
    expect(text).toContain(old.accessKeyId);
    expect(eventsOn('cloud-integration', 'OldKeyReactivated')).toEqual([
      expect.stringContaining(`reactivated the old key ${old.accessKeyId}`),
    ]);
    const again = await retire(id);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`rotation ${id} is RolledBack: only the old key of a Verified rotation is retired.`);
    world.layout.credentials.set('billing-aws', old);
    cloud.aws.revokeKey(next.accessKeyId);
    clean(started, unforced, forced);
    await settle(world);
  });
});

describe('a stop (Ctrl-C) during retirement', () => {
  it('stops at the next safe point after deactivating: Retiring is kept and the result names the command that goes on', async () => {
    const { id, old } = await rotate('billing-aws');
    if (old.provider !== 'aws') throw new Error('an AWS key');
    const stop = new AbortController();
    const service = new RetiringService({
      clock: systemClock,
      providers: {
        endpoints: cloud.endpoints,
        clock: systemClock,
        aws: {
          provider: 'aws',
          accessKeyId: issue.awsAdmin.accessKeyId,
          secretAccessKey: new SecretValue(issue.awsAdmin.secretAccessKey),
        },
        awsReportingDelayMs: 0,
      },
      // Ctrl-C arrives while the deactivation's answer is on its way back.
      hooks: { afterSave: () => undefined, afterEffect: () => stop.abort('SIGINT') },
      stop: stop.signal,
    });
    const outcome = await service.retire(
      id,
      { kubeconfig: world.kubeconfig, allContexts: true, contexts: [], env: process.env },
      { policy: 'delete', graceMs: 0 },
      new ProgressStream(),
    );
    expect(outcome.phase).toBe('Retiring');
    expect(outcome.message).toContain('stopped by SIGINT while Retiring');
    expect(outcome.message).toContain(`Run "kubecost-rotate resume ${id}" to go on`);
    expect(iamStatus(old.accessKeyId)).toBe('Inactive');
    expect(phaseOf(id)).toBe('Retiring');
    // The grace (0 s) is over: resume deletes.
    const resumed = await cli('resume', id);
    expect(resumed.code, resumed.stdout).toBe(0);
    expect(cloud.aws.iam.keys.has(old.accessKeyId)).toBe(false);
    clean(resumed);
  });
});

describe('a crash during retirement', () => {
  it('right after the deactivation landed, before the journal recorded it: resume finishes it and deletes after the grace', async () => {
    const { id, old } = await rotate('billing-aws');
    if (old.provider !== 'aws') throw new Error('an AWS key');
    const lease = { KUBECOST_ROTATE_LEASE_SECONDS: '1' };
    const child = await runCliChild(
      ['retire', id, '--retire', 'delete', '--grace', '0s', '--kubeconfig', world.kubeconfig],
      { ...lease, KUBECOST_ROTATE_TEST_CRASH: 'effect:1' },
    );
    expect(child.signal).toBe('SIGKILL');
    // The provider did it; the journal says it began, not that it ended.
    expect(iamStatus(old.accessKeyId)).toBe('Inactive');
    expect(phaseOf(id)).toBe('Verified');
    expect(journalById(world, id)?.raw).toContain('"deactivateStarted"');
    expect(journalById(world, id)?.raw).not.toContain('"deactivatedAt"');
    process.env.KUBECOST_ROTATE_LEASE_SECONDS = '1';
    try {
      const resumed = await cli('resume', id);
      expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
      clean(resumed);
    } finally {
      delete process.env.KUBECOST_ROTATE_LEASE_SECONDS;
    }
    expect(phaseOf(id)).toBe('Retired');
    expect(cloud.aws.iam.keys.has(old.accessKeyId)).toBe(false);
  });
});

describe('GCP and Azure', () => {
  it('GCP: disables, then deletes the old service-account key, saying what was checked', async () => {
    const { id, old } = await rotate('billing-gcp');
    if (old.provider !== 'gcp') throw new Error('a GCP key');
    const run = await retire(id, '--retire', 'delete', '--grace', '0s');
    expect(run.code, run.stdout).toBe(0);
    expect(phaseOf(id)).toBe('Retired');
    expect(run.stdout).toContain(`iam keys.get for ${old.privateKeyId}: enabled`);
    expect(run.stdout).toContain(`Policy Analyzer serviceAccountKeyLastAuthentication for ${old.privateKeyId}`);
    expect(run.stdout).toContain('not checked: Cloud Audit Logs of the service account');
    expect(cloud.gcp.listKeys(old.clientEmail).map((k) => k.privateKeyId)).not.toContain(old.privateKeyId);
    clean(run);
  });

  it('GCP without Policy Analyzer: says its use could not be read, and goes on the sites\u2019 evidence alone', async () => {
    const { id, old } = await rotate('billing-gcp');
    if (old.provider !== 'gcp') throw new Error('a GCP key');
    const permission = 'policyanalyzer.serviceAccountKeyLastAuthenticationActivities.query';
    cloud.gcp.deny(permission);
    try {
      const run = await retire(id, '--retire', 'delete', '--grace', '0s');
      expect(run.code, run.stdout).toBe(0);
      expect(run.stdout).toContain(`${old.privateKeyId} is enabled and its use could not be read`);
      expect(run.stdout).toContain("not checked: the key's last authentication (Policy Analyzer:");
      expect(cloud.gcp.listKeys(old.clientEmail).map((k) => k.privateKeyId)).not.toContain(old.privateKeyId);
      clean(run);
    } finally {
      cloud.gcp.allow(permission);
    }
  });

  it('Azure: refuses --retire deactivate (no inactive state), and --retire delete regenerates the old slot once every site is on the new one', async () => {
    const { id, old, next } = await rotate('billing-azure');
    if (old.provider !== 'azure' || next.provider !== 'azure') throw new Error('an Azure key');
    const refused = await retire(id);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('have no inactive state');
    expect(cloud.azure.slotOf(old.accountName, old.accountKey)).toBe(old.slot);
    const run = await retire(id, '--retire', 'delete');
    expect(run.code, run.stdout).toBe(0);
    expect(phaseOf(id)).toBe('Retired');
    expect(run.stdout).toContain('listKeys: every site holds the value of the slot other than');
    expect(cloud.azure.slotOf(old.accountName, old.accountKey)).toBeUndefined();
    expect(cloud.azure.slotOf(next.accountName, next.accountKey)).toBe(next.slot);
    clean(refused, run);
  });
});
