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
import { ConfigError } from '../shared/errors.js';

export const DEFAULT_LEASE_SECONDS = 30;

export function leaseName(credentialId: string): string {
  return `kubecost-rotate-lock-${createHash('sha256').update(credentialId).digest('hex').slice(0, 16)}`;
}

export class RotationLease {
  private timer: NodeJS.Timeout | undefined;
  private released = false;
  private renewing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly client: KubeClient,
    private lease: V1Lease,
    private readonly durationSeconds: number,
  ) {}

  /**
   * Takes the Lease of a credential, waiting (up to twice its duration) for a holder that stopped
   * renewing it. Refuses when another holder keeps renewing it.
   */
  static async acquire(
    client: KubeClient,
    namespace: string,
    credentialId: string,
    purpose: string,
    durationSeconds = DEFAULT_LEASE_SECONDS,
    onWait?: (message: string) => void,
  ): Promise<RotationLease> {
    const name = leaseName(credentialId);
    const holder = `${hostname()}/${process.pid}/${randomBytes(4).toString('hex')} ${purpose}`;
    const now = () => new Date();
    const spec = () => ({
      holderIdentity: holder,
      leaseDurationSeconds: durationSeconds,
      acquireTime: now(),
      renewTime: now(),
    });
    let seen: { key: string; since: number } | undefined;
    const deadline = Date.now() + 2 * durationSeconds * 1000 + 1000;
    for (;;) {
      const current = await client.readLease(namespace, name);
      try {
        if (!current) {
          const created = await client.createLease({
            metadata: {
              name,
              namespace,
              labels: { 'app.kubernetes.io/managed-by': 'kubecost-rotate' },
              annotations: { 'kubecost-rotate.io/credential': credentialId },
            },
            spec: spec(),
          });
          return new RotationLease(client, created, durationSeconds).start();
        }
        const held = current.spec?.holderIdentity;
        const key = `${held ?? ''}|${String(current.spec?.renewTime ?? '')}|${current.metadata?.resourceVersion ?? ''}`;
        if (!seen || seen.key !== key) seen = { key, since: Date.now() };
        const stale = Date.now() - seen.since > (current.spec?.leaseDurationSeconds ?? durationSeconds) * 1000;
        if (!held || stale) {
          const taken = await client.replaceLease({ ...current, spec: spec() });
          return new RotationLease(client, taken, durationSeconds).start();
        }
        if (Date.now() > deadline) {
          throw new ConfigError(
            `another kubecost-rotate is working on credential ${credentialId}: ${held} holds its Lease ${namespace}/${name} and keeps renewing it.`,
            'Wait for it to finish (kubecost-rotate history shows its phase), or stop it first.',
          );
        }
        onWait?.(
          `waiting for ${held} to release the Lease ${namespace}/${name} (or for it to expire, if that process died)`,
        );
      } catch (error: unknown) {
        // Someone else created or took it between our read and write: look again.
        if (!(error instanceof KubeError && (error.failure === 'Conflict' || error.failure === 'Other'))) throw error;
      }
      await new Promise((r) => setTimeout(r, Math.min(1000, (durationSeconds * 1000) / 3)));
    }
  }

  private start(): this {
    this.timer = setInterval(
      () => {
        this.renewing = this.renew();
      },
      (this.durationSeconds * 1000) / 3,
    );
    this.timer.unref();
    return this;
  }

  private async renew(): Promise<void> {
    if (this.released) return;
    try {
      this.lease = await this.client.replaceLease({
        ...this.lease,
        spec: { ...this.lease.spec, renewTime: new Date() },
      });
    } catch {
      // A missed renewal is retried at the next tick; the journal's resourceVersion still guards every save.
    }
  }

  /** Gives the Lease up (only if it is still ours). */
  async release(): Promise<void> {
    this.released = true;
    clearInterval(this.timer);
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
