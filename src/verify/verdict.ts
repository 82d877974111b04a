/**
 * A verdict: what one check found about one target, with its evidence. Three states, because a
 * check that could not run proves nothing either way (issue 7 §7 builds the policy on it).
 */

export type VerdictStatus =
  /** The check ran and found what a working new key shows. */
  | 'passed'
  /** The check ran and found the new key not working (or not in place). */
  | 'failed'
  /** The check could not run (no answer, no permission, a time-out): no evidence either way. */
  | 'unavailable';

/** What each check looks at (DESIGN §6). */
export type CheckName =
  /** The workload's pods were started from the restarted template and are ready. */
  | 'pods-restarted'
  /** The logs of the containers that read the key hold no auth failure. */
  | 'logs'
  /** Kubecost's cloud-cost status says the integration connects, with the new key where it shows one. */
  | 'cloud-cost-status'
  /** The written Secret still holds the data written (nothing put the old key back). */
  | 'secret-holds-new-key'
  /** The new key, at its provider, reaches the exact resource the site names. */
  | 'probe';

/** Why a verdict is what it is: documented constants (cert-manager policies/constants.go). */
export const Reason = {
  /** Every pod runs the restarted template and is ready. */
  PodsRestarted: 'PodsRestarted',
  /** Scaled to zero: its next pod reads the new key. */
  ScaledToZero: 'ScaledToZero',
  /** Some pod is not from the restarted template, or not ready, or there is none. */
  PodsNotRestarted: 'PodsNotRestarted',
  /** The logs since pod start hold no auth-failure line. */
  NoAuthFailure: 'NoAuthFailure',
  /** The logs hold an auth-failure line of the provider. */
  AuthFailureLogged: 'AuthFailureLogged',
  /** The logs could not be read (pods/log forbidden, no answer). */
  LogsUnreadable: 'LogsUnreadable',
  /** The logs were read but hold no line since pod start: no evidence either way. */
  NoLogLines: 'NoLogLines',
  /** The status says Connection Successful (with the new key id where it shows one). */
  ConnectionSuccessful: 'ConnectionSuccessful',
  /** The status shows a failed connection, the old key, or no run since the restart. */
  ConnectionNotProven: 'ConnectionNotProven',
  /** The status could not be read through the API server's service proxy. */
  StatusUnreadable: 'StatusUnreadable',
  /** The written Secret still holds the data written. */
  SecretHoldsNewKey: 'SecretHoldsNewKey',
  /** Something changed the written Secret back or again. */
  SecretChanged: 'SecretChanged',
  /** The provider accepted the new key for the site's resource. */
  ProbePassed: 'ProbePassed',
  /** The provider refused the new key (auth, permission, not found...). */
  ProbeFailed: 'ProbeFailed',
  /** The provider did not answer within the probe's time-out. */
  ProbeTimedOut: 'ProbeTimedOut',
  /** The provider could not be reached, or asked to slow down (network error, 5xx, throttling). */
  ProbeUnreachable: 'ProbeUnreachable',
  /** No direct probe exists for this kind of site (unavailable: it is verified through its consumers). */
  NoDirectProbe: 'NoDirectProbe',
} as const;
export type VerdictReason = (typeof Reason)[keyof typeof Reason];

export interface Verdict {
  readonly check: CheckName;
  readonly target: string;
  readonly status: VerdictStatus;
  readonly reason: VerdictReason;
  /** What was looked at, safe to print. */
  readonly evidence: string;
}

/** How a verdict starts a line of text: `ok  `, `FAIL` or `n/a `. */
export function verdictMark(status: VerdictStatus): string {
  return status === 'passed' ? 'ok  ' : status === 'failed' ? 'FAIL' : 'n/a ';
}

/** What the verdicts of a rotation add up to: the verdict policy, in policy.ts. */
