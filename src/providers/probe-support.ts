/** What every provider probe shares: the probe object's name and content, and result building. */
import { randomBytes } from 'node:crypto';
import type { SanitizedError } from './sanitize.js';
import type { ProbeFailureKind, ProbeResult } from './types.js';

/** The folder every probe object goes in, below the consumer's prefix. */
export const PROBE_FOLDER = 'kubecost-rotate-probe';

/** `<prefix>/kubecost-rotate-probe/<random>`: a fresh object name that cannot collide with Kubecost's own. */
export function probeObjectName(prefix?: string): string {
  const folder = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  return `${folder ? `${folder}/` : ''}${PROBE_FOLDER}/${randomBytes(8).toString('hex')}`;
}

/** The probe object's body: a nonce, so the read-back proves the object written is the one read. */
export function probeContent(): string {
  return `kubecost-rotate access probe ${randomBytes(12).toString('hex')}; safe to delete\n`;
}

/** A failed result from a sanitized provider error (its code, or the network error's). */
export function failure(kind: ProbeFailureKind, error: SanitizedError, evidence: string): ProbeResult {
  const code = error.code ?? error.network;
  return { ok: false, kind, ...(code ? { code } : {}), message: error.message, evidence };
}

/** Classification by HTTP status and network error alone, for what a provider's codes do not settle. */
export function kindFromStatus(error: SanitizedError): ProbeFailureKind {
  if (error.network || error.name === 'TimeoutError') return 'transient';
  const status = error.status;
  if (status === undefined) return 'unknown';
  if (status === 401) return 'auth';
  if (status === 403) return 'permission';
  if (status === 404) return 'not_found';
  if (status === 429) return 'throttled';
  if (status === 408 || status >= 500) return 'transient';
  return 'unknown';
}

/** Rethrows the caller's abort reason when the signal fired (an abort is not a probe verdict). */
export function rethrowIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('probe aborted');
}

/** Steps done so far, for evidence: "PutObject+GetObject" or "PutObject+GetObject(failed)". */
export class Steps {
  private readonly done: string[] = [];

  ok(step: string): void {
    this.done.push(step);
  }

  failed(step: string): string {
    return [...this.done, `${step}(failed)`].join('+');
  }

  toString(): string {
    return this.done.join('+');
  }
}
