/**
 * What a Kubecost layout, its programs and the sandbox need from a cluster: kube-sim's own
 * SimCluster, or a real API server with the node agent running its pods. Keeping them to this
 * surface lets the same layouts and emulated clouds run on both.
 */
import type { ProgramBinding } from './program.js';
import type { KubeObject } from './types.js';

export interface ClusterTarget {
  /** The kubeconfig context name of the cluster. */
  readonly name: string;
  /** Creates the object, or replaces it when it exists (seeding, not an API client of the tool). */
  apply(object: KubeObject): unknown;
  /** Runs programs as the containers of matching pods. */
  readonly kubelet: { bind(binding: ProgramBinding): () => void };
}

export interface FleetTarget {
  readonly clusters: readonly ClusterTarget[];
}
