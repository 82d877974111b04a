/**
 * Issue: mint the new key at the provider, the first forward step of `rotate --issue` (`Planned →
 * Issued` in machine.ts). The intent (principal, the key replaced, the principal's keys as they
 * were) is in the journal before the provider is called; the minted key's material goes to the
 * journal, which owns it, in the same save as its reference and the phase. Observe before acting: a
 * key minted by a run that crashed before that save is found among the principal's keys (one not
 * there when the intent was recorded) and adopted where the provider can give its material again
 * (Azure: the slot was regenerated, its value is read back), else deleted and minted again — never
 * left behind. Before the first write the minted key is proven, with bounded retries (a new AWS key
 * is eventually consistent). Rollback deletes the minted key and leaves the old one active.
 */
import {
  awsAccessKey,
  azureStorageAccountKey,
  credentialFingerprint,
  credentialIdentity,
  gcpServiceAccountKey,
} from '../../kubecost/secret-formats/index.js';
import {
  ProviderError,
  type IssuedKey,
  type KeyInfo,
  type KeyProvider,
  type KeyRef,
  type ProviderCredential,
} from '../../providers/index.js';
import { ConfigError } from '../../shared/errors.js';
import type { IssueRecord } from '../journal/document.js';
import { keyProviderFor } from '../issuing.js';
import type { KeyMaterial } from '../new-key.js';
import { KeyProofError, proveNewKey } from '../proof.js';
import { afterEffect, StopRotation, type StepContext } from './context.js';

export type { StepContext } from './context.js';

/** How long the provider calls of one issue (or undo) may take. */
const ISSUE_TIMEOUT_MS = 120_000;
/** How far the provider's clock may be behind ours when telling a key minted after the intent. */
const CLOCK_SKEW_MS = 5 * 60_000;

function providerOf(ctx: StepContext, record: IssueRecord): KeyProvider {
  const settings = ctx.deps.issue?.settings;
  if (!settings)
    throw new ConfigError(
      `rotation ${ctx.plan.id} mints its key at ${record.provider}, but this run has no provider settings.`,
    );
  return keyProviderFor(record.provider, settings);
}

function boundedSignal(ctx: StepContext): AbortSignal {
  const timeout = ctx.deps.clock.timeout(ISSUE_TIMEOUT_MS);
  return ctx.deps.stop ? AbortSignal.any([timeout, ctx.deps.stop]) : timeout;
}

/** The minted key's material as the journal and the secret formats hold it. */
function materialOf(credential: ProviderCredential): KeyMaterial {
  switch (credential.provider) {
    case 'aws':
      return awsAccessKey(credential.accessKeyId, credential.secretAccessKey);
    case 'gcp':
      return gcpServiceAccountKey(credential.keyJson);
    case 'azure':
      return azureStorageAccountKey(credential.accountName, credential.accountKey);
  }
}

const refKey = (ref: KeyRef) => `${ref.keyId}/${ref.fingerprint ?? ''}`;
const describeRef = (ref: KeyRef | undefined) =>
  ref ? `${ref.keyId}${ref.fingerprint ? ` (fp ${ref.fingerprint})` : ''}` : 'a key';

/** The principal's keys that were not there when the intent was recorded: minted by this rotation. */
async function mintedSinceIntent(provider: KeyProvider, record: IssueRecord, signal: AbortSignal): Promise<KeyInfo[]> {
  const { keys } = await provider.inspect(record.principal, [], signal);
  const before = new Set(record.keysBefore.map(refKey));
  const since = Date.parse(record.intentAt) - CLOCK_SKEW_MS;
  return keys.filter(
    (k) =>
      !before.has(refKey(k.ref)) &&
      k.ref.keyId !== record.replacing.keyId &&
      (k.createdAt === undefined || Date.parse(k.createdAt) >= since),
  );
}

/** Mints (or adopts) the new key and moves the journal to Issued with it, in one save. */
export async function issueKey(ctx: StepContext): Promise<void> {
  const { journal, deps, plan } = ctx;
  const record = journal.doc.issue;
  if (!record) throw new StopRotation('end-unchanged', `rotation ${plan.id} has no key to mint`);
  if (record.state === 'issued' && journal.newKey) {
    // Resumed by a human from before Issued: the journal already holds the minted key.
    await journal.advance('Issued', `key ${describeRef(record.ref)} was minted before; going on with it`);
    return;
  }
  const provider = providerOf(ctx, record);
  const signal = boundedSignal(ctx);
  let issued: IssuedKey | undefined;
  let how = 'minted';
  try {
    for (const ref of record.deleteFirst) {
      await provider.delete(ref, signal);
      afterEffect(ctx);
    }
    const left = await mintedSinceIntent(provider, record, signal);
    const [only] = left;
    if (only && left.length === 1 && provider.adopt) {
      issued = await provider.adopt(only.ref, signal);
      if (issued) how = 'adopted (minted by a run that stopped before recording it)';
    }
    for (const orphan of issued ? [] : left) {
      await provider.delete(orphan.ref, signal);
      afterEffect(ctx);
      deps.emit({
        type: 'warning',
        rotation: plan.id,
        message: `deleted key ${describeRef(orphan.ref)} of ${record.principal.name}: a run that stopped before recording it had minted it, and its secret cannot be read again`,
      });
    }
    if (!issued) {
      issued = await provider.issue({ principal: record.principal, replacing: record.replacing }, signal);
      afterEffect(ctx);
    }
  } catch (error: unknown) {
    if (!(error instanceof ProviderError)) throw error;
    throw new StopRotation(
      'end-unchanged',
      `cannot mint the new key for ${record.principal.id} at ${record.provider}: ${error.message}`,
    );
  }
  const key = materialOf(issued.credential);
  const keyId = credentialIdentity(key).keyId;
  await journal.recordIssue(
    { ...record, state: 'issued', ref: issued.ref, issuedAt: issued.createdAt },
    {
      key,
      ref: { fingerprint: credentialFingerprint(key), ...(keyId ? { keyId } : {}) },
      message: `${how} key ${describeRef(issued.ref)} for ${record.principal.name} at ${record.provider}; the old key ${describeRef(record.replacing)} stays active`,
    },
  );
}

/** Proves the minted key before anything is written; a key that fails is deleted (roll-back). */
export async function proveIssued(ctx: StepContext): Promise<string> {
  const { journal, deps, plan } = ctx;
  const newKey = journal.newKey;
  if (!newKey) throw new StopRotation('roll-back', `rotation ${plan.id} no longer holds its minted key`);
  const proof = deps.issue?.proof;
  if (!proof) return 'the minted key was not proven before it is written (--no-probe)';
  try {
    return (await proveNewKey(plan, deps.clients, newKey, proof, deps.stop)).summary;
  } catch (error: unknown) {
    if (!(error instanceof KeyProofError)) throw error;
    throw new StopRotation('roll-back', error.message.replace(' (no journal was made)', ''));
  }
}

/**
 * Deletes the key this rotation minted (rollback), whether it was recorded or a crash came first:
 * then it is the principal's key that was not there at the intent. Returns what is left to do, if
 * the provider refused. The old key is never touched.
 */
export async function undoIssue(ctx: StepContext): Promise<string | undefined> {
  const { journal, deps, plan } = ctx;
  const record = journal.doc.issue;
  if (!record || record.state === 'deleted') return undefined;
  try {
    const provider = providerOf(ctx, record);
    const signal = boundedSignal(ctx);
    const refs =
      record.state === 'issued' && record.ref
        ? [record.ref]
        : (await mintedSinceIntent(provider, record, signal)).map((k) => k.ref);
    for (const ref of refs) {
      await provider.delete(ref, signal);
      afterEffect(ctx);
    }
    await journal.recordIssue({ ...record, state: 'deleted' });
    if (refs.length > 0)
      deps.emit({
        type: 'warning',
        rotation: plan.id,
        message: `deleted the minted key ${refs.map(describeRef).join(', ')} of ${record.principal.name} at ${record.provider}; the old key ${describeRef(record.replacing)} stays active`,
      });
    return undefined;
  } catch (error: unknown) {
    if (!(error instanceof ProviderError || error instanceof ConfigError)) throw error;
    return `the key minted for ${record.principal.name} (${describeRef(record.ref)}) could not be deleted at ${record.provider}: ${error.message}; delete it there, or run "kubecost-rotate rollback ${plan.id}" again`;
  }
}
