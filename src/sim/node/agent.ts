/**
 * The node agent: kube-sim's kubelet, on any backend. It runs the pods bound to its node through
 * Pending → Running → Ready after configurable latencies, resolves each container's files and
 * environment at start exactly as a real kubelet does (subPath mounts and env frozen then), keeps
 * volume mounts in step with Secret and ConfigMap updates after a sync delay, runs the bound
 * programs, restarts crashed ones with back-off (CrashLoopBackOff), keeps their logs, reports
 * pod status, and stops and removes pods that are deleted, within their termination grace.
 */
import type { KubeObject } from '../kube/types.js';
import type { ContainerContext, ContainerProgram, HttpHandler, ProgramBinding } from '../kube/program.js';
import type { PodIpAllocator } from './ip-pool.js';
import {
  arr,
  rec,
  resolveEnv,
  resolveVolumes,
  volumesReference,
  type ResolveSources,
  type Volumes,
} from './resolve.js';
import { computePodStatus } from './status.js';
import type {
  ConfigKind,
  ContainerState,
  ContainerView,
  LogEntry,
  NodeBackend,
  NodeClock,
  NodeEventSink,
  PodTiming,
  TappedLog,
  TimingRule,
} from './types.js';

/** Where the programs' HTTP is served beyond the agent itself (real clusters: the pod IPs). */
export interface PodNetwork {
  serve(podIP: string, port: number, handler: HttpHandler): void;
  unserve(podIP: string, port: number): void;
}

export interface NodeAgentOptions {
  readonly nodeName: string;
  /** The cluster name programs see (ContainerContext.cluster). */
  readonly cluster: string;
  readonly clock: NodeClock;
  readonly hostIP: string;
  readonly timing: PodTiming;
  /** How long a Secret or ConfigMap update takes to reach mounted volumes. */
  readonly syncDelayMs: number;
  readonly podIPs: PodIpAllocator;
  readonly network?: PodNetwork;
}

interface ContainerRuntime extends ContainerView {
  readonly name: string;
  readonly image: string;
  state: ContainerState;
  lastTerminated: (ContainerState & { kind: 'terminated' }) | undefined;
  ready: boolean;
  /** The program's own readiness (setReady). */
  programReady: boolean;
  restartCount: number;
  /** The running (or last started) instance's log. */
  logs: LogEntry[];
  /** The last terminated instance's log. */
  previousLogs: LogEntry[];
  abort: AbortController;
  timers: Set<{ cancel(): void }>;
  servers: Map<number, HttpHandler>;
  /** Files of subPath mounts, copied once at container start. */
  frozenFiles: Map<string, Buffer>;
  followers: Set<(entry: LogEntry | null) => void>;
}

interface PodRuntime {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly podIP: string;
  /** The backend's newest view of the pod. */
  pod: KubeObject;
  /** Set once the pod object is gone: nothing more is written for it. */
  gone: boolean;
  startTime?: number;
  /** Current volume contents by volume name, refreshed by the volume sync. */
  volumes: Volumes;
  containers: Map<string, ContainerRuntime>;
  timers: Set<{ cancel(): void }>;
  syncPending: boolean;
  terminating: boolean;
  lastStatus?: Record<string, unknown>;
}

const MAX_LOG_LINES = 20_000;

export class NodeAgent implements NodeEventSink {
  private readonly pods = new Map<string, PodRuntime>();
  private readonly bindings: ProgramBinding[] = [];
  private readonly timingRules: TimingRule[] = [];
  private paused = false;
  private stopped = false;
  private readonly deferred: (() => void)[] = [];
  private readonly logTaps = new Set<(entry: TappedLog) => void>();
  private defaults: PodTiming;
  private syncDelayMs: number;

  constructor(
    readonly backend: NodeBackend,
    private readonly options: NodeAgentOptions,
  ) {
    this.defaults = { ...options.timing };
    this.syncDelayMs = options.syncDelayMs;
  }

  get nodeName(): string {
    return this.options.nodeName;
  }

  get clock(): NodeClock {
    return this.options.clock;
  }

  start(): void {
    this.backend.start(this);
  }

  stop(): void {
    this.stopped = true;
    this.backend.stop();
    for (const pod of this.pods.values()) this.killPod(pod);
    this.pods.clear();
  }

  /** Freezes pod lifecycle progress (a node that stopped answering); work resumes on resume(). */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    for (const fn of this.deferred.splice(0)) fn();
  }

  /** Binds a program to containers; the newest matching binding wins. Returns an unbind function. */
  bind(binding: ProgramBinding): () => void {
    this.bindings.push(binding);
    return () => {
      const i = this.bindings.indexOf(binding);
      if (i >= 0) this.bindings.splice(i, 1);
    };
  }

  /** Sets pod latencies for matching pods (newest matching rule wins), or the defaults with `{}`. */
  setTiming(rule: TimingRule): void {
    if (!rule.namespace && !rule.workload && !rule.labels) this.defaults = { ...this.defaults, ...rule.timing };
    else this.timingRules.push(rule);
  }

  setSyncDelay(ms: number): void {
    this.syncDelayMs = ms;
  }

  // ------------------------------------------------------------------ queries (log and proxy endpoints)

  /** Whether this agent runs the pod (by namespace and name). */
  runs(namespace: string, pod: string): boolean {
    return this.pods.has(`${namespace}/${pod}`);
  }

  /** The pod object as the agent last saw it. */
  podObject(namespace: string, pod: string): KubeObject | undefined {
    return this.pods.get(`${namespace}/${pod}`)?.pod;
  }

  /** A container's state, last termination and logs, or undefined when the pod has no runtime here. */
  container(namespace: string, pod: string, container: string): ContainerView | undefined {
    return this.pods.get(`${namespace}/${pod}`)?.containers.get(container);
  }

  /** Log entries of a container (current instance, or the last terminated one), or undefined when the pod has no runtime. */
  logs(namespace: string, pod: string, container: string, previous: boolean): LogEntry[] | undefined {
    const c = this.pods.get(`${namespace}/${pod}`)?.containers.get(container);
    if (!c) return undefined;
    return previous ? c.previousLogs : c.logs;
  }

  containerState(namespace: string, pod: string, container: string): ContainerState | undefined {
    return this.pods.get(`${namespace}/${pod}`)?.containers.get(container)?.state;
  }

  /** Receives every log line any container writes from now on (tests keep the logs of pods that are gone). */
  tapLogs(listener: (entry: TappedLog) => void): () => void {
    this.logTaps.add(listener);
    return () => this.logTaps.delete(listener);
  }

  /** Subscribes to new log lines of a container; `null` means the container stopped. */
  follow(namespace: string, pod: string, container: string, listener: (entry: LogEntry | null) => void): () => void {
    const c = this.pods.get(`${namespace}/${pod}`)?.containers.get(container);
    if (!c || c.state.kind !== 'running') {
      listener(null);
      return () => undefined;
    }
    c.followers.add(listener);
    return () => c.followers.delete(listener);
  }

  /** The HTTP handler serving `port` in a pod, if a running container serves it. */
  handler(namespace: string, pod: string, port: number): HttpHandler | undefined {
    const runtime = this.pods.get(`${namespace}/${pod}`);
    if (!runtime || runtime.terminating) return undefined;
    for (const c of runtime.containers.values()) {
      const h = c.servers.get(port);
      if (h && c.state.kind === 'running') return h;
    }
    return undefined;
  }

  /** 'Deployment/name' or 'StatefulSet/name' owning a pod, if any. */
  workloadOf(pod: KubeObject): string | undefined {
    return workloadOf(pod);
  }

  // ------------------------------------------------------------------ events from the backend

  pod(type: 'ADDED' | 'MODIFIED' | 'DELETED', pod: KubeObject): void {
    if (this.stopped) return;
    const namespace = pod.metadata.namespace ?? '';
    const name = pod.metadata.name ?? '';
    const uid = pod.metadata.uid ?? '';
    const key = `${namespace}/${name}`;
    const runtime = this.pods.get(key);
    if (type === 'DELETED') {
      if (runtime && runtime.uid === uid) this.forget(runtime);
      return;
    }
    if (runtime && runtime.uid === uid) {
      runtime.pod = pod;
      if (pod.metadata.deletionTimestamp !== undefined && !runtime.terminating) this.terminate(runtime, pod);
      return;
    }
    if (pod.metadata.deletionTimestamp !== undefined) {
      // Deleted before this node ran it: nothing to stop.
      this.later(() => this.backend.finishDeletion(namespace, name, uid), 0);
      return;
    }
    if (runtime) this.forget(runtime);
    this.admit(pod);
  }

  configChanged(kind: ConfigKind, namespace: string, name: string): void {
    if (this.stopped) return;
    for (const runtime of this.pods.values()) {
      if (
        runtime.namespace !== namespace ||
        runtime.terminating ||
        runtime.syncPending ||
        runtime.startTime === undefined
      )
        continue;
      if (runtime.gone || !volumesReference(runtime.pod, kind, name)) continue;
      runtime.syncPending = true;
      this.later(
        () => {
          runtime.syncPending = false;
          if (runtime.gone || runtime.terminating) return;
          // The kubelet refreshes what it can and keeps the old content of what fails.
          const fresh = resolveVolumes(runtime.pod, this.sources(runtime), true);
          for (const [volume, files] of fresh) runtime.volumes.set(volume, files);
        },
        this.syncDelayMs,
        runtime,
      );
    }
  }

  // ------------------------------------------------------------------ pod lifecycle

  /** Runs `fn` after `ms` unless the agent is paused then (it runs on resume). */
  private later(fn: () => void, ms: number, owner?: PodRuntime): void {
    const timer = this.clock.setTimeout(() => {
      owner?.timers.delete(timer);
      if (this.stopped) return;
      if (this.paused) this.deferred.push(fn);
      else fn();
    }, ms);
    owner?.timers.add(timer);
  }

  private timingFor(pod: KubeObject): PodTiming {
    const workload = workloadOf(pod);
    let timing = { ...this.defaults };
    for (const rule of this.timingRules) {
      if (rule.namespace && rule.namespace !== pod.metadata.namespace) continue;
      if (rule.workload && rule.workload !== workload) continue;
      if (rule.labels && !Object.entries(rule.labels).every(([k, v]) => pod.metadata.labels?.[k] === v)) continue;
      timing = { ...timing, ...rule.timing };
    }
    return timing;
  }

  private sources(runtime: PodRuntime): ResolveSources {
    return {
      data: (kind, namespace, name) => this.backend.configData(kind, namespace, name),
      token: (pod, source) => this.backend.serviceAccountToken(pod, source),
      podIP: runtime.podIP,
      hostIP: this.options.hostIP,
    };
  }

  private admit(pod: KubeObject): void {
    const runtime: PodRuntime = {
      namespace: pod.metadata.namespace ?? '',
      name: pod.metadata.name ?? '',
      uid: pod.metadata.uid ?? '',
      podIP: this.options.podIPs.allocate(),
      pod,
      gone: false,
      volumes: new Map(),
      containers: new Map(),
      timers: new Set(),
      syncPending: false,
      terminating: false,
    };
    for (const c of arr(rec(pod.spec).containers).map(rec)) {
      const name = String(c.name);
      runtime.containers.set(name, {
        name,
        image: String(c.image ?? ''),
        state: { kind: 'waiting', reason: 'ContainerCreating' },
        lastTerminated: undefined,
        ready: false,
        programReady: true,
        restartCount: 0,
        logs: [],
        previousLogs: [],
        abort: new AbortController(),
        timers: new Set(),
        servers: new Map(),
        frozenFiles: new Map(),
        followers: new Set(),
      });
    }
    this.pods.set(`${runtime.namespace}/${runtime.name}`, runtime);
    this.writeStatus(runtime);
    this.later(() => this.tryStart(runtime), this.timingFor(pod).startMs, runtime);
  }

  private retryStart(runtime: PodRuntime): void {
    this.later(() => this.tryStart(runtime), Math.max(this.syncDelayMs, 100), runtime);
  }

  private tryStart(runtime: PodRuntime): void {
    if (runtime.gone || runtime.terminating) return;
    const pod = runtime.pod;
    const fetching = this.backend.prepare(pod);
    if (fetching) {
      void fetching.then(() => this.later(() => this.tryStart(runtime), 0, runtime));
      return;
    }
    try {
      runtime.volumes = resolveVolumes(pod, this.sources(runtime), false);
    } catch (error: unknown) {
      const message = error instanceof Error ? error.message : String(error);
      this.backend.recordEvent(pod, 'Warning', 'FailedMount', message);
      this.writeStatus(runtime);
      this.retryStart(runtime);
      return;
    }
    runtime.startTime ??= this.clock.now();
    let waiting = false;
    for (const container of runtime.containers.values()) {
      // A crashed container restarts on its own back-off, not with a retry of its pod's start.
      if (container.state.kind === 'running') continue;
      if (container.state.kind === 'waiting' && container.state.reason === 'CrashLoopBackOff') continue;
      if (!this.startContainer(runtime, pod, container)) waiting = true;
    }
    this.writeStatus(runtime);
    if (waiting) this.retryStart(runtime);
  }

  /** Starts one container; false when its configuration cannot be resolved yet. */
  private startContainer(runtime: PodRuntime, pod: KubeObject, container: ContainerRuntime): boolean {
    const spec =
      arr(rec(pod.spec).containers)
        .map(rec)
        .find((c) => c.name === container.name) ?? {};
    let env: Record<string, string>;
    try {
      env = resolveEnv(pod, spec, this.sources(runtime));
    } catch (error: unknown) {
      const message = error instanceof Error ? error.message : String(error);
      container.state = { kind: 'waiting', reason: 'CreateContainerConfigError', message };
      this.backend.recordEvent(pod, 'Warning', 'Failed', `Error: ${message}`);
      return false;
    }
    // subPath mounts are bind mounts of one file taken now; they never see later updates.
    container.frozenFiles = new Map();
    for (const mount of arr(spec.volumeMounts).map(rec)) {
      if (typeof mount.subPath !== 'string' || mount.subPath === '') continue;
      const volume = runtime.volumes.get(String(mount.name));
      const prefix = mount.subPath.replace(/\/+$/, '');
      for (const [rel, bytes] of volume ?? []) {
        if (rel === prefix) container.frozenFiles.set(String(mount.mountPath), Buffer.from(bytes));
        else if (rel.startsWith(`${prefix}/`))
          container.frozenFiles.set(`${String(mount.mountPath)}/${rel.slice(prefix.length + 1)}`, Buffer.from(bytes));
      }
    }
    container.abort = new AbortController();
    container.timers = new Set();
    container.servers = new Map();
    container.programReady = true;
    container.ready = false;
    container.logs = [];
    const startedAt = this.clock.now();
    container.state = { kind: 'running', startedAt };
    this.backend.recordEvent(pod, 'Normal', 'Started', `Started container ${container.name}`);
    const program = this.programFor(pod, container.name);
    if (program) {
      const context = this.contextFor(runtime, pod, container, spec, env);
      try {
        const result = program(context);
        if (result instanceof Promise)
          result.catch((error: unknown) => this.crash(runtime, container, startedAt, error));
      } catch (error: unknown) {
        this.crash(runtime, container, startedAt, error);
        return true;
      }
    }
    const readyMs = this.timingFor(pod).readyMs;
    this.later(
      () => {
        if (container.state.kind === 'running' && container.state.startedAt === startedAt) {
          container.ready = container.programReady;
          this.writeStatus(runtime);
        }
      },
      readyMs,
      runtime,
    );
    return true;
  }

  private crash(runtime: PodRuntime, container: ContainerRuntime, startedAt: number, error: unknown): void {
    if (container.state.kind !== 'running' || container.state.startedAt !== startedAt || runtime.terminating) return;
    const message = error instanceof Error ? error.message : String(error);
    this.appendLog(container, `fatal: ${message}`, runtime);
    this.stopContainer(runtime, container);
    for (const f of container.followers) f(null);
    container.followers.clear();
    const finishedAt = this.clock.now();
    container.lastTerminated = { kind: 'terminated', exitCode: 1, reason: 'Error', startedAt, finishedAt };
    // The crashed instance's log is now the "previous" one, as for a real container.
    container.previousLogs = container.logs;
    container.logs = [];
    container.restartCount += 1;
    container.state = {
      kind: 'waiting',
      reason: 'CrashLoopBackOff',
      message: `back-off restarting failed container ${container.name}`,
    };
    container.ready = false;
    this.writeStatus(runtime);
    const backoff = Math.min(10_000 * 2 ** (container.restartCount - 1), 300_000) / 10; // 1 s, 2 s, ... capped at 30 s
    this.later(
      () => {
        if (runtime.gone || runtime.terminating) return;
        const pod = runtime.pod;
        try {
          runtime.volumes = resolveVolumes(pod, this.sources(runtime), true);
        } catch {
          // keep the volumes the pod already has, as the kubelet does on a failed refresh
        }
        const started = this.startContainer(runtime, pod, container);
        this.writeStatus(runtime);
        if (!started) this.retryStart(runtime);
      },
      backoff,
      runtime,
    );
  }

  private programFor(pod: KubeObject, container: string): ContainerProgram | undefined {
    const workload = workloadOf(pod);
    for (let i = this.bindings.length - 1; i >= 0; i--) {
      const b = this.bindings[i] as ProgramBinding;
      if (b.namespace && b.namespace !== pod.metadata.namespace) continue;
      if (b.container && b.container !== container) continue;
      if (b.workload && b.workload !== workload) continue;
      if (b.labels && !Object.entries(b.labels).every(([k, v]) => pod.metadata.labels?.[k] === v)) continue;
      return b.program;
    }
    return undefined;
  }

  private contextFor(
    runtime: PodRuntime,
    pod: KubeObject,
    container: ContainerRuntime,
    spec: Record<string, unknown>,
    env: Record<string, string>,
  ): ContainerContext {
    const mounts = arr(spec.volumeMounts)
      .map(rec)
      .filter((m) => typeof m.subPath !== 'string' || m.subPath === '')
      .map((m) => ({ volume: String(m.name), path: String(m.mountPath).replace(/\/+$/, '') }))
      .sort((a, b) => b.path.length - a.path.length);
    const readFile = (path: string): Buffer | undefined => {
      const frozen = container.frozenFiles.get(path);
      if (frozen) return Buffer.from(frozen);
      for (const m of mounts) {
        if (!path.startsWith(`${m.path}/`)) continue;
        const bytes = runtime.volumes.get(m.volume)?.get(path.slice(m.path.length + 1));
        return bytes ? Buffer.from(bytes) : undefined;
      }
      return undefined;
    };
    const listFiles = (): string[] => {
      const out = new Set(container.frozenFiles.keys());
      for (const m of mounts)
        for (const rel of runtime.volumes.get(m.volume)?.keys() ?? []) out.add(`${m.path}/${rel}`);
      return [...out].sort();
    };
    const files = new Map(listFiles().map((p) => [p, readFile(p) as Buffer]));
    const signal = container.abort.signal;
    const schedule = (ms: number, fn: () => void | Promise<void>, repeat: boolean) => {
      const tick = () => {
        if (signal.aborted) return;
        const timer = this.clock.setTimeout(() => {
          container.timers.delete(timer);
          if (signal.aborted) return;
          if (repeat) tick();
          Promise.resolve()
            .then(fn)
            .catch((error: unknown) =>
              this.appendLog(container, `error: ${error instanceof Error ? error.message : String(error)}`, runtime),
            );
        }, ms);
        container.timers.add(timer);
      };
      tick();
    };
    return {
      cluster: this.options.cluster,
      namespace: runtime.namespace,
      podName: runtime.name,
      container: container.name,
      labels: { ...(pod.metadata.labels ?? {}) },
      env,
      files,
      readFile,
      listFiles,
      log: (line) => {
        if (!signal.aborted) this.appendLog(container, line, runtime);
      },
      now: () => this.clock.date(),
      every: (ms, fn) => schedule(ms, fn, true),
      after: (ms, fn) => schedule(ms, fn, false),
      serve: (port, handler) => {
        if (signal.aborted) return;
        container.servers.set(port, handler);
        this.options.network?.serve(runtime.podIP, port, handler);
      },
      setReady: (ready) => {
        if (signal.aborted || container.programReady === ready) return;
        container.programReady = ready;
        if (container.state.kind === 'running' && (container.ready || !ready)) {
          container.ready = ready;
          this.writeStatus(runtime);
        }
      },
      signal,
    };
  }

  private appendLog(container: ContainerRuntime, line: string, runtime: PodRuntime): void {
    for (const part of line.split('\n')) {
      const entry = { ms: this.clock.now(), line: part };
      container.logs.push(entry);
      for (const f of container.followers) f(entry);
      for (const tap of this.logTaps)
        tap({ ...entry, namespace: runtime.namespace, pod: runtime.name, container: container.name });
    }
    if (container.logs.length > MAX_LOG_LINES) container.logs.splice(0, container.logs.length - MAX_LOG_LINES);
  }

  // ------------------------------------------------------------------ termination

  private stopContainer(runtime: PodRuntime, container: ContainerRuntime): void {
    container.abort.abort();
    for (const t of container.timers) t.cancel();
    container.timers.clear();
    for (const port of container.servers.keys()) this.options.network?.unserve(runtime.podIP, port);
    container.servers.clear();
  }

  private killPod(runtime: PodRuntime): void {
    runtime.terminating = true;
    for (const t of runtime.timers) t.cancel();
    for (const c of runtime.containers.values()) {
      this.stopContainer(runtime, c);
      for (const f of c.followers) f(null);
      c.followers.clear();
    }
  }

  /** The pod object is gone: stop everything and give its address back. */
  private forget(runtime: PodRuntime): void {
    this.killPod(runtime);
    runtime.gone = true;
    const key = `${runtime.namespace}/${runtime.name}`;
    if (this.pods.get(key) === runtime) this.pods.delete(key);
    this.options.podIPs.release(runtime.podIP);
  }

  private terminate(runtime: PodRuntime, pod: KubeObject): void {
    for (const t of runtime.timers) t.cancel();
    runtime.terminating = true;
    const now = this.clock.now();
    for (const c of runtime.containers.values()) {
      const startedAt = c.state.kind === 'running' ? c.state.startedAt : now;
      this.stopContainer(runtime, c);
      for (const f of c.followers) f(null);
      c.followers.clear();
      c.ready = false;
      if (c.state.kind === 'running')
        c.state = { kind: 'terminated', exitCode: 0, reason: 'Completed', startedAt, finishedAt: now };
    }
    this.backend.recordEvent(
      pod,
      'Normal',
      'Killing',
      `Stopping container ${[...runtime.containers.keys()].join(', ')}`,
    );
    this.writeStatus(runtime);
    const grace =
      (typeof pod.metadata.deletionGracePeriodSeconds === 'number' ? pod.metadata.deletionGracePeriodSeconds : 30) *
      1000;
    this.later(
      () => this.backend.finishDeletion(runtime.namespace, runtime.name, runtime.uid),
      Math.min(this.timingFor(pod).terminateMs, grace),
    );
  }

  // ------------------------------------------------------------------ status

  private writeStatus(runtime: PodRuntime): void {
    if (runtime.gone) return;
    const previous = rec(runtime.pod.status);
    const lastConditions = arr(runtime.lastStatus?.conditions).map(rec);
    const conditions = arr(previous.conditions)
      .map(rec)
      .filter((c) => !lastConditions.some((l) => l.type === c.type));
    const status = computePodStatus(
      {
        uid: runtime.uid,
        podIP: runtime.podIP,
        hostIP: this.options.hostIP,
        startTime: runtime.startTime,
        terminating: runtime.terminating,
        containers: [...runtime.containers.values()],
        previous: { ...previous, conditions: [...lastConditions, ...conditions] },
      },
      this.clock.now(),
      (ms) => this.clock.timestamp(ms),
    );
    // Conditions others own (DisruptionTarget, readiness gates...) stay as they are.
    const owned = new Set(arr(status.conditions).map((c) => rec(c).type));
    status.conditions = [...arr(status.conditions), ...arr(previous.conditions).filter((c) => !owned.has(rec(c).type))];
    runtime.lastStatus = status;
    this.backend.updatePodStatus(runtime.pod, status);
  }
}

/**
 * The workload owning a pod, found as a node must find it (nodes may not read ReplicaSets): a
 * ReplicaSet named `<deployment>-<pod-template-hash>` belongs to that Deployment.
 */
export function workloadOf(pod: KubeObject): string | undefined {
  const owner = pod.metadata.ownerReferences?.find((r) => r.controller === true);
  if (!owner) return undefined;
  if (owner.kind === 'ReplicaSet') {
    const hash = pod.metadata.labels?.['pod-template-hash'];
    if (hash && owner.name.endsWith(`-${hash}`)) return `Deployment/${owner.name.slice(0, -hash.length - 1)}`;
    return `ReplicaSet/${owner.name}`;
  }
  return `${owner.kind}/${owner.name}`;
}
