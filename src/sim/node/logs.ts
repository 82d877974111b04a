/**
 * Container logs as the kubelet serves them: which container instance a request reads (current,
 * last terminated, or `previous`), the kubelet's wording when there is none, and the selection
 * by sinceTime/sinceSeconds, tailLines and limitBytes, with optional RFC 3339 nano timestamps.
 */
import type { ContainerView, LogEntry } from './types.js';

export interface LogSelection {
  /** Only lines at or after this instant (ms since the epoch). */
  readonly sinceMs?: number;
  /** The last N lines (counted before the `since` filter, as the kubelet seeks from the end). */
  readonly tailLines?: number;
  readonly timestamps: boolean;
  /** Stop after this many bytes (may cut a line). */
  readonly limitBytes?: number;
}

/** `2006-01-02T15:04:05.000000000Z07:00`, the kubelet's timestamp prefix. */
export function rfc3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

export function formatLogLine(entry: LogEntry, timestamps: boolean): string {
  return `${timestamps ? `${rfc3339Nano(entry.ms)} ` : ''}${entry.line}\n`;
}

export function selectLogText(entries: readonly LogEntry[], selection: LogSelection): string {
  let selected = [...entries];
  if (selection.tailLines !== undefined && selection.tailLines >= 0)
    selected = selection.tailLines === 0 ? [] : selected.slice(-selection.tailLines);
  const since = selection.sinceMs;
  if (since !== undefined) selected = selected.filter((e) => e.ms >= since);
  const text = selected.map((e) => formatLogLine(e, selection.timestamps)).join('');
  if (selection.limitBytes !== undefined && selection.limitBytes > 0)
    return Buffer.from(text).subarray(0, selection.limitBytes).toString('utf8');
  return text;
}

/**
 * The log a request reads, chosen as the kubelet's validateContainerLogStatus does: `previous`
 * reads the last terminated instance; otherwise the running (or terminated) instance, or, while
 * a crashed container waits to restart, the one that crashed. `live` is whether it may still grow.
 */
export function logSource(
  view: ContainerView | undefined,
  container: string,
  pod: string,
  previous: boolean,
): { entries: readonly LogEntry[]; live: boolean } | { error: string } {
  if (!view) return { error: `container "${container}" in pod "${pod}" is not available` };
  const { state, lastTerminated } = view;
  if (previous) {
    if (!lastTerminated) return { error: `previous terminated container "${container}" in pod "${pod}" not found` };
    return { entries: view.previousLogs, live: false };
  }
  if (state.kind === 'running') return { entries: view.logs, live: true };
  if (state.kind === 'terminated') return { entries: view.logs, live: false };
  if (lastTerminated) return { entries: view.previousLogs, live: false };
  return { error: `container "${container}" in pod "${pod}" is waiting to start: ${state.reason}` };
}
