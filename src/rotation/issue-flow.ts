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
 * Refuses a retire policy the provider cannot carry out, before anything is minted: an Azure
 * storage key has no inactive state, so it is retired only by regenerating its slot (delete).
 */
export function refuseRetireItCannotDo(found: IssuePreflight, policy: IssuePolicy): void {
  if (found.cloud === 'azure' && policy.retire === 'deactivate')
    throw new ConfigError(
      '--retire deactivate (the default) cannot retire an Azure storage key: it has no inactive state.',
      'Pass --retire delete (the old slot is regenerated once every site is proven on the new one, which invalidates the old key at once) or --retire none (retire it yourself later).',
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
