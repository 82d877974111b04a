/**
 * The simulator's clock. It runs in real time, and tests can jump it forward with `advance()`:
 * every timer that falls due in the jump fires at once, in due order, so a test can skip a
 * 600 s progress deadline or a 60 s kubelet sync without waiting for it.
 */
export interface SimTimer {
  readonly due: number;
  cancel(): void;
}

interface TimerEntry extends SimTimer {
  fn: () => void;
  handle: NodeJS.Timeout | undefined;
  fired: boolean;
}

export class SimClock {
  private offsetMs = 0;
  private readonly pending = new Set<TimerEntry>();

  /** Milliseconds since the epoch, in simulated time. */
  now(): number {
    return Date.now() + this.offsetMs;
  }

  date(): Date {
    return new Date(this.now());
  }

  /** RFC 3339 with second precision, as Kubernetes writes metav1.Time. */
  timestamp(ms: number = this.now()): string {
    return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  }

  /** Runs `fn` after `ms` simulated milliseconds (which may come early through `advance`). */
  setTimeout(fn: () => void, ms: number): SimTimer {
    const entry: TimerEntry = {
      due: this.now() + Math.max(0, ms),
      fn,
      handle: undefined,
      fired: false,
      cancel: () => {
        clearTimeout(entry.handle);
        this.pending.delete(entry);
      },
    };
    entry.handle = setTimeout(() => this.fire(entry), Math.max(0, ms));
    entry.handle.unref();
    this.pending.add(entry);
    return entry;
  }

  /** Moves simulated time forward and fires every timer that falls due, oldest first. */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError('SimClock.advance: time only moves forward');
    this.offsetMs += ms;
    for (;;) {
      const now = this.now();
      const due = [...this.pending].filter((t) => t.due <= now).sort((a, b) => a.due - b.due);
      if (due.length === 0) return;
      for (const timer of due) this.fire(timer);
    }
  }

  /** Cancels every pending timer (used when a fleet stops). */
  cancelAll(): void {
    for (const timer of this.pending) timer.cancel();
  }

  private fire(entry: TimerEntry): void {
    if (entry.fired) return;
    entry.fired = true;
    clearTimeout(entry.handle);
    this.pending.delete(entry);
    entry.fn();
  }
}
