/** The plan as a person reads it: the sites with a redacted diff, and the ordered steps. */
import type { RotationPlan } from '../../rotation/plan.js';
import { describeOutside } from '../../rotation/partial-fleet.js';
import { hasDirectProbe } from '../../rotation/verification.js';
import { CHECK_NAMES } from '../../verify/policy.js';

function describeSite(s: RotationPlan['sites'][number]): string {
  return `${s.cluster}  ${s.namespace}/${s.secret}  ${s.dataKey}  ${s.path}  [${s.kind}, ${s.format}]`;
}

const WAVE_TEXT = {
  1: 'wave 1: writers, every cluster in parallel',
  2: 'wave 2: readers, after the writers',
  3: 'wave 3: not Kubecost components, last',
} as const;

/** The ordered steps of a plan, as a numbered list a person can follow (and a test can check). */
export function planSteps(plan: RotationPlan): string[] {
  const steps: string[] = [];
  for (const w of plan.writes) {
    const sites = plan.sites.filter((s) => w.sites.includes(s.id));
    steps.push(
      `update Secret ${w.namespace}/${w.secret} on ${w.cluster} (${[...new Set(sites.map((s) => `${s.dataKey} ${s.path}`))].join(', ')})`,
    );
  }
  for (const r of plan.restarts)
    steps.push(
      `restart ${r.kind} ${r.namespace}/${r.name} on ${r.cluster} [${r.role}] (${WAVE_TEXT[r.wave]}) and wait for its rollout`,
    );
  for (const n of plan.notRestarted ?? []) steps.push(n.note);
  for (const r of plan.restarts)
    steps.push(
      `verify ${r.kind} ${r.namespace}/${r.name} on ${r.cluster}: pods started after the write, no auth failure in the logs of ${r.containers.join(', ')}`,
    );
  for (const c of plan.statusChecks)
    steps.push(
      `verify the cloud integration status on ${c.cluster}: ${c.namespace}/svc/${c.service}:${c.port}${c.path} says Connection Successful${plan.credential.provider === 'aws' ? ' with the new key id' : ''}`,
    );
  if (plan.verification.notRun.probe === undefined)
    for (const s of plan.sites.filter((x) => hasDirectProbe(x, plan.credential.provider)))
      steps.push(
        `probe ${s.kind} site ${s.cluster} ${s.namespace}/${s.secret} ${s.path} with the new key at its provider`,
      );
  steps.push(`judge the verdicts: ${plan.verification.description}`);
  return steps;
}

export function renderPlanText(plan: RotationPlan): string {
  const out: string[] = [];
  const clusters = [...new Set(plan.sites.map((s) => s.cluster))];
  out.push(`Rotation ${plan.id}: ${plan.credential.provider} credential ${plan.credential.id}\n`);
  out.push(
    `  key ${plan.credential.keyId ?? plan.credential.fingerprint} → ${plan.newKey.keyId ?? plan.newKey.fingerprint}; ${plan.sites.length} site(s) in ${plan.writes.length} Secret(s) on ${clusters.length} cluster(s); ${plan.restarts.length} restart(s)\n`,
  );
  out.push(
    `  journal: Secret ${plan.journal.namespace}/${plan.journal.secret} on ${plan.journal.cluster}\n\nChanges (secret values are never shown):\n`,
  );
  for (const s of plan.sites) {
    out.push(`  ${describeSite(s)}\n`);
    out.push(`    - ${plan.credential.keyId ?? `key ${plan.credential.fingerprint}`}  (secret: redacted)\n`);
    out.push(`    + ${plan.newKey.keyId ?? `key ${plan.newKey.fingerprint}`}  (secret: redacted)\n`);
  }
  out.push('\nSteps:\n');
  planSteps(plan).forEach((step, i) => out.push(`  ${String(i + 1).padStart(2)}. ${step}\n`));
  out.push(`\nVerification policy (${plan.verification.source}; --require names the checks):\n`);
  for (const check of CHECK_NAMES) {
    const { require, evidence, notRun } = plan.verification;
    const role = require.includes(check)
      ? 'required: every verdict must pass'
      : evidence.includes(check)
        ? `evidence: at least one ${evidence.join(' or ')} verdict must pass`
        : notRun[check] !== undefined
          ? `not run: ${notRun[check] ?? ''}`
          : 'reported: may be unavailable, must not fail';
    out.push(`  ${check.padEnd(21)} ${role}\n`);
  }
  const outside = describeOutside(plan);
  if (outside.length > 0) {
    out.push('\nOther contexts of the kubeconfig:\n');
    for (const line of outside) out.push(`  ${line}\n`);
  }
  if (plan.warnings.length > 0) {
    out.push('\nWarnings:\n');
    for (const w of plan.warnings) out.push(`  ${w}\n`);
  }
  return out.join('');
}
