/**
 * What a rotation reports as it goes: one typed event stream. The live view, plain lines, NDJSON and
 * the Kubernetes Events all subscribe to it (metrics will too); none of them parses text.
 */
import type { WorkloadKind } from '../kube/client.js';
import type { CheckSummary, VerdictPolicy } from '../verify/policy.js';
import type { Verdict } from '../verify/verdict.js';
import type { Phase } from './machine.js';

/** What a step event is about. */
export type StepKind =
  /** Reading a Secret and computing its new bytes. */
  | 'stage'
  /** Writing the new key into a Secret. */
  | 'write'
  /** Restarting a workload (its pod template gets a restart token). */
  | 'restart'
  /** A restarted workload finished rolling out. */
  | 'rollout'
  /** Putting a Secret's previous data back. */
  | 'restore'
  /** Bumping the resourceVersion of a Secret whose write may still land, so it cannot. */
  | 'fence';

/** The object a step acts on. */
export interface ObjectRef {
  readonly cluster: string;
  readonly namespace: string;
  readonly kind: 'Secret' | WorkloadKind;
  readonly name: string;
}

/** How far a kind of step has got in this pass: `done` of `total`. */
export interface Counts {
  readonly done: number;
  readonly total: number;
}

/** What a rotation waits for: each wait has a deadline. */
export type WaitKind = 'lease' | 'rollout' | 'verify-window' | 'retry';

export type ProgressEvent =
  | { readonly type: 'phase'; readonly rotation: string; readonly phase: Phase; readonly message: string }
  | {
      readonly type: 'step';
      readonly rotation: string;
      readonly kind: StepKind;
      /** The journal's step id. */
      readonly step: string;
      readonly cluster: string;
      readonly object: ObjectRef;
      readonly state: 'started' | 'done' | 'failed';
      readonly detail: string;
      readonly counts: Counts;
      /** On `done`: whether this process made the change now (not found made by an earlier run). */
      readonly applied?: boolean;
      /** Restarts and restores: which way the key goes. */
      readonly purpose?: 'rotate' | 'rollback';
    }
  | { readonly type: 'verdict'; readonly rotation: string; readonly verdict: Verdict }
  | {
      readonly type: 'wait';
      readonly rotation: string;
      readonly for: WaitKind;
      readonly message: string;
      /** When the wait gives up (ISO time). */
      readonly until: string;
    }
  | { readonly type: 'warning'; readonly rotation: string; readonly message: string }
  | {
      readonly type: 'result';
      readonly rotation: string;
      readonly phase: Phase;
      readonly message: string;
      /** Once verification ran: the policy it was judged by, and each check's states and reasons. */
      readonly verification?: VerificationReport;
    };

/** What verification found, as the result reports it. */
export interface VerificationReport {
  readonly verified: boolean;
  readonly policy: VerdictPolicy;
  readonly checks: readonly CheckSummary[];
}

export type Subscriber = (event: ProgressEvent) => void;

/** The stream of one command: emit once, every subscriber sees it, in order. */
export class ProgressStream {
  private readonly subscribers: Subscriber[] = [];

  /** Adds a subscriber; returns how to remove it. */
  subscribe(subscriber: Subscriber): () => void {
    this.subscribers.push(subscriber);
    return () => {
      const i = this.subscribers.indexOf(subscriber);
      if (i >= 0) this.subscribers.splice(i, 1);
    };
  }

  emit(event: ProgressEvent): void {
    for (const subscriber of [...this.subscribers]) subscriber(event);
  }
}
