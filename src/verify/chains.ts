/**
 * Verification as ordered chains of pure checks (cert-manager's policies): each check reads what
 * was gathered and returns a verdict with a reason constant; a chain stops at its first verdict that
 * did not pass, since what comes after it rests on it. The IO that gathers the input is in gather.ts.
 */
import { parseCloudCostStatus, scanLogForAuthFailures, scanLogForPositiveSignals } from './checks.js';
import type { SkippedPod } from './pods.js';
import type { Verdict } from './verdict.js';

/** One pod of a restarted workload, as gathered. */
export interface GatheredPod {
  readonly name: string;
  /** The restart token on the pod (from its template). */
  readonly token: string | undefined;
  readonly ready: boolean;
  /** When the pod started (RFC 3339), if it did. */
  readonly startTime?: string;
  /** Per container that reads the key: its log text since pod start, or why it could not be read. */
  readonly logs: readonly {
    readonly container: string;
    readonly since: string;
    readonly text?: string;
    readonly error?: string;
  }[];
}

/** What was gathered about one restarted workload. */
export interface ConsumerEvidence {
  readonly target: string;
  /** The restart token every pod must carry. */
  readonly token: string;
  readonly scaledToZero: boolean;
  readonly pods: readonly GatheredPod[];
  /** Pods with the workload's labels that are not judged (finished, or not its own), and why. */
  readonly skipped?: readonly SkippedPod[];
}

/** The restarted workload's pods run the restarted template and are ready. */
export function podsRestarted(input: ConsumerEvidence): Verdict {
  const base = { check: 'pods-restarted', target: input.target } as const;
  if (input.scaledToZero)
    return {
      ...base,
      status: 'passed',
      reason: 'ScaledToZero',
      evidence: 'scaled to 0: its next pod reads the new key',
    };
  const stale = input.pods.filter((p) => p.token !== input.token);
  const ready = input.pods.filter((p) => p.ready);
  const ok = input.pods.length > 0 && stale.length === 0 && ready.length === input.pods.length;
  return {
    ...base,
    status: ok ? 'passed' : 'failed',
    reason: ok ? 'PodsRestarted' : 'PodsNotRestarted',
    evidence: `${input.pods.length} pod(s), ${ready.length} ready, ${stale.length} without restart token ${input.token}${
      input.skipped?.length ? `; not judged: ${input.skipped.map((p) => `${p.name} (${p.why})`).join(', ')}` : ''
    }`,
  };
}

/** The logs of every container that reads the key, since pod start, hold no auth failure. */
export function logsFreeOfAuthFailures(input: ConsumerEvidence): Verdict[] {
  if (input.scaledToZero) return [];
  return input.pods.flatMap((pod) =>
    pod.logs.map((log): Verdict => {
      const target = `${input.target}/${pod.name}/${log.container}`;
      if (log.text === undefined)
        return {
          check: 'logs',
          target,
          status: 'unavailable',
          reason: 'LogsUnreadable',
          evidence: `could not read logs: ${log.error ?? 'no answer'}`,
        };
      const findings = scanLogForAuthFailures(log.text);
      const lines = log.text.split('\n').filter(Boolean).length;
      // Positive evidence (cloud-cost's live reload, a shipped block) is reported, never required.
      const positive = scanLogForPositiveSignals(log.text)
        .map((p) => `; ${p.count}× ${p.pattern}`)
        .join('');
      if (findings.length === 0 && lines === 0)
        // Silence proves nothing: a container that logged nothing may not have used the key yet.
        return {
          check: 'logs',
          target,
          status: 'unavailable',
          reason: 'NoLogLines',
          evidence: `no log line since ${log.since}: no evidence either way`,
        };
      return findings.length === 0
        ? {
            check: 'logs',
            target,
            status: 'passed',
            reason: 'NoAuthFailure',
            evidence: `${lines} log line(s) since ${log.since}, no auth failure${positive}`,
          }
        : {
            check: 'logs',
            target,
            status: 'failed',
            reason: 'AuthFailureLogged',
            evidence: findings
              .map((f) => `${f.count}× ${f.pattern}${f.firstAt ? ` (first at ${f.firstAt})` : ''}`)
              .join('; '),
          };
    }),
  );
}

type ConsumerCheck = (input: ConsumerEvidence) => Verdict | Verdict[];

/** The checks of a restarted consumer, in order. */
export const CONSUMER_CHAIN: readonly ConsumerCheck[] = [
  // Its pods must be the restarted ones, or their logs say nothing about the new key.
  podsRestarted,
  // Then nothing they logged since they started is an auth failure.
  logsFreeOfAuthFailures,
];

/** Runs a chain: every check's verdicts, up to and including the first that did not pass. */
export function runChain<I>(chain: readonly ((input: I) => Verdict | Verdict[])[], input: I): Verdict[] {
  const out: Verdict[] = [];
  for (const check of chain) {
    const found = [check(input)].flat();
    out.push(...found);
    if (found.some((v) => v.status !== 'passed')) break;
  }
  return out;
}

/** What the cloud-cost status must show for a key. */
export interface StatusExpectation {
  readonly target: string;
  /** Lower-case provider name as the status shows it (aws, gcp, azure). */
  readonly provider: string;
  /** AWS: the entries are told apart by key id; they must all show the new one. */
  readonly oldKeyId?: string;
  readonly newKeyId?: string;
  /** Entries of providers without a key id count only once they ran since this time (ms since epoch). */
  readonly since: number;
}

/**
 * The cloud-cost status of the integrations this key serves. AWS entries are told apart by their
 * sanitized key id and must all show the new one; other providers show no key, so their entries
 * count only once they have run since the restarts (a status persisted from before proves nothing).
 */
export function cloudCostStatus(expect: StatusExpectation, body: unknown): Verdict {
  const entries = parseCloudCostStatus(body).filter((e) => e.provider.toLowerCase() === expect.provider);
  const mine = expect.newKeyId
    ? entries.filter((e) => e.authorizerId === expect.newKeyId || e.authorizerId === expect.oldKeyId)
    : entries.filter((e) => e.lastRun !== undefined && e.lastRun >= expect.since - 1000);
  const evidence =
    mine.map((e) => `${e.key}: ${e.connectionStatus}${e.authorizerId ? ` (key ${e.authorizerId})` : ''}`).join('; ') ||
    `no ${expect.provider} integration of this key has run since the restart yet`;
  const ok =
    mine.length > 0 &&
    mine.every(
      (e) => e.connectionStatus === 'Connection Successful' && (!expect.newKeyId || e.authorizerId === expect.newKeyId),
    );
  return {
    check: 'cloud-cost-status',
    target: expect.target,
    status: ok ? 'passed' : 'failed',
    reason: ok ? 'ConnectionSuccessful' : 'ConnectionNotProven',
    evidence,
  };
}

/** A written Secret still holds the data written (Argo CD self-heal, an ExternalSecret or helm may put the old back). */
export function secretHoldsNewKey(target: string, holds: boolean, resourceVersion: string): Verdict {
  return {
    check: 'secret-holds-new-key',
    target,
    status: holds ? 'passed' : 'failed',
    reason: holds ? 'SecretHoldsNewKey' : 'SecretChanged',
    evidence: holds
      ? `resourceVersion ${resourceVersion} holds the written data`
      : `resourceVersion ${resourceVersion} no longer holds the data written by this rotation: something changed it back or again`,
  };
}
