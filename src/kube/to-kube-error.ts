/**
 * toKubeError: what a client-node call threw, as a KubeError. Apart from errors.ts so that the
 * error types load without the Kubernetes client (the CLI's --help and --version never load it).
 */
import { ApiException } from '@kubernetes/client-node';
import {
  CallAborted,
  CallTimeout,
  failureOf,
  KubeError,
  retryAfterMsOf,
  statusMessage,
  type KubeCall,
} from './errors.js';

/** Turns whatever a client-node call threw into a KubeError for `call`. */
export function toKubeError(call: KubeCall, error: unknown): KubeError {
  if (error instanceof KubeError) return error;
  if (error instanceof ApiException) {
    const code = error.code;
    const fallback =
      code === 401 ? 'the credentials in the kubeconfig were refused (401 Unauthorized)' : `HTTP ${code}`;
    const retryAfterMs = code === 429 || code === 503 ? retryAfterMsOf(error.headers, error.body) : undefined;
    return new KubeError(call, failureOf(code), code, statusMessage(error.body) ?? fallback, {
      cause: error,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  if (error instanceof CallAborted) return new KubeError(call, 'Aborted', undefined, error.message, { cause: error });
  if (error instanceof CallTimeout) {
    // No answer in time: for a write, whether it was applied is unknown; the caller must read back.
    return new KubeError(
      call,
      'Timeout',
      undefined,
      `no answer from the API server within ${Math.round(error.ms / 1000)} s`,
      { cause: error },
    );
  }
  // Network failures: keep the reason (ECONNREFUSED, certificate errors, resets), not the stack. A fetch
  // error ("fetch failed") keeps it in its cause.
  const cause = (error as { cause?: unknown }).cause;
  const text =
    [error, cause]
      .map((e) => (e instanceof Error ? `${e.message} ${String((e as { code?: unknown }).code ?? '')}` : ''))
      .join(' ')
      .trim() || String(error);
  const reason =
    /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|socket hang up|certificate|self-signed|timed? ?out/i.exec(
      text,
    )?.[0];
  return new KubeError(
    call,
    'Unreachable',
    undefined,
    `no answer from the API server (${reason ?? text.split('\n')[0] ?? 'unknown error'})`,
    { cause: error },
  );
}
