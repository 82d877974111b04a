/**
 * kube-sim's kubelet: the node agent (src/sim/node) on a backend that reads and writes this
 * cluster's object store directly. kube-sim schedules by itself: one node per cluster takes
 * every pod at once, binding it in the same write that reports its first status.
 */
import { NodeAgent } from '../node/agent.js';
import { CountingPool } from '../node/ip-pool.js';
import type { ConfigKind, NodeBackend, NodeEventSink, PodTiming } from '../node/types.js';
import type { ClusterApi } from './api.js';
import { clone } from './api.js';
import type { SimClock } from './clock.js';
import { R, rec, recordEvent } from './objects.js';
import type { StoreEvent } from './store.js';
import type { KubeObject } from './types.js';

export type { PodTiming, TimingRule, LogEntry, TappedLog, ContainerState } from '../node/types.js';

const SIM_HOST_IP = '10.0.0.1';

class StoreBackend implements NodeBackend {
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly api: ClusterApi,
    private readonly nodeName: string,
  ) {}

  start(sink: NodeEventSink): void {
    this.unsubscribe = this.api.store.subscribe((event) => this.forward(sink, event));
  }

  stop(): void {
    this.unsubscribe?.();
  }

  private forward(sink: NodeEventSink, event: StoreEvent): void {
    const obj = event.object;
    if (event.def === R.pods) {
      if (event.type === 'DELETED') return sink.pod('DELETED', obj);
      // A listener before us may have written the pod again while this event was on its way:
      // hand the agent the stored object, never an older one.
      const stored = this.api.store.peek(R.pods, obj.metadata.namespace, obj.metadata.name ?? '');
      if (stored && stored.metadata.uid === obj.metadata.uid) sink.pod(event.type, stored);
    } else if (event.def === R.secrets || event.def === R.configmaps) {
      sink.configChanged(
        event.def === R.secrets ? 'Secret' : 'ConfigMap',
        obj.metadata.namespace ?? '',
        obj.metadata.name ?? '',
      );
    }
  }

  prepare(): undefined {
    return undefined;
  }

  configData(kind: ConfigKind, namespace: string, name: string): Map<string, Buffer> | undefined {
    if (kind === 'Secret') {
      const secret = this.api.store.peek(R.secrets, namespace, name);
      if (!secret) return undefined;
      return new Map(Object.entries(rec(secret.data)).map(([k, v]) => [k, Buffer.from(String(v), 'base64')]));
    }
    const cm = this.api.store.peek(R.configmaps, namespace, name);
    if (!cm) return undefined;
    const out = new Map<string, Buffer>();
    for (const [k, v] of Object.entries(rec(cm.data))) out.set(k, Buffer.from(String(v), 'utf8'));
    for (const [k, v] of Object.entries(rec(cm.binaryData))) out.set(k, Buffer.from(String(v), 'base64'));
    return out;
  }

  serviceAccountToken(pod: KubeObject): string {
    return `kube-sim-token-${pod.metadata.uid ?? ''}`;
  }

  updatePodStatus(pod: KubeObject, status: Record<string, unknown>): void {
    const current = this.api.store.peek(R.pods, pod.metadata.namespace, pod.metadata.name ?? '');
    if (!current || current.metadata.uid !== pod.metadata.uid) return;
    const next = clone(current);
    next.spec = { ...rec(next.spec), nodeName: this.nodeName };
    next.status = status;
    if (JSON.stringify(next) !== JSON.stringify(current)) this.api.commit(R.pods, next);
  }

  finishDeletion(namespace: string, name: string, uid: string): void {
    const pod = this.api.store.peek(R.pods, namespace, name);
    if (pod && pod.metadata.uid === uid) this.api.store.remove(R.pods, namespace, name);
  }

  recordEvent(pod: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const stored = this.api.store.peek(R.pods, pod.metadata.namespace, pod.metadata.name ?? '');
    recordEvent(
      this.api,
      stored && stored.metadata.uid === pod.metadata.uid ? stored : pod,
      type,
      reason,
      message,
      'kubelet',
    );
  }
}

export class Kubelet extends NodeAgent {
  constructor(api: ClusterApi, clock: SimClock, clusterName: string, defaults: PodTiming, syncDelayMs: number) {
    const nodeName = `${clusterName}-node`;
    super(new StoreBackend(api, nodeName), {
      nodeName,
      cluster: clusterName,
      clock,
      hostIP: SIM_HOST_IP,
      timing: defaults,
      syncDelayMs,
      podIPs: new CountingPool(),
    });
  }
}
