/**
 * `manual`: bring your own key, for any cloud. The same contract as the issuing providers, with
 * no control plane: issue and the retire steps refuse and say what to do by hand; prove works
 * exactly as for a minted key (STS GetCallerIdentity, a token exchange, a shared-key request —
 * none needs a permission the key lacks — then the direct probe of every target).
 */
import { ProviderError } from '../errors.js';
import { awsCallerIdentity, checkIdentity, proveKey, realClock, type IdentityEndpoints } from '../prove.js';
import { parseServiceAccountKey } from '../gcp/auth.js';
import { parseUserArn } from '../aws/provider.js';
import type {
  CloudId,
  ProbeTarget,
  Proof,
  RetryPolicy,
  HeldValue,
  Inspection,
  KeyInfo,
  KeyProvider,
  KeyRef,
  Principal,
  ProviderCapabilities,
  ProviderClock,
  ProviderCredential,
  UsageEvidence,
} from '../types.js';

export interface ManualProviderConfig {
  readonly cloud: CloudId;
  /** Where the proof's identity check goes (STS, token URL, blob endpoint). */
  readonly endpoints?: IdentityEndpoints;
  readonly clock?: ProviderClock;
}

export const manualCapabilities: ProviderCapabilities = {
  maxKeysPerPrincipal: Number.MAX_SAFE_INTEGER,
  inactiveKeysCount: false,
  overlap: 'bring-your-own',
  canIssue: false,
  retireSteps: [],
  canReactivate: false,
  evidence: { kind: 'none', source: 'none (the key is managed outside kubecost-rotate)', reportingDelayMs: 0 },
  permissions: {},
};

/** The id a key is known by: the AWS access key id, the GCP private_key_id, an Azure key's fingerprint. */
export function keyIdOf(credential: ProviderCredential): string | undefined {
  switch (credential.provider) {
    case 'aws':
      return credential.accessKeyId;
    case 'gcp':
      return parseServiceAccountKey(credential.keyJson.reveal())?.privateKeyId;
    case 'azure':
      return credential.accountKey.fingerprint;
  }
}

const credentialFingerprint = (credential: ProviderCredential) =>
  credential.provider === 'aws'
    ? credential.secretAccessKey.fingerprint
    : credential.provider === 'gcp'
      ? credential.keyJson.fingerprint
      : credential.accountKey.fingerprint;

export function createManualProvider(config: ManualProviderConfig): KeyProvider {
  const clock = config.clock ?? realClock;
  const endpoints = config.endpoints ?? {};
  const refuse = (operation: string, hint: string): Promise<never> =>
    Promise.reject(
      new ProviderError(
        { provider: 'manual', operation, kind: 'unknown', code: 'BringYourOwnKey', hint },
        `bring-your-own keys are not ${operation === 'issue' ? 'minted' : 'retired'} by kubecost-rotate (${config.cloud})`,
      ),
    );
  const retireByHand = (operation: string) =>
    refuse(
      operation,
      `Retire the old key at ${config.cloud} yourself once the rotation is Verified, or rotate with --issue.`,
    );

  return {
    id: 'manual',
    cloud: config.cloud,
    capabilities: manualCapabilities,

    async identify(credential: ProviderCredential, signal: AbortSignal): Promise<Principal> {
      if (credential.provider !== config.cloud)
        throw new TypeError(`the manual ${config.cloud} provider cannot identify a ${credential.provider} key`);
      switch (credential.provider) {
        case 'aws': {
          // GetCallerIdentity needs no permission: any valid key can say whose it is.
          const identity = await awsCallerIdentity(credential, endpoints, signal);
          const user = identity.ok ? parseUserArn(identity.arn) : undefined;
          if (!identity.ok || !user)
            throw new ProviderError(
              { provider: 'manual', operation: 'identify', kind: identity.ok ? 'not_found' : 'invalid_key' },
              `cannot tell whose key ${credential.accessKeyId} is: ${identity.ok ? `${identity.arn} is not an IAM user` : identity.verdict.message}`,
            );
          return { provider: 'aws', id: identity.arn, name: user.userName, account: user.account };
        }
        case 'gcp': {
          const key = parseServiceAccountKey(credential.keyJson.reveal());
          if (!key)
            throw new ProviderError(
              { provider: 'manual', operation: 'identify', kind: 'invalid_key' },
              'the key is not a service-account key file (client_email, private_key, private_key_id)',
            );
          return {
            provider: 'gcp',
            id: key.clientEmail,
            name: key.clientEmail,
            ...(key.projectId ? { account: key.projectId } : {}),
          };
        }
        case 'azure':
          return { provider: 'azure', id: credential.accountName, name: credential.accountName };
      }
    },

    /** A held value is a key of the principal when it authenticates as it (one identity check per distinct value). */
    async inspect(principal: Principal, held: readonly HeldValue[], signal: AbortSignal): Promise<Inspection> {
      const keys = new Map<string, KeyInfo>();
      const verdicts = new Map<string, Promise<boolean>>();
      const holders = await Promise.all(
        held.map(async (h) => {
          const keyId = h.credential.provider === principal.provider ? keyIdOf(h.credential) : undefined;
          if (keyId === undefined) return { site: h.site, keyId };
          const identity = `${keyId}|${credentialFingerprint(h.credential)}`;
          let verdict = verdicts.get(identity);
          if (!verdict) {
            verdict = checkIdentity(principal, h.credential, endpoints, signal).then((v) => v.ok);
            verdicts.set(identity, verdict);
          }
          if (!(await verdict)) return { site: h.site, keyId: undefined };
          keys.set(keyId, { ref: { principal, keyId }, status: 'active' });
          return { site: h.site, keyId };
        }),
      );
      return {
        principal,
        keys: [...keys.values()],
        holders,
        permissions: { how: 'bring your own key: no control-plane calls', granted: [], missing: [], unchecked: [] },
        inspectedAt: clock.now().toISOString(),
      };
    },

    issue: () => refuse('issue', 'Create the new key yourself and pass it with --new-key-file or --new-key-stdin.'),
    prove: (request, signal) => proveKey(request, endpoints, clock, signal),
    deactivate: () => retireByHand('deactivate'),
    reactivate: () => retireByHand('reactivate'),
    delete: () => retireByHand('delete'),

    evidence(ref: KeyRef, since: Date): Promise<UsageEvidence> {
      return Promise.resolve({
        ref,
        usedSince: 'unknown',
        window: { from: since.toISOString(), to: clock.now().toISOString() },
        checked: [],
        notChecked: [`${config.cloud} usage data (a bring-your-own key is not looked up at the provider)`],
        summary: `no provider evidence for ${ref.keyId}: check its last use at ${config.cloud} before you retire it`,
      });
    },
  };
}

export interface ReplacementProofRequest {
  /** The key the sites hold now. */
  readonly old: ProviderCredential;
  /** The key about to be written. */
  readonly next: ProviderCredential;
  /** The exact resources every site needs. */
  readonly targets: readonly ProbeTarget[];
  readonly endpoints?: IdentityEndpoints;
  readonly retry?: RetryPolicy;
  readonly clock?: ProviderClock;
}

export interface ReplacementProof extends Proof {
  /** The principal of the old key, when it could be found. */
  readonly principal?: Principal;
  /** One sentence: what was proven, or the first thing that failed. */
  readonly summary: string;
}

const describeTarget = (target: ProbeTarget): string => {
  switch (target.kind) {
    case 's3':
      return `s3://${target.bucket}`;
    case 'athena':
      return `athena ${target.workgroup} (output ${target.outputLocation})`;
    case 'gcs':
      return `gs://${target.bucket}`;
    case 'bigquery':
      return `bigquery ${target.projectId}.${target.dataset}.${target.table}`;
    case 'azure-blob':
      return `azure ${target.account}/${target.container}`;
  }
};

/**
 * The proof before staging (DESIGN §4 invariant 6, issue 8 defect 2), for a key the user brings
 * or the provider just minted: the new key authenticates as the principal of the old key (AWS:
 * STS GetCallerIdentity of both; GCP: the same service account, by token exchange; Azure: the
 * same storage account, by a shared-key request), and reaches every target. Needs no permission
 * beyond the keys' own. Never throws for a verdict; rejects only when `signal` aborts.
 */
export async function proveReplacement(
  request: ReplacementProofRequest,
  signal: AbortSignal,
): Promise<ReplacementProof> {
  const fail = (code: string, message: string): ReplacementProof => ({
    ok: false,
    identity: { ok: false, kind: 'auth', code, message, evidence: 'identify the key the sites hold' },
    targets: [],
    attempts: 0,
    summary: message,
  });
  if (request.old.provider !== request.next.provider)
    return fail(
      'ProviderMismatch',
      `the new key is a ${request.next.provider} key; the sites hold a ${request.old.provider} key`,
    );
  const provider = createManualProvider({
    cloud: request.old.provider,
    ...(request.endpoints ? { endpoints: request.endpoints } : {}),
    ...(request.clock ? { clock: request.clock } : {}),
  });
  let principal: Principal;
  try {
    principal = await provider.identify(request.old, signal);
  } catch (error: unknown) {
    signal.throwIfAborted();
    const reason = error instanceof ProviderError ? error.message : 'it could not be identified';
    return fail(
      'PrincipalUnknown',
      `the key the sites hold no longer authenticates (${reason}), so the new key cannot be shown to belong to the same principal; prove it by hand and pass --no-probe`,
    );
  }
  const proof = await provider.prove(
    {
      principal,
      credential: request.next,
      targets: request.targets,
      ...(request.retry ? { retry: request.retry } : {}),
    },
    signal,
  );
  const failed = proof.targets.find((t) => !t.result.ok);
  const newId = keyIdOf(request.next) ?? 'the new key';
  const summary = !proof.identity.ok
    ? `${newId} does not authenticate as ${principal.id}: ${proof.identity.message}`
    : failed && !failed.result.ok
      ? `${newId} authenticates as ${principal.id} but cannot use ${describeTarget(failed.target)}: ${failed.result.kind}${failed.result.code ? ` ${failed.result.code}` : ''}: ${failed.result.message}`
      : `${newId} authenticates as ${principal.id} and reached ${proof.targets.length} resource${proof.targets.length === 1 ? '' : 's'}${proof.attempts > 1 ? ` (after ${proof.attempts} rounds)` : ''}`;
  return { ...proof, principal, summary };
}
