/**
 * Retiring the old key of a Verified rotation, on evidence (issue 10): `retire ID`, `resume` of a
 * grace period, and the reactivation a rollback from Retiring needs. Before any step it gathers
 * the evidence — every site rediscovered over the clusters (none may still hold the old key, every
 * planned one holds the new key; Azure: every site's value is the new slot's, by listKeys), and
 * before deactivating, the provider's record of the old key's use since the last consumer restart
 * (AWS GetAccessKeyLastUsed; GCP Policy Analyzer and the key's status) — then lets
 * steps/retire.ts choose, and acts. Every provider call is journaled before and after it happens.
 */
import { discover } from '../kubecost/discover.js';
import { ProviderError, type KeyProvider, type KeyRef, type Principal } from '../providers/index.js';
import { ConfigError } from '../shared/errors.js';
import type { RetireRecord } from './journal/document.js';
import { keyProviderFor, type ProviderSettings } from './issuing.js';
import { providerCredential } from './probe.js';
import { refuseRetiringHeldKeyNow, type OutsideCheck } from './partial-fleet.js';
import { readSites } from './proof.js';
import { rollback } from './runner.js';
import {
  chooseRetirement,
  deactivateOldKey,
  deleteOldKey,
  reactivateOldKey,
  recordOnSecrets,
  regenerates,
  type RetireFacts,
  type StepContext,
} from './steps/retire.js';

/** What `retire ID` (or rotate's `--retire`) asks for; unset fields keep what the journal records. */
export interface RetireRequest {
  readonly policy?: 'deactivate' | 'delete';
  readonly graceMs?: number;
}

export interface RetireSettings {
  readonly providers: ProviderSettings;
  readonly requestTimeoutMs?: number;
  /** The contexts `retire` was given: those of the kubeconfig outside them are read for the old key. */
  readonly outside: OutsideCheck;
}

const DEFAULT_GRACE_MS = 24 * 3_600_000;
const PROVIDER_TIMEOUT_MS = 120_000;

/** Whether `resume` goes on with a retirement: a grace period, or a retire step a stop or crash cut short. */
export function continuesRetirement(doc: { phase: string; retire?: RetireRecord }): boolean {
  const r = doc.retire;
  if (!r || r.reactivateStarted) return doc.phase === 'Retiring';
  const cutShort = (r.deactivateStarted !== undefined && !r.deactivatedAt) || r.deleteStarted !== undefined;
  return doc.phase === 'Retiring' || ((doc.phase === 'NeedsHuman' || doc.phase === 'Verified') && cutShort);
}

const describeSite = (s: { cluster: string; namespace: string; secret: string; dataKey: string }) =>
  `Secret ${s.namespace}/${s.secret} key ${s.dataKey} on ${s.cluster}`;

function providerOf(ctx: StepContext, settings: RetireSettings): KeyProvider {
  const cloud = ctx.plan.credential.provider;
  if (cloud !== 'aws' && cloud !== 'gcp' && cloud !== 'azure')
    throw new ConfigError(`kubecost-rotate cannot retire ${cloud} keys at the provider; delete the old key yourself.`);
  return keyProviderFor(cloud, settings.providers);
}

/** When the last consumer restart rolled out (the start of the evidence window), at IAM's whole seconds. */
function lastRestart(ctx: StepContext): Date {
  const { plan, journal } = ctx;
  const ends = plan.restarts.map((r) => journal.record(r.step).endedAt).filter((t): t is string => t !== undefined);
  const written = journal.doc.timeline.find((e) => e.phase === 'Written')?.at ?? plan.createdAt;
  const at = Math.max(...[written, ...ends].map((t) => Date.parse(t)));
  return new Date(Math.ceil(at / 1000) * 1000);
}

/** The principal (found with the new key the sites hold: using the old one would count as a use) and the old key. */
async function locateOldKey(ctx: StepContext, provider: KeyProvider, signal: AbortSignal) {
  const sites = await readSites(ctx.plan, ctx.deps.clients, signal);
  const held = sites.flatMap((s) => {
    const credential = providerCredential(s.credential);
    return credential ? [{ site: describeSite({ ...s.site }), credential }] : [];
  });
  const first = held[0];
  if (!first) throw new ConfigError(`no site of rotation ${ctx.plan.id} holds a key kubecost-rotate can retire.`);
  const principal: Principal = await provider.identify(first.credential, signal);
  const { credential } = ctx.plan;
  if (!regenerates(provider.capabilities)) return { held, ref: { principal, keyId: credential.keyId ?? '' } };
  // Azure: the slot no site holds is the old one; the fingerprint keeps a slot that moved on from being regenerated.
  const inspection = await provider.inspect(principal, held, signal);
  const slots = new Set(inspection.holders.map((h) => h.keyId));
  const oldSlot =
    slots.has('key1') && !slots.has('key2') ? 'key2' : slots.has('key2') && !slots.has('key1') ? 'key1' : '';
  return { held, ref: { principal, keyId: oldSlot, fingerprint: credential.fingerprint }, inspection };
}

/** Everything the choice rests on, gathered now. */
async function gatherFacts(
  ctx: StepContext,
  provider: KeyProvider,
  ref: KeyRef,
  settings: RetireSettings,
  signal: AbortSignal,
): Promise<RetireFacts & { evidence: string[] }> {
  const { plan, journal, deps } = ctx;
  const record = journal.doc.retire as RetireRecord;
  const inventory = await discover(
    [...deps.clients.values()].map((c) => c.target),
    { clock: deps.clock, ...(settings.requestTimeoutMs ? { timeoutMs: settings.requestTimeoutMs } : {}) },
  );
  const fingerprintOf = new Map(inventory.credentials.map((c) => [c.id, c.fingerprint]));
  const sitesHoldingOld = inventory.sites
    .filter((s) => fingerprintOf.get(s.credential) === plan.credential.fingerprint)
    .map(describeSite);
  const sitesNotOnNew = plan.sites.flatMap((p) => {
    const now = inventory.sites.find((s) => s.id === p.id);
    const held = now ? fingerprintOf.get(now.credential) : undefined;
    return now && held !== plan.newKey.fingerprint && held !== plan.credential.fingerprint
      ? [`${describeSite(p)} holds key ${held ?? '?'}, not the new key ${plan.newKey.fingerprint}`]
      : [];
  });
  const unreadable = [...new Set(inventory.problems.filter((p) => p.hidesSites).map((p) => p.cluster))];
  const evidence = [
    `rediscovered ${inventory.sites.length} site(s) on ${deps.clients.size} cluster(s): ${sitesHoldingOld.length} still hold the old key ${plan.credential.fingerprint}`,
  ];
  if (regenerates(provider.capabilities)) {
    // Regenerating invalidates the old slot at once: every site must be proven on the new slot, by value.
    const { inspection } = await locateOldKey(ctx, provider, signal);
    for (const h of inspection?.holders ?? [])
      if (h.keyId === undefined || h.keyId === ref.keyId)
        sitesNotOnNew.push(
          `${h.site} holds ${h.keyId ? `the old slot ${h.keyId}` : `no key of ${ref.principal.name}`}`,
        );
    evidence.push(`listKeys: every site holds the value of the slot other than ${ref.keyId}`);
    evidence.push(`${provider.capabilities.evidence.source}: Azure has no per-key usage data, so none was asked for`);
  }
  let usage: RetireFacts['usage'];
  if (!record.deactivatedAt && !regenerates(provider.capabilities)) {
    usage = await provider.evidence(ref, lastRestart(ctx), signal);
    evidence.push(
      `${usage.summary} [checked: ${usage.checked.join('; ')}; not checked: ${usage.notChecked.join('; ') || 'nothing'}]`,
    );
  }
  return {
    phase: journal.phase,
    record,
    capabilities: provider.capabilities,
    sitesHoldingOld,
    sitesNotOnNew,
    unreadable,
    ...(usage ? { usage } : {}),
    now: deps.clock.now(),
    evidence,
  };
}

const signalOf = (ctx: StepContext) =>
  AbortSignal.any([ctx.deps.clock.timeout(PROVIDER_TIMEOUT_MS), ...(ctx.deps.stop ? [ctx.deps.stop] : [])]);

function stoppedMessage(ctx: StepContext): string {
  const { plan, journal } = ctx;
  const why = `stopped by ${String(ctx.deps.stop?.reason)}`;
  return journal.phase === 'Retiring'
    ? `${why} while Retiring: the old key ${plan.credential.fingerprint} is deactivated (grace until ${journal.doc.retire?.deleteAfter ?? '?'}). Run "kubecost-rotate resume ${plan.id}" to go on, or "kubecost-rotate rollback ${plan.id} --force" to reactivate it and put it back.`
    : `${why} before the old key was retired; nothing was changed at the provider. Run "kubecost-rotate retire ${plan.id}" to go on.`;
}

/**
 * Retires the old key as far as the evidence and the grace period allow; returns the outcome's
 * message. The phase says how far it got: Verified (refused, or too early to tell), Retiring
 * (deactivated, grace running), Retired.
 */
export async function retireOldKey(
  ctx: StepContext,
  request: RetireRequest,
  settings: RetireSettings,
): Promise<string> {
  const { plan, journal, deps } = ctx;
  if (journal.phase === 'Retired') return 'the old key is already retired';
  if (journal.phase !== 'Verified' && !continuesRetirement(journal.doc))
    throw new ConfigError(
      `rotation ${plan.id} is ${journal.phase}: only the old key of a Verified rotation is retired.`,
      journal.phase === 'NeedsHuman' ? `Finish it first with kubecost-rotate resume ${plan.id}.` : undefined,
    );
  // A key that contexts outside the selection hold now (not as the plan found them) is not this rotation's to retire.
  const checked = journal.doc.retire?.deactivatedAt ? [] : [await refuseRetiringHeldKeyNow(plan, settings.outside)];
  for (const message of checked) deps.emit({ type: 'phase', rotation: plan.id, phase: journal.phase, message });
  const provider = providerOf(ctx, settings);
  const policy = request.policy ?? journal.doc.retire?.policy ?? 'deactivate';
  if (policy === 'deactivate' && regenerates(provider.capabilities))
    throw new ConfigError(
      `${plan.credential.provider} storage-account keys have no inactive state, so --retire deactivate cannot retire ${plan.credential.fingerprint}.`,
      `Run kubecost-rotate retire ${plan.id} --retire delete: it regenerates the old slot, which invalidates the old key at once.`,
    );
  if (ctx.deps.stop?.aborted) return stoppedMessage(ctx);
  const graceMs = request.graceMs ?? journal.doc.retire?.graceMs ?? DEFAULT_GRACE_MS;
  const deactivatedAt = journal.doc.retire?.deactivatedAt;
  const deleteAfter = deactivatedAt ? new Date(Date.parse(deactivatedAt) + graceMs).toISOString() : undefined;
  const ref = journal.doc.retire?.ref ?? (await locateOldKey(ctx, provider, signalOf(ctx))).ref;
  await journal.retirement({ policy, graceMs, ref, ...(deleteAfter ? { deleteAfter } : {}) });
  if (journal.phase === 'NeedsHuman')
    await journal.advance(deactivatedAt ? 'Retiring' : 'Verified', 'retirement resumed by a human');
  const emitPhase = (message: string) => deps.emit({ type: 'phase', rotation: plan.id, phase: journal.phase, message });
  for (;;) {
    const again = `kubecost-rotate ${journal.phase === 'Retiring' ? 'resume' : 'retire'} ${plan.id}`;
    if (ctx.deps.stop?.aborted) return stoppedMessage(ctx);
    const facts = await gatherFacts(ctx, provider, ref, settings, signalOf(ctx));
    const choice = chooseRetirement(facts);
    // The evidence of every stage is kept (the one before deactivating says most), each line once.
    const evidence = [...new Set([...(journal.doc.retire?.evidence ?? []), ...checked, ...facts.evidence])].slice(-12);
    if (choice.action !== 'refuse' && choice.action !== 'done') await journal.retirement({ evidence });
    if (ctx.deps.stop?.aborted) return stoppedMessage(ctx);
    try {
      switch (choice.action) {
        case 'refuse': {
          await journal.retirement({ evidence, refused: choice.reason });
          const message = `Retirement of the old key ${ref.keyId} refused: ${choice.reason}. ${journal.phase === 'Retiring' ? `The old key is deactivated, so what reads it there cannot authenticate now: put the new key back where it is named (and stop whatever wrote the old one back), then run "kubecost-rotate resume ${plan.id}"; or run "kubecost-rotate rollback ${plan.id} --force" to reactivate it and put it back everywhere.` : `Nothing was changed at the provider. Fix what is named, then run "${again}".`}`;
          deps.emit({ type: 'warning', rotation: plan.id, message });
          return message;
        }
        case 'wait':
          return `The old key ${ref.keyId} is not retired yet: ${choice.reason}. Run "${again}" after ${choice.until}.`;
        case 'deactivate': {
          const message = await deactivateOldKey(ctx, provider, ref, signalOf(ctx));
          await recordOnSecrets(ctx, 'OldKeyDeactivated', message, 'Normal');
          emitPhase(message);
          break;
        }
        case 'keep-deactivated': {
          const message = `the old key ${ref.keyId} stays deactivated (--retire deactivate); delete it at the provider when you are ready (a later rotation's --delete-inactive does)`;
          await journal.advance('Retired', message);
          // Retired is not rolled back (the old key is inactive): its old data goes (DESIGN §4, kept until Retired).
          await journal.dropBackups(`the old key ${ref.keyId} was retired (deactivated)`);
          emitPhase(message);
          return `Retired: ${message}.`;
        }
        case 'delete': {
          const message = await deleteOldKey(ctx, provider, ref, signalOf(ctx));
          await recordOnSecrets(ctx, 'OldKeyDeleted', message, 'Normal');
          emitPhase(message);
          // The old data is of no more use: rolling back would write a key that no longer exists.
          await journal.dropBackups(`the old key ${ref.keyId} was deleted at the provider`);
          break;
        }
        case 'done':
          return `Retired: the old key ${ref.keyId} of ${ref.principal.name} is ${regenerates(provider.capabilities) ? 'regenerated' : 'deleted'} at ${plan.credential.provider}. Evidence: ${evidence.join('. ')}.`;
      }
    } catch (error: unknown) {
      if (ctx.deps.stop?.aborted) return stoppedMessage(ctx);
      if (!(error instanceof ProviderError)) throw error;
      await journal.retirement({ refused: error.message });
      return `Retiring the old key ${ref.keyId} failed at ${plan.credential.provider}: ${error.message}. ${error.hint ?? ''} Run "${again}" again (every step is idempotent).`;
    }
  }
}

/**
 * A rollback after the old key was deactivated: reactivate it first (the Secrets get it back), then
 * roll back. Refused once a delete began (the old key may be gone), and without --force from Retiring.
 */
export async function rollbackRetirement(
  ctx: StepContext,
  settings: RetireSettings,
  reason: string,
  force: boolean,
): Promise<void> {
  const { plan, journal } = ctx;
  const record = journal.doc.retire;
  if (journal.phase === 'Retired')
    throw new ConfigError(
      `rotation ${plan.id} is Retired: its old key ${plan.credential.fingerprint} is ${record?.deletedAt ? 'deleted' : 'deactivated for good'} at the provider, so it cannot be rolled back.`,
      'Rotate again with a new key instead.',
    );
  if (record?.deleteStarted)
    throw new ConfigError(
      `rotation ${plan.id} cannot be rolled back: the old key ${plan.credential.fingerprint} is ${record.deletedAt ? '' : 'being '}deleted at the provider.`,
      'Rotate again with a new key instead.',
    );
  if (record?.deactivateStarted && !record.reactivatedAt) {
    if (journal.phase === 'Retiring' && !force)
      throw new ConfigError(
        `rotation ${plan.id} is Retiring: every consumer uses the new key, and the old key ${plan.credential.fingerprint} is deactivated. Rolling back reactivates it and puts it back everywhere.`,
        `Run kubecost-rotate rollback ${plan.id} --force.`,
      );
    const provider = providerOf(ctx, settings);
    const ref = record.ref as KeyRef;
    let message: string;
    try {
      message = await reactivateOldKey(ctx, provider, ref, signalOf(ctx));
    } catch (error: unknown) {
      if (!(error instanceof ProviderError)) throw error;
      const why = `could not reactivate the old key ${ref.keyId}: ${error.message}; nothing was restored (the new key still works everywhere). Run "kubecost-rotate rollback ${plan.id} --force" again`;
      await journal.end('NeedsHuman', why);
      ctx.deps.emit({ type: 'phase', rotation: plan.id, phase: 'NeedsHuman', message: why });
      return;
    }
    await recordOnSecrets(ctx, 'OldKeyReactivated', message, 'Warning');
    ctx.deps.emit({ type: 'phase', rotation: plan.id, phase: journal.phase, message });
  }
  await rollback(ctx, reason);
}
