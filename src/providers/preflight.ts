/**
 * Capability checks, pure: what `plan` runs on a provider's capabilities and one inspection of
 * the principal, before any effect. They refuse what would fail half-way (a third AWS key, an
 * eleventh GCP key, an Azure account whose sites use both slots, a permission the caller lacks)
 * and say what to do; they never touch the provider.
 */
import type { Inspection, KeyInfo, KeyRef, ProviderCapabilities, ProviderOperation, RetireStep } from './types.js';

export interface PreflightRequest {
  /** Mint the new key at the provider (`--issue`); false when the user brings it. */
  readonly issue: boolean;
  /** How far the old key is retired after verification (`--retire`). */
  readonly retire: 'none' | 'deactivate' | 'delete';
  /** `--delete-inactive`: delete inactive keys that take the slot the new key needs. */
  readonly deleteInactive: boolean;
  /** The key id the sites hold now. */
  readonly replacing: string;
}

export type RefusalKind = 'limit_reached' | 'permission_missing' | 'unsupported' | 'not_found';

export interface Refusal {
  readonly kind: RefusalKind;
  /** What is wrong, where. */
  readonly message: string;
  /** What to do next (a flag, a command). */
  readonly remedy: string;
  /** For `permission_missing`: the permission. */
  readonly permission?: string;
  /** The keys concerned. */
  readonly keyIds?: readonly string[];
}

/** An effect the plan adds before issuing (shown in `plan`, journaled like any other). */
export interface PreflightStep {
  readonly kind: 'delete-inactive';
  readonly ref: KeyRef;
  readonly reason: string;
}

export type Preflight =
  | { readonly ok: true; readonly steps: readonly PreflightStep[]; readonly notes: readonly string[] }
  | { readonly ok: false; readonly refusals: readonly Refusal[]; readonly notes: readonly string[] };

const describeKey = (key: KeyInfo) =>
  `${key.ref.keyId} (${key.status}${key.createdAt ? `, created ${key.createdAt.slice(0, 10)}` : ''})`;

/** The operations a rotation with this request performs at the provider, rollback included. */
export function operationsFor(request: PreflightRequest, capabilities: ProviderCapabilities): ProviderOperation[] {
  const ops = new Set<ProviderOperation>(['inspect']);
  if (request.issue) {
    ops.add('issue');
    // Rollback of an issued key deletes it.
    if (capabilities.retireSteps.includes('delete')) ops.add('delete');
    if (capabilities.retireSteps.includes('regenerate')) ops.add('delete');
  }
  if (request.retire !== 'none') {
    for (const step of retireStepsFor(request.retire, capabilities))
      ops.add(step === 'regenerate' ? 'delete' : step === 'deactivate' ? 'deactivate' : 'delete');
    // Rollback after a deactivation reactivates.
    if (capabilities.canReactivate && retireStepsFor(request.retire, capabilities).includes('deactivate'))
      ops.add('reactivate');
  }
  if (request.deleteInactive) ops.add('delete');
  return [...ops];
}

/** The retire steps `--retire` asks for, within what the provider can do. */
export function retireStepsFor(
  retire: PreflightRequest['retire'],
  capabilities: ProviderCapabilities,
): readonly RetireStep[] {
  if (retire === 'none') return [];
  const steps = capabilities.retireSteps;
  if (steps.includes('regenerate')) return ['regenerate'];
  return retire === 'deactivate' ? steps.filter((s) => s === 'deactivate') : steps;
}

function checkKeySlots(
  capabilities: ProviderCapabilities,
  inspection: Inspection,
  request: PreflightRequest,
): { refusals: Refusal[]; steps: PreflightStep[]; notes: string[] } {
  const refusals: Refusal[] = [];
  const steps: PreflightStep[] = [];
  const notes: string[] = [];
  const name = inspection.principal.name;
  const held = new Set(inspection.holders.map((h) => h.keyId).filter((id): id is string => id !== undefined));

  if (capabilities.overlap === 'key-slots') {
    // Two slots, always both taken: the new key goes into the slot no site holds.
    const slots = inspection.keys.map((k) => k.ref.keyId);
    const heldSlots = slots.filter((slot) => held.has(slot));
    if (heldSlots.length > 1)
      refusals.push({
        kind: 'limit_reached',
        message: `the sites of storage account ${name} use both of its keys (${heldSlots.join(', ')}): regenerating either would cut off the sites that hold it`,
        remedy: `Move every site to one key first (rotate with --new-key-file holding the ${request.replacing} value), then run again.`,
        keyIds: heldSlots,
      });
    else notes.push(`the sites use ${request.replacing}; the new key goes into the other slot, which no site holds`);
    return { refusals, steps, notes };
  }

  const counted = inspection.keys.filter((k) => capabilities.inactiveKeysCount || k.status === 'active');
  const free = capabilities.maxKeysPerPrincipal - counted.length;
  if (free >= 1) return { refusals, steps, notes };
  // Full. Inactive keys no site holds may go with --delete-inactive; active ones never automatically.
  const removable = counted.filter(
    (k) => k.status === 'inactive' && !held.has(k.ref.keyId) && k.ref.keyId !== request.replacing,
  );
  const limit = `${capabilities.maxKeysPerPrincipal} keys per ${inspection.principal.provider === 'aws' ? 'IAM user' : 'service account'}`;
  const listed = counted.map(describeKey).join(', ');
  if (removable.length >= 1 - free && request.deleteInactive) {
    for (const key of removable.slice(0, 1 - free))
      steps.push({
        kind: 'delete-inactive',
        ref: key.ref,
        reason: `${name} is at the limit of ${limit}; ${key.ref.keyId} is inactive and no site holds it (--delete-inactive)`,
      });
    return { refusals, steps, notes };
  }
  if (removable.length >= 1 - free)
    refusals.push({
      kind: 'limit_reached',
      message: `${name} already has ${counted.length} keys (${listed}), the limit of ${limit}; the inactive ${removable.map((k) => k.ref.keyId).join(', ')} still takes a slot`,
      remedy: `Pass --delete-inactive to delete ${removable.length === 1 ? 'it' : 'them'} before the new key is issued, or delete ${removable.length === 1 ? 'it' : 'them'} yourself.`,
      keyIds: removable.map((k) => k.ref.keyId),
    });
  else
    refusals.push({
      kind: 'limit_reached',
      message: `${name} already has ${counted.length} active keys (${listed}), the limit of ${limit}; kubecost-rotate never deletes an active key to make room`,
      remedy: `Find out what uses the key the sites do not hold${held.size ? ` (the sites hold ${[...held].join(', ')})` : ''}, retire it, then run again.`,
      keyIds: counted.map((k) => k.ref.keyId),
    });
  return { refusals, steps, notes };
}

/**
 * Checks one rotation against the provider's limits and the caller's permissions. Pure: the
 * inspection is the only knowledge of the provider it uses.
 */
export function preflight(
  capabilities: ProviderCapabilities,
  inspection: Inspection,
  request: PreflightRequest,
): Preflight {
  const refusals: Refusal[] = [];
  const steps: PreflightStep[] = [];
  const notes: string[] = [];
  if (request.issue && !capabilities.canIssue)
    refusals.push({
      kind: 'unsupported',
      message: `this provider does not mint keys (bring your own)`,
      remedy: 'Create the new key yourself and pass it with --new-key-file or --new-key-stdin.',
    });
  if (!inspection.keys.some((k) => k.ref.keyId === request.replacing) && capabilities.overlap !== 'bring-your-own')
    refusals.push({
      kind: 'not_found',
      message: `the key the sites hold (${request.replacing}) is not a key of ${inspection.principal.name}`,
      remedy: 'Check that the sites hold a key of this principal (discover shows each site’s key id).',
      keyIds: [request.replacing],
    });
  if (request.issue && capabilities.canIssue) {
    const slots = checkKeySlots(capabilities, inspection, request);
    refusals.push(...slots.refusals);
    steps.push(...slots.steps);
    notes.push(...slots.notes);
  }
  const needed = new Set<string>();
  for (const op of operationsFor(request, capabilities))
    for (const permission of capabilities.permissions[op] ?? []) needed.add(permission);
  for (const permission of inspection.permissions.missing)
    if (needed.has(permission))
      refusals.push({
        kind: 'permission_missing',
        message: `the identity kubecost-rotate uses at ${inspection.principal.provider} lacks ${permission} (checked with ${inspection.permissions.how})`,
        remedy: `Grant ${permission} on ${inspection.principal.id}, then run again.`,
        permission,
      });
  const unchecked = inspection.permissions.unchecked.filter((p) => needed.has(p));
  if (unchecked.length > 0)
    notes.push(`not checked in advance: ${unchecked.join(', ')} (${inspection.permissions.how})`);
  return refusals.length > 0 ? { ok: false, refusals, notes } : { ok: true, steps, notes };
}
