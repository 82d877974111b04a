/**
 * Walks a rotation along the transition table (machine.ts), from whatever phase its journal says,
 * one step at a time: stage, write, restart, verify; or rollback. Every step looks at the real state
 * before it acts, so re-running one after a crash adopts what was done instead of doing it twice.
 */
import { KubeError } from '../kube/errors.js';
import { JournalConflictError } from './errors.js';
import { describeChecks, judge } from '../verify/policy.js';
import { isEnded, nextStep, type ForwardStepName } from './machine.js';
import { checkStop, describeError, stopRequested, StopRotation, type StepContext } from './steps/context.js';
import { issueKey, proveIssued } from './steps/issue.js';
import { restartWaves } from './steps/restart.js';
import { rollback } from './steps/rollback.js';
import { stage } from './steps/stage.js';
import { verify } from './steps/verify.js';
import { writeAll } from './steps/write.js';
import { policyOf } from './verification.js';
import { retireAdvice } from './partial-fleet.js';

export { rollback };
export type { RunnerDeps, StepContext } from './steps/context.js';

/** What a forward step did: the message of the phase it reached. */
type ForwardStep = (ctx: StepContext) => Promise<string>;

const STEPS: Readonly<Record<ForwardStepName, ForwardStep>> = {
  stage: async (ctx) => {
    try {
      await stage(ctx);
    } catch (error: unknown) {
      // Nothing was written yet: whatever went wrong, the rotation ends with nothing changed.
      throw error instanceof StopRotation ? error : new StopRotation('end-unchanged', describeError(error));
    }
    return `${ctx.plan.writes.length} Secret(s) read and backed up`;
  },
  write: async (ctx) => {
    await writeAll(ctx);
    return `the new key is in all ${ctx.plan.writes.length} Secret(s)`;
  },
  restart: async (ctx) => {
    await restartWaves(ctx, { restarts: ctx.plan.restarts, book: 'steps', token: ctx.plan.id, purpose: 'rotate' });
    return `${ctx.plan.restarts.length} workload(s) restarted and rolled out`;
  },
  verify: async (ctx) => {
    const verdicts = await verify(ctx);
    const policy = policyOf(ctx.plan, ctx.deps.probe !== undefined);
    const judgement = judge(verdicts, policy);
    // Not verified always rolls back (DESIGN §6): the old key still works everywhere.
    if (!judgement.verified) throw new StopRotation('roll-back', judgement.why);
    const passed = judgement.checks.filter((c) => c.passed > 0 && c.failed === 0 && c.unavailable === 0);
    const partly = judgement.checks.filter((c) => c.unavailable > 0);
    return `verified under the ${policy.source} policy: ${describeChecks(passed.concat(partly)).join('; ')}; every consumer runs with key ${ctx.plan.newKey.fingerprint}`;
  },
};

/** What the phase event says when a phase is reached. */
const PHASE_EVENT: Readonly<Record<ForwardStepName, (ctx: StepContext) => string>> = {
  stage: (ctx) => `${ctx.plan.writes.length} Secret(s) staged`,
  write: () => 'every Secret holds the new key',
  restart: (ctx) => `${ctx.plan.restarts.length} workload(s) restarted`,
  verify: (ctx) => `verified. ${retireAdvice(ctx.plan)}`,
};

/**
 * Runs (or continues) the rotation from its journal's phase. Returns when it is Verified,
 * RolledBack or NeedsHuman.
 */
export async function runForward(ctx: StepContext): Promise<void> {
  const { plan, journal, deps } = ctx;
  const phaseEvent = (message: string) =>
    deps.emit({ type: 'phase', rotation: plan.id, phase: journal.phase, message });
  const stopForHuman = async (message: string) => {
    try {
      await journal.end('NeedsHuman', message);
    } catch {
      // The journal's own cluster may be the one that is down; its last saved state still stands.
    }
    phaseEvent(message);
  };
  // A rotation that mints its key (--issue) does so first, and proves it before staging.
  const issuing = journal.doc.issue !== undefined;
  try {
    for (let row = nextStep(journal.phase, issuing); row; row = nextStep(journal.phase, issuing)) {
      checkStop(ctx);
      if (row.step === 'issue') {
        await issueKey(ctx);
        phaseEvent(journal.doc.timeline.at(-1)?.message ?? 'the new key was minted');
        continue;
      }
      if (row.from === 'Issued')
        deps.emit({ type: 'phase', rotation: plan.id, phase: 'Issued', message: await proveIssued(ctx) });
      const message = await STEPS[row.step](ctx);
      if (row.to === 'Verified') await journal.end('Verified', message);
      else await journal.advance(row.to, message);
      phaseEvent(PHASE_EVENT[row.step](ctx));
      if (isEnded(journal.phase)) return;
    }
  } catch (caught: unknown) {
    // A wait or a probe cut short by a stop request fails with the stop's reason: it is the stop.
    let error = caught;
    if (!(error instanceof StopRotation) && stopRequested(ctx))
      try {
        checkStop(ctx);
      } catch (stop: unknown) {
        error = stop;
      }
    if (error instanceof StopRotation) {
      switch (error.outcome) {
        case 'end-unchanged': {
          // A key minted for this rotation is deleted at the provider on the way out.
          if (issuing) return await rollback(ctx, `${error.message}. No Secret was changed.`);
          const message = `${error.message}. Nothing was changed.`;
          await journal.end('RolledBack', message);
          phaseEvent(message);
          return;
        }
        case 'needs-human':
          return stopForHuman(
            error.message.includes('kubecost-rotate resume')
              ? error.message
              : `${error.message}. Run "kubecost-rotate resume ${plan.id}" or "kubecost-rotate rollback ${plan.id}".`,
          );
        case 'roll-back':
          try {
            await rollback(ctx, error.message);
          } catch (inner: unknown) {
            // Only the journal's own cluster failing gets here; its last saved state still stands.
            if (!(inner instanceof KubeError)) throw inner;
            phaseEvent(
              `${inner.message}. The journal ${plan.journal.secret} on ${plan.journal.cluster} records how far the rollback got: run "kubecost-rotate rollback ${plan.id}" again.`,
            );
          }
          return;
      }
    }
    // Another kubecost-rotate changed the journal: it is theirs now; do not save over it.
    if (error instanceof JournalConflictError) throw error;
    const what =
      error instanceof KubeError ? error.message : `unexpected error while ${journal.phase}: ${String(error)}`;
    // Whatever went wrong, the journal says how far the rotation got, and the next command is named.
    return stopForHuman(
      `${what}. The journal ${plan.journal.secret} on ${plan.journal.cluster} records how far the rotation got: run "kubecost-rotate resume ${plan.id}" or "kubecost-rotate rollback ${plan.id}".`,
    );
  }
}
