/**
 * The verdict policy of a rotation: which checks it runs (from its plan and whether the direct
 * probe is on) and what `--require` asks; verify/policy.ts says what the verdicts must add up to.
 */
import { judge, verdictPolicy, type VerdictPolicy } from '../verify/policy.js';
import type { CheckName, Verdict } from '../verify/verdict.js';
import type { VerificationReport } from './progress.js';
import type { RotationPlan } from './plan-types.js';
import { namesResource } from '../kubecost/probe-targets.js';

type PlanParts = Pick<RotationPlan, 'credential' | 'sites' | 'writes' | 'restarts' | 'statusChecks'> & {
  readonly options: Pick<RotationPlan['options'], 'require'>;
};

/** Whether the direct probe can say anything about a site of this key: its document names a resource, and the provider has a probe. */
export function hasDirectProbe(site: Pick<RotationPlan['sites'][number], 'format'>, provider: string): boolean {
  return provider !== 'alibaba' && namesResource(site.format);
}

/** The checks this rotation cannot run, with why. */
export function checksNotRun(plan: PlanParts, probing: boolean): Partial<Record<CheckName, string>> {
  const notRun: Partial<Record<CheckName, string>> = {};
  if (plan.restarts.length === 0) {
    notRun['pods-restarted'] = 'no workload reads the rotated Secrets';
    notRun.logs = 'no workload reads the rotated Secrets';
  }
  if (plan.writes.length === 0) notRun['secret-holds-new-key'] = 'no Secret is written';
  if (plan.statusChecks.length === 0)
    notRun['cloud-cost-status'] =
      plan.credential.provider === 'alibaba'
        ? 'the cloud-cost status is not read for Alibaba keys'
        : 'no site of this key is a cloud integration with a cloud-cost status';
  if (!probing) notRun.probe = 'the direct probe is off (--no-probe)';
  else if (!plan.sites.some((s) => hasDirectProbe(s, plan.credential.provider)))
    notRun.probe = `no site of this ${plan.credential.provider} key names a resource the provider can be probed on`;
  return notRun;
}

/** The policy of a rotation. Throws a ConfigError when `--require` names a check it cannot run. */
export function policyOf(plan: PlanParts, probing: boolean): VerdictPolicy {
  return verdictPolicy({
    ...(plan.options.require ? { require: plan.options.require } : {}),
    notRun: checksNotRun(plan, probing),
  });
}

/** What the last verification of a rotation found, under the policy it is judged by now (none before it ran). */
export function verificationReport(
  plan: PlanParts,
  verdicts: readonly Verdict[],
  probing: boolean,
): VerificationReport | undefined {
  if (verdicts.length === 0) return undefined;
  try {
    const policy = policyOf(plan, probing);
    const { verified, checks } = judge(verdicts, policy);
    return { verified, policy, checks };
  } catch {
    // A journal whose --require this run cannot meet: its verdicts speak for themselves.
    return undefined;
  }
}
