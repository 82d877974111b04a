/**
 * The kubelet of a simulated cluster: runs pods through Pending → Running → Ready after
 * configurable latencies, resolves each container's files and environment at start exactly as a
 * real kubelet does (secret and configMap volumes with `items`, projected volumes, subPath
 * mounts frozen at start, env `secretKeyRef`/`configMapKeyRef`/`envFrom`), keeps volume mounts
 * in step with Secret updates after a sync delay, runs the bound programs, keeps their logs, and
 * terminates pods that are deleted.
 */
import type { ClusterApi } from './api.js';
import { clone } from './api.js';
import type { SimClock, SimTimer } from './clock.js';
import { arr, controllerOf, isTerminating, num, R, rec, recordEvent } from './objects.js';
import type { ContainerContext, ContainerProgram, HttpHandler, ProgramBinding } from './program.js';
import type { StoreEvent } from './store.js';
import type { KubeObject } from './types.js';

export interface PodTiming {
  /** From pod creation to containers running. */
  startMs: number;
  /** From containers running to the pod being Ready. */
  readyMs: number;
  /** From deletion to the pod object being gone. */
  terminateMs: number;
}

export interface TimingRule {
  namespace?: string;
  /** 'Deployment/name' or 'StatefulSet/name'. */
  workload?: string;
  labels?: Record<string, string>;
  timing: Partial<PodTiming>;
}

export interface LogEntry {
  readonly ms: number;
  readonly line: string;
}

/** A log line as a tap sees it: with the pod and container it came from (kept after the pod is gone). */
export interface TappedLog extends LogEntry {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
}

type ContainerState =
  | { kind: 'waiting'; reason: string; message?: string }
  | { kind: 'running'; startedAt: number }
  | { kind: 'terminated'; exitCode: number; reason: string; startedAt: number; finishedAt: number };

interface ContainerRuntime {
  readonly name: string;
  readonly image: string;
  state: ContainerState;
  lastTerminated?: ContainerState & { kind: 'terminated' };
  ready: boolean;
  /** The program's own readiness (setReady). */
  programReady: boolean;
  restartCount: number;
  logs: LogEntry[];
  previousLogs: LogEntry[];
  abort: AbortController;
  timers: Set<SimTimer>;
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
  startTime?: number;
  /** Current volume contents by volume name (relative path → bytes), refreshed by kubelet sync. */
  volumes: Map<string, Map<string, Buffer>>;
  containers: Map<string, ContainerRuntime>;
  timers: Set<SimTimer>;
  syncPending: boolean;
  terminating: boolean;
  readyConditionSince?: number;
}

const MAX_LOG_LINES = 20_000;

class ResolveError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export class Kubelet {
  private readonly pods = new Map<string, PodRuntime>();
  private readonly bindings: ProgramBinding[] = [];
  private readonly timingRules: TimingRule[] = [];
  private unsubscribe: (() => void) | undefined;
  private paused = false;
  private stopped = false;
  private nextIp = 1;
  private readonly deferred: (() => void)[] = [];
  private readonly logTaps = new Set<(entry: TappedLog) => void>();

  constructor(
    private readonly api: ClusterApi,
    private readonly clock: SimClock,
    private readonly clusterName: string,
    private defaults: PodTiming,
    private syncDelayMs: number,
  ) {}

  start(): void {
    this.unsubscribe = this.api.store.subscribe((event) => this.onEvent(event));
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
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

  // ------------------------------------------------------------------ queries for the API server

  /** Log entries of a container, or undefined when the pod has no runtime (not started or gone). */
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
    if (!c) {
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

  // ------------------------------------------------------------------ events

  private onEvent(event: StoreEvent): void {
    if (this.stopped) return;
    const obj = event.object;
    if (event.def === R.pods) {
      const key = `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
      if (event.type === 'ADDED') this.admit(obj);
      else if (event.type === 'MODIFIED' && isTerminating(obj)) {
        const runtime = this.pods.get(key);
        if (runtime && !runtime.terminating) this.terminate(runtime, obj);
        else if (!runtime)
          this.later(
            () => this.finishDeletion(obj.metadata.namespace ?? '', obj.metadata.name ?? '', obj.metadata.uid ?? ''),
            0,
          );
      } else if (event.type === 'DELETED') {
        const runtime = this.pods.get(key);
        if (runtime && runtime.uid === obj.metadata.uid) {
          this.killPod(runtime);
          this.pods.delete(key);
        }
      }
    } else if (event.def === R.secrets || event.def === R.configmaps) {
      this.scheduleVolumeSync(
        obj.metadata.namespace ?? '',
        event.def === R.secrets ? 'secret' : 'configMap',
        obj.metadata.name ?? '',
      );
    }
  }

  /** Runs `fn` after `ms` unless the kubelet is paused then (it runs on resume). */
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
    const workload = this.workloadOf(pod);
    let timing = { ...this.defaults };
    for (const rule of this.timingRules) {
      if (rule.namespace && rule.namespace !== pod.metadata.namespace) continue;
      if (rule.workload && rule.workload !== workload) continue;
      if (rule.labels && !Object.entries(rule.labels).every(([k, v]) => pod.metadata.labels?.[k] === v)) continue;
      timing = { ...timing, ...rule.timing };
    }
    return timing;
  }

  /** 'Deployment/name' or 'StatefulSet/name' owning a pod, if any. */
  workloadOf(pod: KubeObject): string | undefined {
    const owner = controllerOf(pod);
    if (!owner) return undefined;
    if (owner.kind === 'StatefulSet') return `StatefulSet/${owner.name}`;
    if (owner.kind === 'ReplicaSet') {
      const rs = this.api.store.peek(R.replicasets, pod.metadata.namespace, owner.name);
      const deployment = rs ? controllerOf(rs) : undefined;
      return deployment?.kind === 'Deployment' ? `Deployment/${deployment.name}` : `ReplicaSet/${owner.name}`;
    }
    return `${owner.kind}/${owner.name}`;
  }

  private admit(pod: KubeObject): void {
    const key = `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
    const n = this.nextIp++;
    const runtime: PodRuntime = {
      namespace: pod.metadata.namespace ?? '',
      name: pod.metadata.name ?? '',
      uid: pod.metadata.uid ?? '',
      podIP: `10.244.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`,
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
    this.pods.set(key, runtime);
    // Scheduled at once: a single simulated node takes every pod.
    this.writeStatus(runtime, (p) => {
      p.spec = { ...rec(p.spec), nodeName: `${this.clusterName}-node` };
    });
    this.later(() => this.tryStart(runtime), this.timingFor(pod).startMs, runtime);
  }

  private current(runtime: PodRuntime): KubeObject | undefined {
    const pod = this.api.store.peek(R.pods, runtime.namespace, runtime.name);
    return pod && pod.metadata.uid === runtime.uid ? pod : undefined;
  }

  private tryStart(runtime: PodRuntime): void {
    const pod = this.current(runtime);
    if (!pod || runtime.terminating) return;
    try {
      runtime.volumes = this.resolveVolumes(pod, false);
    } catch (error: unknown) {
      const message = error instanceof Error ? error.message : String(error);
      recordEvent(this.api, pod, 'Warning', 'FailedMount', message, 'kubelet');
      this.writeStatus(runtime);
      this.later(() => this.tryStart(runtime), Math.max(this.syncDelayMs, 100), runtime);
      return;
    }
    runtime.startTime ??= this.clock.now();
    let waiting = false;
    for (const container of runtime.containers.values()) {
      if (container.state.kind === 'running') continue;
      if (!this.startContainer(runtime, pod, container)) waiting = true;
    }
    this.writeStatus(runtime);
    if (waiting) this.later(() => this.tryStart(runtime), Math.max(this.syncDelayMs, 100), runtime);
  }

  /** Starts one container; false when its configuration cannot be resolved yet. */
  private startContainer(runtime: PodRuntime, pod: KubeObject, container: ContainerRuntime): boolean {
    const spec =
      arr(rec(pod.spec).containers)
        .map(rec)
        .find((c) => c.name === container.name) ?? {};
    let env: Record<string, string>;
    try {
      env = this.resolveEnv(pod, spec, runtime);
    } catch (error: unknown) {
      const message = error instanceof Error ? error.message : String(error);
      container.state = { kind: 'waiting', reason: 'CreateContainerConfigError', message };
      recordEvent(this.api, pod, 'Warning', 'Failed', `Error: ${message}`, 'kubelet');
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
    const startedAt = this.clock.now();
    container.state = { kind: 'running', startedAt };
    recordEvent(this.api, pod, 'Normal', 'Started', `Started container ${container.name}`, 'kubelet');
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
    this.stopContainer(container);
    const finishedAt = this.clock.now();
    const terminated = { kind: 'terminated' as const, exitCode: 1, reason: 'Error', startedAt, finishedAt };
    container.lastTerminated = terminated;
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
        const pod = this.current(runtime);
        if (!pod || runtime.terminating) return;
        container.previousLogs = container.logs;
        container.logs = [];
        try {
          runtime.volumes = this.resolveVolumes(pod, true);
        } catch {
          // keep the volumes the pod already has, as the kubelet does on a failed refresh
        }
        this.startContainer(runtime, pod, container);
        this.writeStatus(runtime);
      },
      backoff,
      runtime,
    );
  }

  private programFor(pod: KubeObject, container: string): ContainerProgram | undefined {
    const workload = this.workloadOf(pod);
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
      cluster: this.clusterName,
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
        if (!signal.aborted) container.servers.set(port, handler);
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

  private appendLog(container: ContainerRuntime, line: string, runtime?: PodRuntime): void {
    for (const part of line.split('\n')) {
      const entry = { ms: this.clock.now(), line: part };
      container.logs.push(entry);
      for (const f of container.followers) f(entry);
      if (runtime)
        for (const tap of this.logTaps)
          tap({ ...entry, namespace: runtime.namespace, pod: runtime.name, container: container.name });
    }
    if (container.logs.length > MAX_LOG_LINES) container.logs.splice(0, container.logs.length - MAX_LOG_LINES);
  }

  // ------------------------------------------------------------------ resolution

  private secretData(namespace: string, name: string): Map<string, Buffer> | undefined {
    const secret = this.api.store.peek(R.secrets, namespace, name);
    if (!secret) return undefined;
    return new Map(Object.entries(rec(secret.data)).map(([k, v]) => [k, Buffer.from(String(v), 'base64')]));
  }

  private configMapData(namespace: string, name: string): Map<string, Buffer> | undefined {
    const cm = this.api.store.peek(R.configmaps, namespace, name);
    if (!cm) return undefined;
    const out = new Map<string, Buffer>();
    for (const [k, v] of Object.entries(rec(cm.data))) out.set(k, Buffer.from(String(v), 'utf8'));
    for (const [k, v] of Object.entries(rec(cm.binaryData))) out.set(k, Buffer.from(String(v), 'base64'));
    return out;
  }

  /** Keys of one secret/configMap source projected to files, honouring `items`. */
  private project(
    kind: 'Secret' | 'ConfigMap',
    namespace: string,
    name: string,
    items: unknown,
    optional: boolean,
  ): Map<string, Buffer> {
    const data = kind === 'Secret' ? this.secretData(namespace, name) : this.configMapData(namespace, name);
    if (!data) {
      if (optional) return new Map();
      throw new ResolveError('NotFound', `${kind === 'Secret' ? 'secret' : 'configmap'} "${name}" not found`);
    }
    const list = arr(items).map(rec);
    if (list.length === 0) return new Map(data);
    const out = new Map<string, Buffer>();
    for (const item of list) {
      const key = String(item.key);
      const bytes = data.get(key);
      if (!bytes) {
        if (optional) continue;
        throw new ResolveError(
          'KeyNotFound',
          kind === 'Secret'
            ? `couldn't find key ${key} in Secret ${namespace}/${name}`
            : `configmap references non-existent config key: ${key}`,
        );
      }
      out.set(String(item.path ?? key), bytes);
    }
    return out;
  }

  private resolveVolumes(pod: KubeObject, lenient: boolean): Map<string, Map<string, Buffer>> {
    const namespace = pod.metadata.namespace ?? '';
    const volumes = new Map<string, Map<string, Buffer>>();
    for (const v of arr(rec(pod.spec).volumes).map(rec)) {
      const name = String(v.name);
      try {
        volumes.set(name, this.resolveVolume(namespace, pod, v));
      } catch (error: unknown) {
        if (lenient) continue;
        const message = error instanceof Error ? error.message : String(error);
        throw new Error(`MountVolume.SetUp failed for volume "${name}" : ${message}`, { cause: error });
      }
    }
    return volumes;
  }

  private resolveVolume(namespace: string, pod: KubeObject, v: Record<string, unknown>): Map<string, Buffer> {
    if (v.secret) {
      const s = rec(v.secret);
      return this.project('Secret', namespace, String(s.secretName), s.items, s.optional === true);
    }
    if (v.configMap) {
      const c = rec(v.configMap);
      return this.project('ConfigMap', namespace, String(c.name), c.items, c.optional === true);
    }
    if (v.projected) {
      const out = new Map<string, Buffer>();
      for (const source of arr(rec(v.projected).sources).map(rec)) {
        let part = new Map<string, Buffer>();
        if (source.secret) {
          const s = rec(source.secret);
          part = this.project('Secret', namespace, String(s.name), s.items, s.optional === true);
        } else if (source.configMap) {
          const c = rec(source.configMap);
          part = this.project('ConfigMap', namespace, String(c.name), c.items, c.optional === true);
        } else if (source.downwardAPI) {
          for (const item of arr(rec(source.downwardAPI).items).map(rec))
            part.set(String(item.path), Buffer.from(this.fieldRef(pod, rec(item.fieldRef)), 'utf8'));
        } else if (source.serviceAccountToken) {
          part.set(
            String(rec(source.serviceAccountToken).path ?? 'token'),
            Buffer.from(`kube-sim-token-${pod.metadata.uid ?? ''}`, 'utf8'),
          );
        }
        for (const [k, b] of part) out.set(k, b);
      }
      return out;
    }
    return new Map();
  }

  private fieldRef(pod: KubeObject, ref: Record<string, unknown>): string {
    const path = String(ref.fieldPath ?? '');
    const label = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
    if (label) return (label[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations)?.[label[2] ?? ''] ?? '';
    const values: Record<string, string> = {
      'metadata.name': pod.metadata.name ?? '',
      'metadata.namespace': pod.metadata.namespace ?? '',
      'metadata.uid': pod.metadata.uid ?? '',
      'spec.nodeName': String(rec(pod.spec).nodeName ?? ''),
      'spec.serviceAccountName': String(rec(pod.spec).serviceAccountName ?? 'default'),
      'status.podIP': this.pods.get(`${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`)?.podIP ?? '',
      'status.hostIP': '10.0.0.1',
    };
    return values[path] ?? '';
  }

  private resolveEnv(pod: KubeObject, container: Record<string, unknown>, runtime: PodRuntime): Record<string, string> {
    const namespace = pod.metadata.namespace ?? '';
    const env: Record<string, string> = {};
    for (const source of arr(container.envFrom).map(rec)) {
      const prefix = String(source.prefix ?? '');
      const ref = rec(source.secretRef ?? source.configMapRef);
      const kind = source.secretRef ? 'Secret' : 'ConfigMap';
      const data =
        kind === 'Secret'
          ? this.secretData(namespace, String(ref.name))
          : this.configMapData(namespace, String(ref.name));
      if (!data) {
        if (ref.optional === true) continue;
        throw new ResolveError(
          'NotFound',
          `${kind === 'Secret' ? 'secret' : 'configmap'} "${String(ref.name)}" not found`,
        );
      }
      for (const [k, v] of data)
        if (/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(prefix + k)) env[prefix + k] = v.toString('utf8');
    }
    for (const e of arr(container.env).map(rec)) {
      const name = String(e.name);
      if (typeof e.value === 'string') {
        env[name] = e.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, v: string) => env[v] ?? whole);
        continue;
      }
      const from = rec(e.valueFrom);
      if (from.secretKeyRef || from.configMapKeyRef) {
        const ref = rec(from.secretKeyRef ?? from.configMapKeyRef);
        const kind = from.secretKeyRef ? 'Secret' : 'ConfigMap';
        const data =
          kind === 'Secret'
            ? this.secretData(namespace, String(ref.name))
            : this.configMapData(namespace, String(ref.name));
        const value = data?.get(String(ref.key));
        if (value === undefined) {
          if (ref.optional === true) continue;
          if (!data)
            throw new ResolveError(
              'NotFound',
              `${kind === 'Secret' ? 'secret' : 'configmap'} "${String(ref.name)}" not found`,
            );
          throw new ResolveError(
            'KeyNotFound',
            `couldn't find key ${String(ref.key)} in ${kind} ${namespace}/${String(ref.name)}`,
          );
        }
        env[name] = value.toString('utf8');
      } else if (from.fieldRef) {
        env[name] =
          rec(from.fieldRef).fieldPath === 'status.podIP' ? runtime.podIP : this.fieldRef(pod, rec(from.fieldRef));
      }
    }
    return env;
  }

  // ------------------------------------------------------------------ volume sync

  private scheduleVolumeSync(namespace: string, kind: 'secret' | 'configMap', name: string): void {
    for (const runtime of this.pods.values()) {
      if (
        runtime.namespace !== namespace ||
        runtime.terminating ||
        runtime.syncPending ||
        runtime.startTime === undefined
      )
        continue;
      const pod = this.current(runtime);
      if (!pod || !this.podReferences(pod, kind, name)) continue;
      runtime.syncPending = true;
      this.later(
        () => {
          runtime.syncPending = false;
          const current = this.current(runtime);
          if (!current || runtime.terminating) return;
          // The kubelet refreshes what it can and keeps the old content of what fails.
          const fresh = this.resolveVolumes(current, true);
          for (const [volume, files] of fresh) runtime.volumes.set(volume, files);
        },
        this.syncDelayMs,
        runtime,
      );
    }
  }

  private podReferences(pod: KubeObject, kind: 'secret' | 'configMap', name: string): boolean {
    for (const v of arr(rec(pod.spec).volumes).map(rec)) {
      if (kind === 'secret' && rec(v.secret).secretName === name) return true;
      if (kind === 'configMap' && rec(v.configMap).name === name) return true;
      for (const s of arr(rec(v.projected).sources).map(rec)) if (rec(s[kind]).name === name) return true;
    }
    return false;
  }

  // ------------------------------------------------------------------ termination

  private stopContainer(container: ContainerRuntime): void {
    container.abort.abort();
    for (const t of container.timers) t.cancel();
    container.timers.clear();
    container.servers.clear();
  }

  private killPod(runtime: PodRuntime): void {
    runtime.terminating = true;
    for (const t of runtime.timers) t.cancel();
    for (const c of runtime.containers.values()) {
      this.stopContainer(c);
      for (const f of c.followers) f(null);
      c.followers.clear();
    }
  }

  private terminate(runtime: PodRuntime, pod: KubeObject): void {
    for (const t of runtime.timers) t.cancel();
    runtime.terminating = true;
    const now = this.clock.now();
    for (const c of runtime.containers.values()) {
      const startedAt = c.state.kind === 'running' ? c.state.startedAt : now;
      this.stopContainer(c);
      for (const f of c.followers) f(null);
      c.followers.clear();
      c.ready = false;
      if (c.state.kind === 'running')
        c.state = { kind: 'terminated', exitCode: 0, reason: 'Completed', startedAt, finishedAt: now };
    }
    recordEvent(
      this.api,
      pod,
      'Normal',
      'Killing',
      `Stopping container ${[...runtime.containers.keys()].join(', ')}`,
      'kubelet',
    );
    this.writeStatus(runtime);
    const grace = num(pod.metadata.deletionGracePeriodSeconds, 30) * 1000;
    this.later(
      () => this.finishDeletion(runtime.namespace, runtime.name, runtime.uid),
      Math.min(this.timingFor(pod).terminateMs, grace),
    );
  }

  private finishDeletion(namespace: string, name: string, uid: string): void {
    const pod = this.api.store.peek(R.pods, namespace, name);
    if (pod && pod.metadata.uid === uid) this.api.store.remove(R.pods, namespace, name);
    const runtime = this.pods.get(`${namespace}/${name}`);
    if (runtime && runtime.uid === uid) this.pods.delete(`${namespace}/${name}`);
  }

  // ------------------------------------------------------------------ status

  private writeStatus(runtime: PodRuntime, mutate?: (pod: KubeObject) => void): void {
    const current = this.current(runtime);
    if (!current) return;
    const pod = clone(current);
    mutate?.(pod);
    const now = this.clock.now();
    const stamp = (ms: number) => this.clock.timestamp(ms);
    const containers = [...runtime.containers.values()];
    const started = runtime.startTime !== undefined;
    const allRunning = containers.every((c) => c.state.kind === 'running');
    const allReady = !runtime.terminating && containers.every((c) => c.ready && c.state.kind === 'running');
    const previous = arr(rec(current.status).conditions).map(rec);
    const cond = (type: string, ok: boolean) => {
      const status = ok ? 'True' : 'False';
      const old = previous.find((c) => c.type === type);
      return {
        type,
        status,
        lastProbeTime: null,
        lastTransitionTime: old?.status === status ? old.lastTransitionTime : stamp(now),
      };
    };
    const containerStatuses = containers.map((c) => {
      const state =
        c.state.kind === 'running'
          ? { running: { startedAt: stamp(c.state.startedAt) } }
          : c.state.kind === 'waiting'
            ? { waiting: { reason: c.state.reason, ...(c.state.message ? { message: c.state.message } : {}) } }
            : {
                terminated: {
                  exitCode: c.state.exitCode,
                  reason: c.state.reason,
                  startedAt: stamp(c.state.startedAt),
                  finishedAt: stamp(c.state.finishedAt),
                },
              };
      const last = c.lastTerminated
        ? {
            terminated: {
              exitCode: c.lastTerminated.exitCode,
              reason: c.lastTerminated.reason,
              startedAt: stamp(c.lastTerminated.startedAt),
              finishedAt: stamp(c.lastTerminated.finishedAt),
            },
          }
        : {};
      return {
        name: c.name,
        image: c.image,
        imageID: `${c.image}@sha256:kube-sim`,
        containerID: `sim://${runtime.uid}/${c.name}/${c.restartCount}`,
        ready: c.ready,
        started: c.state.kind === 'running',
        restartCount: c.restartCount,
        state,
        lastState: last,
      };
    });
    pod.status = {
      phase:
        started && containers.some((c) => c.state.kind === 'running' || c.restartCount > 0) ? 'Running' : 'Pending',
      conditions: [
        cond('PodScheduled', true),
        cond('Initialized', started),
        cond('ContainersReady', allReady && allRunning),
        cond('Ready', allReady && allRunning),
      ],
      hostIP: '10.0.0.1',
      ...(started
        ? { podIP: runtime.podIP, podIPs: [{ ip: runtime.podIP }], startTime: stamp(runtime.startTime ?? now) }
        : {}),
      containerStatuses,
      qosClass: 'BestEffort',
    };
    if (JSON.stringify(pod) !== JSON.stringify(current)) this.api.commit(R.pods, pod);
  }
}
