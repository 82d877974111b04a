/**
 * The rotation service with retirement (issue 10): `retire ID`, `resume` of a grace period (or of a
 * retire step a stop cut short), and `rollback` after the old key was deactivated (it is
 * reactivated first). Everything else is RotationService's; the flow itself is retire-flow.ts.
 */
import type { ContextSelection } from '../kube/kubeconfig.js';
import type { Fleet } from './journal/find.js';
import type { Journal } from './journal/journal.js';
import type { RotationOptions } from './plan.js';
import {
  continuesRetirement,
  retireOldKey,
  rollbackRetirement,
  type RetireRequest,
  type RetireSettings,
} from './retire-flow.js';
import { RotationService, type ProgressOutput, type RotationOutcome } from './service.js';

export type { RetireRequest };

export class RetiringService extends RotationService {
  /** `retire ID`: retires the old key of a Verified rotation as far as the evidence and the grace allow. */
  async retire(
    id: string,
    selection: ContextSelection,
    request: RetireRequest,
    output: ProgressOutput,
  ): Promise<RotationOutcome> {
    const { fleet, journal } = await this.open(id, selection);
    return this.retireHeld(fleet, journal, selection, request, output, 'retire');
  }

  /** A grace period, or a retire step a stop cut short, goes on with the retirement; anything else as before. */
  override async resume(
    id: string,
    selection: ContextSelection,
    overrides: Partial<RotationOptions>,
    output: ProgressOutput,
  ): Promise<RotationOutcome> {
    const { fleet, journal } = await this.open(id, selection);
    if (!continuesRetirement(journal.doc)) return super.resume(id, selection, overrides, output);
    return this.retireHeld(fleet, journal, selection, {}, output, 'resume');
  }

  /** After a deactivation, the old key is reactivated before the previous data goes back. */
  override async rollback(
    id: string,
    selection: ContextSelection,
    options: { readonly force?: boolean },
    output: ProgressOutput,
  ): Promise<RotationOutcome> {
    const { fleet, journal } = await this.open(id, selection);
    const started = journal.doc.retire?.deactivateStarted ?? journal.doc.retire?.deleteStarted;
    if (!started || journal.phase === 'RolledBack') return super.rollback(id, selection, options, output);
    return this.withJournal(journal, 'rollback', output, async (stream) => {
      const settings = this.retireSettings(fleet, selection);
      await this.run(fleet, journal, stream, (ctx) =>
        rollbackRetirement(ctx, settings, 'rollback requested', options.force === true),
      );
      return this.result(journal, stream);
    });
  }

  private retireHeld(
    fleet: Fleet,
    journal: Journal,
    selection: ContextSelection,
    request: RetireRequest,
    output: ProgressOutput,
    purpose: string,
  ): Promise<RotationOutcome> {
    return this.withJournal(journal, purpose, output, async (stream) => {
      let message = '';
      const settings = this.retireSettings(fleet, selection);
      await this.run(fleet, journal, stream, async (ctx) => {
        message = await retireOldKey(ctx, request, settings);
      });
      return this.result(journal, stream, message);
    });
  }

  private retireSettings(fleet: Fleet, selection: ContextSelection): RetireSettings {
    const { clock, requestTimeoutMs } = this.config;
    const timeout = requestTimeoutMs ? { timeoutMs: requestTimeoutMs } : {};
    return {
      providers: this.config.providers ?? { endpoints: {}, clock },
      ...(requestTimeoutMs ? { requestTimeoutMs } : {}),
      outside: { selection, selected: [...fleet.clients.keys()], clock, ...timeout },
    };
  }
}
