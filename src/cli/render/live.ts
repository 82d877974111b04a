/**
 * Live per-cluster progress on a terminal: a block of one line per cluster (Secrets written,
 * workloads rolled out, what it is doing now) redrawn in place, with phase changes, verdicts, waits
 * and warnings scrolling above it. It reads the typed events only: counts and kinds, never text.
 */
import type { RotationPlan } from '../../rotation/plan.js';
import type { ProgressEvent, Subscriber } from '../../rotation/progress.js';
import { verdictMark } from '../../verify/verdict.js';
import { verificationLines } from './progress.js';
import type { OutputStream } from '../io.js';

interface ClusterLine {
  writes: number;
  writesTotal: number;
  restarts: number;
  restartsTotal: number;
  now: string;
  failed: boolean;
}

export function liveView(plan: RotationPlan, out: OutputStream, color: boolean): Subscriber {
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
  return (event: ProgressEvent) => {
    switch (event.type) {
      case 'step': {
        const c = clusters.get(event.cluster);
        if (!c) return;
        c.now = event.detail;
        if (event.state === 'failed') c.failed = true;
        if (event.state === 'done' && event.kind === 'write') c.writes += 1;
        if (event.state === 'done' && event.kind === 'rollout') c.restarts = Math.min(c.restartsTotal, c.restarts + 1);
        clear();
        draw();
        return;
      }
      case 'phase':
        if (event.phase === 'RollingBack')
          for (const c of clusters.values()) Object.assign(c, { writes: 0, restarts: 0, now: 'rolling back' });
        above(`${paint('1', event.phase)}: ${event.message}`);
        return;
      case 'verdict': {
        const mark = verdictMark(event.verdict.status);
        above(
          `${paint(event.verdict.status === 'passed' ? '32' : event.verdict.status === 'failed' ? '31' : '33', mark)} ${event.verdict.check} ${event.verdict.target}: ${event.verdict.evidence}`,
        );
        return;
      }
      case 'wait':
        above(`${paint('33', 'waiting')}: ${event.message} (until ${event.until.slice(11, 19)})`);
        return;
      case 'warning':
        above(`${paint('33', 'warning')}: ${event.message}`);
        return;
      case 'result':
        above(`rotation ${event.rotation}: ${paint('1', event.phase)}. ${event.message}`);
        if (event.verification) for (const line of verificationLines(event.verification)) above(`  ${line}`);
        return;
    }
  };
}
