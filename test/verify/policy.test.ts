/** The verdict policy as a pure function: what the verdicts of a rotation must add up to. */
import { describe, expect, it } from 'vitest';
import { logsFreeOfAuthFailures } from '../../src/verify/chains.js';
import { judge, parseRequire, verdictPolicy } from '../../src/verify/policy.js';
import type { CheckName, Verdict, VerdictStatus } from '../../src/verify/verdict.js';
import { ConfigError } from '../../src/shared/errors.js';

const v = (check: CheckName, status: VerdictStatus, reason = 'R'): Verdict =>
  ({ check, target: `t/${check}`, status, reason, evidence: `${check} ${status}` }) as Verdict;

const structural = [v('pods-restarted', 'passed'), v('secret-holds-new-key', 'passed')];
const everything = verdictPolicy({ notRun: {} });

describe('the default policy', () => {
  it('needs a cloud-cost-status or probe pass, and tolerates logs that could not be read', () => {
    expect(everything).toMatchObject({
      source: 'default',
      require: ['pods-restarted', 'secret-holds-new-key'],
      evidence: ['cloud-cost-status', 'probe'],
    });
    const verdicts = [
      ...structural,
      v('logs', 'unavailable', 'LogsUnreadable'),
      v('cloud-cost-status', 'unavailable', 'StatusUnreadable'),
      v('probe', 'passed', 'ProbePassed'),
    ];
    const judged = judge(verdicts, everything);
    expect(judged.verified).toBe(true);
    expect(judged.checks.find((c) => c.check === 'logs')).toMatchObject({
      role: 'reported',
      unavailable: 1,
      reasons: ['LogsUnreadable'],
    });
  });

  it('is not satisfied by logs alone when a status or probe could have spoken', () => {
    const judged = judge(
      [
        ...structural,
        v('logs', 'passed'),
        v('cloud-cost-status', 'unavailable', 'StatusUnreadable'),
        v('probe', 'unavailable', 'ProbeTimedOut'),
      ],
      everything,
    );
    expect(judged.verified).toBe(false);
    expect(judged.why).toMatch(/^not verified under the default policy: no positive evidence that the new key works/);
  });

  it('never verifies a rotation with a failed check, whatever else passed', () => {
    const judged = judge([...structural, v('probe', 'passed'), v('logs', 'failed', 'AuthFailureLogged')], everything);
    expect(judged).toMatchObject({ verified: false, why: expect.stringMatching(/^verification failed: logs t\/logs/) });
  });

  it('falls back to the logs when the rotation runs neither a status nor a probe, and then zero log lines is no evidence', () => {
    const policy = verdictPolicy({ notRun: { 'cloud-cost-status': 'none', probe: 'off' } });
    expect(policy.evidence).toEqual(['logs']);
    const [silent] = logsFreeOfAuthFailures({
      target: 'c/ns/Deployment/d',
      token: 't',
      scaledToZero: false,
      pods: [
        { name: 'p', token: 't', ready: true, logs: [{ container: 'c', since: '2026-01-01T00:00:00Z', text: '' }] },
      ],
    });
    expect(silent).toMatchObject({ check: 'logs', status: 'unavailable', reason: 'NoLogLines' });
    expect(judge([...structural, silent as Verdict], policy).verified).toBe(false);
    expect(judge([...structural, v('logs', 'passed', 'NoAuthFailure')], policy).verified).toBe(true);
  });
});

describe('--require', () => {
  it('asks every verdict of each named check to pass, besides the structural checks', () => {
    const policy = verdictPolicy({ require: ['cloud-cost-status'], notRun: {} });
    expect(policy).toMatchObject({
      source: '--require',
      require: ['pods-restarted', 'secret-holds-new-key', 'cloud-cost-status'],
      evidence: [],
    });
    const unread = [...structural, v('cloud-cost-status', 'unavailable', 'StatusUnreadable'), v('probe', 'passed')];
    expect(judge(unread, policy)).toMatchObject({
      verified: false,
      why: expect.stringMatching(/required check cloud-cost-status was unavailable/),
    });
    expect(judge([...structural, v('cloud-cost-status', 'passed')], policy).verified).toBe(true);
  });

  it('refuses a check the rotation cannot run, saying why', () => {
    expect(() =>
      verdictPolicy({ require: ['probe'], notRun: { probe: 'the direct probe is off (--no-probe)' } }),
    ).toThrow(/--require probe: probe cannot run in this rotation \(the direct probe is off \(--no-probe\)\)/);
  });

  it('parses comma-separated check names and refuses an unknown one, naming the flag and the allowed names', () => {
    expect(parseRequire('logs, probe,logs')).toEqual(['logs', 'probe']);
    let error: unknown;
    try {
      parseRequire('logs,status');
    } catch (caught: unknown) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe('--require logs,status: "status" is not a check.');
    expect((error as ConfigError).hint).toBe(
      'The checks are: pods-restarted, secret-holds-new-key, logs, cloud-cost-status, probe.',
    );
    expect(() => parseRequire(' , ')).toThrow(/--require " , " names no check/);
  });
});
