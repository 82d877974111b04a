/**
 * What every step works with: the plan, the journal, the clusters, the clock, the progress stream,
 * and how a step says the rotation cannot go on (an outcome, not a boolean).
 */
import type { V1Secret } from '@kubernetes/client-node';
import type { KubeClient } from '../../kube/client.js';
import { KubeError } from '../../kube/errors.js';
import { SecretFormatError } from '../../kubecost/secret-formats/index.js';
import type { Clock } from '../../shared/clock.js';
import { retry, type RetryPolicy } from '../../shared/retry.js';
import type { ProviderSettings } from '../issuing.js';
import type { JournalHooks } from '../journal/hooks.js';
import type { Journal } from '../journal/journal.js';
import type { RotationPlan } from '../plan.js';
import type { SiteProbe } from '../probe.js';
import type { ProofSettings } from '../proof.js';
import type { Counts, ObjectRef, ProgressEvent, StepKind } from '../progress.js';

/** The rotation cannot go on; what must happen instead. */
export type StopOutcome =
  /** Put the previous data back (something was or may have been written). */
  | 'roll-back'
  /** Stop and wait for a human: resume or roll back (the old key still works everywhere). */
  | 'needs-human'
  /** Nothing was changed: end RolledBack with the reason. */
  | 'end-unchanged';

/** Thrown by a step to stop the forward path; the runner does what `outcome` says. */
export class StopRotation extends Error {
  override readonly name = 'StopRotation';
  constructor(
    readonly outcome: StopOutcome,
    message: string,
  ) {
    super(message);
  }
}

export interface RunnerDeps {
  readonly clients: ReadonlyMap<string, KubeClient>;
  readonly clock: Clock;
  /** Where every progress event goes. */
  readonly emit: (event: ProgressEvent) => void;
  readonly probe?: SiteProbe;
  /** Retries of a write, a restart or a read between effects (default 4 attempts from 1 s). */
  readonly retry?: RetryPolicy;
  readonly hooks?: JournalHooks;
  /** Asks the rotation to stop at its next safe point (Ctrl-C): it ends NeedsHuman. */
  readonly stop?: AbortSignal;
  /** How keys are minted and deleted at the providers (`--issue`), and how a minted key is proven. */
  readonly issue?: { readonly settings: ProviderSettings; readonly proof?: ProofSettings };
}

export interface StepContext {
  readonly plan: RotationPlan;
  readonly journal: Journal;
  readonly deps: RunnerDeps;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseMs: 1000 };

export function clientOf(ctx: StepContext, cluster: string): KubeClient {
  const c = ctx.deps.clients.get(cluster);
  if (!c)
    throw new StopRotation(
      'needs-human',
      `no kubeconfig context for cluster ${cluster}; pass --context ${cluster} (or --all-contexts)`,
    );
  return c;
}

export function describeError(error: unknown): string {
  if (error instanceof KubeError || error instanceof SecretFormatError || error instanceof StopRotation)
    return error.message;
  return error instanceof Error ? error.message : String(error);
}

/** A Secret with other data and annotations, everything else as read (type, immutability, resourceVersion). */
export function secretWith(
  current: V1Secret,
  data: Record<string, string>,
  annotations: Record<string, string>,
): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { ...current.metadata, annotations },
    ...(current.type ? { type: current.type } : {}),
    ...(current.immutable !== undefined ? { immutable: current.immutable } : {}),
    data,
  };
}

/** Runs a cluster call again when it fails in a retryable way (no answer, throttled, a server error), saying so. */
export function withRetries<T>(ctx: StepContext, what: string, fn: () => Promise<T>): Promise<T> {
  return retry(fn, {
    clock: ctx.deps.clock,
    policy: ctx.deps.retry ?? DEFAULT_RETRY,
    retryable: (error) =>
      error instanceof KubeError && (error.retryable || error.failure === 'Timeout')
        ? error.retryAfterMs !== undefined
          ? { afterMs: error.retryAfterMs }
          : {}
        : false,
    onRetry: ({ error, attempt, attempts, delayMs }) =>
      ctx.deps.emit({
        type: 'warning',
        rotation: ctx.plan.id,
        message: `${what} failed (${describeError(error)}); retrying in ${delayMs / 1000} s (attempt ${attempt} of ${attempts})`,
      }),
  });
}

/** Counts steps of one kind in one pass, for the `counts` of their events. */
export class StepCounter {
  private done = 0;
  constructor(private readonly total: number) {}
  get counts(): Counts {
    return { done: this.done, total: this.total };
  }
  tick(): Counts {
    this.done = Math.min(this.total, this.done + 1);
    return this.counts;
  }
}

/** Emits a step event of this rotation. */
export function emitStep(
  ctx: StepContext,
  event: {
    kind: StepKind;
    step: string;
    object: ObjectRef;
    state: 'started' | 'done' | 'failed';
    detail: string;
    counts: Counts;
    applied?: boolean;
    purpose?: 'rotate' | 'rollback';
  },
): void {
  ctx.deps.emit({ type: 'step', rotation: ctx.plan.id, cluster: event.object.cluster, ...event });
}

/** Whether a stop was asked for (Ctrl-C): steps check it at each safe point. */
export function stopRequested(ctx: StepContext): boolean {
  return ctx.deps.stop?.aborted === true;
}

/** At a safe point: stops the rotation (NeedsHuman) if a stop was asked for. */
export function checkStop(ctx: StepContext): void {
  if (stopRequested(ctx))
    throw new StopRotation(
      'needs-human',
      `stopped by ${String(ctx.deps.stop?.reason)} while ${ctx.journal.phase}; the old key still works everywhere`,
    );
}

/** Waits `ms` on the clock, or until a stop is asked for (then stops the rotation). */
export async function pause(ctx: StepContext, ms: number): Promise<void> {
  try {
    await ctx.deps.clock.sleep(ms, ctx.deps.stop);
  } catch (error: unknown) {
    checkStop(ctx);
    throw error;
  }
}

export function afterEffect(ctx: StepContext): void {
  ctx.deps.hooks?.afterEffect(ctx.journal.phase);
}
