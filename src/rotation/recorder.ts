/**
 * Kubernetes Events for what a rotation did, as a subscriber of its progress stream: KeyRotated on a
 * written Secret, RotationRestart on a restarted workload, KeyRotationRolledBack on a restored Secret.
 * Only for changes this process made (not for ones it found made by an earlier run).
 */
import type { KubeClient } from '../kube/client.js';
import { recordEvent } from '../kube/events.js';
import type { Clock } from '../shared/clock.js';
import type { RotationPlan } from './plan.js';
import type { ProgressEvent, ProgressStream } from './progress.js';

const COMPONENT = 'kubecost-rotate';

/** Subscribes; `flush` waits until every Event asked for so far was recorded (or given up). */
export function recordKubernetesEvents(
  stream: ProgressStream,
  plan: RotationPlan,
  clients: ReadonlyMap<string, KubeClient>,
  clock: Clock,
): { flush(): Promise<void>; stop(): void } {
  const pending: Promise<boolean>[] = [];
  let rollbackReason = '';
  const unsubscribe = stream.subscribe((event: ProgressEvent) => {
    if (event.type === 'phase' && event.phase === 'RollingBack') rollbackReason = event.message;
    if (event.type !== 'step' || event.state !== 'done' || !event.applied) return;
    const client = clients.get(event.object.cluster);
    if (!client) return;
    const target = { namespace: event.object.namespace, kind: event.object.kind, name: event.object.name };
    const { provider } = plan.credential;
    const newKey = plan.newKey.fingerprint;
    const oldKey = plan.credential.fingerprint;
    let reason: string;
    let message: string;
    let type: 'Normal' | 'Warning' = 'Normal';
    switch (event.kind) {
      case 'write':
        reason = 'KeyRotated';
        message = `kubecost-rotate ${plan.id} wrote the new ${provider} key ${newKey} (was ${oldKey})`;
        break;
      case 'restart':
        reason = 'RotationRestart';
        message =
          event.purpose === 'rollback'
            ? `kubecost-rotate ${plan.id} restarted ${event.object.kind} ${event.object.name} to load the previous key ${oldKey} again`
            : `kubecost-rotate ${plan.id} restarted ${event.object.kind} ${event.object.name} to load key ${newKey}`;
        break;
      case 'restore':
        reason = 'KeyRotationRolledBack';
        message = `kubecost-rotate ${plan.id} restored the previous ${provider} key ${oldKey}: ${rollbackReason}`;
        type = 'Warning';
        break;
      default:
        return;
    }
    const apiVersion = event.object.kind === 'Secret' ? undefined : 'apps/v1';
    pending.push(
      recordEvent(
        client,
        { ...target, ...(apiVersion ? { apiVersion } : {}) },
        { reason, message, type, component: COMPONENT },
        clock,
      ),
    );
  });
  return {
    flush: async () => {
      await Promise.all(pending.splice(0));
    },
    stop: unsubscribe,
  };
}
