/**
 * The node agent's backend for a real kube-apiserver, speaking as the Node itself (client
 * certificate CN system:node:<name>, O system:nodes), so Node authorization and NodeRestriction
 * apply as they do to a kubelet: it registers its Node and keeps it alive (a Lease in
 * kube-node-lease renewed every 10 s, the node status every minute), watches the pods bound to
 * it, reads only the Secrets and ConfigMaps those pods reference (one name-selected watch each,
 * as the kubelet's watch-based manager does), asks TokenRequest for projected service account
 * tokens, reports pod status through pods/status, records Events, and deletes a terminated pod
 * with grace 0 and a uid precondition.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { KubeObject } from '../kube/types.js';
import { Informer } from './informer.js';
import { rec, referencedConfig, tokenSources } from './resolve.js';
import { ApiStatusError, type RestClient } from './rest.js';
import type { ConfigKind, NodeBackend, NodeClock, NodeEventSink } from './types.js';

export interface ApiServerBackendOptions {
  readonly rest: RestClient;
  readonly nodeName: string;
  /** The node's InternalIP (where the API server reaches the kubelet API). */
  readonly address: string;
  readonly kubeletPort: number;
  readonly podCidr: string;
  readonly clock: NodeClock;
  readonly kubernetesVersion?: string;
  readonly capacity?: { cpu: string; memory: string; pods: string };
  /** Lease renewal period (the kubelet: 10 s) and duration (40 s). */
  readonly leaseRenewMs?: number;
  readonly leaseDurationSeconds?: number;
  /** Full node status report period (the kubelet: 5 min without changes; here 1 min). */
  readonly statusReportMs?: number;
  /** Background failures (the agent retries): for logs and tests. */
  readonly onError?: (message: string) => void;
}

interface ConfigEntry {
  readonly kind: ConfigKind;
  readonly namespace: string;
  readonly name: string;
  readonly informer: Informer;
  readonly users: Set<string>;
  loaded: Promise<void>;
  data: Map<string, Buffer> | undefined;
  /** Why the object cannot be read (the last failure), while it has never been read. */
  error: string | undefined;
  synced: boolean;
}

interface TokenEntry {
  token: string | undefined;
  error: string | undefined;
  loaded: Promise<void>;
  expiresAt: number;
}

interface StatusWriter {
  uid: string;
  desired: Record<string, unknown> | undefined;
  sentJson: string | undefined;
  running: Promise<void> | undefined;
}

/** metav1.MicroTime: RFC 3339 with exactly 6 fractional digits (the server refuses 3). */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function decode(kind: ConfigKind, object: KubeObject): Map<string, Buffer> {
  if (kind === 'Secret')
    return new Map(Object.entries(rec(object.data)).map(([k, v]) => [k, Buffer.from(String(v), 'base64')]));
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(rec(object.data))) out.set(k, Buffer.from(String(v), 'utf8'));
  for (const [k, v] of Object.entries(rec(object.binaryData))) out.set(k, Buffer.from(String(v), 'base64'));
  return out;
}

function message(error: unknown): string {
  if (error instanceof ApiStatusError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

export class ApiServerBackend implements NodeBackend {
  private sink: NodeEventSink | undefined;
  private podInformer: Informer | undefined;
  private readonly configs = new Map<string, ConfigEntry>();
  private readonly tokens = new Map<string, TokenEntry>();
  private readonly statusWriters = new Map<string, StatusWriter>();
  private readonly timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private nodeUid = '';
  private readonly bootId = randomUUID();
  private startedAt = '';

  constructor(private readonly options: ApiServerBackendOptions) {}

  private get rest(): RestClient {
    return this.options.rest;
  }

  private report(what: string, error: unknown): void {
    if (!this.stopped) this.options.onError?.(`node ${this.options.nodeName}: ${what}: ${message(error)}`);
  }

  // ------------------------------------------------------------------ the Node and its heartbeats

  private nodeStatus(): Record<string, unknown> {
    const now = this.options.clock.timestamp();
    const capacity = this.options.capacity ?? { cpu: '8', memory: '32Gi', pods: '110' };
    const condition = (type: string, status: string, reason: string, msg: string) => ({
      type,
      status,
      reason,
      message: msg,
      lastHeartbeatTime: now,
      lastTransitionTime: this.startedAt,
    });
    return {
      capacity: { ...capacity, 'ephemeral-storage': '100Gi' },
      allocatable: { ...capacity, 'ephemeral-storage': '100Gi' },
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [
        { type: 'InternalIP', address: this.options.address },
        { type: 'Hostname', address: this.options.nodeName },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: this.options.kubeletPort } },
      nodeInfo: {
        machineID: this.bootId.replaceAll('-', ''),
        systemUUID: this.bootId,
        bootID: this.bootId,
        kernelVersion: 'kube-sim',
        osImage: 'kube-sim node agent',
        containerRuntimeVersion: 'sim://1.0.0',
        kubeletVersion: this.options.kubernetesVersion ?? 'v1.34.4',
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    };
  }

  /** Creates the Node (or takes over an existing one), its Lease, and starts the heartbeats. */
  async register(): Promise<void> {
    const { nodeName } = this.options;
    this.startedAt = this.options.clock.timestamp();
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: nodeName,
        labels: {
          'kubernetes.io/hostname': nodeName,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'beta.kubernetes.io/os': 'linux',
          'beta.kubernetes.io/arch': 'amd64',
        },
      },
      spec: { podCIDR: this.options.podCidr, podCIDRs: [this.options.podCidr] },
      status: this.nodeStatus(),
    };
    let created: KubeObject;
    try {
      created = await this.rest.json<KubeObject>('POST', '/api/v1/nodes', { body: node });
    } catch (error: unknown) {
      if (!(error instanceof ApiStatusError && error.code === 409)) throw error;
      created = await this.rest.json<KubeObject>('GET', `/api/v1/nodes/${nodeName}`);
    }
    this.nodeUid = created.metadata.uid ?? '';
    await this.patchNodeStatus();
    await this.renewLease();
    const leaseTimer = setInterval(
      () => void this.renewLease().catch((e: unknown) => this.report('renewing its Lease', e)),
      this.options.leaseRenewMs ?? 10_000,
    );
    const statusTimer = setInterval(
      () => void this.patchNodeStatus().catch((e: unknown) => this.report('reporting node status', e)),
      this.options.statusReportMs ?? 60_000,
    );
    leaseTimer.unref();
    statusTimer.unref();
    this.timers.push(leaseTimer, statusTimer);
  }

  private async patchNodeStatus(): Promise<void> {
    await this.rest.json('PATCH', `/api/v1/nodes/${this.options.nodeName}/status`, {
      body: { status: this.nodeStatus() },
      contentType: 'application/merge-patch+json',
    });
  }

  private async renewLease(): Promise<void> {
    const { nodeName } = this.options;
    const path = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases`;
    const spec = {
      holderIdentity: nodeName,
      leaseDurationSeconds: this.options.leaseDurationSeconds ?? 40,
      renewTime: microTime(this.options.clock.now()),
    };
    try {
      await this.rest.json('PATCH', `${path}/${nodeName}`, {
        body: { spec },
        contentType: 'application/merge-patch+json',
      });
    } catch (error: unknown) {
      if (!(error instanceof ApiStatusError && error.code === 404)) throw error;
      await this.rest.json('POST', path, {
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: {
            name: nodeName,
            namespace: 'kube-node-lease',
            ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: this.nodeUid }],
          },
          spec,
        },
      });
    }
  }

  // ------------------------------------------------------------------ pods

  start(sink: NodeEventSink): void {
    this.sink = sink;
    this.podInformer = new Informer({
      rest: this.rest,
      path: '/api/v1/pods',
      fieldSelector: `spec.nodeName=${this.options.nodeName}`,
      onEvent: (type, pod) => {
        if (type === 'DELETED') this.releasePod(pod.metadata.uid ?? '');
        sink.pod(type, pod);
      },
      onError: (e) => this.report('watching its pods', e),
    });
    this.podInformer.start();
  }

  stop(): void {
    this.stopped = true;
    this.podInformer?.stop();
    for (const entry of this.configs.values()) entry.informer.stop();
    this.configs.clear();
    for (const t of this.timers) clearInterval(t);
  }

  private releasePod(uid: string): void {
    for (const [key, entry] of this.configs) {
      entry.users.delete(uid);
      if (entry.users.size === 0) {
        entry.informer.stop();
        this.configs.delete(key);
      }
    }
    for (const key of [...this.tokens.keys()]) if (key.startsWith(`${uid}|`)) this.tokens.delete(key);
  }

  // ------------------------------------------------------------------ what pods reference

  prepare(pod: KubeObject): Promise<void> | undefined {
    const namespace = pod.metadata.namespace ?? '';
    const uid = pod.metadata.uid ?? '';
    const pending: Promise<void>[] = [];
    for (const ref of referencedConfig(pod)) {
      const entry = this.configEntry(ref.kind, namespace, ref.name);
      entry.users.add(uid);
      if (!entry.synced && entry.error === undefined) pending.push(entry.loaded);
    }
    for (const source of tokenSources(pod)) {
      const entry = this.tokenEntry(pod, source);
      if (entry.token === undefined && entry.error === undefined) pending.push(entry.loaded);
    }
    return pending.length > 0 ? Promise.all(pending).then(() => undefined) : undefined;
  }

  private configEntry(kind: ConfigKind, namespace: string, name: string): ConfigEntry {
    const key = `${kind}/${namespace}/${name}`;
    const existing = this.configs.get(key);
    if (existing) return existing;
    let markLoaded: () => void = () => undefined;
    const loaded = new Promise<void>((resolve) => (markLoaded = resolve));
    let failures = 0;
    const plural = kind === 'Secret' ? 'secrets' : 'configmaps';
    const entry: ConfigEntry = {
      kind,
      namespace,
      name,
      users: new Set(),
      loaded,
      data: undefined,
      error: undefined,
      synced: false,
      informer: new Informer({
        rest: this.rest,
        path: `/api/v1/namespaces/${namespace}/${plural}`,
        fieldSelector: `metadata.name=${name}`,
        onEvent: (type, object) => {
          entry.data = type === 'DELETED' ? undefined : decode(kind, object);
          if (entry.synced) this.sink?.configChanged(kind, namespace, name);
        },
        onListed: () => {
          const first = !entry.synced;
          entry.synced = true;
          entry.error = undefined;
          markLoaded();
          if (!first) this.sink?.configChanged(kind, namespace, name);
        },
        onError: (error) => {
          // Just after a pod is bound, the Node authorizer's graph may not know the edge yet:
          // a few 403s are expected before the first read succeeds.
          failures += 1;
          if (!entry.synced && failures >= 4) {
            entry.error = message(error);
            markLoaded();
          }
          if (failures >= 4) this.report(`reading ${kind} ${namespace}/${name}`, error);
        },
      }),
    };
    this.configs.set(key, entry);
    entry.informer.start();
    return entry;
  }

  configData(kind: ConfigKind, namespace: string, name: string): Map<string, Buffer> | undefined {
    const entry = this.configs.get(`${kind}/${namespace}/${name}`);
    if (!entry) throw new Error(`${kind === 'Secret' ? 'secret' : 'configmap'} "${name}" is not watched by this node`);
    if (!entry.synced) {
      const plural = kind === 'Secret' ? 'secrets' : 'configmaps';
      throw new Error(
        entry.error ?? `failed to sync ${kind.toLowerCase()} cache: timed out waiting for ${plural} "${name}"`,
      );
    }
    return entry.data ? new Map(entry.data) : undefined;
  }

  private tokenKey(pod: KubeObject, source: { audience?: string; expirationSeconds?: number }): string {
    return `${pod.metadata.uid ?? ''}|${source.audience ?? ''}|${source.expirationSeconds ?? 3600}`;
  }

  private tokenEntry(pod: KubeObject, source: { audience?: string; expirationSeconds?: number }): TokenEntry {
    const key = this.tokenKey(pod, source);
    const existing = this.tokens.get(key);
    const now = this.options.clock.now();
    if (existing && (existing.token === undefined || existing.expiresAt > now)) return existing;
    const namespace = pod.metadata.namespace ?? '';
    const account = String(rec(pod.spec).serviceAccountName ?? 'default');
    const expirationSeconds = Math.max(600, source.expirationSeconds ?? 3600);
    const entry: TokenEntry = { token: undefined, error: undefined, loaded: Promise.resolve(), expiresAt: 0 };
    entry.loaded = this.rest
      .json<{ status?: { token?: string; expirationTimestamp?: string } }>(
        'POST',
        `/api/v1/namespaces/${namespace}/serviceaccounts/${account}/token`,
        {
          body: {
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenRequest',
            spec: {
              audiences: source.audience ? [source.audience] : [],
              expirationSeconds,
              boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: pod.metadata.name, uid: pod.metadata.uid },
            },
          },
        },
      )
      .then(
        (answer) => {
          entry.token = answer.status?.token ?? '';
          // Renewed at 80 % of its life, as the kubelet's token manager does.
          entry.expiresAt = now + expirationSeconds * 800;
        },
        (error: unknown) => {
          entry.error = `failed to fetch token: ${message(error)}`;
          // Try again at the next start attempt.
          this.tokens.delete(key);
        },
      );
    this.tokens.set(key, entry);
    return entry;
  }

  serviceAccountToken(pod: KubeObject, source: { audience?: string; expirationSeconds?: number }): string {
    const entry = this.tokens.get(this.tokenKey(pod, source));
    if (entry?.token !== undefined) return entry.token;
    throw new Error(entry?.error ?? 'failed to fetch token: not requested yet');
  }

  // ------------------------------------------------------------------ writes

  updatePodStatus(pod: KubeObject, status: Record<string, unknown>): void {
    const key = `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
    let writer = this.statusWriters.get(key);
    if (!writer || writer.uid !== pod.metadata.uid) {
      writer = { uid: pod.metadata.uid ?? '', desired: undefined, sentJson: undefined, running: undefined };
      this.statusWriters.set(key, writer);
    }
    writer.desired = status;
    if (!writer.running) writer.running = this.flushStatus(pod, writer);
  }

  /** One status write at a time per pod; the newest wanted status wins. */
  private async flushStatus(pod: KubeObject, writer: StatusWriter): Promise<void> {
    const namespace = pod.metadata.namespace ?? '';
    const name = pod.metadata.name ?? '';
    try {
      while (writer.desired && !this.stopped) {
        const status = writer.desired;
        writer.desired = undefined;
        const json = JSON.stringify(status);
        if (json === writer.sentJson) continue;
        try {
          await this.rest.json('PATCH', `/api/v1/namespaces/${namespace}/pods/${name}/status`, {
            body: { metadata: { uid: writer.uid }, status },
            contentType: 'application/merge-patch+json',
          });
          writer.sentJson = json;
        } catch (error: unknown) {
          // Gone, or replaced by a pod of the same name: nothing more to report for this one.
          if (error instanceof ApiStatusError && (error.code === 404 || error.code === 409)) return;
          this.report(`reporting the status of pod ${namespace}/${name}`, error);
          writer.desired ??= status;
          await new Promise((resolve) => setTimeout(resolve, 500).unref());
        }
      }
    } finally {
      writer.running = undefined;
    }
  }

  finishDeletion(namespace: string, name: string, uid: string): void {
    const writer = this.statusWriters.get(`${namespace}/${name}`);
    const pending = writer?.uid === uid ? writer.running : undefined;
    void (pending ?? Promise.resolve())
      .then(() =>
        this.rest.json('DELETE', `/api/v1/namespaces/${namespace}/pods/${name}`, {
          body: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid } },
        }),
      )
      .then(
        () => {
          if (this.statusWriters.get(`${namespace}/${name}`)?.uid === uid)
            this.statusWriters.delete(`${namespace}/${name}`);
        },
        (error: unknown) => {
          if (error instanceof ApiStatusError && (error.code === 404 || error.code === 409)) return;
          this.report(`deleting pod ${namespace}/${name}`, error);
        },
      );
  }

  recordEvent(pod: KubeObject, type: 'Normal' | 'Warning', reason: string, text: string): void {
    const namespace = pod.metadata.namespace ?? 'default';
    const now = this.options.clock.timestamp();
    void this.rest
      .json('POST', `/api/v1/namespaces/${namespace}/events`, {
        body: {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name: `${pod.metadata.name ?? 'pod'}.${randomBytes(8).toString('hex')}`, namespace },
          involvedObject: {
            kind: 'Pod',
            apiVersion: 'v1',
            namespace,
            name: pod.metadata.name,
            uid: pod.metadata.uid,
            resourceVersion: pod.metadata.resourceVersion,
          },
          reason,
          message: text,
          type,
          source: { component: 'kubelet', host: this.options.nodeName },
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
          reportingComponent: 'kubelet',
          reportingInstance: this.options.nodeName,
        },
      })
      // Events are best effort, as in Kubernetes.
      .catch((error: unknown) => this.report(`recording event ${reason}`, error));
  }
}
