/**
 * KubeClient: the calls kubecost-rotate makes to one cluster, through @kubernetes/client-node,
 * each bounded in time and turned into a KubeError on failure. A call that times out is cancelled
 * (its connection closed), so it cannot land later unnoticed by this process. Reads retry on
 * answers worth retrying, as long as a 429's Retry-After asks; writes never retry by themselves
 * (the caller decides, with the journal).
 */
import * as k8s from '@kubernetes/client-node';
import { systemClock, type Clock } from '../shared/clock.js';
import { retry } from '../shared/retry.js';
import type { ClusterTarget } from './kubeconfig.js';
import { CallAborted, CallTimeout, failureOf, KubeError, type KubeCall } from './errors.js';
import { toKubeError } from './to-kube-error.js';

export interface KubeClientOptions {
  /** How long one call may take before it counts as unreachable. Default 15 s. */
  readonly timeoutMs?: number;
  /** Attempts for reads that fail in a retryable way. Default 3. */
  readonly readAttempts?: number;
  /** Time-outs and back-off run on it. Default: real time. */
  readonly clock?: Clock;
}

/** The kinds of workload kubecost-rotate restarts (by a new pod-template annotation, as `kubectl rollout restart`). */
export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';

/** Every kind of object whose pods can read a Secret: the restartable workloads, batch work and bare Pods. */
export type ConsumerKind = WorkloadKind | 'CronJob' | 'Job' | 'Pod';

/** A restartable workload as the API serves it. */
export type Workload = k8s.V1Deployment | k8s.V1StatefulSet | k8s.V1DaemonSet;

const RESOURCE: Readonly<Record<WorkloadKind, string>> = {
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
};

/** Per-request options for client-node: the signal that cancels it, and more middleware. */
type RequestOptions = k8s.ConfigurationOptions;

export class KubeClient {
  readonly cluster: string;
  private readonly core: k8s.CoreV1Api;
  private readonly apps: k8s.AppsV1Api;
  private readonly coordination: k8s.CoordinationV1Api;
  private readonly batch: k8s.BatchV1Api;
  private readonly timeoutMs: number;
  private readonly readAttempts: number;
  private readonly clock: Clock;

  constructor(
    readonly target: ClusterTarget,
    options: KubeClientOptions = {},
  ) {
    this.cluster = target.name;
    this.core = target.config.makeApiClient(k8s.CoreV1Api);
    this.apps = target.config.makeApiClient(k8s.AppsV1Api);
    this.coordination = target.config.makeApiClient(k8s.CoordinationV1Api);
    this.batch = target.config.makeApiClient(k8s.BatchV1Api);
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.readAttempts = options.readAttempts ?? 3;
    this.clock = options.clock ?? systemClock;
  }

  /**
   * One call, `attempts` times at most while it fails in a retryable way. Each attempt is
   * cancelled when it takes longer than the time-out or when `signal` aborts; `fn` must pass the
   * options it gets to client-node (they carry the cancelling signal).
   */
  private async call<T>(
    call: Omit<KubeCall, 'cluster'>,
    fn: (options: RequestOptions) => Promise<T>,
    attempts = 1,
    signal?: AbortSignal,
    extra: readonly k8s.ObservableMiddleware[] = [],
  ): Promise<T> {
    const full: KubeCall = { cluster: this.cluster, ...call };
    return retry(() => this.attempt(full, fn, signal, extra), {
      clock: this.clock,
      policy: { attempts, baseMs: 100 },
      retryable: (error) =>
        error instanceof KubeError && error.retryable
          ? error.retryAfterMs !== undefined
            ? { afterMs: error.retryAfterMs }
            : {}
          : false,
      ...(signal ? { signal } : {}),
    }).catch((error: unknown) => {
      // The wait between attempts was cancelled by the caller.
      throw toKubeError(full, signal?.aborted && !(error instanceof KubeError) ? new CallAborted() : error);
    });
  }

  private async attempt<T>(
    call: KubeCall,
    fn: (options: RequestOptions) => Promise<T>,
    signal: AbortSignal | undefined,
    extra: readonly k8s.ObservableMiddleware[],
  ): Promise<T> {
    const timeout = this.clock.timeout(this.timeoutMs);
    const cancel = signal ? AbortSignal.any([timeout, signal]) : timeout;
    const options: RequestOptions = {
      middleware: [
        {
          pre: (context) => {
            context.setSignal(cancel);
            return new k8s.Observable(Promise.resolve(context));
          },
          post: (context) => new k8s.Observable(Promise.resolve(context)),
        },
        ...extra,
      ],
      middlewareMergeStrategy: 'append',
    };
    let onAbort: (() => void) | undefined;
    // The request rejects on abort by itself; the race makes sure the caller never waits on it longer.
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(timeout.aborted ? new CallTimeout(this.timeoutMs) : new CallAborted());
      if (cancel.aborted) onAbort();
      else cancel.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([fn(options), aborted]);
    } catch (error: unknown) {
      if (cancel.aborted)
        throw toKubeError(call, timeout.aborted ? new CallTimeout(this.timeoutMs) : new CallAborted());
      throw toKubeError(call, error);
    } finally {
      if (onAbort) cancel.removeEventListener('abort', onAbort);
    }
  }

  async listSecrets(namespace?: string, signal?: AbortSignal): Promise<k8s.V1Secret[]> {
    const list = await this.call(
      { verb: 'list', resource: 'secrets', ...(namespace ? { namespace } : {}) },
      (o) =>
        namespace ? this.core.listNamespacedSecret({ namespace }, o) : this.core.listSecretForAllNamespaces({}, o),
      this.readAttempts,
      signal,
    );
    return list.items;
  }

  async listDeployments(namespace?: string, signal?: AbortSignal): Promise<k8s.V1Deployment[]> {
    const list = await this.call(
      { verb: 'list', resource: 'deployments', ...(namespace ? { namespace } : {}) },
      (o) =>
        namespace
          ? this.apps.listNamespacedDeployment({ namespace }, o)
          : this.apps.listDeploymentForAllNamespaces({}, o),
      this.readAttempts,
      signal,
    );
    return list.items;
  }

  async listStatefulSets(namespace?: string, signal?: AbortSignal): Promise<k8s.V1StatefulSet[]> {
    const list = await this.call(
      { verb: 'list', resource: 'statefulsets', ...(namespace ? { namespace } : {}) },
      (o) =>
        namespace
          ? this.apps.listNamespacedStatefulSet({ namespace }, o)
          : this.apps.listStatefulSetForAllNamespaces({}, o),
      this.readAttempts,
      signal,
    );
    return list.items;
  }

  async listDaemonSets(namespace?: string, signal?: AbortSignal): Promise<k8s.V1DaemonSet[]> {
    const list = await this.call(
      { verb: 'list', resource: 'daemonsets', ...(namespace ? { namespace } : {}) },
      (o) =>
        namespace
          ? this.apps.listNamespacedDaemonSet({ namespace }, o)
          : this.apps.listDaemonSetForAllNamespaces({}, o),
      this.readAttempts,
      signal,
    );
    return list.items;
  }

  async listCronJobs(namespace?: string, signal?: AbortSignal): Promise<k8s.V1CronJob[]> {
    const list = await this.call(
      { verb: 'list', resource: 'cronjobs', ...(namespace ? { namespace } : {}) },
      (o) =>
        namespace ? this.batch.listNamespacedCronJob({ namespace }, o) : this.batch.listCronJobForAllNamespaces({}, o),
      this.readAttempts,
      signal,
    );
    return list.items;
  }

  async listJobs(namespace?: string, signal?: AbortSignal): Promise<k8s.V1Job[]> {
    const list = await this.call(
      { verb: 'list', resource: 'jobs', ...(namespace ? { namespace } : {}) },
      (o) => (namespace ? this.batch.listNamespacedJob({ namespace }, o) : this.batch.listJobForAllNamespaces({}, o)),
      this.readAttempts,
      signal,
    );
    return list.items;
  }

  /** Every pod of a namespace (or of the cluster), whoever owns it. */
  async listAllPods(namespace?: string, signal?: AbortSignal): Promise<k8s.V1Pod[]> {
    const list = await this.call(
      { verb: 'list', resource: 'pods', ...(namespace ? { namespace } : {}) },
      (o) => (namespace ? this.core.listNamespacedPod({ namespace }, o) : this.core.listPodForAllNamespaces({}, o)),
      this.readAttempts,
      signal,
    );
    return list.items;
  }

  async listServiceAccounts(namespace?: string, signal?: AbortSignal): Promise<k8s.V1ServiceAccount[]> {
    const list = await this.call(
      { verb: 'list', resource: 'serviceaccounts', ...(namespace ? { namespace } : {}) },
      (o) =>
        namespace
          ? this.core.listNamespacedServiceAccount({ namespace }, o)
          : this.core.listServiceAccountForAllNamespaces({}, o),
      this.readAttempts,
      signal,
    );
    return list.items;
  }

  async readSecret(namespace: string, name: string, signal?: AbortSignal): Promise<k8s.V1Secret> {
    return this.call(
      { verb: 'get', resource: 'secrets', namespace, name },
      (o) => this.core.readNamespacedSecret({ name, namespace }, o),
      this.readAttempts,
      signal,
    );
  }

  /** Replaces a Secret. The body must carry the resourceVersion it was read at: a stale one fails with Conflict. */
  async replaceSecret(secret: k8s.V1Secret): Promise<k8s.V1Secret> {
    const namespace = secret.metadata?.namespace ?? '';
    const name = secret.metadata?.name ?? '';
    if (!secret.metadata?.resourceVersion)
      throw new Error(`refusing to write Secret ${namespace}/${name} without the resourceVersion it was read at`);
    return this.call({ verb: 'update', resource: 'secrets', namespace, name }, (o) =>
      this.core.replaceNamespacedSecret({ name, namespace, body: secret }, o),
    );
  }

  async createSecret(secret: k8s.V1Secret): Promise<k8s.V1Secret> {
    const namespace = secret.metadata?.namespace ?? '';
    return this.call({ verb: 'create', resource: 'secrets', namespace, name: secret.metadata?.name ?? '' }, (o) =>
      this.core.createNamespacedSecret({ namespace, body: secret }, o),
    );
  }

  /** Deletes a Secret, only if it is still at `resourceVersion` (a precondition: else Conflict). */
  async deleteSecret(namespace: string, name: string, resourceVersion: string): Promise<void> {
    await this.call({ verb: 'delete', resource: 'secrets', namespace, name }, (o) =>
      this.core.deleteNamespacedSecret({ name, namespace, body: { preconditions: { resourceVersion } } }, o),
    );
  }

  async listSecretsByLabel(labelSelector: string, namespace?: string, signal?: AbortSignal): Promise<k8s.V1Secret[]> {
    const list = await this.call(
      { verb: 'list', resource: 'secrets', ...(namespace ? { namespace } : {}) },
      (o) =>
        namespace
          ? this.core.listNamespacedSecret({ namespace, labelSelector }, o)
          : this.core.listSecretForAllNamespaces({ labelSelector }, o),
      this.readAttempts,
      signal,
    );
    return list.items;
  }

  async readWorkload(kind: WorkloadKind, namespace: string, name: string, signal?: AbortSignal): Promise<Workload> {
    return this.call(
      { verb: 'get', resource: RESOURCE[kind], namespace, name },
      (o): Promise<Workload> =>
        kind === 'Deployment'
          ? this.apps.readNamespacedDeployment({ name, namespace }, o)
          : kind === 'StatefulSet'
            ? this.apps.readNamespacedStatefulSet({ name, namespace }, o)
            : this.apps.readNamespacedDaemonSet({ name, namespace }, o),
      this.readAttempts,
      signal,
    );
  }

  /** The Deployments, StatefulSets or DaemonSets of a namespace, with the list's resourceVersion (to watch from). */
  async listWorkloads(
    kind: WorkloadKind,
    namespace: string,
    signal?: AbortSignal,
  ): Promise<{ items: Workload[]; resourceVersion: string }> {
    const list = await this.call(
      { verb: 'list', resource: RESOURCE[kind], namespace },
      (o): Promise<k8s.V1DeploymentList | k8s.V1StatefulSetList | k8s.V1DaemonSetList> =>
        kind === 'Deployment'
          ? this.apps.listNamespacedDeployment({ namespace }, o)
          : kind === 'StatefulSet'
            ? this.apps.listNamespacedStatefulSet({ namespace }, o)
            : this.apps.listNamespacedDaemonSet({ namespace }, o),
      this.readAttempts,
      signal,
    );
    return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  /**
   * Watches the workloads of one kind in a namespace from `resourceVersion`, calling `onEvent`
   * for each change. Resolves when the watch ends: the server closed it, or `signal` aborted;
   * rejects with a KubeError when it could not be opened or broke.
   */
  async watchWorkloads(
    kind: WorkloadKind,
    namespace: string,
    resourceVersion: string,
    onEvent: (type: string, object: Workload) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const resource = RESOURCE[kind];
    const call: KubeCall = { cluster: this.cluster, verb: 'watch', resource, namespace };
    if (signal.aborted) return;
    const watch = new k8s.Watch(this.target.config);
    await new Promise<void>((resolve, reject) => {
      let controller: AbortController | undefined;
      const onAbort = () => controller?.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      const done = (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        if (!error || signal.aborted || (error instanceof Error && error.name === 'AbortError')) resolve();
        else reject(watchError(call, error));
      };
      watch
        .watch(
          `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/${resource}`,
          { resourceVersion, allowWatchBookmarks: true },
          (type: string, object: Workload) => onEvent(type, object),
          done,
        )
        .then((c) => {
          controller = c;
          if (signal.aborted) c.abort();
        }, done);
    });
  }

  /** Strategic-merge-patches a workload's pod template annotations (what `kubectl rollout restart` does). */
  async annotatePodTemplate(
    kind: WorkloadKind,
    namespace: string,
    name: string,
    annotations: Record<string, string>,
  ): Promise<Workload> {
    const body = { spec: { template: { metadata: { annotations } } } };
    return this.call(
      { verb: 'patch', resource: RESOURCE[kind], namespace, name },
      (o): Promise<Workload> =>
        kind === 'Deployment'
          ? this.apps.patchNamespacedDeployment({ name, namespace, body }, o)
          : kind === 'StatefulSet'
            ? this.apps.patchNamespacedStatefulSet({ name, namespace, body }, o)
            : this.apps.patchNamespacedDaemonSet({ name, namespace, body }, o),
      1,
      undefined,
      [contentType(k8s.PatchStrategy.StrategicMergePatch)],
    );
  }

  async listPods(namespace: string, labelSelector: string, signal?: AbortSignal): Promise<k8s.V1Pod[]> {
    const list = await this.call(
      { verb: 'list', resource: 'pods', namespace },
      (o) => this.core.listNamespacedPod({ namespace, labelSelector }, o),
      this.readAttempts,
      signal,
    );
    return list.items;
  }

  /** A container's log lines since `sinceTime` (RFC 3339), with timestamps. */
  async readPodLog(
    namespace: string,
    pod: string,
    container: string,
    sinceTime: string,
    signal?: AbortSignal,
  ): Promise<string> {
    // client-node 1.4's generated API has no sinceTime parameter; add it to the query.
    const addSince: k8s.ObservableMiddleware = {
      pre: (context) => {
        const url = new URL(context.getUrl());
        url.searchParams.set('sinceTime', sinceTime);
        context.setUrl(url.toString());
        return new k8s.Observable(Promise.resolve(context));
      },
      post: (context) => new k8s.Observable(Promise.resolve(context)),
    };
    return this.call(
      { verb: 'get', resource: 'pods/log', namespace, name: pod },
      (o) => this.core.readNamespacedPodLog({ name: pod, namespace, container, timestamps: true }, o),
      this.readAttempts,
      signal,
      [addSince],
    );
  }

  /** GET through the API server's service proxy; resolves with the parsed JSON body (or text). */
  async getThroughServiceProxy(
    namespace: string,
    service: string,
    port: number | string,
    path: string,
    signal?: AbortSignal,
  ): Promise<unknown> {
    return this.call(
      { verb: 'get', resource: 'services/proxy', namespace, name: `${service}:${port}` },
      (o) =>
        this.core.connectGetNamespacedServiceProxyWithPath(
          { name: `${service}:${port}`, namespace, path: path.replace(/^\/+/, '') },
          o,
        ),
      1,
      signal,
    );
  }

  /** The Lease, or undefined when there is none. */
  async readLease(namespace: string, name: string, signal?: AbortSignal): Promise<k8s.V1Lease | undefined> {
    try {
      return await this.call(
        { verb: 'get', resource: 'leases', namespace, name },
        (o) => this.coordination.readNamespacedLease({ name, namespace }, o),
        this.readAttempts,
        signal,
      );
    } catch (error: unknown) {
      if (error instanceof KubeError && error.failure === 'NotFound') return undefined;
      throw error;
    }
  }

  async createLease(lease: k8s.V1Lease): Promise<k8s.V1Lease> {
    const namespace = lease.metadata?.namespace ?? '';
    return this.call({ verb: 'create', resource: 'leases', namespace, name: lease.metadata?.name ?? '' }, (o) =>
      this.coordination.createNamespacedLease({ namespace, body: lease }, o),
    );
  }

  /** Replaces a Lease; the body carries the resourceVersion it was read at. */
  async replaceLease(lease: k8s.V1Lease): Promise<k8s.V1Lease> {
    const namespace = lease.metadata?.namespace ?? '';
    const name = lease.metadata?.name ?? '';
    return this.call({ verb: 'update', resource: 'leases', namespace, name }, (o) =>
      this.coordination.replaceNamespacedLease({ name, namespace, body: lease }, o),
    );
  }

  async deleteLease(namespace: string, name: string, resourceVersion: string): Promise<void> {
    await this.call({ verb: 'delete', resource: 'leases', namespace, name }, (o) =>
      this.coordination.deleteNamespacedLease({ name, namespace, body: { preconditions: { resourceVersion } } }, o),
    );
  }

  async createEvent(namespace: string, event: k8s.CoreV1Event): Promise<void> {
    await this.call({ verb: 'create', resource: 'events', namespace }, (o) =>
      this.core.createNamespacedEvent({ namespace, body: event }, o),
    );
  }
}

/** What a failed watch means: the HTTP status it got, or no answer. */
function watchError(call: KubeCall, error: unknown): KubeError {
  const code = (error as { statusCode?: unknown }).statusCode;
  if (typeof code === 'number')
    return new KubeError(call, failureOf(code), code, `HTTP ${code}: ${error instanceof Error ? error.message : ''}`, {
      cause: error,
    });
  return toKubeError(call, error);
}

/** A middleware that sets the request's Content-Type (client-node's setHeaderOptions, as a middleware). */
function contentType(value: string): k8s.ObservableMiddleware {
  return {
    pre: (context) => {
      context.setHeaderParam('Content-Type', value);
      return new k8s.Observable(Promise.resolve(context));
    },
    post: (context) => new k8s.Observable(Promise.resolve(context)),
  };
}
