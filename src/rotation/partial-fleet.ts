/**
 * A partial fleet (issue 8, defect 8): the contexts of the same kubeconfig outside a rotation's
 * selection that hold the key it replaces. They are read before the plan, read-only and cheaply
 * (workloads and Secrets only); a rotation that would leave them on the old key is refused unless
 * --partial; and an old key that other sites still hold is never advised, or allowed, to be
 * retired. An outside context that cannot be read is named as not checked, never ignored.
 */
import { unselectedContexts, type ContextSelection } from '../kube/kubeconfig.js';
import { discover } from '../kubecost/discover.js';
import type { CredentialRecord, Inventory } from '../kubecost/inventory.js';
import type { Clock } from '../shared/clock.js';
import { PartialFleetError } from './errors.js';
import type { OutsideHolders, OutsideSite, RotationPlan } from './plan-types.js';

/** What the contexts outside the selection hold, before it is known which credential matters. */
export interface OutsideReading {
  readonly inventory: Inventory;
  /** Contexts the kubeconfig does not define completely, with why. */
  readonly invalid: readonly { readonly name: string; readonly reason: string }[];
  /** The contexts read. */
  readonly read: readonly string[];
}

export interface OutsideOptions {
  readonly clock: Clock;
  readonly timeoutMs?: number;
  /** The namespace the command is limited to (-n), if any: the same scope as the selection. */
  readonly namespace?: string;
}

/** What a retire step reads: the contexts of the kubeconfig outside the selection it was given. */
export interface OutsideCheck extends OutsideOptions {
  readonly selection: ContextSelection;
  /** The contexts selected (the clusters the retire step reads itself). */
  readonly selected: readonly string[];
}

/** Reads the contexts outside the selection (none with --all-contexts): their workloads and Secrets only. */
export async function readOutside(selection: ContextSelection, options: OutsideOptions): Promise<OutsideReading> {
  const { targets, invalid } = unselectedContexts(selection);
  const inventory = await discover(targets, {
    clock: options.clock,
    sitesOnly: true,
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.namespace ? { namespace: options.namespace } : {}),
  });
  return { inventory, invalid, read: targets.map((t) => t.name) };
}

/** Who outside the selection holds `credential`, or could not be checked; undefined when nobody. */
export function outsideHolders(
  reading: OutsideReading,
  credential: Pick<CredentialRecord, 'id' | 'fingerprint'>,
): OutsideHolders | undefined {
  const same = new Set(
    reading.inventory.credentials
      .filter((c) => c.id === credential.id || c.fingerprint === credential.fingerprint)
      .map((c) => c.id),
  );
  const holders = new Map<string, OutsideSite>();
  for (const s of reading.inventory.sites.filter((x) => same.has(x.credential)))
    holders.set(`${s.cluster}/${s.namespace}/${s.secret}/${s.dataKey}`, {
      cluster: s.cluster,
      namespace: s.namespace,
      secret: s.secret,
      dataKey: s.dataKey,
    });
  const unchecked = new Map<string, string>();
  for (const p of reading.inventory.problems.filter((x) => x.hidesSites))
    if (!unchecked.has(p.cluster)) unchecked.set(p.cluster, p.message);
  for (const i of reading.invalid) unchecked.set(i.name, i.reason);
  if (holders.size === 0 && unchecked.size === 0) return undefined;
  return {
    holders: [...holders.values()].sort(
      (a, b) => natural(a.cluster, b.cluster) || natural(`${a.namespace}/${a.secret}`, `${b.namespace}/${b.secret}`),
    ),
    unchecked: [...unchecked.entries()]
      .map(([cluster, reason]) => ({ cluster, reason }))
      .sort((a, b) => natural(a.cluster, b.cluster)),
  };
}

/** cluster-2 before cluster-10. */
const natural = (a: string, b: string) => a.localeCompare(b, undefined, { numeric: true });
const describeSite = (s: OutsideSite) => `Secret ${s.namespace}/${s.secret} (${s.dataKey}) on ${s.cluster}`;
const clustersOf = (sites: readonly OutsideSite[]) => [...new Set(sites.map((s) => s.cluster))];

/** The most places a message names one by one (a fleet of 200 would make a page of it); the plan lists them all. */
const NAMED = 5;

/** The first few of a list, then how many more. */
function firstFew(items: readonly string[], more: (n: number) => string): string {
  return items.length <= NAMED ? items.join(', ') : `${items.slice(0, NAMED).join(', ')} ${more(items.length - NAMED)}`;
}

/** The outside sites that hold the key, for a message. */
function listSites(sites: readonly OutsideSite[]): string {
  return firstFew(sites.map(describeSite), (n) => `and ${n} more (kubecost-rotate plan --partial lists them all)`);
}

/** The contexts to add to a selection, as a --context value (or --all-contexts for many). */
function contextFlag(selected: readonly string[], clusters: readonly string[]): string {
  return clusters.length <= NAMED ? `--context ${[...selected, ...clusters].join(',')}` : '--all-contexts';
}

/** What could not be checked, as a sentence (empty when everything was). */
function uncheckedSentence(outside: OutsideHolders): string {
  const { unchecked } = outside;
  if (unchecked.length > NAMED)
    return ` ${firstFew(
      unchecked.map((u) => u.cluster),
      (n) => `and ${n} more`,
    )} could not be checked (kubecost-rotate plan --partial says why).`;
  return unchecked.map((u) => ` ${u.cluster} could not be checked: ${u.reason.replace(/\.$/, '')}.`).join('');
}

/**
 * Refuses a rotation of the selected contexts while contexts outside the selection hold the same
 * key, unless `partial` (--partial). Throws {@link PartialFleetError} (exit 2); nothing is written.
 */
export function refusePartialFleet(
  outside: OutsideHolders | undefined,
  credential: CredentialRecord,
  selected: readonly string[],
  partial: boolean,
): void {
  if (!outside || outside.holders.length === 0 || partial) return;
  const clusters = clustersOf(outside.holders);
  throw new PartialFleetError(
    `credential ${credential.id} is also held outside the selected context(s) ${selected.join(', ')}: ${listSites(outside.holders)}. Rotating only the selection would leave ${clusters.length === 1 ? 'that context' : 'those contexts'} on the old key, which breaks them when it is retired.${uncheckedSentence(outside)}`,
    `Add them with --context/--all-contexts (${contextFlag(selected, clusters)}), or pass --partial to rotate only these.`,
    outside.holders,
    outside.unchecked.map((u) => u.cluster),
  );
}

/** What the plan says about the contexts outside it (lines, empty when nothing outside holds the key). */
export function describeOutside(plan: RotationPlan): string[] {
  const outside = plan.partial;
  if (!outside) return [];
  return [
    ...(outside.holders.length > 0
      ? [
          `Outside the selection, left with the old key (--partial): ${outside.holders.length} site(s) on ${clustersOf(outside.holders).length} context(s):`,
          ...outside.holders.map((h) => `  ${describeSite(h)}`),
        ]
      : []),
    ...outside.unchecked.map((u) => `${u.cluster} could not be checked for this key: ${u.reason.replace(/\.$/, '')}.`),
  ];
}

/** What to do with the old key once the rotation is Verified: retire it, or not while others hold it. */
export function retireAdvice(plan: RotationPlan): string {
  const oldKey = plan.credential.keyId ?? plan.credential.fingerprint;
  const outside = plan.partial;
  if (outside && outside.holders.length > 0)
    return `Do not retire key ${oldKey} yet: outside this rotation ${listSites(outside.holders)} still hold${outside.holders.length === 1 ? 's' : ''} it. Rotate ${clustersOf(outside.holders).length === 1 ? 'that context' : 'those contexts'} onto the same new key (kubecost-rotate rotate ${contextFlag([], clustersOf(outside.holders)).replace('--all-contexts', '--context ...')} --credential ${plan.credential.id} --new-key-file FILE), then retire it.${uncheckedSentence(outside)}`;
  if (outside && outside.unchecked.length > 0)
    return `Before you retire key ${oldKey} at the provider, make sure ${firstFew(
      outside.unchecked.map((u) => u.cluster),
      (n) => `and ${n} more`,
    )} (not checked: unreadable) do${outside.unchecked.length === 1 ? 'es' : ''} not hold it.`;
  return `Retire the old key ${oldKey} at the provider when you are ready.`;
}

/**
 * For a retire step: refuses to retire the old key of a rotation while sites outside its selection
 * hold it, or some contexts could not be checked: as the plan recorded them, or as `outside` says
 * (read at retire time). Throws {@link PartialFleetError}; changes nothing.
 */
export function refuseRetiringHeldKey(plan: RotationPlan, outside: OutsideHolders | undefined = plan.partial): void {
  if (!outside || (outside.holders.length === 0 && outside.unchecked.length === 0)) return;
  const oldKey = plan.credential.keyId ?? plan.credential.fingerprint;
  const held = outside.holders.length > 0 ? ` ${listSites(outside.holders)} still hold it.` : '';
  throw new PartialFleetError(
    `the old key ${oldKey} of rotation ${plan.id} is not retired: this rotation did not cover every context that may use it.${held}${uncheckedSentence(outside)}`,
    outside.holders.length > 0
      ? `Rotate ${firstFew(clustersOf(outside.holders), (n) => `and ${n} more`)} too, then retire the key at the provider yourself.`
      : `Check ${firstFew(
          outside.unchecked.map((u) => u.cluster),
          (n) => `and ${n} more`,
        )} (kubecost-rotate discover --context ...), then retire the key at the provider yourself.`,
    outside.holders,
    outside.unchecked.map((u) => u.cluster),
  );
}

/**
 * Before a retire step: reads the contexts outside `selection` now (the plan's record of them may be
 * out of date: an outside context rotated since, or given the old key) and refuses, as
 * {@link refuseRetiringHeldKey}, while any of them holds the old key or cannot be read; what the
 * plan recorded of a context this kubeconfig does not have still counts. Returns what it checked,
 * for the retirement's evidence.
 */
export async function refuseRetiringHeldKeyNow(plan: RotationPlan, check: OutsideCheck): Promise<string> {
  const reading = await readOutside(check.selection, check);
  const now = outsideHolders(reading, plan.credential) ?? { holders: [], unchecked: [] };
  const known = new Set([...check.selected, ...reading.read, ...reading.invalid.map((i) => i.name)]);
  const unknown = <T extends { cluster: string }>(items: readonly T[] = []) =>
    items.filter((i) => !known.has(i.cluster));
  refuseRetiringHeldKey(plan, {
    holders: [...now.holders, ...unknown(plan.partial?.holders)],
    unchecked: [...now.unchecked, ...unknown(plan.partial?.unchecked)],
  });
  const read = reading.read.length;
  return read === 0
    ? 'no context of the kubeconfig is outside the selection'
    : `read the ${read} context(s) outside the selection (${firstFew(reading.read, (n) => `and ${n} more`)}) now: none holds the old key ${plan.credential.fingerprint}`;
}

/** The result of a Verified rotation: where the new key is, what was not restarted, and what to do with the old key. */
export function verifiedResult(plan: RotationPlan): string {
  const restarted = plan.notRestarted?.length ? 'restarted ' : '';
  const notes = (plan.notRestarted ?? []).map((n) => ` ${n.note}`).join('');
  const where = plan.partial?.holders.length ? 'Every site of this rotation' : 'Every site';
  return `${where} holds key ${plan.newKey.keyId ?? plan.newKey.fingerprint} and every ${restarted}consumer uses it.${notes} ${retireAdvice(plan)}`;
}

/**
 * For `--issue --retire deactivate|delete`: refuses, before anything is minted or written, a plan
 * whose old key other contexts still hold or may hold (retiring it would break them). Throws
 * {@link PartialFleetError}.
 */
export function refuseRetirePolicy(plan: RotationPlan, retire: 'none' | 'deactivate' | 'delete'): void {
  const outside = plan.partial;
  if (retire === 'none' || !outside || (outside.holders.length === 0 && outside.unchecked.length === 0)) return;
  const oldKey = plan.credential.keyId ?? plan.credential.fingerprint;
  const held = outside.holders.length > 0 ? ` ${listSites(outside.holders)} still hold it.` : '';
  throw new PartialFleetError(
    `--retire ${retire} would retire key ${oldKey} after this rotation, but the rotation does not cover every context that may use it.${held}${uncheckedSentence(outside)}`,
    'Select those contexts too (--context/--all-contexts), or pass --retire none and retire the key yourself once nothing uses it.',
    outside.holders,
    outside.unchecked.map((u) => u.cluster),
  );
}
