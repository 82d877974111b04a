/**
 * Subscribers of a rotation's progress stream for output: plain timestamped lines (stdout, warnings
 * and waits on stderr) and NDJSON events (one JSON document per line, the last one the result).
 */
import type { Clock } from '../../shared/clock.js';
import type { ProgressEvent, Subscriber, VerificationReport } from '../../rotation/progress.js';
import { describeChecks } from '../../verify/policy.js';
import { verdictMark } from '../../verify/verdict.js';
import type { OutputStream } from '../io.js';

/** NDJSON: every event with the time it happened. */
export function ndjsonWriter(out: OutputStream, clock: Clock): Subscriber {
  return (event: ProgressEvent) => out.write(`${JSON.stringify({ time: clock.now().toISOString(), ...event })}\n`);
}

/** Plain lines, for logs and pipes. A wait is said once per thing waited for. */
export function lineWriter(out: OutputStream, err: OutputStream, clock: Clock): Subscriber {
  const waitsSaid = new Set<string>();
  return (event: ProgressEvent) => {
    const time = clock.now().toISOString().slice(11, 19);
    switch (event.type) {
      case 'phase':
        out.write(`${time} ${event.phase}: ${event.message}\n`);
        return;
      case 'step':
        out.write(
          `${time} [${event.cluster}] ${event.state === 'done' ? '✓' : event.state === 'failed' ? '✗' : '…'} ${event.detail}\n`,
        );
        return;
      case 'verdict':
        out.write(
          `${time} ${verdictMark(event.verdict.status)} ${event.verdict.check} ${event.verdict.target}: ${event.verdict.evidence}\n`,
        );
        return;
      case 'wait':
        // Said once; waiting for someone else's Lease is worth stderr, the rotation's own waits are progress.
        if (waitsSaid.has(event.message)) return;
        waitsSaid.add(event.message);
        (event.for === 'lease' ? err : out).write(`${time} ${event.message} (until ${event.until.slice(11, 19)})\n`);
        return;
      case 'warning':
        err.write(`${time} warning: ${event.message}\n`);
        return;
      case 'result':
        out.write(`${time} rotation ${event.rotation}: ${event.phase}. ${event.message}\n`);
        if (event.verification) for (const line of verificationLines(event.verification)) out.write(`  ${line}\n`);
        return;
    }
  };
}

/** The verification of a result as lines: the policy, then each check's states and reasons. */
export function verificationLines(report: VerificationReport): string[] {
  return [
    `verification ${report.verified ? 'passed' : 'did not pass'}; policy ${report.policy.description}`,
    ...describeChecks(report.checks).map((line) => `  ${line}`),
  ];
}
