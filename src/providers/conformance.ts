/**
 * One conformance suite for every provider (ESO's common provider cases, style guide §G): the
 * cases run against a "world" — a provider wired to an emulator (cloud-sim, moto) with the key
 * the sites hold, the resources they need and a way to take a permission away. A case applies
 * to a provider by its declared capabilities; it throws a {@link ConformanceFailure} saying what
 * the provider did wrong. Every result and error of every call is recorded, and the last case
 * checks that none carries key material.
 */
import { inspect } from 'node:util';
import { ProviderError } from './errors.js';
import { keyIdOf } from './manual/provider.js';
import { preflight } from './preflight.js';
import { secretForms, secretsOfDocument } from './sanitize.js';
import { SecretValue } from '../shared/secret-value.js';
import type {
  IssuedKey,
  KeyProvider,
  KeyRef,
  ProbeTarget,
  ProviderCapabilities,
  ProviderClock,
  ProviderCredential,
  RetryPolicy,
} from './types.js';

export class ConformanceFailure extends Error {
  override readonly name = 'ConformanceFailure';
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ConformanceFailure(message);
}

export interface ConformanceWorld {
  /** `aws on cloud-sim`, `aws on moto`, `manual gcp on cloud-sim`. */
  readonly label: string;
  readonly provider: KeyProvider;
  /** The clock the provider was given (cases advance it instead of waiting). */
  readonly clock: ProviderClock;
  /** The key the sites hold, valid at the provider. */
  readonly oldKey: ProviderCredential;
  /** A valid key of another principal (the proof must reject it). */
  readonly otherPrincipalKey: ProviderCredential;
  /** The resources the sites need. */
  readonly targets: readonly ProbeTarget[];
  /** Proof retries in this world (an emulator with a consistency delay needs rounds). */
  readonly retry: RetryPolicy;
  /** New keys are refused for a while after they are minted: the proof must take more than one round. */
  readonly eventuallyConsistent?: boolean;
  /** `manual`: a new key made outside kubecost-rotate, as a user brings it. */
  readonly bringYourOwn?: () => Promise<ProviderCredential>;
  /** `manual`: deletes a key at the cloud, outside the provider. */
  readonly deleteOutside?: (credential: ProviderCredential) => Promise<void>;
  /** Takes the permission `issue` needs away from the managing identity. */
  readonly denyIssue?: () => Promise<{ readonly permission: string; restore(): Promise<void> }>;
  /** Known ways the emulator differs from the cloud, each with its reason; a case meeting one asserts the deviation. */
  readonly deviations?: {
    readonly inactiveKeyStillAuthenticates?: string;
    /** A key just minted already reports a use (GetAccessKeyLastUsed), before anything used it. */
    readonly newKeyReportsUse?: string;
  };
  /** Every secret of the world (managing identities, the old key), for the canary. */
  readonly secrets: () => readonly string[];
}

/** What the cases of one world share: every output, every secret seen. */
export class ConformanceRecord {
  readonly outputs: string[] = [];
  readonly secrets: string[] = [];

  output(value: unknown): void {
    this.outputs.push(value instanceof Error ? inspect(value, { depth: 6 }) : (JSON.stringify(value) ?? String(value)));
  }

  secret(credential: ProviderCredential): void {
    switch (credential.provider) {
      case 'aws':
        this.secrets.push(credential.secretAccessKey.reveal());
        return;
      case 'gcp':
        this.secrets.push(...secretsOfDocument(credential.keyJson.reveal()));
        return;
      case 'azure':
        this.secrets.push(credential.accountKey.reveal());
        return;
    }
  }
}

interface CaseContext {
  readonly world: ConformanceWorld;
  readonly record: ConformanceRecord;
  readonly signal: AbortSignal;
  /** The provider, with every result and error recorded. */
  readonly provider: KeyProvider;
  /** A new key: minted by the provider, or brought (manual). */
  newKey(): Promise<{ credential: ProviderCredential; ref?: KeyRef }>;
  /** Retires a new key the way this provider can: delete at the provider, or outside it (manual). */
  deleteKey(key: { credential: ProviderCredential; ref?: KeyRef }): Promise<void>;
}

export interface ConformanceCase {
  readonly name: string;
  readonly applies: (capabilities: ProviderCapabilities) => boolean;
  readonly run: (context: CaseContext) => Promise<void>;
}

/** A provider whose every call's result or error goes to `record`. */
function recorded(provider: KeyProvider, record: ConformanceRecord): KeyProvider {
  const wrap =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        const result = await fn(...args);
        record.output(result);
        return result;
      } catch (error: unknown) {
        record.output(error);
        throw error;
      }
    };
  return {
    id: provider.id,
    cloud: provider.cloud,
    capabilities: provider.capabilities,
    identify: wrap(provider.identify.bind(provider)),
    inspect: wrap(provider.inspect.bind(provider)),
    issue: wrap(async (request, signal) => {
      const issued: IssuedKey = await provider.issue(request, signal);
      record.secret(issued.credential);
      return issued;
    }),
    prove: wrap(provider.prove.bind(provider)),
    deactivate: wrap(provider.deactivate.bind(provider)),
    reactivate: wrap(provider.reactivate.bind(provider)),
    delete: wrap(provider.delete.bind(provider)),
    evidence: wrap(provider.evidence.bind(provider)),
  };
}

export function caseContext(world: ConformanceWorld, record: ConformanceRecord, signal: AbortSignal): CaseContext {
  const provider = recorded(world.provider, record);
  return {
    world,
    record,
    signal,
    provider,
    async newKey() {
      if (provider.capabilities.canIssue) {
        const principal = await provider.identify(world.oldKey, signal);
        const inspection = await provider.inspect(principal, [{ site: 'site', credential: world.oldKey }], signal);
        const replacing = inspection.keys.find((k) => k.ref.keyId === inspection.holders[0]?.keyId)?.ref;
        check(replacing, `${world.label}: inspect does not name the key the site holds`);
        const issued = await provider.issue({ principal, replacing }, signal);
        return { credential: issued.credential, ref: issued.ref };
      }
      check(world.bringYourOwn, `${world.label}: a provider that cannot issue needs bringYourOwn in its world`);
      const credential = await world.bringYourOwn();
      record.secret(credential);
      return { credential };
    },
    async deleteKey(key) {
      if (key.ref && provider.capabilities.retireSteps.length > 0) return provider.delete(key.ref, signal);
      check(world.deleteOutside, `${world.label}: needs deleteOutside to delete a key`);
      await world.deleteOutside(key.credential);
    },
  };
}

/** Deletes every key of the old key's principal but the old one (between cases). */
export async function cleanUp(world: ConformanceWorld, signal: AbortSignal): Promise<void> {
  if (!world.provider.capabilities.canIssue) return;
  const principal = await world.provider.identify(world.oldKey, signal);
  const inspection = await world.provider.inspect(principal, [{ site: 'site', credential: world.oldKey }], signal);
  const old = inspection.holders[0]?.keyId;
  if (world.provider.capabilities.overlap === 'key-slots') return;
  for (const key of inspection.keys) if (key.ref.keyId !== old) await world.provider.delete(key.ref, signal);
}

const proveWith = (context: CaseContext, credential: ProviderCredential) =>
  context.provider
    .identify(context.world.oldKey, context.signal)
    .then((principal) =>
      context.provider.prove(
        { principal, credential, targets: context.world.targets, retry: context.world.retry },
        context.signal,
      ),
    );

const refusesWithHint = async (what: string, call: Promise<unknown>) => {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  check(error instanceof ProviderError, `${what} should be refused with a ProviderError, got ${String(error)}`);
  check(error.hint && error.hint.length > 10, `${what}: the refusal should say what to do (hint)`);
};

const secondKey = (c: ProviderCapabilities) => c.canIssue && c.overlap === 'second-key';

/** Issues keys up to the principal's limit and deactivates the last: the inactive key a rotation left behind. */
async function fillSlotsLastInactive(context: CaseContext) {
  const { provider, world, signal } = context;
  const principal = await provider.identify(world.oldKey, signal);
  let last: KeyRef | undefined;
  for (let i = 1; i < provider.capabilities.maxKeysPerPrincipal; i++) last = (await context.newKey()).ref;
  check(last, 'no key issued');
  await provider.deactivate(last, signal);
  const inspection = await provider.inspect(principal, [{ site: 'old', credential: world.oldKey }], signal);
  return { principal, last, inspection };
}

export const conformanceCases: readonly ConformanceCase[] = [
  {
    name: 'identify finds the principal of the key the sites hold',
    applies: () => true,
    async run({ provider, world, signal }) {
      const principal = await provider.identify(world.oldKey, signal);
      check(principal.provider === world.oldKey.provider, `principal of the wrong cloud: ${principal.provider}`);
      check(principal.id.length > 0 && principal.name.length > 0, 'the principal has no id or name');
      const other = await provider.identify(world.otherPrincipalKey, signal).catch(() => undefined);
      check(other === undefined || other.id !== principal.id, 'two principals identified as one');
    },
  },
  {
    name: 'inspect lists the old key and says which key each site holds',
    applies: () => true,
    async run({ provider, world, signal }) {
      const principal = await provider.identify(world.oldKey, signal);
      const stranger = strangerOf(world.oldKey, world.otherPrincipalKey);
      const inspection = await provider.inspect(
        principal,
        [
          { site: 'holds-old', credential: world.oldKey },
          { site: 'holds-a-stranger', credential: stranger },
        ],
        signal,
      );
      const held = inspection.holders.find((h) => h.site === 'holds-old')?.keyId;
      check(held !== undefined, 'inspect does not recognise the key the site holds');
      check(
        inspection.keys.some((k) => k.ref.keyId === held && k.status === 'active'),
        `the held key ${held} is not listed as active`,
      );
      check(
        inspection.holders.find((h) => h.site === 'holds-a-stranger')?.keyId === undefined,
        'a value that is no key of the principal was matched to one',
      );
      const expectedId = provider.capabilities.overlap === 'key-slots' ? undefined : keyIdOf(world.oldKey);
      check(expectedId === undefined || held === expectedId, `held key is ${held}, expected ${expectedId ?? ''}`);
    },
  },
  {
    name: 'issue mints a key that inspect then lists, active, next to the old one',
    applies: (c) => c.canIssue,
    async run(context) {
      const { provider, world, signal } = context;
      const fresh = await context.newKey();
      const principal = await provider.identify(world.oldKey, signal);
      const inspection = await provider.inspect(
        principal,
        [
          { site: 'old', credential: world.oldKey },
          { site: 'new', credential: fresh.credential },
        ],
        signal,
      );
      const ids = inspection.holders.map((h) => h.keyId);
      check(
        ids[0] !== undefined && ids[1] !== undefined && ids[0] !== ids[1],
        `old and new keys not told apart: ${ids.join(',')}`,
      );
      check(
        fresh.ref?.keyId === ids[1],
        `issue's reference ${fresh.ref?.keyId ?? ''} is not the key inspect finds (${ids[1] ?? ''})`,
      );
      check(
        inspection.keys.filter((k) => k.status === 'active').length >= 2,
        'the old key and the new key should both be active',
      );
    },
  },
  {
    name: 'issue is refused with what to do when the provider does not mint keys',
    applies: (c) => !c.canIssue,
    async run({ provider, world, signal }) {
      const principal = await provider.identify(world.oldKey, signal);
      await refusesWithHint('issue', provider.issue({ principal, replacing: { principal, keyId: 'old' } }, signal));
      const inspection = await provider.inspect(principal, [{ site: 's', credential: world.oldKey }], signal);
      const plan = preflight(provider.capabilities, inspection, {
        issue: true,
        retire: 'none',
        deleteInactive: false,
        replacing: inspection.holders[0]?.keyId ?? '',
      });
      check(!plan.ok && plan.refusals.some((r) => r.kind === 'unsupported'), 'preflight should refuse --issue');
    },
  },
  {
    name: 'a fresh key proves its identity and reaches every target, after eventual consistency',
    applies: () => true,
    async run(context) {
      const fresh = await context.newKey();
      const proof = await proveWith(context, fresh.credential);
      check(proof.identity.ok, `identity not proven: ${JSON.stringify(proof.identity)}`);
      check(proof.ok, `proof failed: ${JSON.stringify(proof.targets.filter((t) => !t.result.ok))}`);
      check(
        proof.targets.length === new Set(context.world.targets.map((t) => JSON.stringify(t))).size,
        'not every target was probed',
      );
      if (context.world.eventuallyConsistent)
        check(proof.attempts > 1, `the emulator refuses new keys for a while, yet the proof passed at once`);
    },
  },
  {
    name: 'a key of another principal fails the proof',
    applies: () => true,
    async run(context) {
      const proof = await proveWith(context, context.world.otherPrincipalKey);
      check(!proof.ok && !proof.identity.ok, 'a key of another principal was proven');
      check(
        proof.identity.code === 'PrincipalMismatch',
        `expected PrincipalMismatch, got ${JSON.stringify(proof.identity)}`,
      );
    },
  },
  {
    name: 'a deactivated key fails the proof as an invalid key, and passes again once reactivated; both are idempotent',
    applies: (c) => c.retireSteps.includes('deactivate') && c.canReactivate,
    async run(context) {
      const { provider, world, signal } = context;
      const fresh = await context.newKey();
      check(fresh.ref, 'issue gave no reference');
      check((await proveWith(context, fresh.credential)).ok, 'the fresh key did not prove');
      await provider.deactivate(fresh.ref, signal);
      await provider.deactivate(fresh.ref, signal);
      const principal = await provider.identify(world.oldKey, signal);
      const listed = await provider.inspect(principal, [], signal);
      check(
        listed.keys.find((k) => k.ref.keyId === fresh.ref?.keyId)?.status === 'inactive',
        'inspect does not show the deactivated key as inactive',
      );
      const proof = await provider.prove(
        { principal, credential: fresh.credential, targets: world.targets, retry: { ...world.retry, attempts: 1 } },
        signal,
      );
      if (world.deviations?.inactiveKeyStillAuthenticates)
        check(
          proof.identity.ok,
          `deviation "${world.deviations.inactiveKeyStillAuthenticates}" no longer holds: remove it`,
        );
      else {
        check(!proof.ok && !proof.identity.ok, 'a deactivated key was proven');
        check(proof.identity.kind === 'auth', `expected an invalid key (auth), got ${proof.identity.kind}`);
      }
      await provider.reactivate(fresh.ref, signal);
      await provider.reactivate(fresh.ref, signal);
      check((await proveWith(context, fresh.credential)).ok, 'the reactivated key did not prove');
    },
  },
  {
    name: 'deactivate and reactivate are refused with what to do when the provider has no inactive state',
    applies: (c) => !c.retireSteps.includes('deactivate'),
    async run({ provider, world, signal }) {
      const principal = await provider.identify(world.oldKey, signal);
      const ref = { principal, keyId: 'key1' };
      await refusesWithHint('deactivate', provider.deactivate(ref, signal));
      await refusesWithHint('reactivate', provider.reactivate(ref, signal));
    },
  },
  {
    name: 'a deleted key fails the proof as an invalid key',
    applies: () => true,
    async run(context) {
      const fresh = await context.newKey();
      check((await proveWith(context, fresh.credential)).ok, 'the fresh key did not prove');
      await context.deleteKey(fresh);
      const principal = await context.provider.identify(context.world.oldKey, context.signal);
      const proof = await context.provider.prove(
        {
          principal,
          credential: fresh.credential,
          targets: context.world.targets,
          retry: { ...context.world.retry, attempts: 1 },
        },
        context.signal,
      );
      check(!proof.ok && !proof.identity.ok, 'a deleted key was proven');
      check(proof.identity.kind === 'auth', `expected an invalid key (auth), got ${proof.identity.kind}`);
      check(
        (await proveWith(context, context.world.oldKey)).ok,
        'the old key stopped working when the new one was deleted',
      );
    },
  },
  {
    name: 'delete twice succeeds: a key that is gone is no error',
    applies: (c) => c.canIssue,
    async run(context) {
      const fresh = await context.newKey();
      check(fresh.ref, 'issue gave no reference');
      await context.provider.delete(fresh.ref, context.signal);
      await context.provider.delete(fresh.ref, context.signal);
      const principal = await context.provider.identify(context.world.oldKey, context.signal);
      const listed = await context.provider.inspect(
        principal,
        [{ site: 'new', credential: fresh.credential }],
        context.signal,
      );
      check(listed.holders[0]?.keyId === undefined, 'the deleted key is still listed');
    },
  },
  {
    name: 'retirement is refused with what to do for a key kubecost-rotate did not mint',
    applies: (c) => c.retireSteps.length === 0,
    async run({ provider, world, signal }) {
      const principal = await provider.identify(world.oldKey, signal);
      await refusesWithHint('delete', provider.delete({ principal, keyId: 'old' }, signal));
    },
  },
  {
    name: 'the key limit is reported as limit_reached with what to do, and preflight refuses it before any effect',
    applies: (c) => c.canIssue,
    async run(context) {
      const { provider, world, signal } = context;
      const principal = await provider.identify(world.oldKey, signal);
      const held = [{ site: 'old', credential: world.oldKey }];
      if (provider.capabilities.overlap === 'key-slots') {
        // Both slots held by sites: regenerating either would cut some off.
        const fresh = await context.newKey();
        const inspection = await provider.inspect(
          principal,
          [...held, { site: 'new', credential: fresh.credential }],
          signal,
        );
        const plan = preflight(provider.capabilities, inspection, {
          issue: true,
          retire: 'delete',
          deleteInactive: false,
          replacing: inspection.holders[0]?.keyId ?? '',
        });
        check(
          !plan.ok && plan.refusals.some((r) => r.kind === 'limit_reached'),
          'preflight let a rotation regenerate a held slot',
        );
        return;
      }
      for (let i = 1; i < provider.capabilities.maxKeysPerPrincipal; i++) await context.newKey();
      const inspection = await provider.inspect(principal, held, signal);
      check(
        inspection.keys.length === provider.capabilities.maxKeysPerPrincipal,
        `expected ${provider.capabilities.maxKeysPerPrincipal} keys`,
      );
      const replacing = inspection.keys.find((k) => k.ref.keyId === inspection.holders[0]?.keyId)?.ref;
      check(replacing, 'old key not found');
      const error = await provider.issue({ principal, replacing }, signal).then(
        () => undefined,
        (e: unknown) => e,
      );
      check(
        error instanceof ProviderError && error.kind === 'limit_reached',
        `expected limit_reached, got ${String(error)}`,
      );
      check(error.hint?.includes('--delete-inactive'), 'the limit error should say what to do');
      const plan = preflight(provider.capabilities, inspection, {
        issue: true,
        retire: 'deactivate',
        deleteInactive: true,
        replacing: replacing.keyId,
      });
      check(
        !plan.ok &&
          plan.refusals.some((r) => r.kind === 'limit_reached' && /never deletes an active key/.test(r.message)),
        'preflight should refuse: every key is active',
      );
    },
  },
  {
    name: 'an inactive key in the last free slot is refused with --delete-inactive offered, and planned away with it',
    applies: (c) => secondKey(c) && c.retireSteps.includes('deactivate'),
    async run(context) {
      const { provider } = context;
      const { last, inspection } = await fillSlotsLastInactive(context);
      const request = {
        issue: true,
        retire: 'deactivate',
        deleteInactive: false,
        replacing: inspection.holders[0]?.keyId ?? '',
      } as const;
      const refused = preflight(provider.capabilities, inspection, request);
      check(!refused.ok, 'preflight accepted a rotation with no free key slot');
      const refusal = refused.refusals.find((r) => r.kind === 'limit_reached');
      check(
        refusal?.remedy.includes('--delete-inactive') && refusal.keyIds?.includes(last.keyId),
        'the refusal should offer --delete-inactive for the inactive key',
      );
      const accepted = preflight(provider.capabilities, inspection, { ...request, deleteInactive: true });
      check(
        accepted.ok && accepted.steps.some((s) => s.kind === 'delete-inactive' && s.ref.keyId === last?.keyId),
        'with --delete-inactive the plan should delete the inactive key first',
      );
    },
  },
  {
    name: 'a denied action is permission_missing naming the permission, and preflight names it when it can be checked',
    applies: (c) => c.canIssue,
    async run(context) {
      const { provider, world, signal } = context;
      check(world.denyIssue, `${world.label}: an issuing provider's world must be able to deny issue`);
      const denial = await world.denyIssue();
      try {
        const principal = await provider.identify(world.oldKey, signal);
        const inspection = await provider.inspect(principal, [{ site: 'old', credential: world.oldKey }], signal);
        const replacing = inspection.keys.find((k) => k.ref.keyId === inspection.holders[0]?.keyId)?.ref;
        check(replacing, 'old key not found');
        const error = await provider.issue({ principal, replacing }, signal).then(
          () => undefined,
          (e: unknown) => e,
        );
        check(
          error instanceof ProviderError && error.kind === 'permission_missing',
          `expected permission_missing, got ${String(error)}`,
        );
        check(
          error.permission === denial.permission,
          `the error names ${error.permission ?? 'nothing'}, not ${denial.permission}`,
        );
        check(error.message.includes(denial.permission), 'the message should name the permission');
        if (!inspection.permissions.unchecked.includes(denial.permission)) {
          const plan = preflight(provider.capabilities, inspection, {
            issue: true,
            retire: 'deactivate',
            deleteInactive: false,
            replacing: replacing.keyId,
          });
          check(
            !plan.ok &&
              plan.refusals.some((r) => r.kind === 'permission_missing' && r.permission === denial.permission),
            `preflight should refuse naming ${denial.permission}`,
          );
        }
      } finally {
        await denial.restore();
      }
    },
  },
  {
    name: 'evidence says whether the old key was used after a moment and which window it covers',
    applies: () => true,
    async run(context) {
      const { provider, world, signal } = context;
      const principal = await provider.identify(world.oldKey, signal);
      const inspection = await provider.inspect(principal, [{ site: 'old', credential: world.oldKey }], signal);
      const ref = inspection.keys.find((k) => k.ref.keyId === inspection.holders[0]?.keyId)?.ref;
      check(ref, 'old key not found');
      const before = new Date(world.clock.now().getTime() - 60_000);
      check((await proveWith(context, world.oldKey)).ok, 'the old key did not prove');
      const used = await provider.evidence(ref, before, signal);
      check(used.window.from === before.toISOString(), 'the evidence does not say where its window starts');
      check(
        used.summary.length > 0 && used.checked.length + used.notChecked.length > 0,
        'the evidence does not say what it checked',
      );
      if (provider.capabilities.evidence.kind === 'last-used') {
        check(
          used.usedSince === 'yes' && used.lastUsedAt !== undefined,
          `a key used just now is reported ${used.usedSince}`,
        );
        await world.clock.sleep(2000, signal);
        const after = new Date(world.clock.now().getTime() - 500);
        const idle = await provider.evidence(ref, after, signal);
        check(
          idle.usedSince === (provider.capabilities.evidence.reportingDelayMs === 0 ? 'no' : 'unknown'),
          `a key unused since ${after.toISOString()} is reported ${idle.usedSince} (${idle.summary})`,
        );
      } else {
        check(
          used.usedSince !== 'yes' && used.notChecked.length > 0,
          'a provider without usage data must say what it did not check',
        );
      }
    },
  },
  {
    name: 'issue reports the creation time that inspect then lists for the new key',
    applies: (c) => c.canIssue && c.overlap === 'second-key',
    async run({ provider, world, signal }) {
      const principal = await provider.identify(world.oldKey, signal);
      const before = await provider.inspect(principal, [{ site: 'old', credential: world.oldKey }], signal);
      const replacing = before.keys.find((k) => k.ref.keyId === before.holders[0]?.keyId)?.ref;
      check(replacing, 'old key not found');
      const issued = await provider.issue({ principal, replacing }, signal);
      check(issued.ref.principal.id === principal.id, 'the minted key belongs to another principal');
      const listed = (await provider.inspect(principal, [], signal)).keys.find((k) => k.ref.keyId === issued.ref.keyId);
      check(listed?.status === 'active', `the minted key ${issued.ref.keyId} is not listed as active`);
      check(listed.createdAt !== undefined, 'inspect gives no creation time for the minted key');
      const gap = Math.abs(Date.parse(listed.createdAt) - Date.parse(issued.createdAt));
      // AWS lists CreateDate to the second.
      check(gap < 1500, `issue said ${issued.createdAt}, inspect says ${listed.createdAt}`);
      const old = before.keys.find((k) => k.ref.keyId === replacing.keyId);
      check(
        old?.createdAt === undefined || Date.parse(old.createdAt) <= Date.parse(listed.createdAt) + 1000,
        'the minted key is listed as older than the key it replaces',
      );
    },
  },
  {
    name: 'an inactive key still counts toward the key limit: issue is limit_reached until it is deleted',
    applies: (c) => secondKey(c) && c.retireSteps.includes('deactivate') && c.retireSteps.includes('delete'),
    async run(context) {
      const { provider, signal } = context;
      const { principal, last, inspection } = await fillSlotsLastInactive(context);
      const replacing = inspection.keys.find((k) => k.ref.keyId === inspection.holders[0]?.keyId)?.ref;
      check(replacing, 'old key not found');
      const error = await provider.issue({ principal, replacing }, signal).then(
        (issued) => issued.ref.keyId,
        (e: unknown) => e,
      );
      check(
        error instanceof ProviderError && error.kind === 'limit_reached',
        `an inactive key must count toward the limit of ${provider.capabilities.maxKeysPerPrincipal}: expected limit_reached, got ${String(error)}`,
      );
      await provider.delete(last, signal);
      const issued = await provider.issue({ principal, replacing }, signal);
      check(issued.ref.keyId !== last.keyId, 'the deleted key came back');
    },
  },
  {
    name: 'a key that is gone: delete and deactivate succeed (not found is done), reactivate is not_found',
    applies: (c) => c.canIssue && c.retireSteps.includes('deactivate') && c.canReactivate,
    async run(context) {
      const { provider, signal } = context;
      const fresh = await context.newKey();
      check(fresh.ref, 'issue gave no reference');
      await provider.delete(fresh.ref, signal);
      await provider.delete(fresh.ref, signal);
      await provider.deactivate(fresh.ref, signal);
      const error = await provider.reactivate(fresh.ref, signal).then(
        () => undefined,
        (e: unknown) => e,
      );
      check(
        error instanceof ProviderError && error.kind === 'not_found',
        `reactivating a deleted key should be not_found, got ${String(error)}`,
      );
      check(error.message.includes(fresh.ref.keyId), 'the not_found error should name the key');
    },
  },
  {
    name: 'a minted key reports no use until it is used, then its use (last-used evidence)',
    applies: (c) => c.canIssue && c.evidence.kind === 'last-used',
    async run(context) {
      const { provider, world, signal } = context;
      // Before the key exists (a minute back: an emulator's clock may lag the world's).
      const since = new Date(world.clock.now().getTime() - 60_000);
      const fresh = await context.newKey();
      check(fresh.ref, 'issue gave no reference');
      const unused = await provider.evidence(fresh.ref, since, signal);
      const deviation = world.deviations?.newKeyReportsUse;
      if (deviation)
        check(
          unused.usedSince === 'yes',
          `deviation "${deviation}" no longer holds (a new key reports ${unused.usedSince}): remove it`,
        );
      else {
        check(
          unused.usedSince === (provider.capabilities.evidence.reportingDelayMs === 0 ? 'no' : 'unknown'),
          `a key never used is reported ${unused.usedSince} (${unused.summary})`,
        );
        check(unused.lastUsedAt === undefined, `a key never used has a last use: ${unused.lastUsedAt ?? ''}`);
      }
      check((await proveWith(context, fresh.credential)).ok, 'the fresh key did not prove');
      const used = await provider.evidence(fresh.ref, since, signal);
      check(
        used.usedSince === 'yes' && used.lastUsedAt !== undefined,
        `a key used by the proof is reported ${used.usedSince} (${used.summary})`,
      );
    },
  },
  {
    name: 'no result or error carried key material',
    applies: () => true,
    async run({ world, record }) {
      const secrets = [...world.secrets(), ...record.secrets];
      check(record.outputs.length > 0, 'no output was recorded');
      for (const secret of secrets)
        for (const form of secretForms(secret))
          for (const output of record.outputs)
            check(
              !output.includes(form),
              `a secret (fp=${new SecretValue(secret).fingerprint}) appeared in: ${output.slice(0, 120)}…`,
            );
      return Promise.resolve();
    },
  },
];

/** A value of the same shape as `key` that is no key of its principal (GCP: another principal's private key under its name). */
function strangerOf(key: ProviderCredential, other: ProviderCredential): ProviderCredential {
  switch (key.provider) {
    case 'aws':
      return {
        provider: 'aws',
        accessKeyId: 'AKIASTRANGERSTRANGER',
        secretAccessKey: new SecretValue('not-a-key-not-a-key-not-a-key-not-a-key'),
      };
    case 'gcp': {
      const doc = JSON.parse(key.keyJson.reveal()) as Record<string, unknown>;
      const foreign = other.provider === 'gcp' ? (JSON.parse(other.keyJson.reveal()) as Record<string, unknown>) : {};
      return {
        provider: 'gcp',
        keyJson: new SecretValue(
          JSON.stringify({ ...doc, private_key_id: 'f'.repeat(40), private_key: foreign.private_key }),
        ),
      };
    }
    case 'azure':
      return {
        provider: 'azure',
        accountName: key.accountName,
        accountKey: new SecretValue(Buffer.alloc(64, 7).toString('base64')),
      };
  }
}
