/**
 * One clock for the whole program: what time it is, waiting, and deadlines. Code that waits or
 * times out takes a Clock, so tests run it on a {@link ManualClock} instead of real time.
 */

export interface Clock {
  now(): Date;
  /** Resolves after `ms`; rejects with the signal's reason as soon as `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** A signal that aborts after `ms` with a TimeoutError, like AbortSignal.timeout. */
  timeout(ms: number): AbortSignal;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/** Real time. A pending sleep keeps the process alive, as an awaited timer must. */
export const systemClock: Clock = {
  now: () => new Date(),
  sleep(ms, signal) {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      const timer = setTimeout(done, Math.max(0, ms));
      function done(): void {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }
      function onAbort(): void {
        clearTimeout(timer);
        reject(abortReason(signal as AbortSignal));
      }
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
  timeout: (ms) => AbortSignal.timeout(Math.max(0, ms)),
};

interface Sleeper {
  readonly at: number;
  readonly fire: () => void;
}

/**
 * A clock that moves only when told to (cert-manager's FakeClock). `advance` fires every sleep and
 * timeout that falls due, in order, letting the code that awaited each one run before the next.
 */
export class ManualClock implements Clock {
  private ms: number;
  private sleepers: Sleeper[] = [];
  /** Every sleep asked for, in ms, in order (tests read it to check a back-off). */
  readonly sleeps: number[] = [];

  constructor(start: Date | number = Date.UTC(2026, 11, 1)) {
    this.ms = typeof start === 'number' ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.ms);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      const sleeper: Sleeper = {
        at: this.ms + Math.max(0, ms),
        fire: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        reject(abortReason(signal as AbortSignal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sleepers.push(sleeper);
    });
  }

  timeout(ms: number): AbortSignal {
    const controller = new AbortController();
    this.sleepers.push({
      at: this.ms + Math.max(0, ms),
      fire: () => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
    });
    return controller.signal;
  }

  /** How many sleeps and timeouts are waiting. */
  get pending(): number {
    return this.sleepers.length;
  }

  /** Moves time forward by `ms`, firing what falls due in order. */
  async advance(ms: number): Promise<void> {
    const end = this.ms + ms;
    for (;;) {
      await settle();
      const due = this.sleepers.filter((s) => s.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.sleepers = this.sleepers.filter((s) => s !== due);
      this.ms = Math.max(this.ms, due.at);
      due.fire();
    }
    this.ms = end;
    await settle();
  }

  /**
   * Lets the code under test run (real I/O included) until it waits on this clock, then moves time
   * to the next sleep or timeout that falls due; again and again until `done()` holds. Fails when
   * more than `limitMs` of clock time would pass, or when nothing waits on the clock for `idleMs`
   * of real time.
   */
  async runUntil(done: () => boolean, limitMs = 3_600_000, idleMs = 10_000): Promise<void> {
    const end = this.ms + limitMs;
    for (;;) {
      const started = Date.now();
      while (!done() && this.sleepers.length === 0) {
        if (Date.now() - started > idleMs) throw new Error(`nothing waited on the clock for ${idleMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      if (done()) return;
      const next = Math.min(...this.sleepers.map((s) => s.at));
      if (next > end) throw new Error(`still not done after ${limitMs} ms of clock time`);
      await this.advance(Math.max(0, next - this.ms));
    }
  }
}

/** Lets pending promise callbacks (and I/O that already completed) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Whether an error is the rejection of an aborted wait or request (AbortError or TimeoutError). */
export function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}
