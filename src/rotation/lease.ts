/**
 * One kubecost-rotate at a time per credential: a coordination.k8s.io Lease next to the journal,
 * renewed while a rotate, resume or rollback runs. Like Kubernetes leader election, a holder is
 * judged alive by what the waiter observes on its own clock (the Lease keeps changing), never by
 * comparing clocks; a holder that died is taken over once its Lease has not been renewed for its
 * duration.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { V1Lease } from '@kubernetes/client-node';
import type { KubeClient } from '../kube/client.js';
import { KubeError } from '../kube/errors.js';
import { microTime } from '../kube/time.js';
import { isAbort, type Clock } from '../shared/clock.js';
import { ANNOTATION_CREDENTIAL, LABEL_MANAGED_BY, MANAGED_BY } from '../shared/labels.js';
import { LeaseError, LeaseHeldError, StoppedError } from './errors.js';

export const DEFAULT_LEASE_SECONDS = 30;

export function leaseName(credentialId: string): string {
  return `kubecost-rotate-lock-${createHash('sha256').update(credentialId).digest('hex').slice(0, 16)}`;
}

export interface LeaseRequest {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly credentialId: string;
  /** What the holder does (shown to a waiter): "rotate <id>". */
  readonly purpose: string;
  readonly clock: Clock;
  /** Default {@link DEFAULT_LEASE_SECONDS}. */
  readonly durationSeconds?: number;
  /** Told what the acquisition waits for, and until when (ms since epoch). */
  readonly onWait?: (message: string, until: number) => void;
  /** Stops waiting for another holder (Ctrl-C): the acquisition then fails with a StoppedError. */
  readonly signal?: AbortSignal;
  /** Told when a renewal was refused (the journal's resourceVersion still guards every save). */
  readonly onRenewalRefused?: (message: string) => void;
}

/** The error for a Lease call the server refused (anything but a 409 race): what, where, and what to do. */
function refused(error: KubeError, namespace: string, name: string, cluster: string): LeaseError {
  const hint =
    error.failure === 'Forbidden' || error.failure === 'Unauthorized'
      ? 'kubecost-rotate needs get, create, update and delete on leases (coordination.k8s.io) in that namespace.'
      : error.failure === 'Unreachable' || error.failure === 'Timeout'
        ? 'Check the context, the network and the API server, then run the command again.'
        : 'Nothing was changed; run the command again once the cause is fixed.';
  return new LeaseError(
    `cannot take the Lease ${namespace}/${name} on ${cluster}: ${error.detail}${error.code ? ` (HTTP ${error.code})` : ''}.`,
    hint,
    { cause: error },
  );
}

export class RotationLease {
  private released = false;
  private readonly stopRenewing = new AbortController();
  private renewing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly client: KubeClient,
    private lease: V1Lease,
    private readonly durationSeconds: number,
    private readonly clock: Clock,
    private readonly onRenewalRefused?: (message: string) => void,
  ) {}

  /**
   * Takes the Lease of a credential, waiting (up to twice its duration) for a holder that stopped
   * renewing it. Refuses when another holder keeps renewing it.
   */
  static async acquire(request: LeaseRequest): Promise<RotationLease> {
    const { client, namespace, credentialId, clock } = request;
    const durationSeconds = request.durationSeconds ?? DEFAULT_LEASE_SECONDS;
    const name = leaseName(credentialId);
    const holder = `${hostname()}/${process.pid}/${randomBytes(4).toString('hex')} ${request.purpose}`;
    const spec = () => ({
      holderIdentity: holder,
      leaseDurationSeconds: durationSeconds,
      acquireTime: microTime(clock.now()),
      renewTime: microTime(clock.now()),
    });
    const now = () => clock.now().getTime();
    let seen: { key: string; since: number } | undefined;
    const deadline = now() + 2 * durationSeconds * 1000 + 1000;
    const take = (lease: V1Lease) =>
      new RotationLease(client, lease, durationSeconds, clock, request.onRenewalRefused).start();
    for (;;) {
      try {
        const current = await client.readLease(namespace, name);
        if (!current) {
          const created = await client.createLease({
            metadata: {
              name,
              namespace,
              labels: { [LABEL_MANAGED_BY]: MANAGED_BY },
              annotations: { [ANNOTATION_CREDENTIAL]: credentialId },
            },
            spec: spec(),
          });
          return take(created);
        }
        const held = current.spec?.holderIdentity;
        const key = `${held ?? ''}|${String(current.spec?.renewTime ?? '')}|${current.metadata?.resourceVersion ?? ''}`;
        if (!seen || seen.key !== key) seen = { key, since: now() };
        const stale = now() - seen.since > (current.spec?.leaseDurationSeconds ?? durationSeconds) * 1000;
        if (!held || stale) return take(await client.replaceLease({ ...current, spec: spec() }));
        if (now() > deadline) {
          throw new LeaseHeldError(
            `another kubecost-rotate is working on credential ${credentialId}: ${held} holds its Lease ${namespace}/${name} and keeps renewing it.`,
            'Wait for it to finish (kubecost-rotate history shows its phase), or stop it first.',
          );
        }
        request.onWait?.(
          `waiting for ${held} to release the Lease ${namespace}/${name} (or for it to expire, if that process died)`,
          deadline,
        );
      } catch (error: unknown) {
        if (!(error instanceof KubeError)) throw error;
        // Someone else created or took it between our read and write: look again. Anything else is an answer to report.
        if (error.failure !== 'Conflict') throw refused(error, namespace, name, client.cluster);
      }
      try {
        await clock.sleep(Math.min(1000, (durationSeconds * 1000) / 3), request.signal);
      } catch (error: unknown) {
        if (request.signal?.aborted)
          throw new StoppedError(request.signal.reason, `while waiting for the Lease ${namespace}/${name}`);
        throw error;
      }
    }
  }

  private start(): this {
    const period = (this.durationSeconds * 1000) / 3;
    const loop = async () => {
      while (!this.released) {
        try {
          await this.clock.sleep(period, this.stopRenewing.signal);
        } catch (error: unknown) {
          if (isAbort(error)) return;
          throw error;
        }
        this.renewing = this.renew();
        await this.renewing;
      }
    };
    void loop();
    return this;
  }

  private async renew(): Promise<void> {
    if (this.released) return;
    try {
      this.lease = await this.client.replaceLease({
        ...this.lease,
        spec: { ...this.lease.spec, renewTime: microTime(this.clock.now()) },
      });
    } catch (error: unknown) {
      // A missed renewal is tried again at the next tick, and said; the journal's resourceVersion still guards every save.
      const name = this.lease.metadata?.name ?? '';
      this.onRenewalRefused?.(
        `renewing the Lease ${this.lease.metadata?.namespace ?? ''}/${name} failed (${error instanceof Error ? error.message : String(error)}); trying again in ${Math.round((this.durationSeconds * 1000) / 3) / 1000} s`,
      );
    }
  }

  /** Gives the Lease up (only if it is still ours). */
  async release(): Promise<void> {
    this.released = true;
    this.stopRenewing.abort();
    await this.renewing;
    try {
      await this.client.deleteLease(
        this.lease.metadata?.namespace ?? '',
        this.lease.metadata?.name ?? '',
        this.lease.metadata?.resourceVersion ?? '',
      );
    } catch {
      // Gone or taken over already; it expires by itself otherwise.
    }
  }
}

/** Runs `fn` holding the credential's Lease, and gives it up however `fn` ends. */
export async function holdingLease<T>(request: LeaseRequest, fn: () => Promise<T>): Promise<T> {
  const lease = await RotationLease.acquire(request);
  try {
    return await fn();
  } finally {
    await lease.release();
  }
}
