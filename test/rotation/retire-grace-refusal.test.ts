/**
 * A site put back onto the old key during the grace period (issue 10): after `rotate --issue
 * --retire delete --grace 1h` reached Retiring (the old key deactivated, the grace running),
 * someone writes the old value back into one of the Secrets. Neither `resume` nor `retire ID`
 * (during the grace or after it) may delete the old key then: they refuse, exit 3, name the site
 * and say what to do (fix the site and resume, or roll back, which reactivates the old key). The
 * rollback reactivates the old key and deletes the minted one; once the site is fixed instead,
 * resume deletes the old key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIM_RESOURCES } from '../../src/sim/kube/index.js';
import type { FakeCredential } from '../../src/sim/kubecost/index.js';
import { leakedSecrets, runCliInProcess } from '../support/capture.js';
import {
  journalById,
  journals,
  secretText,
  settle,
  snapshotSecrets,
  type JournalView,
  type SecretSnapshot,
} from './harness.js';
import {
  canaryValues,
  credentialIdOf,
  principalKeys,
  rotateIssueArgs,
  startIssueWorld,
  type IssueWorld,
} from './issue-support.js';

type IssueJournal = JournalView & {
  readonly doc: JournalView['doc'] & {
    readonly issue?: { state: string; ref?: { keyId: string } };
    readonly retire?: { deactivatedAt?: string; deletedAt?: string; deleteStarted?: string; refused?: string };
  };
};

interface Target {
  readonly cluster: string;
  readonly namespace: string;
  readonly secret: string;
}

describe('a site put back onto the old key while the grace period runs', () => {
  let issue: IssueWorld;
  let old: FakeCredential & { provider: 'aws' };
  const printed: string[] = [];
  const minted: string[] = [];

  beforeAll(async () => {
    issue = await startIssueWorld('v1-federated');
    old = issue.world.layout.credentials.get('federated-s3') as FakeCredential & { provider: 'aws' };
  }, 120_000);

  afterAll(async () => {
    expect(leakedSecrets(printed.join('\n'), canaryValues(issue, minted)), 'no secret value was printed').toEqual([]);
    await issue.stop();
  });

  const remember = (secret: string) => minted.push(secret);
  const cli = async (...argv: string[]) => {
    const run = await runCliInProcess([...argv, '--kubeconfig', issue.world.kubeconfig, ...issue.world.probeFlags]);
    printed.push(run.stdout, run.stderr);
    return run;
  };
  const status = (id: string) => issue.cloud.aws.iam.keys.get(id)?.status;
  const dataOf = (t: Target) =>
    ({
      ...((issue.world.fleet.cluster(t.cluster).api.get(SIM_RESOURCES.secrets, t.namespace, t.secret).data ??
        {}) as Record<string, string>),
    }) as Record<string, string>;
  /** Writes `data` into the Secret, as a human (or a stale GitOps copy) would. */
  function overwrite(t: Target, data: Record<string, string>): void {
    const cluster = issue.world.fleet.cluster(t.cluster);
    const current = cluster.api.get(SIM_RESOURCES.secrets, t.namespace, t.secret);
    cluster.apply({ ...current, data });
  }

  /**
   * Runs `rotate --issue --retire delete --grace 1h` to Retiring. On a loaded machine a request a
   * replaced pod sent with the old key may be answered (and recorded by IAM) a second or two after
   * the rollouts completed: GetAccessKeyLastUsed then shows a use after the restarts and the
   * retirement is refused, rightly, before anything is deactivated. That is not what this file
   * tests: once such late answers have drained, the use is moved back before the restarts at the
   * emulated IAM (as an idle machine would have recorded it), and `retire ID` goes on to Retiring.
   */
  async function rotateToRetiring(): Promise<{ journal: IssueJournal; before: SecretSnapshot }> {
    await settle(issue.world);
    const known = new Set(journals(issue.world).map((j) => j.doc.id));
    const before = snapshotSecrets(issue.world);
    const run = await runCliInProcess(
      rotateIssueArgs(issue.world, credentialIdOf(old), '--retire', 'delete', '--grace', '1h'),
    );
    printed.push(run.stdout, run.stderr);
    const made = journals(issue.world).find((j) => !known.has(j.doc.id)) as IssueJournal | undefined;
    if (!made) throw new Error(`rotate made no journal: ${run.stderr}`);
    const mintedKey = issue.cloud.aws.iam.keys.get(made.doc.issue?.ref?.keyId ?? '');
    if (mintedKey) remember(mintedKey.secret);
    let last = run.stdout;
    for (let attempt = 1; attempt <= 5; attempt++) {
      const late = /was used after (\S+): last used (\S+) by s3/.exec(last);
      if (journalById(issue.world, made.doc.id)?.doc.phase !== 'Verified' || !late) break;
      const [, from = '', at = ''] = late;
      expect(Date.parse(at) - Date.parse(from), 'a late answer, not a consumer left on the old key').toBeLessThan(
        15_000,
      );
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const record = issue.cloud.aws.iam.keys.get(old.accessKeyId);
      if (!record) throw new Error('the old key is gone');
      const earlier = new Date(Date.parse(from) - 5000);
      record.lastUsed = earlier;
      record.reported = { at: earlier, service: 's3', region: 'us-east-1' };
      record.unreported = [];
      const retire = await cli('retire', made.doc.id);
      last = retire.stdout;
    }
    const journal = journalById(issue.world, made.doc.id) as IssueJournal | undefined;
    expect(journal?.doc.phase, last.slice(-1200)).toBe('Retiring');
    return { journal: journal as IssueJournal, before };
  }

  /** Rotates with --retire delete --grace 1h up to Retiring, then puts the old data back into one Secret. */
  async function retiringWithRevertedSite(): Promise<{ id: string; target: Target; newData: Record<string, string> }> {
    const { journal, before } = await rotateToRetiring();
    const id = journal.doc.id;
    expect(status(old.accessKeyId), 'the old key is deactivated, the grace runs').toBe('Inactive');
    const target = journal.doc.plan.writes[0];
    if (!target) throw new Error('the rotation wrote no Secret');
    const oldData = before.get(`${target.cluster}/${target.namespace}/${target.secret}`)?.data ?? {};
    const newData = dataOf(target);
    overwrite(target, oldData);
    expect(
      secretText(
        issue.world.fleet.cluster(target.cluster),
        target.namespace,
        target.secret,
        Object.keys(oldData)[0] ?? '',
      ),
    ).toContain(old.accessKeyId);
    return { id, target, newData };
  }

  const siteNamed = (t: Target) =>
    new RegExp(`still holding the old key: Secret ${t.namespace}/${t.secret} key \\S+ on ${t.cluster}`);

  it('resume and retire ID refuse to delete the old key, during the grace and after it, naming the site and what to do, exit 3', async () => {
    const { id, target } = await retiringWithRevertedSite();

    const during = await cli('resume', id);
    expect(during.code, during.stdout + during.stderr).toBe(3);
    expect(during.stdout).toMatch(siteNamed(target));

    // The grace is over (retire --grace 0s shortens it): still refused, nothing deleted.
    const retire = await cli('retire', id, '--grace', '0s');
    expect(retire.code, retire.stdout + retire.stderr).toBe(3);
    expect(retire.stdout).toMatch(siteNamed(target));
    expect(retire.stdout).toContain('The old key is deactivated, so what reads it there cannot authenticate now');
    expect(retire.stdout).toContain(`put the new key back where it is named`);
    expect(retire.stdout).toContain(`then run "kubecost-rotate resume ${id}"`);
    expect(retire.stdout).toContain(
      `"kubecost-rotate rollback ${id} --force" to reactivate it and put it back everywhere`,
    );
    expect(issue.cloud.aws.iam.keys.has(old.accessKeyId), 'the old key is not deleted').toBe(true);
    expect(status(old.accessKeyId)).toBe('Inactive');

    const after = await cli('resume', id);
    expect(after.code, after.stdout + after.stderr).toBe(3);
    expect(after.stdout).toMatch(siteNamed(target));
    const journal = journalById(issue.world, id) as IssueJournal | undefined;
    expect(journal?.doc.phase).toBe('Retiring');
    expect(journal?.doc.retire?.deleteStarted, 'no delete was begun').toBeUndefined();
    expect(journal?.doc.retire?.refused).toMatch(/still holding the old key/);
    expect(issue.cloud.aws.iam.keys.has(old.accessKeyId)).toBe(true);

    // Rolling back reactivates the old key, puts it back everywhere and deletes the minted one.
    const mintedId = journal?.doc.issue?.ref?.keyId ?? '';
    const rollback = await cli('rollback', id, '--force');
    expect(rollback.code, `${rollback.stderr}\n${rollback.stdout.slice(-1500)}`).toBe(0);
    expect(journalById(issue.world, id)?.doc.phase).toBe('RolledBack');
    expect(status(old.accessKeyId)).toBe('Active');
    expect(issue.cloud.aws.iam.keys.has(mintedId), 'the minted key is deleted').toBe(false);
    expect(principalKeys(issue.cloud, old).map((k) => [k.id, k.status])).toEqual([[old.accessKeyId, 'Active']]);
    for (const s of journal?.doc.plan.sites ?? [])
      expect(secretText(issue.world.fleet.cluster(s.cluster), s.namespace, s.secret, s.dataKey)).toContain(
        old.accessKeyId,
      );
  }, 180_000);

  it('once the site holds the new key again, resume after the grace deletes the old key', async () => {
    const { id, target, newData } = await retiringWithRevertedSite();
    const refused = await cli('retire', id, '--grace', '0s');
    expect(refused.code, refused.stdout + refused.stderr).toBe(3);
    expect(refused.stdout).toMatch(siteNamed(target));
    overwrite(target, newData);
    const done = await cli('resume', id);
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(journalById(issue.world, id)?.doc.phase).toBe('Retired');
    expect(issue.cloud.aws.iam.keys.has(old.accessKeyId), 'the old key is deleted').toBe(false);
  }, 180_000);
});
