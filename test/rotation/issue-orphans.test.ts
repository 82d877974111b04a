/**
 * A `rotate --issue` killed (SIGKILL) between the provider's answer and the next journal save
 * (crash point effect:1: the key is minted, the journal does not know it yet), and around it
 * (journal:1, the intent saved before the call; journal:2, the minted key saved with phase
 * Issued). The intent the journal recorded first lets `resume` find the key among the principal's
 * keys and adopt it (Azure: the slot was regenerated, its value is read back) or delete the orphan
 * and mint again (AWS, GCP: the secret cannot be read twice), and lets `rollback` delete it.
 * Either way, at the end exactly one key is in use, the old key is active, and no orphan is left.
 * (The auth-failure count is asserted in issue-rotate.test.ts: here, the child processes load the
 * machine enough that azurite resets connections now and then, which 3.x programs log with the same
 * line as a refused key.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeCredential } from '../../src/sim/kubecost/index.js';
import { leakedSecrets, runCliInProcess } from '../support/capture.js';
import { runCliChild, secretText, settle, snapshotDiff, snapshotSecrets, type SecretSnapshot } from './harness.js';
import {
  canaryValues,
  credentialIdOf,
  ISSUE_CASES,
  issueJournal,
  issueJournals,
  keyIdOf,
  keyValues,
  principalKeys,
  privateKeysIn,
  rotateIssueArgs,
  startIssueWorld,
  type IssueJournal,
  type IssueWorld,
  type SimKey,
} from './issue-support.js';

describe.each(ISSUE_CASES)('a $provider rotate --issue killed around the provider call', ({ layout, credential }) => {
  let issue: IssueWorld;
  let old: FakeCredential;
  let keysBefore: SimKey[];
  let installed: SecretSnapshot;
  const printed: string[] = [];
  const minted: string[] = [];

  beforeAll(async () => {
    issue = await startIssueWorld(layout);
    old = issue.world.layout.credentials.get(credential) as FakeCredential;
    keysBefore = principalKeys(issue.cloud, old);
    installed = snapshotSecrets(issue.world);
  }, 120_000);

  afterAll(async () => {
    expect(leakedSecrets(printed.join('\n'), canaryValues(issue, minted)), 'no secret value was printed').toEqual([]);
    await issue.stop();
  });

  const oldId = () => keyIdOf(old);
  /** The principal's keys when the case started (Azure: a rollback regenerated the other slot). */
  let baseline: SimKey[] = [];
  /** The keys at the provider that were not there when the case started (Azure: the other slot, if it changed). */
  const newKeys = (since: readonly SimKey[] = baseline) =>
    principalKeys(issue.cloud, old).filter((k) => !since.some((b) => b.id === k.id && b.value === k.value));
  const oldIsActive = () =>
    expect(principalKeys(issue.cloud, old).find((k) => k.id === oldId())).toEqual(
      keysBefore.find((k) => k.id === oldId()),
    );
  const remember = (keys: readonly SimKey[]) => minted.push(...keyValues(keys));

  /** Runs rotate --issue in a child process killed at `point`; returns the journal it left. */
  async function killAt(point: string): Promise<IssueJournal> {
    await settle(issue.world);
    const known = new Set(issueJournals(issue.world).map((j) => j.doc.id));
    baseline = principalKeys(issue.cloud, old);
    const child = await runCliChild(rotateIssueArgs(issue.world, credentialIdOf(old), '--retire', 'none'), {
      ...issue.env,
      KUBECOST_ROTATE_TEST_CRASH: point,
    });
    printed.push(child.stdout, child.stderr);
    expect(child.signal, `killed at ${point} (exit ${String(child.code)}: ${child.stderr.slice(0, 400)})`).toBe(
      'SIGKILL',
    );
    const made = issueJournals(issue.world).filter((j) => !known.has(j.doc.id));
    expect(made).toHaveLength(1);
    return made[0] as IssueJournal;
  }

  const cli = async (...argv: string[]) => {
    const run = await runCliInProcess([...argv, '--kubeconfig', issue.world.kubeconfig, ...issue.world.probeFlags]);
    printed.push(run.stdout, run.stderr);
    return run;
  };

  /** Rollback left the world as installed: every Secret byte for byte, the old key active, nothing minted left. */
  function expectRolledBack(id: string) {
    const journal = issueJournal(issue.world, id);
    expect(journal?.doc.phase).toBe('RolledBack');
    expect(journal?.doc.issue?.state).toBe('deleted');
    expect(journal?.dataKeys, 'no key material kept').toEqual(['journal.json']);
    expect(snapshotDiff(installed, snapshotSecrets(issue.world))).toEqual([]);
    oldIsActive();
    const left = newKeys(keysBefore);
    if (old.provider === 'azure') {
      // The other slot always holds a key: after rollback, not one anybody was given.
      expect(left.every((k) => !minted.includes(k.value ?? ''))).toBe(true);
    } else {
      expect(left, 'no orphan key is left at the provider').toEqual([]);
    }
  }

  it('after a kill between the provider call and the save (effect:1), resume adopts or replaces the minted key and verifies', async () => {
    const killed = await killAt('effect:1');
    expect(killed.doc.phase).toBe('Planned');
    expect(killed.doc.issue?.state, 'the intent was journaled before the call').toBe('intent');
    expect(killed.dataKeys, 'the journal never saw the minted key').toEqual(['journal.json']);
    const orphan = newKeys();
    expect(orphan, 'the provider minted one key the journal does not know').toHaveLength(1);
    remember(orphan);
    oldIsActive();

    const resume = await cli('resume', killed.doc.id);
    expect(resume.code, `${resume.stderr}\n${resume.stdout.slice(-1500)}`).toBe(0);
    expect(resume.stdout).toMatch(/: Verified\./);
    const journal = issueJournal(issue.world, killed.doc.id);
    expect(journal?.doc.phase).toBe('Verified');
    expect(journal?.dataKeys, 'the minted key dropped once Verified').not.toContain('new-key');

    // Exactly one new key, the one every site holds; the old key still active; the orphan gone or adopted.
    const now = newKeys();
    expect(now).toHaveLength(1);
    remember(now);
    const [inUse] = now as [SimKey];
    expect(journal?.doc.issue?.ref?.keyId).toBe(inUse.id);
    if (old.provider === 'azure') expect(inUse.value, 'Azure: the regenerated slot was adopted').toBe(orphan[0]?.value);
    else expect(inUse.id, 'AWS, GCP: the orphan was deleted and a key minted again').not.toBe(orphan[0]?.id);
    expect(resume.stdout + resume.stderr).toContain(
      old.provider === 'azure'
        ? 'adopted (minted by a run that stopped before recording it)'
        : `deleted key ${orphan[0]?.id ?? '?'}`,
    );
    oldIsActive();
    for (const s of journal?.doc.plan.sites ?? []) {
      const text = secretText(issue.world.fleet.cluster(s.cluster), s.namespace, s.secret, s.dataKey);
      expect(
        text.includes(inUse.value ?? inUse.id),
        `${s.cluster}/${s.namespace}/${s.secret} holds the key in use`,
      ).toBe(true);
      minted.push(...privateKeysIn(text));
    }

    // Undo it for the next case: rollback --force deletes the minted key.
    const undo = await cli('rollback', killed.doc.id, '--force');
    expect(undo.code, undo.stderr).toBe(0);
    expectRolledBack(killed.doc.id);
  }, 180_000);

  it('after a kill between the provider call and the save (effect:1), rollback deletes the orphan', async () => {
    const killed = await killAt('effect:1');
    expect(killed.doc.issue?.state).toBe('intent');
    const orphan = newKeys();
    expect(orphan).toHaveLength(1);
    remember(orphan);
    const rollback = await cli('rollback', killed.doc.id);
    expect(rollback.code, `${rollback.stderr}\n${rollback.stdout.slice(-1500)}`).toBe(0);
    expect(rollback.stdout + rollback.stderr).toContain(`deleted the minted key ${orphan[0]?.id ?? '?'}`);
    expectRolledBack(killed.doc.id);
  }, 120_000);

  it('after a kill right after the intent was saved (journal:1), resume mints the key and verifies', async () => {
    const killed = await killAt('journal:1');
    expect(killed.doc.issue?.state).toBe('intent');
    expect(newKeys(), 'nothing was minted yet').toEqual([]);
    const resume = await cli('resume', killed.doc.id);
    expect(resume.code, `${resume.stderr}\n${resume.stdout.slice(-1500)}`).toBe(0);
    expect(resume.stdout).toMatch(/: Verified\./);
    const now = newKeys();
    expect(now).toHaveLength(1);
    remember(now);
    const undo = await cli('rollback', killed.doc.id, '--force');
    expect(undo.code, undo.stderr).toBe(0);
    expectRolledBack(killed.doc.id);
  }, 180_000);

  it('after a kill right after the minted key was saved (journal:2), rollback deletes it', async () => {
    const killed = await killAt('journal:2');
    expect(killed.doc.phase).toBe('Issued');
    expect(killed.doc.issue?.state).toBe('issued');
    const made = newKeys();
    expect(made).toHaveLength(1);
    remember(made);
    expect(killed.doc.issue?.ref?.keyId).toBe(made[0]?.id);
    // The journal holds the minted key as it holds a key the user brings (new-key), and nowhere else.
    expect(killed.dataKeys).toEqual(['journal.json', 'new-key']);
    for (const k of made) if (k.value) expect(killed.raw.includes(k.value)).toBe(false);
    const rollback = await cli('rollback', killed.doc.id);
    expect(rollback.code, `${rollback.stderr}\n${rollback.stdout.slice(-1500)}`).toBe(0);
    expectRolledBack(killed.doc.id);
  }, 120_000);
});
