/**
 * KubeClient: the calls kubecost-rotate makes to one cluster, through @kubernetes/client-node,
 * each bounded in time and turned into a KubeError on failure. Reads retry on answers worth
 * retrying; writes never retry by themselves (the caller decides, with the journal).
 */
import * as k8s from '@kubernetes/client-node';
import type { ClusterTarget } from './kubeconfig.js';
import { CallTimeout, toKubeError, type KubeCall } from './errors.js';

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
  private readonly timeoutMs: number;
  private readonly readAttempts: number;

  constructor(readonly target: ClusterTarget, options: KubeClientOptions = {}) {
    this.cluster = target.name;
    this.core = target.config.makeApiClient(k8s.CoreV1Api);
    this.apps = target.config.makeApiClient(k8s.AppsV1Api);
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
    const list = await this.call({ verb: 'list', resource: 'secrets', ...(namespace ? { namespace } : {}) }, () => (namespace ? this.core.listNamespacedSecret({ namespace }) : this.core.listSecretForAllNamespaces()), this.readAttempts);
    return list.items;
  }

  async listDeployments(namespace?: string): Promise<k8s.V1Deployment[]> {
    const list = await this.call({ verb: 'list', resource: 'deployments', ...(namespace ? { namespace } : {}) }, () => (namespace ? this.apps.listNamespacedDeployment({ namespace }) : this.apps.listDeploymentForAllNamespaces()), this.readAttempts);
    return list.items;
  }

  async listStatefulSets(namespace?: string): Promise<k8s.V1StatefulSet[]> {
    const list = await this.call({ verb: 'list', resource: 'statefulsets', ...(namespace ? { namespace } : {}) }, () => (namespace ? this.apps.listNamespacedStatefulSet({ namespace }) : this.apps.listStatefulSetForAllNamespaces()), this.readAttempts);
    return list.items;
  }

  async listServiceAccounts(namespace?: string): Promise<k8s.V1ServiceAccount[]> {
    const list = await this.call({ verb: 'list', resource: 'serviceaccounts', ...(namespace ? { namespace } : {}) }, () => (namespace ? this.core.listNamespacedServiceAccount({ namespace }) : this.core.listServiceAccountForAllNamespaces()), this.readAttempts);
    return list.items;
  }

  async readSecret(namespace: string, name: string): Promise<k8s.V1Secret> {
    return this.call({ verb: 'get', resource: 'secrets', namespace, name }, () => this.core.readNamespacedSecret({ name, namespace }), this.readAttempts);
  }
}
