/**
 * The one retry loop of the program: bounded attempts, exponential back-off on an injected clock,
 * and a delay the failure itself may ask for (Retry-After). Every wait is bounded: by its attempts,
 * or by a deadline.
 */
import type { Clock } from './clock.js';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** Delay before the second attempt; it doubles after each failure. */
  readonly baseMs: number;
  /** Longest delay between two attempts. Default 30 s. */
  readonly maxMs?: number;
}

/** What to do with a failure: give up, or retry (after `afterMs` when the failure says how long). */
export type RetryDecision = false | { readonly afterMs?: number };

export interface RetryInfo {
  readonly error: unknown;
  /** The attempt that comes next (2 for the first retry). */
  readonly attempt: number;
  readonly attempts: number;
  readonly delayMs: number;
}

export interface RetryOptions {
  readonly clock: Clock;
  readonly policy: RetryPolicy;
  /** Whether (and when) to try again after `error`. */
  readonly retryable: (error: unknown) => RetryDecision;
  /** Called before each wait (to say what is retried and why). */
  readonly onRetry?: (info: RetryInfo) => void;
  /** Stops waiting between attempts (the wait rejects with the signal's reason). */
  readonly signal?: AbortSignal;
}

/** The back-off before attempt `attempt` (2, 3, ...). */
export function backoffMs(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxMs ?? 30_000, policy.baseMs * 2 ** (attempt - 2));
}

/** Runs `fn` until it succeeds, the failure is not retryable, or the attempts are spent (then its last error is thrown). */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { policy } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error: unknown) {
      const decision = attempt < policy.attempts ? options.retryable(error) : false;
      if (decision === false) throw error;
      const delayMs = decision.afterMs ?? backoffMs(policy, attempt + 1);
      options.onRetry?.({ error, attempt: attempt + 1, attempts: policy.attempts, delayMs });
      await options.clock.sleep(delayMs, options.signal);
    }
  }
}

export interface PollOptions {
  readonly clock: Clock;
  /** Time between two looks. */
  readonly intervalMs: number;
  /** When to give up (ms since the epoch, on `clock`). */
  readonly deadline: number;
  readonly signal?: AbortSignal;
}

/**
 * Looks with `check` until it returns a value (not undefined) or the deadline passes; then returns
 * undefined. Never waits past the deadline.
 */
export async function pollUntil<T>(check: () => Promise<T | undefined>, options: PollOptions): Promise<T | undefined> {
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    const left = options.deadline - options.clock.now().getTime();
    if (left <= 0) return undefined;
    await options.clock.sleep(Math.min(options.intervalMs, left), options.signal);
  }
}
