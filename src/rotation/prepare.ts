/**
 * What every rotation command does first: discover the selected clusters, find the credential, read
 * and check the new key, and plan. Writes nothing.
 */
import { randomBytes } from 'node:crypto';
import type { ContextSelection } from '../kube/kubeconfig.js';
import { discover } from '../kubecost/discover.js';
import type { Inventory } from '../kubecost/inventory.js';
import { credentialFingerprint, credentialIdentity } from '../kubecost/secret-formats/index.js';
import type { Clock } from '../shared/clock.js';
import { ConfigError } from '../shared/errors.js';
import { ClustersUnreadableError } from './errors.js';
import type { Fleet } from './journal/find.js';
import { projectedJournalBytes, refuseOversizedJournal } from './journal-size.js';
import { checkReplacement, keyFileOf, readKeyText, type KeyMaterial } from './new-key.js';
import { outsideHolders, readOutside, refusePartialFleet } from './partial-fleet.js';
import { findRolloutBlockers, missingSecretBlockers, refuseBlockedRollouts } from './preflight.js';
import type { ProofOutcome } from './proof.js';
import { findCredential, planRotation, rotationId, type RotationOptions, type RotationPlan } from './plan.js';

export interface PlanRequest {
  readonly selection: ContextSelection;
  readonly namespace?: string;
  readonly credential: string;
  /** The new key file's text and where it came from (for messages), if one was given. */
  readonly newKey?: { readonly text: string; readonly source: string };
  readonly options?: Partial<RotationOptions>;
  /** Whether the direct probe will run (default true): the verdict policy depends on it. */
  readonly probing?: boolean;
  /** Go on although some workload to restart has pods that cannot start now (--allow-unready). */
  readonly allowUnready?: boolean;
  /** Go on although Pods without a controller read the key (--allow-bare-pods). */
  readonly allowBarePods?: boolean;
  /** Write Secrets that an ExternalSecret, a SealedSecret or Argo CD manages (--allow-owned). */
  readonly allowOwned?: boolean;
  /** Prove the new key at its provider before anything is written (rotate; not plan). */
  readonly prove?: boolean;
  /** Rotate the selection although contexts outside it hold the same key (--partial). */
  readonly partial?: boolean;
}

export interface PreparedRotation {
  readonly fleet: Fleet;
  readonly inventory: Inventory;
  readonly plan: RotationPlan;
  /** The new key's material, when one was given. */
  readonly newKey?: KeyMaterial;
  /** What the pre-write proof of the new key found, when it was asked for. */
  readonly proof?: ProofOutcome;
}

/** Discovers, finds the credential, checks the new key and plans. Writes nothing. */
export async function prepareRotation(
  request: PlanRequest,
  fleet: Fleet,
  clock: Clock,
  requestTimeoutMs?: number,
): Promise<PreparedRotation> {
  const targets = [...fleet.clients.values()].map((c) => c.target);
  const scope = {
    clock,
    ...(requestTimeoutMs ? { timeoutMs: requestTimeoutMs } : {}),
    ...(request.namespace ? { namespace: request.namespace } : {}),
  };
  // The contexts outside the selection are read at the same time (defect 8): they may hold the same key.
  const outsideReading = readOutside(request.selection, scope);
  outsideReading.catch(() => undefined);
  const inventory = await discover(targets, scope);
  const record = credentialOrUnreadable(inventory, request.credential);
  let newKey: KeyMaterial | undefined;
  if (request.newKey) {
    newKey = readKeyText(request.newKey.text, request.newKey.source);
    checkReplacement(record, newKey, request.newKey.source);
  }
  const outside = outsideHolders(await outsideReading, record);
  refusePartialFleet(
    outside,
    record,
    targets.map((t) => t.name),
    request.partial === true,
  );
  const now = clock.now();
  const keyId = newKey ? credentialIdentity(newKey).keyId : undefined;
  const planned = planRotation({
    inventory,
    credential: record,
    newKey: newKey
      ? { fingerprint: credentialFingerprint(newKey), ...(keyId ? { keyId } : {}) }
      : { fingerprint: '<new key>' },
    id: rotationId(now, randomBytes(2).toString('hex')),
    now,
    ...(request.options ? { options: request.options } : {}),
    ...(request.probing !== undefined ? { probing: request.probing } : {}),
    ...(request.allowBarePods ? { allowBarePods: true } : {}),
    ...(request.allowOwned ? { allowOwned: true } : {}),
  });
  const plan: RotationPlan = outside ? { ...planned, partial: outside } : planned;
  // What could not roll out is refused now, before any write (defect 7), not after two rollout time-outs.
  refuseBlockedRollouts(
    [...missingSecretBlockers(inventory, plan), ...(await findRolloutBlockers(plan, fleet))],
    request.allowUnready === true,
  );
  // The journal must fit in one Secret: refused now, before the Lease and any write (defect 11).
  refuseOversizedJournal(
    plan,
    projectedJournalBytes(plan, newKey ? keyFileOf(newKey).length : 0, valueSizes(inventory, plan)),
  );
  return { fleet, inventory, plan, ...(newKey ? { newKey } : {}) };
}

/**
 * The sizes of the data values the plan changes, each distinct value once as far as discovery can
 * tell (values of the same data key and size are taken as one: the same document on every cluster);
 * stage measures the real journal before the first write.
 */
function valueSizes(inventory: Inventory, plan: RotationPlan): number[] {
  const planned = new Set(plan.sites.map((s) => s.id));
  const distinct = new Map<string, number>();
  for (const site of inventory.sites.filter((s) => planned.has(s.id)))
    distinct.set(`${site.dataKey}\n${site.valueBytes ?? 0}`, site.valueBytes ?? 0);
  return [...distinct.values()];
}

/**
 * The credential, or why it cannot be found: a credential that is not found while some clusters
 * could not be read may well be on them, so name those clusters (exit 1) rather than say no match.
 */
function credentialOrUnreadable(inventory: Inventory, selector: string) {
  try {
    return findCredential(inventory, selector);
  } catch (error: unknown) {
    const hiding = inventory.problems.filter((p) => p.hidesSites);
    if (!(error instanceof ConfigError) || hiding.length === 0 || !error.message.startsWith('no credential matches'))
      throw error;
    throw new ClustersUnreadableError(
      [...new Set(hiding.map((p) => p.cluster))],
      hiding.map((p) => p.message).join('; '),
      `Credential ${selector} was not found on the clusters that could be read. Fix access to the clusters named (kubecost-rotate discover lists the problems), then plan again.`,
    );
  }
}
