/**
 * `rotate --issue`, the use case around the issue step (steps/issue.ts): what may start (the
 * preflight passed, a retire policy this build can carry out) and the intent the journal records
 * before the provider is called — the principal, the key the sites hold, the principal's keys as
 * they are now — so that a crash between the provider's answer and the next save leaves a key that
 * resume and rollback can find and adopt or delete.
 */
import type { KeyRef } from '../providers/index.js';
import { ConfigError } from '../shared/errors.js';
import type { IssuePolicy, IssuePreflight } from './issuing.js';
import type { IssueRecord } from './journal/document.js';

/** What `rotate --issue` starts from: the preflight of `plan --issue`, passed, and the policy. */
export interface IssueStart {
  readonly preflight: IssuePreflight;
  readonly policy: IssuePolicy;
}

/**
 * Until the retire step is built, `rotate --issue` stops at Verified and leaves the old key
 * active: any other `--retire` is refused before anything is read or written.
 */
export function refuseUnbuiltRetire(policy: IssuePolicy): void {
  if (policy.retire !== 'none')
    throw new ConfigError(
      `--retire ${policy.retire}: retire is not built yet; pass --retire none.`,
      'With --retire none the rotation ends Verified and the old key stays active: retire it at the provider when you are ready.',
    );
}

/** Refuses what the preflight refused (the key limit, an inactive key in the way, a missing permission). */
export function refuseFailedPreflight(found: IssuePreflight): void {
  const { result } = found;
  if (result.ok) return;
  throw new ConfigError(
    `--issue is refused before anything is changed: ${result.refusals.map((r) => r.message).join('; ')}`,
    result.refusals[0]?.remedy,
  );
}

/** The intent the journal is created with, before the provider is called. */
export function issueIntent(start: IssueStart, now: Date): IssueRecord {
  const { preflight, policy } = start;
  const { principal, inspection, replacing, result } = preflight;
  const replaced: KeyRef = inspection.keys.find((k) => k.ref.keyId === replacing)?.ref ?? {
    principal,
    keyId: replacing,
  };
  return {
    provider: preflight.cloud,
    principal,
    replacing: replaced,
    keysBefore: inspection.keys.map((k) => k.ref),
    deleteFirst: result.ok ? result.steps.map((s) => s.ref) : [],
    state: 'intent',
    intentAt: now.toISOString(),
    retire: policy.retire,
    graceMs: policy.graceMs,
  };
}
