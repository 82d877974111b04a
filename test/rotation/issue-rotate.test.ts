/**
 * `rotate --issue` (issue 10), per provider on a multi-cluster fleet of kube-sim and
 * cloud-sim, through the official SDKs: the new key is minted at the provider (an AWS IAM access
 * key, a GCP service-account key, the Azure storage key slot the sites do not use), written to
 * every site on every cluster, proven, and verified, while the old key stays active and no Kubecost
 * program ever logs an auth failure. Rolling it back deletes the minted key at the provider and
 * leaves the old one active. With `--retire delete --grace 0s` the old key is then deactivated and
 * deleted (Azure: its slot regenerated), and still no program logs an auth failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeCredential } from '../../src/sim/kubecost/index.js';
import { leakedSecrets, runCliInProcess } from '../support/capture.js';
import { secretText, settle, snapshotDiff, snapshotSecrets } from './harness.js';
import {
  authFailuresSince,
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

describe.each(ISSUE_CASES)('rotate --issue of a $provider key', ({ layout, credential }) => {
  let issue: IssueWorld;
  let old: FakeCredential;
  const printed: string[] = [];
  const minted: string[] = [];
  let verified: IssueJournal | undefined;
  let keysBefore: SimKey[];
  let logStart: number;

  beforeAll(async () => {
    issue = await startIssueWorld(layout);
    old = issue.world.layout.credentials.get(credential) as FakeCredential;
    keysBefore = principalKeys(issue.cloud, old);
  }, 120_000);

  afterAll(async () => {
    expect(leakedSecrets(printed.join('\n'), canaryValues(issue, minted)), 'no secret value was printed').toEqual([]);
    await issue.stop();
  });

  it('mints a key, writes it to every site of the fleet, proves it and reaches Verified, with zero auth failures', async () => {
    await settle(issue.world);
    logStart = issue.world.logs.length;
    const run = await runCliInProcess(rotateIssueArgs(issue.world, credentialIdOf(old), '--retire', 'none'));
    printed.push(run.stdout, run.stderr);
    expect(run.code, `${run.stderr}\n${run.stdout.slice(-1500)}`).toBe(0);
    expect(run.stdout).toMatch(/: Verified\./);
    expect(run.stdout).toContain(`Issue (--issue): a new key for`);

    const journal = issueJournals(issue.world)[0];
    verified = journal;
    expect(journal?.doc.phase).toBe('Verified');
    expect(journal?.doc.issue?.state).toBe('issued');
    expect(journal?.dataKeys, 'the journal dropped the minted key once Verified').not.toContain('new-key');

    // At the provider: the old key is untouched and active; exactly one key is new.
    const after = principalKeys(issue.cloud, old);
    const oldId = keyIdOf(old);
    expect(after.find((k) => k.id === oldId)).toEqual(keysBefore.find((k) => k.id === oldId));
    const fresh = after.filter((k) => !keysBefore.some((b) => b.id === k.id && b.value === k.value));
    expect(fresh).toHaveLength(1);
    const [newKey] = fresh as [SimKey];
    expect(newKey.status).toBe('Active');
    expect(journal?.doc.issue?.ref?.keyId).toBe(newKey.id);
    if (newKey.value) minted.push(newKey.value);

    // Every site, on every cluster, holds the minted key and no longer the old one.
    const sites = journal?.doc.plan.sites ?? [];
    expect(new Set(sites.map((s) => s.cluster)).size).toBeGreaterThanOrEqual(2);
    const oldValue = old.provider === 'aws' ? old.secretAccessKey : old.provider === 'azure' ? old.accountKey : oldId;
    for (const s of sites) {
      const text = secretText(issue.world.fleet.cluster(s.cluster), s.namespace, s.secret, s.dataKey);
      expect(
        text.includes(newKey.value ?? newKey.id),
        `${s.cluster}/${s.namespace}/${s.secret} holds the new key`,
      ).toBe(true);
      expect(text.includes(oldValue), `${s.cluster}/${s.namespace}/${s.secret} no longer holds the old key`).toBe(
        false,
      );
      // A GCP key's private half is only in the Secrets: the canary learns it here.
      minted.push(...privateKeysIn(text));
    }
    expect(journal?.raw.includes(newKey.value ?? '\u0000'), 'the journal document holds no key material').toBe(false);
    expect(authFailuresSince(issue.world, logStart), 'no Kubecost program logged an auth failure').toEqual([]);
  }, 120_000);

  it('rolled back, deletes the minted key at the provider and leaves the old one active', async () => {
    const id = verified?.doc.id;
    if (!id || !verified) throw new Error('the rotation did not run');
    const before = snapshotSecrets(issue.world);
    const run = await runCliInProcess([
      'rollback',
      id,
      '--kubeconfig',
      issue.world.kubeconfig,
      '--force',
      ...issue.world.probeFlags,
    ]);
    printed.push(run.stdout, run.stderr);
    expect(run.code, `${run.stderr}\n${run.stdout.slice(-1500)}`).toBe(0);
    expect(run.stdout + run.stderr).toContain('deleted the minted key');
    const journal = issueJournal(issue.world, id);
    expect(journal?.doc.phase).toBe('RolledBack');
    expect(journal?.doc.issue?.state).toBe('deleted');
    expect(journal?.dataKeys).toEqual(['journal.json']);
    // The old key is active, and the minted one is gone (Azure: its slot was regenerated).
    const after = principalKeys(issue.cloud, old);
    const oldId = keyIdOf(old);
    expect(after.find((k) => k.id === oldId)).toEqual(keysBefore.find((k) => k.id === oldId));
    if (old.provider === 'azure') {
      const other = after.find((k) => k.id !== oldId);
      expect(other?.value).not.toBe(minted[0]);
    } else {
      expect(after.map((k) => k.id)).toEqual(keysBefore.map((k) => k.id));
    }
    // Every site holds the old key again; the Secrets changed only where the rotation wrote.
    const written = new Set(verified.doc.plan.writes.map((w) => `${w.cluster}/${w.namespace}/${w.secret}`));
    expect(snapshotDiff(before, snapshotSecrets(issue.world), written)).toEqual([]);
    for (const s of verified.doc.plan.sites) {
      const text = secretText(issue.world.fleet.cluster(s.cluster), s.namespace, s.secret, s.dataKey);
      expect(text.includes(old.provider === 'azure' ? old.accountKey : oldId)).toBe(true);
    }
    await settle(issue.world);
    expect(authFailuresSince(issue.world, logStart), 'no Kubecost program logged an auth failure').toEqual([]);
  }, 120_000);

  it('with --retire delete --grace 0s also deactivates and deletes the old key after verification, and no program ever lost access', async () => {
    await settle(issue.world);
    const start = issue.world.logs.length;
    const before = principalKeys(issue.cloud, old);
    const oldId = keyIdOf(old);
    expect(before.find((k) => k.id === oldId)?.status, 'the old key is active again after the rollback').toBe('Active');
    const known = new Set(issueJournals(issue.world).map((j) => j.doc.id));
    const run = await runCliInProcess(
      rotateIssueArgs(issue.world, credentialIdOf(old), '--retire', 'delete', '--grace', '0s'),
    );
    printed.push(run.stdout, run.stderr);
    expect(run.code, `${run.stderr}\n${run.stdout.slice(-1500)}`).toBe(0);
    expect(run.stdout).toMatch(/: Verified\./);
    expect(run.stdout).toMatch(/: Retired\./);
    const journal = issueJournals(issue.world).find((j) => !known.has(j.doc.id));
    expect(journal?.doc.phase).toBe('Retired');
    expect(journal?.doc.issue?.state).toBe('issued');

    // At the provider: the old key is gone (Azure: its slot regenerated), the minted one is active.
    const after = principalKeys(issue.cloud, old);
    minted.push(...keyValues(after));
    const oldValue = old.provider === 'aws' ? old.secretAccessKey : old.provider === 'azure' ? old.accountKey : oldId;
    if (old.provider === 'azure') expect(after.map((k) => k.value)).not.toContain(oldValue);
    else expect(after.map((k) => k.id)).not.toContain(oldId);
    const mintedKey = after.find((k) => k.id === journal?.doc.issue?.ref?.keyId);
    expect(mintedKey?.status).toBe('Active');
    for (const s of journal?.doc.plan.sites ?? []) {
      const text = secretText(issue.world.fleet.cluster(s.cluster), s.namespace, s.secret, s.dataKey);
      expect(
        text.includes(mintedKey?.value ?? mintedKey?.id ?? '\u0000'),
        `${s.cluster}/${s.secret} holds the minted key`,
      ).toBe(true);
      minted.push(...privateKeysIn(text));
    }
    // The programs go on running after the old key is gone: zero auth failures from the mint to now.
    const deletedAt = issue.world.logs.length;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(issue.world.logs.length, 'the Kubecost programs logged after the old key was deleted').toBeGreaterThan(
      deletedAt,
    );
    expect(authFailuresSince(issue.world, start), 'no Kubecost program logged an auth failure').toEqual([]);
  }, 120_000);
});

describe('rotate --issue of an AWS key that IAM accepts only after a while', () => {
  let issue: IssueWorld;
  let old: FakeCredential;
  let keysBefore: SimKey[];
  const printed: string[] = [];
  const minted: string[] = [];

  beforeAll(async () => {
    issue = await startIssueWorld('v1-federated');
    old = issue.world.layout.credentials.get('federated-s3') as FakeCredential;
    keysBefore = principalKeys(issue.cloud, old);
  }, 120_000);

  afterAll(async () => {
    expect(leakedSecrets(printed.join('\n'), canaryValues(issue, minted)), 'no secret value was printed').toEqual([]);
    await issue.stop();
  });

  it('proves a new AWS key that IAM takes seconds to accept everywhere with bounded retries, then writes it', async () => {
    const iam = issue.cloud.aws.iam;
    iam.consistencyDelayMs = 2000;
    let id: string | undefined;
    try {
      const run = await runCliInProcess(rotateIssueArgs(issue.world, credentialIdOf(old), '--retire', 'none'));
      printed.push(run.stdout, run.stderr);
      expect(run.code, `${run.stderr}\n${run.stdout.slice(-1500)}`).toBe(0);
      expect(run.stdout).toMatch(
        /authenticates as arn:aws:iam::123456789012:user\/\S+ and reached \d+ resources? \(after [2-7] rounds\)/,
      );
      expect(run.stdout).toMatch(/: Verified\./);
      id = /rotation (\S+): Verified\./.exec(run.stdout)?.[1];
      minted.push(...keyValues(principalKeys(issue.cloud, old)));
    } finally {
      iam.consistencyDelayMs = 0;
    }
    // Put the old key back, for the world's other users (and the minted key is deleted again).
    const undo = await runCliInProcess([
      'rollback',
      id ?? '',
      '--kubeconfig',
      issue.world.kubeconfig,
      '--force',
      ...issue.world.probeFlags,
    ]);
    printed.push(undo.stdout, undo.stderr);
    expect(undo.code, undo.stderr).toBe(0);
    expect(principalKeys(issue.cloud, old).map((k) => k.id)).toEqual(keysBefore.map((k) => k.id));
  }, 120_000);
});
