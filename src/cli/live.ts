/**
 * Live per-cluster progress on a terminal: a block of one line per cluster (Secrets written,
 * workloads restarted, what it is doing now) redrawn in place, with phase changes, verdicts and
 * warnings scrolling above it. Elsewhere the rotation commands print plain timestamped lines.
 */
import type { RotationPlan } from '../rotation/plan.js';
import type { ProgressEvent, Reporter } from '../rotation/progress.js';

interface ClusterLine {
  writes: number;
  writesTotal: number;
  restarts: number;
  restartsTotal: number;
  now: string;
  failed: boolean;
}

export function liveReporter(
  plan: RotationPlan,
  out: NodeJS.WriteStream,
  color: boolean,
): Reporter & { close(): void } {
  const clusters = new Map<string, ClusterLine>();
  for (const c of [...new Set([...plan.writes.map((w) => w.cluster), ...plan.restarts.map((r) => r.cluster)])].sort()) {
    clusters.set(c, {
      writes: 0,
      writesTotal: plan.writes.filter((w) => w.cluster === c).length,
      restarts: 0,
      restartsTotal: plan.restarts.filter((r) => r.cluster === c).length,
      now: 'waiting',
      failed: false,
    });
  }
  const paint = (code: string, text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  let drawn = 0;
  const width = () => Math.max(40, (out.columns || 120) - 1);
  const clear = () => {
    if (drawn > 0) out.write(`\u001b[${drawn}A\u001b[J`);
    drawn = 0;
  };
  const draw = () => {
    const lines = [...clusters].map(([name, c]) => {
      const mark = c.failed
        ? paint('31', '✗')
        : c.writes === c.writesTotal && c.restarts === c.restartsTotal
          ? paint('32', '✓')
          : paint('33', '…');
      return `${mark} ${name.padEnd(16)} secrets ${c.writes}/${c.writesTotal}  restarts ${c.restarts}/${c.restartsTotal}  ${c.now}`.slice(
        0,
        width(),
      );
    });
    out.write(`${lines.join('\n')}\n`);
    drawn = lines.length;
  };
  const above = (text: string) => {
    clear();
    out.write(`${text}\n`);
    draw();
  };
  draw();
  const report = (event: ProgressEvent) => {
    switch (event.type) {
      case 'step': {
        const c = clusters.get(event.cluster);
        if (!c) return;
        c.now = event.detail;
        if (event.state === 'failed') c.failed = true;
        if (event.state === 'done' && event.step.startsWith('write:')) c.writes += 1;
        if (
          event.state === 'done' &&
          event.step.startsWith('restart:') &&
          /rolled out|roll out complete/.test(event.detail)
        )
          c.restarts = Math.min(c.restartsTotal, c.restarts + 1);
        clear();
        draw();
        return;
      }
      case 'phase':
        if (event.phase === 'RollingBack')
          for (const c of clusters.values()) Object.assign(c, { writes: 0, restarts: 0, now: 'rolling back' });
        above(`${paint('1', event.phase)}: ${event.message}`);
        return;
      case 'verdict':
        above(
          `${event.verdict.ok ? paint('32', 'ok  ') : paint('31', 'FAIL')} ${event.verdict.check} ${event.verdict.target}: ${event.verdict.evidence}`,
        );
        return;
      case 'warning':
        above(`${paint('33', 'warning')}: ${event.message}`);
        return;
      case 'result':
        above(`rotation ${event.rotation}: ${paint('1', event.phase)}. ${event.message}`);
        return;
    }
  };
  return Object.assign(report, { close: () => undefined });
}
