/**
 * Retire: deactivate, then delete, the old key at the provider after a Verified rotation and its
 * grace period (`Verified → Retiring → Retired` in machine.ts). Only on a Verified journal
 * (cert-manager's revisionmanager). What to do next is chosen by a pure function of the facts
 * gathered (retire-flow.ts gathers them); the provider calls are separate, each journaled before
 * and after it happens, and idempotent (deactivating an inactive key, deleting a missing one: done).
 */
import { recordEvent } from '../../kube/events.js';
import type { KeyProvider, KeyRef, ProviderCapabilities, UsageEvidence } from '../../providers/index.js';
import type { RetireRecord } from '../journal/document.js';
import type { Phase } from '../machine.js';
import { afterEffect, type StepContext } from './context.js';

export type { StepContext } from './context.js';

/** What the evidence gathered before a retire step shows. */
export interface RetireFacts {
  readonly phase: Phase;
  readonly record: RetireRecord;
  readonly capabilities: ProviderCapabilities;
  /** Sites found on the clusters that still hold the old key, described (cluster/namespace/Secret/key). */
  readonly sitesHoldingOld: readonly string[];
  /** Sites of the plan that do not hold the new key now, with what they hold. */
  readonly sitesNotOnNew: readonly string[];
  /** Clusters that could not be read, where a site may still hold the old key. */
  readonly unreadable: readonly string[];
  /** The provider's evidence of use of the old key since the last consumer restart (before deactivation). */
  readonly usage?: UsageEvidence;
  readonly now: Date;
}

export type RetireChoice =
  /** Do not retire now: the evidence says the old key may still be used. */
  | { readonly action: 'refuse'; readonly reason: string }
  /** Nothing is wrong, but the next step may not happen before `until`. */
  | { readonly action: 'wait'; readonly until: string; readonly reason: string }
  | { readonly action: 'deactivate' }
  /** Delete the old key (Azure: regenerate its slot). */
  | { readonly action: 'delete' }
  /** The policy stops at deactivation, which is done: Retired. */
  | { readonly action: 'keep-deactivated' }
  /** The old key is gone. */
  | { readonly action: 'done' };

/** Whether the provider retires by regenerating (Azure storage keys: no inactive state). */
export const regenerates = (capabilities: ProviderCapabilities) => capabilities.retireSteps.includes('regenerate');

/** The next retire step, from the facts alone. Pure. */
export function chooseRetirement(facts: RetireFacts): RetireChoice {
  const { record, capabilities } = facts;
  if (record.deletedAt) return { action: 'done' };
  // A step recorded as begun (then a crash or a stop) was decided on the evidence of its time: finish it
  // (the call is idempotent) rather than leave the provider in a state the journal does not say.
  if (record.deleteStarted) return { action: 'delete' };
  if (record.deactivateStarted && !record.deactivatedAt) return { action: 'deactivate' };
  // Whatever the step, no site may still hold the old key (deactivating or deleting it would cut it off).
  if (facts.unreadable.length > 0)
    return {
      action: 'refuse',
      reason: `could not read ${facts.unreadable.join(', ')}: a site there may still hold the old key`,
    };
  if (facts.sitesHoldingOld.length > 0)
    return { action: 'refuse', reason: `still holding the old key: ${facts.sitesHoldingOld.join('; ')}` };
  if (facts.sitesNotOnNew.length > 0)
    return { action: 'refuse', reason: `not on the new key: ${facts.sitesNotOnNew.join('; ')}` };
  if (regenerates(capabilities)) return { action: 'delete' };
  if (!record.deactivatedAt) {
    const usage = facts.usage;
    if (usage?.usedSince === 'yes') return { action: 'refuse', reason: usage.summary };
    // AWS records a use late: until the window covers the time since the restarts, it cannot tell.
    if (usage?.usedSince === 'unknown' && capabilities.evidence.reportingDelayMs > 0)
      return {
        action: 'wait',
        until: new Date(Date.parse(usage.window.from) + capabilities.evidence.reportingDelayMs).toISOString(),
        reason: usage.summary,
      };
    return { action: 'deactivate' };
  }
  if (record.policy === 'deactivate') return { action: 'keep-deactivated' };
  const after = record.deleteAfter ?? record.deactivatedAt;
  if (facts.now.getTime() < Date.parse(after))
    return { action: 'wait', until: after, reason: `the grace period ends at ${after}` };
  return { action: 'delete' };
}

const keyName = (ref: KeyRef) => `${ref.keyId}${ref.fingerprint ? ` (fp=${ref.fingerprint})` : ''}`;

/**
 * A provider call journaled before it happens (`started` set to the time) and after (`ended`'s
 * patch, given the time it ended, moving to `to`), with the crash-test hook between call and save.
 */
async function journaledCall(
  ctx: StepContext,
  started: 'deactivateStarted' | 'deleteStarted' | 'reactivateStarted',
  call: () => Promise<void>,
  ended: (at: Date) => Partial<RetireRecord>,
  to?: Phase,
  message?: string,
): Promise<void> {
  const { journal, deps } = ctx;
  await journal.retirement({ [started]: deps.clock.now().toISOString() });
  await call();
  afterEffect(ctx);
  await journal.retirement(ended(deps.clock.now()), to, message);
}

/** Deactivates the old key (Verified → Retiring), journaled before and after; deactivating an inactive key is done. */
export async function deactivateOldKey(
  ctx: StepContext,
  provider: KeyProvider,
  ref: KeyRef,
  signal: AbortSignal,
): Promise<string> {
  const message = `deactivated the old key ${keyName(ref)} of ${ref.principal.name}`;
  await journaledCall(
    ctx,
    'deactivateStarted',
    () => provider.deactivate(ref, signal),
    (at) => ({
      deactivatedAt: at.toISOString(),
      deleteAfter: new Date(at.getTime() + (ctx.journal.doc.retire?.graceMs ?? 0)).toISOString(),
    }),
    'Retiring',
    message,
  );
  return message;
}

/** Deletes the old key (Azure: regenerates its slot): Retiring → Retired. A key already gone is done. */
export async function deleteOldKey(
  ctx: StepContext,
  provider: KeyProvider,
  ref: KeyRef,
  signal: AbortSignal,
): Promise<string> {
  const { journal } = ctx;
  const verb = regenerates(provider.capabilities) ? 'regenerated the slot of' : 'deleted';
  if (journal.phase !== 'Retiring') await journal.advance('Retiring', `retiring the old key ${keyName(ref)}`);
  const message = `${verb} the old key ${keyName(ref)} of ${ref.principal.name}`;
  await journaledCall(
    ctx,
    'deleteStarted',
    () => provider.delete(ref, signal),
    (at) => ({ deletedAt: at.toISOString() }),
    'Retired',
    message,
  );
  return message;
}

/** Reactivates a deactivated old key (before a rollback puts it back). Reactivating an active key is done. */
export async function reactivateOldKey(
  ctx: StepContext,
  provider: KeyProvider,
  ref: KeyRef,
  signal: AbortSignal,
): Promise<string> {
  await journaledCall(
    ctx,
    'reactivateStarted',
    () => provider.reactivate(ref, signal),
    (at) => ({ reactivatedAt: at.toISOString() }),
  );
  return `reactivated the old key ${keyName(ref)} of ${ref.principal.name}`;
}

/** Events on the journal and on every credential Secret the rotation wrote. */
export async function recordOnSecrets(ctx: StepContext, reason: string, message: string, type: 'Normal' | 'Warning') {
  const { plan, deps } = ctx;
  const targets = [
    { cluster: plan.journal.cluster, namespace: plan.journal.namespace, secret: plan.journal.secret },
    ...plan.writes,
  ];
  await Promise.all(
    targets.map((t) => {
      const client = deps.clients.get(t.cluster);
      return client
        ? recordEvent(
            client,
            { namespace: t.namespace, kind: 'Secret', name: t.secret },
            { reason, message: `kubecost-rotate ${plan.id} ${message}`, type, component: 'kubecost-rotate' },
            deps.clock,
          )
        : false;
    }),
  );
}
