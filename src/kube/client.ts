/**
 * KubeClient: the calls kubecost-rotate makes to one cluster, through @kubernetes/client-node,
 * each bounded in time and turned into a KubeError on failure. Reads retry on answers worth
 * retrying; writes never retry by themselves (the caller decides, with the journal).
 */
import * as k8s from '@kubernetes/client-node';
import type { ClusterTarget } from './kubeconfig.js';
import { CallTimeout, KubeError, toKubeError, type KubeCall } from './errors.js';

export interface KubeClientOptions {
  /** How long one call may take before it counts as unreachable. Default 15 s. */
  readonly timeoutMs?: number;
  /** Attempts for reads that fail in a retryable way. Default 3. */
  readonly readAttempts?: number;
}

export class KubeClient {
  readonly cluster: string;
  private readonly core: k8s.CoreV1Api;
  private readonly apps: k8s.AppsV1Api;
  private readonly coordination: k8s.CoordinationV1Api;
  private readonly timeoutMs: number;
  private readonly readAttempts: number;

  constructor(
    readonly target: ClusterTarget,
    options: KubeClientOptions = {},
  ) {
    this.cluster = target.name;
    this.core = target.config.makeApiClient(k8s.CoreV1Api);
    this.apps = target.config.makeApiClient(k8s.AppsV1Api);
    this.coordination = target.config.makeApiClient(k8s.CoordinationV1Api);
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.readAttempts = options.readAttempts ?? 3;
  }

  private async call<T>(call: Omit<KubeCall, 'cluster'>, fn: () => Promise<T>, attempts = 1): Promise<T> {
    const full: KubeCall = { cluster: this.cluster, ...call };
    for (let attempt = 1; ; attempt++) {
      let timer: NodeJS.Timeout | undefined;
      try {
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new CallTimeout(this.timeoutMs)), this.timeoutMs);
        });
        return await Promise.race([fn(), timeout]);
      } catch (error: unknown) {
        const kubeError = toKubeError(full, error);
        if (attempt >= attempts || !kubeError.retryable) throw kubeError;
        await new Promise((r) => setTimeout(r, 100 * 2 ** (attempt - 1)));
      } finally {
        clearTimeout(timer);
      }
    }
  }

  async listSecrets(namespace?: string): Promise<k8s.V1Secret[]> {
    const list = await this.call(
      { verb: 'list', resource: 'secrets', ...(namespace ? { namespace } : {}) },
      () => (namespace ? this.core.listNamespacedSecret({ namespace }) : this.core.listSecretForAllNamespaces()),
      this.readAttempts,
    );
    return list.items;
  }

  async listDeployments(namespace?: string): Promise<k8s.V1Deployment[]> {
    const list = await this.call(
      { verb: 'list', resource: 'deployments', ...(namespace ? { namespace } : {}) },
      () =>
        namespace ? this.apps.listNamespacedDeployment({ namespace }) : this.apps.listDeploymentForAllNamespaces(),
      this.readAttempts,
    );
    return list.items;
  }

  async listStatefulSets(namespace?: string): Promise<k8s.V1StatefulSet[]> {
    const list = await this.call(
      { verb: 'list', resource: 'statefulsets', ...(namespace ? { namespace } : {}) },
      () =>
        namespace ? this.apps.listNamespacedStatefulSet({ namespace }) : this.apps.listStatefulSetForAllNamespaces(),
      this.readAttempts,
    );
    return list.items;
  }

  async listServiceAccounts(namespace?: string): Promise<k8s.V1ServiceAccount[]> {
    const list = await this.call(
      { verb: 'list', resource: 'serviceaccounts', ...(namespace ? { namespace } : {}) },
      () =>
        namespace
          ? this.core.listNamespacedServiceAccount({ namespace })
          : this.core.listServiceAccountForAllNamespaces(),
      this.readAttempts,
    );
    return list.items;
  }

  async readSecret(namespace: string, name: string): Promise<k8s.V1Secret> {
    return this.call(
      { verb: 'get', resource: 'secrets', namespace, name },
      () => this.core.readNamespacedSecret({ name, namespace }),
      this.readAttempts,
    );
  }

  /** Replaces a Secret. The body must carry the resourceVersion it was read at: a stale one fails with Conflict. */
  async replaceSecret(secret: k8s.V1Secret): Promise<k8s.V1Secret> {
    const namespace = secret.metadata?.namespace ?? '';
    const name = secret.metadata?.name ?? '';
    if (!secret.metadata?.resourceVersion)
      throw new Error(`refusing to write Secret ${namespace}/${name} without the resourceVersion it was read at`);
    return this.call({ verb: 'update', resource: 'secrets', namespace, name }, () =>
      this.core.replaceNamespacedSecret({ name, namespace, body: secret }),
    );
  }

  async createSecret(secret: k8s.V1Secret): Promise<k8s.V1Secret> {
    const namespace = secret.metadata?.namespace ?? '';
    return this.call({ verb: 'create', resource: 'secrets', namespace, name: secret.metadata?.name ?? '' }, () =>
      this.core.createNamespacedSecret({ namespace, body: secret }),
    );
  }

  async listSecretsByLabel(labelSelector: string, namespace?: string): Promise<k8s.V1Secret[]> {
    const list = await this.call(
      { verb: 'list', resource: 'secrets', ...(namespace ? { namespace } : {}) },
      () =>
        namespace
          ? this.core.listNamespacedSecret({ namespace, labelSelector })
          : this.core.listSecretForAllNamespaces({ labelSelector }),
      this.readAttempts,
    );
    return list.items;
  }

  async readWorkload(
    kind: WorkloadKind,
    namespace: string,
    name: string,
  ): Promise<k8s.V1Deployment | k8s.V1StatefulSet> {
    const resource = kind === 'Deployment' ? 'deployments' : 'statefulsets';
    return this.call(
      { verb: 'get', resource, namespace, name },
      () =>
        kind === 'Deployment'
          ? this.apps.readNamespacedDeployment({ name, namespace })
          : this.apps.readNamespacedStatefulSet({ name, namespace }),
      this.readAttempts,
    );
  }

  /** Strategic-merge-patches a workload's pod template annotations (what `kubectl rollout restart` does). */
  async annotatePodTemplate(
    kind: WorkloadKind,
    namespace: string,
    name: string,
    annotations: Record<string, string>,
  ): Promise<k8s.V1Deployment | k8s.V1StatefulSet> {
    const resource = kind === 'Deployment' ? 'deployments' : 'statefulsets';
    const body = { spec: { template: { metadata: { annotations } } } };
    const options = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch);
    return this.call({ verb: 'patch', resource, namespace, name }, () =>
      kind === 'Deployment'
        ? this.apps.patchNamespacedDeployment({ name, namespace, body }, options)
        : this.apps.patchNamespacedStatefulSet({ name, namespace, body }, options),
    );
  }

  async listPods(namespace: string, labelSelector: string): Promise<k8s.V1Pod[]> {
    const list = await this.call(
      { verb: 'list', resource: 'pods', namespace },
      () => this.core.listNamespacedPod({ namespace, labelSelector }),
      this.readAttempts,
    );
    return list.items;
  }

  /** A container's log lines since `sinceTime` (RFC 3339), with timestamps. */
  async readPodLog(namespace: string, pod: string, container: string, sinceTime: string): Promise<string> {
    // client-node 1.4's generated API has no sinceTime parameter; add it to the query.
    const addSince: k8s.ConfigurationOptions = {
      middleware: [
        {
          pre: (context) => {
            const url = new URL(context.getUrl());
            url.searchParams.set('sinceTime', sinceTime);
            context.setUrl(url.toString());
            return new k8s.Observable(Promise.resolve(context));
          },
          post: (context) => new k8s.Observable(Promise.resolve(context)),
        },
      ],
      middlewareMergeStrategy: 'append',
    };
    return this.call(
      { verb: 'get', resource: 'pods/log', namespace, name: pod },
      () => this.core.readNamespacedPodLog({ name: pod, namespace, container, timestamps: true }, addSince),
      this.readAttempts,
    );
  }

  /** GET through the API server's service proxy; resolves with the parsed JSON body (or text). */
  async getThroughServiceProxy(
    namespace: string,
    service: string,
    port: number | string,
    path: string,
  ): Promise<unknown> {
    return this.call({ verb: 'get', resource: 'services/proxy', namespace, name: `${service}:${port}` }, () =>
      this.core.connectGetNamespacedServiceProxyWithPath({
        name: `${service}:${port}`,
        namespace,
        path: path.replace(/^\/+/, ''),
      }),
    );
  }

  /** The Lease, or undefined when there is none. */
  async readLease(namespace: string, name: string): Promise<k8s.V1Lease | undefined> {
    try {
      return await this.call(
        { verb: 'get', resource: 'leases', namespace, name },
        () => this.coordination.readNamespacedLease({ name, namespace }),
        this.readAttempts,
      );
    } catch (error: unknown) {
      if (error instanceof KubeError && error.failure === 'NotFound') return undefined;
      throw error;
    }
  }

  async createLease(lease: k8s.V1Lease): Promise<k8s.V1Lease> {
    const namespace = lease.metadata?.namespace ?? '';
    return this.call({ verb: 'create', resource: 'leases', namespace, name: lease.metadata?.name ?? '' }, () =>
      this.coordination.createNamespacedLease({ namespace, body: lease }),
    );
  }

  /** Replaces a Lease; the body carries the resourceVersion it was read at. */
  async replaceLease(lease: k8s.V1Lease): Promise<k8s.V1Lease> {
    const namespace = lease.metadata?.namespace ?? '';
    const name = lease.metadata?.name ?? '';
    return this.call({ verb: 'update', resource: 'leases', namespace, name }, () =>
      this.coordination.replaceNamespacedLease({ name, namespace, body: lease }),
    );
  }

  async deleteLease(namespace: string, name: string, resourceVersion: string): Promise<void> {
    await this.call({ verb: 'delete', resource: 'leases', namespace, name }, () =>
      this.coordination.deleteNamespacedLease({ name, namespace, body: { preconditions: { resourceVersion } } }),
    );
  }

  async createEvent(namespace: string, event: k8s.CoreV1Event): Promise<void> {
    await this.call({ verb: 'create', resource: 'events', namespace }, () =>
      this.core.createNamespacedEvent({ namespace, body: event }),
    );
  }
}

export type WorkloadKind = 'Deployment' | 'StatefulSet';
