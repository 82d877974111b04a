/**
 * KubeError: one failed call to a cluster, with what was asked and what the server (or the
 * network) answered. Messages name the cluster and the object; they never carry object data.
 */

export interface KubeCall {
  readonly cluster: string;
  readonly verb: string;
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
}

/** Why a call failed, in the API server's words where there is one. */
export type KubeFailure =
  | 'Unreachable'
  | 'Timeout'
  /** The caller stopped waiting (Ctrl-C, a deadline of its own). */
  | 'Aborted'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'Conflict'
  | 'Invalid'
  | 'TooManyRequests'
  | 'ServerError'
  | 'Other';

export class KubeError extends Error {
  override readonly name = 'KubeError';
  constructor(
    readonly call: KubeCall,
    readonly failure: KubeFailure,
    /** HTTP status, or undefined when no answer came. */
    readonly code: number | undefined,
    /** The server's Status message (or the network error), already safe to print. */
    readonly detail: string,
    options?: { cause?: unknown; retryAfterMs?: number },
  ) {
    super(`${describeCall(call)}: ${detail}`, options);
    if (options?.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }

  /** How long the server asked to wait before trying again (Retry-After on 429 and 503). */
  readonly retryAfterMs?: number;

  /** Worth retrying: no answer, throttled, or a server error. */
  get retryable(): boolean {
    return this.failure === 'Unreachable' || this.failure === 'TooManyRequests' || this.failure === 'ServerError';
  }

  /**
   * Whether a write that failed this way may still have been applied. An HTTP answer below 500
   * (409, 422, 403, 429...) means the server refused it; only a missing answer, or a server error
   * after the request was sent, leaves its fate unknown (read the object back to know).
   */
  get mayHaveApplied(): boolean {
    return this.code === undefined || this.code >= 500;
  }
}

/** Thrown by KubeClient when its caller aborted the call. */
export class CallAborted extends Error {
  override readonly name = 'CallAborted';
  constructor() {
    super('the call was cancelled');
  }
}

/** Thrown by KubeClient when a call takes longer than its timeout. */
export class CallTimeout extends Error {
  override readonly name = 'CallTimeout';
  constructor(readonly ms: number) {
    super(`timed out after ${ms} ms`);
  }
}

export function describeCall(call: KubeCall): string {
  const target = call.name ? `${call.resource}/${call.name}` : call.resource;
  return `cluster ${call.cluster}: ${call.verb} ${target}${call.namespace ? ` in namespace ${call.namespace}` : ''}`;
}

/** The failure an HTTP status means. */
export function failureOf(code: number): KubeFailure {
  if (code === 401) return 'Unauthorized';
  if (code === 403) return 'Forbidden';
  if (code === 404) return 'NotFound';
  if (code === 409) return 'Conflict';
  if (code === 422) return 'Invalid';
  if (code === 429) return 'TooManyRequests';
  if (code >= 500) return 'ServerError';
  return 'Other';
}

interface StatusBody {
  readonly message?: unknown;
  readonly details?: { readonly retryAfterSeconds?: unknown };
}

function statusBody(body: unknown): StatusBody | undefined {
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body) as unknown;
    } catch {
      return undefined;
    }
  }
  return typeof parsed === 'object' && parsed !== null ? (parsed as StatusBody) : undefined;
}

export function statusMessage(body: unknown): string | undefined {
  const message = statusBody(body)?.message;
  return typeof message === 'string' ? message : undefined;
}

/**
 * The delay a 429 or 503 asks for: the Retry-After header (seconds, or an HTTP date), else the
 * Status details' retryAfterSeconds (the API server sends both).
 */
export function retryAfterMsOf(
  headers: Readonly<Record<string, string>> | undefined,
  body: unknown,
  now = Date.now(),
): number | undefined {
  const header = Object.entries(headers ?? {})
    .find(([k]) => k.toLowerCase() === 'retry-after')?.[1]
    ?.trim();
  if (header) {
    if (/^\d+$/.test(header)) return Number(header) * 1000;
    const at = Date.parse(header);
    if (Number.isFinite(at)) return Math.max(0, at - now);
  }
  const seconds = statusBody(body)?.details?.retryAfterSeconds;
  return typeof seconds === 'number' && seconds >= 0 ? seconds * 1000 : undefined;
}
