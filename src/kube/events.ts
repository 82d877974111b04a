/** Kubernetes Events on the objects a tool acts on (the `kubectl describe` trail). */
import type { Clock } from '../shared/clock.js';
import type { KubeClient } from './client.js';

export interface EventTarget {
  readonly namespace: string;
  readonly kind: string;
  readonly name: string;
  readonly apiVersion?: string;
}

/**
 * Records an Event on `target`. Events are informative: a failure to record one is swallowed and
 * reported as false, never thrown.
 */
export async function recordEvent(
  client: KubeClient,
  target: EventTarget,
  event: {
    readonly reason: string;
    readonly message: string;
    readonly type: 'Normal' | 'Warning';
    readonly component: string;
  },
  clock: Clock,
): Promise<boolean> {
  const now = clock.now();
  try {
    await client.createEvent(target.namespace, {
      metadata: { generateName: `${target.name}.${event.component}.`, namespace: target.namespace },
      involvedObject: {
        kind: target.kind,
        name: target.name,
        namespace: target.namespace,
        ...(target.apiVersion ? { apiVersion: target.apiVersion } : {}),
      },
      reason: event.reason,
      message: event.message,
      type: event.type,
      source: { component: event.component },
      reportingComponent: event.component,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
    return true;
  } catch {
    return false;
  }
}
