/**
 * The choice of the next retire step (steps/retire.ts), pure: from the evidence gathered, refuse,
 * wait, deactivate, delete, or keep the key deactivated — never a step the evidence does not allow.
 */
import { describe, expect, it } from 'vitest';
import { awsCapabilities, azureCapabilities, gcpCapabilities } from '../../src/providers/index.js';
import type { UsageEvidence } from '../../src/providers/index.js';
import { chooseRetirement, type RetireFacts } from '../../src/rotation/steps/retire.js';

const principal = { provider: 'aws' as const, id: 'arn:aws:iam::123456789012:user/kubecost', name: 'kubecost' };
const ref = { principal, keyId: 'AKIAOLD' };
const now = new Date('2026-12-03T12:00:00Z');

const usage = (usedSince: UsageEvidence['usedSince'], summary = `AKIAOLD: ${usedSince}`): UsageEvidence => ({
  ref,
  usedSince,
  window: { from: '2026-12-03T11:00:00.000Z', to: '2026-12-03T11:00:00.000Z' },
  checked: ['iam:GetAccessKeyLastUsed for AKIAOLD'],
  notChecked: [],
  summary,
});

const facts = (over: Partial<RetireFacts> = {}): RetireFacts => ({
  phase: 'Verified',
  record: { policy: 'delete', graceMs: 0, ref },
  capabilities: awsCapabilities(0),
  sitesHoldingOld: [],
  sitesNotOnNew: [],
  unreadable: [],
  usage: usage('no'),
  now,
  ...over,
});

describe('choosing the next retire step', () => {
  it('deactivates when no site holds the old key and the provider saw no use since the restarts', () => {
    expect(chooseRetirement(facts())).toEqual({ action: 'deactivate' });
  });

  it('refuses, naming the site, while a site still holds the old key — before and after deactivation', () => {
    const site = 'Secret kubecost/copy key cloud-integration.json on cluster-1';
    expect(chooseRetirement(facts({ sitesHoldingOld: [site] }))).toEqual({
      action: 'refuse',
      reason: `still holding the old key: ${site}`,
    });
    const deactivated = { policy: 'delete' as const, graceMs: 0, ref, deactivatedAt: '2026-12-03T11:30:00Z' };
    expect(chooseRetirement(facts({ record: deactivated, sitesHoldingOld: [site] })).action).toBe('refuse');
  });

  it('refuses when a cluster could not be read, since a site there may hold the old key', () => {
    expect(chooseRetirement(facts({ unreadable: ['cluster-2'] }))).toMatchObject({
      action: 'refuse',
      reason: expect.stringContaining('could not read cluster-2'),
    });
  });

  it('refuses when the provider shows a use after the restarts, with its summary', () => {
    expect(chooseRetirement(facts({ usage: usage('yes', 'AKIAOLD was used after 11:00 by s3') }))).toEqual({
      action: 'refuse',
      reason: 'AKIAOLD was used after 11:00 by s3',
    });
  });

  it('waits out a provider that records uses late, until the window covers the time since the restarts', () => {
    const choice = chooseRetirement(facts({ capabilities: awsCapabilities(4 * 3_600_000), usage: usage('unknown') }));
    expect(choice).toMatchObject({ action: 'wait', until: '2026-12-03T15:00:00.000Z' });
  });

  it('goes on the sites’ evidence when a provider that records at once cannot tell (GCP without Policy Analyzer)', () => {
    expect(chooseRetirement(facts({ capabilities: gcpCapabilities, usage: usage('unknown') }))).toEqual({
      action: 'deactivate',
    });
  });

  it('deletes only once the grace period is over, and keeps a key deactivated under --retire deactivate', () => {
    const record = {
      policy: 'delete' as const,
      graceMs: 3_600_000,
      ref,
      deactivatedAt: '2026-12-03T11:30:00Z',
      deleteAfter: '2026-12-03T12:30:00Z',
    };
    expect(chooseRetirement(facts({ record }))).toEqual({
      action: 'wait',
      until: '2026-12-03T12:30:00Z',
      reason: 'the grace period ends at 2026-12-03T12:30:00Z',
    });
    expect(chooseRetirement(facts({ record, now: new Date('2026-12-03T12:30:00Z') }))).toEqual({ action: 'delete' });
    expect(chooseRetirement(facts({ record: { ...record, policy: 'deactivate' } }))).toEqual({
      action: 'keep-deactivated',
    });
    expect(chooseRetirement(facts({ record: { ...record, deletedAt: '2026-12-03T12:31:00Z' } }))).toEqual({
      action: 'done',
    });
  });

  it('finishes a step a crash cut short (begun, not recorded done) without asking again', () => {
    const begun = { policy: 'delete' as const, graceMs: 0, ref, deactivateStarted: '2026-12-03T11:30:00Z' };
    expect(chooseRetirement(facts({ record: begun, usage: usage('unknown') }))).toEqual({ action: 'deactivate' });
    const deleting = { ...begun, deactivatedAt: '2026-12-03T11:30:01Z', deleteStarted: '2026-12-03T11:31:00Z' };
    expect(chooseRetirement(facts({ record: deleting, now: new Date('2026-12-03T11:00:00Z') }))).toEqual({
      action: 'delete',
    });
  });

  it('regenerates an Azure slot only when every site is on the new slot', () => {
    const azure = { capabilities: azureCapabilities, usage: undefined };
    expect(chooseRetirement(facts(azure))).toEqual({ action: 'delete' });
    expect(chooseRetirement(facts({ ...azure, sitesNotOnNew: ['site-1 holds the old slot key1'] })).action).toBe(
      'refuse',
    );
  });
});
