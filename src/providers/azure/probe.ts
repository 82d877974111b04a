/**
 * Azure Blob probe with the official SDK (@azure/storage-blob) and a storage-account shared key:
 * write, read back and delete a probe blob in the container Kubecost uses.
 */
import { failure, kindFromStatus, probeContent, probeObjectName, rethrowIfAborted, Steps } from '../probe-support.js';
import { describeProviderError, type SanitizedError } from '../sanitize.js';
import type { AzureBlobProbeTarget, AzureCredential, ProbeFailureKind, ProbeResult } from '../types.js';

/** Storage error codes by meaning. */
const AZURE_KINDS: Readonly<Record<string, ProbeFailureKind>> = {
  AuthenticationFailed: 'auth',
  InvalidAuthenticationInfo: 'auth',
  NoAuthenticationInformation: 'auth',
  AuthorizationPermissionMismatch: 'permission',
  AuthorizationResourceTypeMismatch: 'permission',
  AuthorizationServiceMismatch: 'permission',
  AuthorizationSourceIPMismatch: 'permission',
  AuthorizationProtocolMismatch: 'permission',
  InsufficientAccountPermissions: 'permission',
  AccountIsDisabled: 'permission',
  KeyBasedAuthenticationNotPermitted: 'permission',
  ContainerNotFound: 'not_found',
  BlobNotFound: 'not_found',
  ResourceNotFound: 'not_found',
  ContainerBeingDeleted: 'not_found',
  ServerBusy: 'throttled',
  OperationTimedOut: 'transient',
  InternalError: 'transient',
};

/**
 * What an Azure Storage error means for the key. `AuthorizationFailure` is what azurite answers
 * for a wrong shared key ("Server failed to authenticate the request"); real Azure uses it for
 * network-rule denials ("This request is not authorized to perform this operation"). A bare 403
 * (HEAD and downloads carry no body) means the key was rejected.
 */
export function classifyAzureError(error: SanitizedError): ProbeFailureKind {
  if (error.code === 'AuthorizationFailure')
    return /failed to authenticate/i.test(error.message) || error.message === '' || /^HTTP 403$/.test(error.message)
      ? 'auth'
      : 'permission';
  const byCode = error.code ? AZURE_KINDS[error.code] : undefined;
  if (byCode) return byCode;
  // No DNS name for <account>.blob.core.windows.net: the account does not exist.
  if (error.network === 'ENOTFOUND') return 'not_found';
  if (error.status === 403) return 'auth';
  if (error.status === 503) return 'throttled';
  return kindFromStatus(error);
}

/**
 * Proves the account key can write, read and delete in the container: upload, download
 * (compared with what was written) and delete of `<prefix>/kubecost-rotate-probe/<random>`.
 * Touches the cloud; leaves nothing behind when it can delete. Safe to retry.
 */
export async function probeAzureBlob(
  credential: AzureCredential,
  target: AzureBlobProbeTarget,
  signal: AbortSignal,
): Promise<ProbeResult> {
  const { BlobServiceClient, StorageSharedKeyCredential } = await import('@azure/storage-blob');
  const name = probeObjectName(target.prefix);
  const content = probeContent();
  const who = `account ${credential.accountName} key fp=${credential.accountKey.fingerprint}`;
  const evidenceOf = (steps: string) => `${steps} azure://${target.account}/${target.container}/${name} as ${who}`;
  const key = credential.accountKey.reveal();
  const service = new BlobServiceClient(
    (target.endpoint ?? `https://${target.account}.blob.core.windows.net`).replace(/\/+$/, ''),
    new StorageSharedKeyCredential(credential.accountName, key),
    { retryOptions: { maxTries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 1000 } },
  );
  const blob = service.getContainerClient(target.container).getBlockBlobClient(name);
  const steps = new Steps();
  let step = 'upload';
  let written = false;
  try {
    await blob.upload(content, Buffer.byteLength(content), {
      abortSignal: signal,
      blobHTTPHeaders: { blobContentType: 'text/plain' },
    });
    written = true;
    steps.ok(step);
    step = 'download';
    const read = (await blob.downloadToBuffer(undefined, undefined, { abortSignal: signal })).toString('utf8');
    if (read !== content)
      return {
        ok: false,
        kind: 'unknown',
        code: 'ProbeMismatch',
        message: 'the blob read back differs from the blob written',
        evidence: evidenceOf(steps.failed(step)),
      };
    steps.ok(step);
    step = 'delete';
    await blob.delete({ abortSignal: signal });
    written = false;
    steps.ok(step);
    return { ok: true, evidence: evidenceOf(steps.toString()) };
  } catch (error: unknown) {
    rethrowIfAborted(signal);
    const described = describeProviderError(error, [key]);
    return failure(classifyAzureError(described), described, evidenceOf(steps.failed(step)));
  } finally {
    if (written && !signal.aborted) await blob.deleteIfExists().catch(() => undefined);
  }
}
