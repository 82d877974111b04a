/**
 * The verdict policy (issue 7 §7): what the verdicts of a rotation must add up to for it to count
 * as verified. Pure. Three rules, whatever the policy:
 * - a `failed` verdict of any check is evidence against the new key: never verified;
 * - an `unavailable` verdict (the check could not run: no permission, no route, no answer, no log
 *   line) is no evidence either way: it counts only where the policy asks for that check;
 * - `pods-restarted` and `secret-holds-new-key` are always required where they apply (DESIGN §4.1).
 * The default asks for positive evidence that the new key works: at least one `cloud-cost-status`
 * or `probe` verdict passed (where this rotation runs neither, a `logs` verdict that read lines).
 * `--require a,b` instead asks every verdict of each named check to pass.
 */
import { ConfigError } from '../shared/errors.js';
import type { CheckName, Verdict, VerdictStatus } from './verdict.js';

/** Every check, as `--require` names them. */
export const CHECK_NAMES: readonly CheckName[] = [
  'pods-restarted',
  'secret-holds-new-key',
  'logs',
  'cloud-cost-status',
  'probe',
];

/** Required whatever the policy says, wherever they apply. */
export const ALWAYS_REQUIRED: readonly CheckName[] = ['pods-restarted', 'secret-holds-new-key'];

/** The checks whose pass proves the new key works, by default. */
const DEFAULT_EVIDENCE: readonly CheckName[] = ['cloud-cost-status', 'probe'];

export interface VerdictPolicy {
  /** `default`, or `--require` when the operator named the checks. */
  readonly source: 'default' | '--require';
  /** Every verdict of each of these must pass (and there must be one). */
  readonly require: readonly CheckName[];
  /** At least one verdict of one of these must pass: positive evidence that the new key works. */
  readonly evidence: readonly CheckName[];
  /** Checks this rotation does not run, with why. */
  readonly notRun: Readonly<Partial<Record<CheckName, string>>>;
  /** The policy in one sentence. */
  readonly description: string;
}

/** Parses `--require logs,cloud-cost-status,probe`. Throws a ConfigError naming the flag and the allowed names. */
export function parseRequire(value: string, flag = '--require'): CheckName[] {
  const names = value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  const allowed = CHECK_NAMES.join(', ');
  if (names.length === 0)
    throw new ConfigError(`${flag} "${value}" names no check.`, `Name one or more of: ${allowed} (comma-separated).`);
  const unknown = names.filter((n) => !(CHECK_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0)
    throw new ConfigError(
      `${flag} ${value}: ${unknown.map((u) => `"${u}"`).join(', ')} ${unknown.length === 1 ? 'is not a check' : 'are not checks'}.`,
      `The checks are: ${allowed}.`,
    );
  return [...new Set(names as CheckName[])];
}

/**
 * The policy of one rotation: `require` as the operator gave it (undefined: the default), and the
 * checks this rotation cannot run. A required check that cannot run is refused now (ConfigError):
 * it could never pass.
 */
export function verdictPolicy(input: {
  readonly require?: readonly CheckName[];
  readonly notRun: Readonly<Partial<Record<CheckName, string>>>;
}): VerdictPolicy {
  const { notRun } = input;
  const runs = (c: CheckName) => notRun[c] === undefined;
  if (input.require) {
    const impossible = input.require.filter((c) => !runs(c));
    if (impossible.length > 0)
      throw new ConfigError(
        `--require ${input.require.join(',')}: ${impossible.map((c) => `${c} cannot run in this rotation (${notRun[c] ?? ''})`).join('; ')}.`,
        `Require only checks this rotation runs: ${CHECK_NAMES.filter(runs).join(', ') || 'none'}.`,
      );
    const require = CHECK_NAMES.filter((c) => runs(c) && (ALWAYS_REQUIRED.includes(c) || input.require?.includes(c)));
    return {
      source: '--require',
      require,
      evidence: [],
      notRun,
      description: `--require: every ${require.join(', ')} check must pass; no check may fail; other checks may be unavailable.`,
    };
  }
  const require = ALWAYS_REQUIRED.filter(runs);
  const direct = DEFAULT_EVIDENCE.filter(runs);
  const evidence = direct.length > 0 ? direct : runs('logs') ? (['logs'] as CheckName[]) : [];
  const needs =
    evidence.length === 0
      ? 'no check of this rotation can show that the new key works (nothing beyond the Secrets and the restarts is checked)'
      : direct.length > 0
        ? `at least one ${evidence.join(' or ')} check must pass (positive evidence that the new key works)`
        : 'at least one logs check must pass, with log lines read and no auth failure in them (this rotation runs no cloud-cost-status and no probe)';
  return {
    source: 'default',
    require,
    evidence,
    notRun,
    description: `default: ${require.length > 0 ? `every ${require.join(', ')} check must pass; ` : ''}${needs}; no check may fail; other checks may be unavailable.`,
  };
}

/** How one check fared in a rotation. */
export interface CheckSummary {
  readonly check: CheckName;
  /** What the policy asks of it. */
  readonly role: 'required' | 'evidence' | 'reported' | 'not-run';
  readonly passed: number;
  readonly failed: number;
  readonly unavailable: number;
  /** The reasons of its verdicts, each once, in order. */
  readonly reasons: readonly string[];
  /** Why it did not run, if it did not. */
  readonly notRun?: string;
}

export interface Judgement {
  readonly verified: boolean;
  /** Why not, in one line (empty when verified). */
  readonly why: string;
  readonly checks: readonly CheckSummary[];
}

const count = (verdicts: readonly Verdict[], status: VerdictStatus) =>
  verdicts.filter((v) => v.status === status).length;

const describeVerdict = (v: Verdict) => `${v.check} ${v.target}: ${v.evidence}`;

/** What the verdicts add up to under the policy. */
export function judge(verdicts: readonly Verdict[], policy: VerdictPolicy): Judgement {
  const of = (check: CheckName) => verdicts.filter((v) => v.check === check);
  const checks: CheckSummary[] = CHECK_NAMES.map((check) => {
    const mine = of(check);
    const why = policy.notRun[check];
    return {
      check,
      role: policy.require.includes(check)
        ? 'required'
        : policy.evidence.includes(check)
          ? 'evidence'
          : why !== undefined && mine.length === 0
            ? 'not-run'
            : 'reported',
      passed: count(mine, 'passed'),
      failed: count(mine, 'failed'),
      unavailable: count(mine, 'unavailable'),
      reasons: [...new Set(mine.map((v) => v.reason))],
      ...(why !== undefined ? { notRun: why } : {}),
    };
  });
  const failed = verdicts.filter((v) => v.status === 'failed');
  if (failed.length > 0)
    return { verified: false, why: `verification failed: ${failed.map(describeVerdict).join('; ')}`, checks };
  const short: string[] = [];
  for (const check of policy.require) {
    const mine = of(check);
    const notPassed = mine.filter((v) => v.status !== 'passed');
    if (mine.length === 0) short.push(`required check ${check} gave no verdict`);
    else if (notPassed.length > 0)
      short.push(`required check ${check} was unavailable: ${notPassed.map(describeVerdict).join('; ')}`);
  }
  if (policy.evidence.length > 0 && !verdicts.some((v) => policy.evidence.includes(v.check) && v.status === 'passed')) {
    const tried = verdicts.filter((v) => policy.evidence.includes(v.check));
    short.push(
      `no positive evidence that the new key works: no ${policy.evidence.join(' or ')} check passed${tried.length > 0 ? ` (${tried.map(describeVerdict).join('; ')})` : ''}`,
    );
  }
  return short.length > 0
    ? { verified: false, why: `not verified under the ${policy.source} policy: ${short.join('; ')}`, checks }
    : { verified: true, why: '', checks };
}

/** One line per check: what the policy asks, and what came of it. */
export function describeChecks(checks: readonly CheckSummary[]): string[] {
  return checks.map((c) => {
    if (c.role === 'not-run') return `${c.check}: not run (${c.notRun ?? ''})`;
    const counts = [
      c.passed ? `${c.passed} passed` : '',
      c.failed ? `${c.failed} failed` : '',
      c.unavailable ? `${c.unavailable} unavailable` : '',
    ].filter(Boolean);
    return `${c.check} [${c.role}]: ${counts.join(', ') || 'no verdict'}${c.reasons.length > 0 ? ` (${c.reasons.join(', ')})` : ''}`;
  });
}
