/**
 * The credential's Lease around a use case of the service, with what it waits for reported on the
 * rotation's progress stream. Shared by the service and the use cases kept in their own modules.
 */
import type { KubeClient } from '../kube/client.js';
import type { Clock } from '../shared/clock.js';
import { StoppedError } from './errors.js';
import { DEFAULT_LEASE_SECONDS, holdingLease } from './lease.js';
import type { RotationPlan } from './plan.js';
import type { ProgressStream } from './progress.js';

export interface LeaseSettings {
  readonly clock: Clock;
  /** The Lease's duration. Default {@link DEFAULT_LEASE_SECONDS}. */
  readonly leaseSeconds?: number;
  readonly stop?: AbortSignal;
}

/** Takes the credential's Lease in `namespace` on `client` around `fn`, reporting what it waits for. */
export function withLease<T>(
  settings: LeaseSettings,
  where: { readonly client: KubeClient; readonly namespace: string },
  plan: RotationPlan,
  purpose: string,
  stream: ProgressStream,
  fn: () => Promise<T>,
): Promise<T> {
  const { stop, clock } = settings;
  if (stop?.aborted) throw new StoppedError(stop.reason, 'before the Lease was taken');
  return holdingLease(
    {
      client: where.client,
      namespace: where.namespace,
      credentialId: plan.credential.id,
      purpose,
      clock,
      ...(stop ? { signal: stop } : {}),
      durationSeconds: settings.leaseSeconds ?? DEFAULT_LEASE_SECONDS,
      onWait: (message, until) =>
        stream.emit({ type: 'wait', rotation: plan.id, for: 'lease', message, until: new Date(until).toISOString() }),
      onRenewalRefused: (message) => stream.emit({ type: 'warning', rotation: plan.id, message }),
    },
    fn,
  );
}
