/**
 * `probe`: proves that a credential reaches the exact resource a Kubecost consumer reads or
 * writes, with the provider's official SDK. Used to verify a new key before it is written, and
 * after a rotation (DESIGN §5, §6). Every failure is classified and sanitized; nothing secret is
 * in a result.
 */
import { probeAthena, probeS3 } from './aws/probe.js';
import { probeAzureBlob } from './azure/probe.js';
import { probeBigQuery, probeGcs } from './gcp/probe.js';
import type { ProbeResult, ProbeTarget, ProviderCredential } from './types.js';

/** A credential of the wrong provider for the target: a caller's bug, not a probe verdict. */
export class ProbeMismatchError extends TypeError {
  override readonly name = 'ProbeMismatchError';
}

function mismatch(credential: ProviderCredential, target: ProbeTarget): never {
  throw new ProbeMismatchError(`a ${credential.provider} credential cannot probe a ${target.kind} target`);
}

/**
 * Probes `target` with `credential`. Object stores get a probe object written, read back and
 * deleted; Athena runs `SELECT 1`; BigQuery gets a table read and a dry-run query. Touches the
 * cloud; safe to retry. Resolves with the verdict; rejects only when `signal` aborts (with its
 * reason) or the credential's provider does not match the target ({@link ProbeMismatchError}).
 */
export async function probe(
  credential: ProviderCredential,
  target: ProbeTarget,
  signal: AbortSignal,
): Promise<ProbeResult> {
  signal.throwIfAborted();
  switch (target.kind) {
    case 's3':
      return credential.provider === 'aws' ? probeS3(credential, target, signal) : mismatch(credential, target);
    case 'athena':
      return credential.provider === 'aws' ? probeAthena(credential, target, signal) : mismatch(credential, target);
    case 'gcs':
      return credential.provider === 'gcp' ? probeGcs(credential, target, signal) : mismatch(credential, target);
    case 'bigquery':
      return credential.provider === 'gcp' ? probeBigQuery(credential, target, signal) : mismatch(credential, target);
    case 'azure-blob':
      return credential.provider === 'azure'
        ? probeAzureBlob(credential, target, signal)
        : mismatch(credential, target);
  }
}
