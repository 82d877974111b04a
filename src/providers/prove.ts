/**
 * The proof of a key before anything is written (DESIGN §4 invariant 6): it authenticates as the
 * expected principal — AWS STS GetCallerIdentity returns the same IAM user, a GCP token exchange
 * succeeds for the same service account, an Azure shared-key request to the account succeeds —
 * and it reaches the exact resource every site needs (the direct probes of `probe.ts`). Rounds
 * are retried, bounded, while the only failures are ones eventual consistency explains.
 * Needs no permission beyond what the key itself has: `manual` proves with it too.
 */
import { classifyAwsError } from './aws/probe.js';
import { classifyAzureError } from './azure/probe.js';
import { parseServiceAccountKey, serviceAccountClient } from './gcp/auth.js';
import { classifyGcpError } from './gcp/probe.js';
import { probe } from './probe.js';
import { failure, rethrowIfAborted } from './probe-support.js';
import { describeProviderError, secretsOfDocument } from './sanitize.js';
import type {
  Principal,
  ProbeFailure,
  ProbeResult,
  ProbeTarget,
  Proof,
  ProveRequest,
  ProviderClock,
  ProviderCredential,
  RetryPolicy,
  Verdict,
} from './types.js';

/** Where the identity checks go. Unset: the public endpoints. */
export interface IdentityEndpoints {
  /** AWS STS endpoint URL. */
  readonly sts?: string;
  /** Region for STS (and the signing scope). Default `us-east-1`. */
  readonly region?: string;
  /** Google's OAuth 2.0 token URL. */
  readonly gcpToken?: string;
  /**
   * Azure Blob service URL of an account: a template with `{account}`
   * (`https://{account}.blob.core.chinacloudapi.cn`), or a base the account is appended to as a
   * path segment (emulators: `http://127.0.0.1:10000`). Default `https://{account}.blob.core.windows.net`.
   */
  readonly azureBlob?: string;
}

/** New AWS keys take seconds to be accepted everywhere; these rounds cover about 30 s. */
export const DEFAULT_PROOF_RETRY: RetryPolicy = { attempts: 7, firstDelayMs: 500, maxDelayMs: 8000 };

export const realClock: ProviderClock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
    }),
};

export function azureBlobUrl(account: string, template?: string): string {
  const base = (template ?? 'https://{account}.blob.core.windows.net').replace(/\/+$/, '');
  return base.includes('{account}') ? base.replaceAll('{account}', account) : `${base}/${account}`;
}

const mismatch = (code: string, message: string, evidence: string): Verdict => ({
  ok: false,
  kind: 'auth',
  code,
  message,
  evidence,
});

/** Whose AWS key this is: STS GetCallerIdentity with it (no permission needed), or why it failed. */
export async function awsCallerIdentity(
  credential: Extract<ProviderCredential, { provider: 'aws' }>,
  endpoints: IdentityEndpoints,
  signal: AbortSignal,
): Promise<{ readonly ok: true; readonly arn: string } | { readonly ok: false; readonly verdict: ProbeFailure }> {
  const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  const secret = credential.secretAccessKey.reveal();
  const client = new STSClient({
    region: endpoints.region ?? 'us-east-1',
    ...(endpoints.sts ? { endpoint: endpoints.sts } : {}),
    credentials: { accessKeyId: credential.accessKeyId, secretAccessKey: secret },
    maxAttempts: 1,
  });
  try {
    const identity = await client.send(new GetCallerIdentityCommand({}), { abortSignal: signal });
    return { ok: true, arn: identity.Arn ?? '' };
  } catch (error: unknown) {
    rethrowIfAborted(signal);
    const described = describeProviderError(error, [secret]);
    return {
      ok: false,
      verdict: failure(
        classifyAwsError(described),
        described,
        `sts:GetCallerIdentity as ${credential.accessKeyId}`,
      ) as ProbeFailure,
    };
  } finally {
    client.destroy();
  }
}

async function awsIdentity(
  principal: Principal,
  credential: Extract<ProviderCredential, { provider: 'aws' }>,
  endpoints: IdentityEndpoints,
  signal: AbortSignal,
): Promise<Verdict> {
  const evidence = `sts:GetCallerIdentity as ${credential.accessKeyId}`;
  const identity = await awsCallerIdentity(credential, endpoints, signal);
  if (!identity.ok) return identity.verdict;
  if (identity.arn !== principal.id)
    return mismatch(
      'PrincipalMismatch',
      `the key belongs to ${identity.arn || 'an unknown identity'}, not to ${principal.id}`,
      evidence,
    );
  return { ok: true, evidence: `${evidence} -> ${identity.arn}` };
}

async function gcpIdentity(
  principal: Principal,
  credential: Extract<ProviderCredential, { provider: 'gcp' }>,
  endpoints: IdentityEndpoints,
  signal: AbortSignal,
): Promise<Verdict> {
  const document = credential.keyJson.reveal();
  const key = parseServiceAccountKey(document);
  if (!key)
    return mismatch(
      'InvalidKeyFile',
      'the service-account key is not a JSON key file with client_email, private_key and private_key_id',
      'read the key file',
    );
  const evidence = `token exchange for ${key.clientEmail} with key ${key.privateKeyId}`;
  if (key.clientEmail !== principal.name)
    return mismatch('PrincipalMismatch', `the key is for ${key.clientEmail}, not for ${principal.name}`, evidence);
  try {
    const client = await serviceAccountClient(
      key,
      ['https://www.googleapis.com/auth/cloud-platform'],
      endpoints.gcpToken,
    );
    await client.authorize();
    rethrowIfAborted(signal);
    return { ok: true, evidence };
  } catch (error: unknown) {
    rethrowIfAborted(signal);
    const described = describeProviderError(error, secretsOfDocument(document));
    return failure(classifyGcpError(described), described, evidence);
  }
}

async function azureIdentity(
  principal: Principal,
  credential: Extract<ProviderCredential, { provider: 'azure' }>,
  endpoints: IdentityEndpoints,
  signal: AbortSignal,
): Promise<Verdict> {
  const evidence = `shared-key GetServiceProperties on account ${credential.accountName} with key fp=${credential.accountKey.fingerprint}`;
  if (credential.accountName !== principal.name)
    return mismatch(
      'PrincipalMismatch',
      `the key is for account ${credential.accountName}, not ${principal.name}`,
      evidence,
    );
  const { BlobServiceClient, StorageSharedKeyCredential } = await import('@azure/storage-blob');
  const key = credential.accountKey.reveal();
  try {
    const service = new BlobServiceClient(
      azureBlobUrl(credential.accountName, endpoints.azureBlob),
      new StorageSharedKeyCredential(credential.accountName, key),
      { retryOptions: { maxTries: 1 } },
    );
    await service.getProperties({ abortSignal: signal });
    return { ok: true, evidence };
  } catch (error: unknown) {
    rethrowIfAborted(signal);
    const described = describeProviderError(error, [key]);
    return failure(classifyAzureError(described), described, evidence);
  }
}

/** Whether the key authenticates as `principal` (one attempt). */
export function checkIdentity(
  principal: Principal,
  credential: ProviderCredential,
  endpoints: IdentityEndpoints,
  signal: AbortSignal,
): Promise<Verdict> {
  if (credential.provider !== principal.provider)
    return Promise.resolve(
      mismatch(
        'ProviderMismatch',
        `a ${credential.provider} key cannot prove a ${principal.provider} principal`,
        'none',
      ),
    );
  switch (credential.provider) {
    case 'aws':
      return awsIdentity(principal, credential, endpoints, signal);
    case 'gcp':
      return gcpIdentity(principal, credential, endpoints, signal);
    case 'azure':
      return azureIdentity(principal, credential, endpoints, signal);
  }
}

/** Failures a later round may not meet: a key not yet known everywhere, a busy or unreachable provider. */
const mayPass = (result: ProbeResult) =>
  !result.ok &&
  (result.kind === 'auth' || result.kind === 'transient' || result.kind === 'throttled') &&
  result.code !== 'PrincipalMismatch' &&
  result.code !== 'InvalidKeyFile';

const targetKey = (target: ProbeTarget) => JSON.stringify(target);

/**
 * Proves a key: identity first, then every distinct target. A round whose failures are all ones
 * eventual consistency explains is retried after a growing delay, up to `retry.attempts` rounds;
 * targets that passed are not probed again.
 */
export async function proveKey(
  request: ProveRequest,
  endpoints: IdentityEndpoints,
  clock: ProviderClock,
  signal: AbortSignal,
): Promise<Proof> {
  const retry = request.retry ?? DEFAULT_PROOF_RETRY;
  const distinct = [...new Map(request.targets.map((t) => [targetKey(t), t])).values()];
  const results = new Map<string, ProbeResult>();
  let identity: Verdict = { ok: false, kind: 'unknown', message: 'not checked', evidence: 'none' };
  let delay = retry.firstDelayMs;
  for (let attempt = 1; ; attempt++) {
    signal.throwIfAborted();
    if (!identity.ok) identity = await checkIdentity(request.principal, request.credential, endpoints, signal);
    if (identity.ok)
      for (const target of distinct) {
        const previous = results.get(targetKey(target));
        if (previous?.ok) continue;
        results.set(targetKey(target), await probe(request.credential, target, signal));
      }
    const failures = [identity, ...results.values()].filter((r) => !r.ok);
    const done = identity.ok && distinct.every((t) => results.get(targetKey(t))?.ok);
    if (done || attempt >= retry.attempts || !failures.every(mayPass))
      return {
        ok: done,
        identity,
        targets: distinct
          .filter((t) => results.has(targetKey(t)))
          .map((target) => ({ target, result: results.get(targetKey(target)) as ProbeResult })),
        attempts: attempt,
      };
    await clock.sleep(delay, signal);
    delay = Math.min(delay * 2, retry.maxDelayMs);
  }
}
