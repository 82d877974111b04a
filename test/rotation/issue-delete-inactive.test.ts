/**
 * `rotate --issue --delete-inactive` (issue 10): the IAM user holds the key the sites use and an
 * inactive second key, which takes the second slot (two keys per user). `plan --issue` refuses
 * and offers --delete-inactive; with it, `rotate --issue` records the inactive key in the journal's
 * intent (IssueRecord.deleteFirst) before any provider call, deletes it, mints, writes and verifies,
 * and ends with exactly the old key and the new one at the provider. A run killed between the
 * deletion and the mint (crash point effect:1) is finished by `resume` without an error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeCredential } from '../../src/sim/kubecost/index.js';
import { leakedSecrets, runCliInProcess } from '../support/capture.js';
import { journals, runCliChild, secretText, settle, type JournalView } from './harness.js';
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
    readonly issue?: { state: string; ref?: { keyId: string }; deleteFirst: { keyId: string }[] };
  };
};

describe('rotate --issue --delete-inactive of an AWS key whose user also has an inactive key', () => {
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

  /** Gives the user an inactive second key at the emulated IAM, as one left from an earlier rotation. */
  function addInactiveKey(): string {
    const made = issue.cloud.aws.createAccessKey(old.user);
    minted.push(made.secretAccessKey);
    const record = issue.cloud.aws.iam.keys.get(made.accessKeyId);
    if (!record) throw new Error('cloud-sim did not keep the key');
    record.status = 'Inactive';
    return made.accessKeyId;
  }

  const keys = () => principalKeys(issue.cloud, old);

  const cli = async (...argv: string[]) => {
    const run = await runCliInProcess([...argv, '--kubeconfig', issue.world.kubeconfig, ...issue.world.probeFlags]);
    printed.push(run.stdout, run.stderr);
    return run;
  };

  const rotate = async (...extra: string[]) => {
    const run = await runCliInProcess(rotateIssueArgs(issue.world, credentialIdOf(old), ...extra));
    printed.push(run.stdout, run.stderr);
    return run;
  };

  /** Exactly the old key (active) and the rotation's minted key (active), which every site holds. */
  function expectOldAndNew(journal: IssueJournal | undefined): void {
    const newId = journal?.doc.issue?.ref?.keyId ?? '';
    expect(newId).toMatch(/^AKIA/);
    const now = keys();
    for (const k of now) if (k.value) minted.push(k.value);
    expect(now.map((k) => [k.id, k.status])).toEqual(
      [
        [old.accessKeyId, 'Active'],
        [newId, 'Active'],
      ].sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? '')),
    );
    for (const s of journal?.doc.plan.sites ?? []) {
      const text = secretText(issue.world.fleet.cluster(s.cluster), s.namespace, s.secret, s.dataKey);
      expect(text.includes(newId), `${s.cluster}/${s.namespace}/${s.secret} holds the minted key`).toBe(true);
    }
  }

  /** Undoes a rotation for the next case: the minted key is deleted, the old one stays. */
  async function rollBack(id: string): Promise<void> {
    const undo = await cli('rollback', id, '--force');
    expect(undo.code, `${undo.stderr}\n${undo.stdout.slice(-800)}`).toBe(0);
    expect(keys().map((k) => k.id)).toEqual([old.accessKeyId]);
    await settle(issue.world);
  }

  it('without --delete-inactive, refuses before anything changes and offers the flag', async () => {
    const inactive = addInactiveKey();
    try {
      const before = keys();
      const known = journals(issue.world).length;
      const run = await rotate('--retire', 'none');
      expect(run.code, run.stdout).toBe(2);
      expect(run.stderr).toContain(`the inactive ${inactive} still takes a slot`);
      expect(run.stderr).toContain('Pass --delete-inactive');
      expect(keys()).toEqual(before);
      expect(journals(issue.world)).toHaveLength(known);
    } finally {
      issue.cloud.aws.iam.keys.delete(inactive);
    }
  }, 60_000);

  it('deletes the inactive key first (recorded in the intent), mints, writes, verifies: the old key and the new one remain', async () => {
    await settle(issue.world);
    const inactive = addInactiveKey();
    const known = new Set(journals(issue.world).map((j) => j.doc.id));
    const run = await rotate('--retire', 'none', '--delete-inactive');
    expect(run.code, `${run.stderr}\n${run.stdout.slice(-1500)}`).toBe(0);
    expect(run.stdout).toMatch(/: Verified\./);
    expect(run.stdout).toContain(`before issuing: delete ${inactive}:`);
    const journal = journals(issue.world).find((j) => !known.has(j.doc.id)) as IssueJournal | undefined;
    expect(journal?.doc.phase).toBe('Verified');
    expect(journal?.doc.issue?.deleteFirst.map((r) => r.keyId)).toEqual([inactive]);
    expect(issue.cloud.aws.iam.keys.has(inactive), 'the inactive key is deleted').toBe(false);
    expectOldAndNew(journal);
    await rollBack(journal?.doc.id ?? '');
  }, 120_000);

  it('killed between deleting the inactive key and minting (effect:1), resume mints, writes and verifies without an error', async () => {
    await settle(issue.world);
    const inactive = addInactiveKey();
    const known = new Set(journals(issue.world).map((j) => j.doc.id));
    const child = await runCliChild(
      rotateIssueArgs(issue.world, credentialIdOf(old), '--retire', 'none', '--delete-inactive'),
      { ...issue.env, KUBECOST_ROTATE_TEST_CRASH: 'effect:1' },
    );
    printed.push(child.stdout, child.stderr);
    expect(child.signal, `exit ${String(child.code)}: ${child.stderr.slice(0, 400)}`).toBe('SIGKILL');
    const killed = journals(issue.world).find((j) => !known.has(j.doc.id)) as IssueJournal | undefined;
    expect(killed?.doc.phase).toBe('Planned');
    expect(killed?.doc.issue?.state, 'the intent was journaled before the deletion').toBe('intent');
    expect(killed?.doc.issue?.deleteFirst.map((r) => r.keyId)).toEqual([inactive]);
    // The deletion landed; nothing was minted yet.
    expect(keys().map((k) => k.id)).toEqual([old.accessKeyId]);

    const resume = await cli('resume', killed?.doc.id ?? '');
    expect(resume.code, `${resume.stderr}\n${resume.stdout.slice(-1500)}`).toBe(0);
    // Its only notice is the wait for the Lease the killed run held.
    expect(resume.stderr).not.toMatch(/error|warning/i);
    expect(resume.stdout).toMatch(/: Verified\./);
    const journal = journals(issue.world).find((j) => j.doc.id === killed?.doc.id) as IssueJournal | undefined;
    expect(journal?.doc.phase).toBe('Verified');
    expectOldAndNew(journal);
    await rollBack(journal?.doc.id ?? '');
  }, 180_000);
});
