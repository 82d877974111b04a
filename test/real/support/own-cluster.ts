/**
 * Clusters of your own (kind, minikube, a test cluster) for the real-cluster discover test, through
 * a kubeconfig: REAL_CLUSTER_KUBECONFIG names it, REAL_CLUSTER_CONTEXTS (comma-separated) the
 * contexts to use (default: every context in it; use distinct clusters). A layout is applied with
 * the kubeconfig's own credentials into namespaces that must not exist yet (it refuses otherwise,
 * so it never touches what you run), and exactly those namespaces are deleted afterwards. Nothing
 * runs the layout's pods there (their images do not exist): discover reads only Secrets,
 * workloads and ServiceAccounts.
 */
import * as k8s from '@kubernetes/client-node';
import { RealCluster, RestClient } from '../../../src/sim/node/index.js';
import type { RenderedLayout } from '../../../src/sim/kubecost/index.js';
import { waitFor } from '../../support/kube.js';

export interface OwnClusters {
  readonly kubeconfig: string;
  readonly contexts: readonly string[];
  install(rendered: RenderedLayout): Promise<void>;
  /** Deletes the namespaces the last install created, and waits until they are gone. */
  clear(): Promise<void>;
}

/** The clusters REAL_CLUSTER_KUBECONFIG names, or undefined when it is not set. */
export function ownClustersFromEnv(env = process.env): OwnClusters | undefined {
  const kubeconfig = env.REAL_CLUSTER_KUBECONFIG;
  if (!kubeconfig) return undefined;
  const base = new k8s.KubeConfig();
  base.loadFromFile(kubeconfig);
  const contexts = env.REAL_CLUSTER_CONTEXTS
    ? env.REAL_CLUSTER_CONTEXTS.split(',').map((c) => c.trim())
    : base.getContexts().map((c) => c.name);
  for (const c of contexts)
    if (!base.getContextObject(c)) throw new Error(`REAL_CLUSTER_CONTEXTS: no context ${c} in ${kubeconfig}`);
  const kcFor = (context: string) => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfig);
    kc.setCurrentContext(context);
    return kc;
  };
  let created: { context: string; namespace: string }[] = [];
  return {
    kubeconfig,
    contexts,
    async install(rendered) {
      for (const context of contexts) {
        const objects = rendered.objects.get(context) ?? [];
        const core = kcFor(context).makeApiClient(k8s.CoreV1Api);
        const namespaces = [...new Set(objects.map((o) => o.metadata.namespace ?? 'default'))];
        const existing = new Set((await core.listNamespace()).items.map((n) => n.metadata?.name));
        const clash = namespaces.filter((n) => existing.has(n));
        if (clash.length > 0)
          throw new Error(
            `${context}: namespace(s) ${clash.join(', ')} already exist; the test installs layouts only into namespaces it creates (delete them or use another cluster)`,
          );
        created.push(...namespaces.map((namespace) => ({ context, namespace })));
        const cluster = new RealCluster(
          { name: context, server: '', caFile: '', adminToken: '', nodes: [] },
          await RestClient.fromKubeConfig(kcFor(context)),
          [],
        );
        for (const o of objects) cluster.apply(o);
        await cluster.settled();
      }
    },
    async clear() {
      const doomed = created;
      created = [];
      await Promise.all(
        doomed.map(async ({ context, namespace }) => {
          const core = kcFor(context).makeApiClient(k8s.CoreV1Api);
          await core.deleteNamespace({ name: namespace }).catch(() => undefined);
          await waitFor(
            `namespace ${namespace} of ${context} to be gone`,
            async () => !(await core.listNamespace()).items.some((n) => n.metadata?.name === namespace),
            180_000,
            500,
          );
        }),
      );
    },
  };
}
