/**
 * discover: read every selected cluster (bounded parallelism) and build the inventory. A cluster
 * that cannot be read is reported in `problems` and the others are still discovered.
 */
import { KubeClient, type KubeClientOptions } from '../kube/client.js';
import { KubeError } from '../kube/errors.js';
import type { ClusterTarget } from '../kube/kubeconfig.js';
import { isInstallationRole, workloadRoleOf } from './components.js';
import { buildInventory, type ClusterSnapshot, type Inventory, type Problem } from './inventory.js';

export interface DiscoverOptions extends KubeClientOptions {
  /** Only this namespace (kubectl -n); all namespaces otherwise. */
  readonly namespace?: string;
  /** How many clusters are read at once. Default 16. */
  readonly parallelism?: number;
  /**
   * Read only what finds sites (workloads and Secrets), not the other readers of Secrets or the
   * service accounts: enough to tell which credentials a cluster holds, at about half the calls.
   */
  readonly sitesOnly?: boolean;
}

function problemOf(cluster: string, error: unknown, hidesSites = true): Problem {
  if (error instanceof KubeError) {
    const namespace = error.call.namespace;
    const hint =
      error.failure === 'Forbidden'
        ? ' Grant kubecost-rotate get/list on deployments, statefulsets, secrets and serviceaccounts.'
        : error.failure === 'Unreachable' || error.failure === 'Timeout'
          ? ' Check the context, the network and the API server.'
          : '';
    return {
      cluster,
      ...(namespace ? { namespace } : {}),
      reason: error.failure,
      message: `${error.message}.${hint}`,
      hidesSites,
    };
  }
  throw error;
}

/** Reads one cluster. Returns the snapshot, or the problems that kept it from being read. */
export async function snapshotCluster(
  client: KubeClient,
  namespace?: string,
  sitesOnly = false,
): Promise<{ snapshot?: ClusterSnapshot; problems: Problem[] }> {
  const cluster = client.cluster;
  const problems: Problem[] = [];
  let deployments, statefulSets;
  try {
    [deployments, statefulSets] = await Promise.all([
      client.listDeployments(namespace),
      client.listStatefulSets(namespace),
    ]);
  } catch (error: unknown) {
    return { problems: [problemOf(cluster, error)] };
  }
  let secrets;
  try {
    secrets = await client.listSecrets(namespace);
  } catch (error: unknown) {
    if (!(error instanceof KubeError && error.failure === 'Forbidden' && !namespace))
      return { problems: [problemOf(cluster, error)] };
    // Listing Secrets cluster-wide is often forbidden; the Kubecost namespaces may still be readable.
    // The same rule as installation detection: any Kubecost component, by its pod template's labels.
    const namespaces = [
      ...new Set(
        [...deployments, ...statefulSets]
          .filter((w) => isInstallationRole(workloadRoleOf(w.spec?.template.metadata?.labels, w.metadata?.labels)))
          .map((w) => w.metadata?.namespace ?? ''),
      ),
    ];
    secrets = [];
    for (const ns of namespaces) {
      try {
        secrets.push(...(await client.listSecrets(ns)));
      } catch (inner: unknown) {
        problems.push(problemOf(cluster, inner));
      }
    }
  }
  if (sitesOnly) return { snapshot: { cluster, deployments, statefulSets, secrets }, problems };
  // The other readers of Secrets: a list that fails hides readers, not sites; say which.
  const readers = await Promise.all(
    (
      [
        ['daemonsets', () => client.listDaemonSets(namespace)],
        ['cronjobs', () => client.listCronJobs(namespace)],
        ['jobs', () => client.listJobs(namespace)],
        ['pods', () => client.listAllPods(namespace)],
      ] as const
    ).map(async ([resource, list]) => {
      try {
        return await list();
      } catch (error: unknown) {
        const problem = problemOf(cluster, error, false);
        problems.push({
          ...problem,
          message: `${problem.message} (${resource}: a reader of a rotated Secret among them would not be restarted or reported; grant get/list on ${resource})`,
        });
        return undefined;
      }
    }),
  );
  const [daemonSets, cronJobs, jobs, pods] = readers as [
    Awaited<ReturnType<KubeClient['listDaemonSets']>> | undefined,
    Awaited<ReturnType<KubeClient['listCronJobs']>> | undefined,
    Awaited<ReturnType<KubeClient['listJobs']>> | undefined,
    Awaited<ReturnType<KubeClient['listAllPods']>> | undefined,
  ];
  let serviceAccounts;
  try {
    serviceAccounts = await client.listServiceAccounts(namespace);
  } catch (error: unknown) {
    // Only the IRSA / Workload Identity hints need these; say so and go on.
    problems.push({
      ...problemOf(cluster, error, false),
      message: `${problemOf(cluster, error).message} (service accounts are only used to tell whether a workload could use IRSA or Workload Identity instead of a key)`,
    });
  }
  return {
    snapshot: {
      cluster,
      deployments,
      statefulSets,
      secrets,
      ...(daemonSets ? { daemonSets } : {}),
      ...(cronJobs ? { cronJobs } : {}),
      ...(jobs ? { jobs } : {}),
      ...(pods ? { pods } : {}),
      ...(serviceAccounts ? { serviceAccounts } : {}),
    },
    problems,
  };
}

/** Discovers the selected clusters. Never throws for a cluster that fails; that is a problem. */
export async function discover(targets: readonly ClusterTarget[], options: DiscoverOptions = {}): Promise<Inventory> {
  const parallelism = Math.max(1, options.parallelism ?? 16);
  const snapshots: ClusterSnapshot[] = [];
  const problems: Problem[] = [];
  const queue = [...targets];
  const results = new Map<string, { snapshot?: ClusterSnapshot; problems: Problem[] }>();
  await Promise.all(
    Array.from({ length: Math.min(parallelism, queue.length) }, async () => {
      for (let target = queue.shift(); target; target = queue.shift()) {
        const client = new KubeClient(target, options);
        results.set(
          target.name,
          await snapshotCluster(client, options.namespace ?? undefined, options.sitesOnly === true),
        );
      }
    }),
  );
  // Keep the kubeconfig's order, whatever order the clusters answered in.
  for (const target of targets) {
    const result = results.get(target.name);
    if (result?.snapshot) snapshots.push(result.snapshot);
    problems.push(...(result?.problems ?? []));
  }
  return buildInventory(snapshots, problems);
}
