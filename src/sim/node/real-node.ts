/**
 * One node of a real cluster: the node agent on the API-server backend (authenticated as the
 * Node by its client certificate), its kubelet API for pods/log, and the programs' HTTP on the
 * pod IPs of its pod CIDR.
 */
import * as k8s from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import { SimClock } from '../kube/clock.js';
import { NodeAgent } from './agent.js';
import { ApiServerBackend } from './apiserver-backend.js';
import { CidrPool } from './ip-pool.js';
import { startKubeletServer, type KubeletServer } from './kubelet-server.js';
import { HttpPodNetwork } from './pod-network.js';
import { RestClient } from './rest.js';
import type { NodeClock, PodTiming } from './types.js';

/** A node as the control plane's clusters.json describes it. */
export interface RealNodeSpec {
  readonly name: string;
  readonly address: string;
  readonly kubeletPort: number;
  readonly podCidr: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  readonly servingCertFile: string;
  readonly servingKeyFile: string;
  readonly apiserverClientCaFile: string;
}

export interface RealNodeOptions {
  /** The cluster's name (what programs see as ContainerContext.cluster). */
  readonly cluster: string;
  readonly server: string;
  readonly caFile: string;
  readonly node: RealNodeSpec;
  readonly kubernetesVersion?: string;
  readonly timing?: Partial<PodTiming>;
  readonly syncDelayMs?: number;
  readonly clock?: NodeClock;
  /** Background failures the agent recovers from (default: printed on stderr). */
  readonly onError?: (message: string) => void;
}

/** Start/ready/terminate latencies of real-cluster pods: short, as in kube-sim's tests. */
export const REAL_NODE_TIMING: PodTiming = { startMs: 40, readyMs: 40, terminateMs: 30 };
export const REAL_NODE_SYNC_DELAY_MS = 1000;

export class RealNode {
  private constructor(
    readonly agent: NodeAgent,
    readonly backend: ApiServerBackend,
    private readonly network: HttpPodNetwork,
    private readonly kubelet: KubeletServer,
  ) {}

  get name(): string {
    return this.agent.nodeName;
  }

  static async start(options: RealNodeOptions): Promise<RealNode> {
    const { node } = options;
    const onError = options.onError ?? ((m: string) => console.error(`node agent: ${m}`));
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: options.cluster, server: options.server, caFile: options.caFile }],
      users: [{ name: `system:node:${node.name}`, certFile: node.clientCertFile, keyFile: node.clientKeyFile }],
      contexts: [{ name: options.cluster, cluster: options.cluster, user: `system:node:${node.name}` }],
      currentContext: options.cluster,
    });
    const rest = await RestClient.fromKubeConfig(kc);
    const clock = options.clock ?? new SimClock();
    const backend = new ApiServerBackend({
      rest,
      nodeName: node.name,
      address: node.address,
      kubeletPort: node.kubeletPort,
      podCidr: node.podCidr,
      clock,
      ...(options.kubernetesVersion ? { kubernetesVersion: options.kubernetesVersion } : {}),
      onError,
    });
    const network = new HttpPodNetwork(onError);
    const agent = new NodeAgent(backend, {
      nodeName: node.name,
      cluster: options.cluster,
      clock,
      hostIP: node.address,
      timing: { ...REAL_NODE_TIMING, ...options.timing },
      syncDelayMs: options.syncDelayMs ?? REAL_NODE_SYNC_DELAY_MS,
      podIPs: new CidrPool(node.podCidr),
      network,
    });
    const [certPem, keyPem, clientCaPem] = await Promise.all(
      [node.servingCertFile, node.servingKeyFile, node.apiserverClientCaFile].map((f) => readFile(f, 'utf8')),
    );
    // The kubelet API serves before the Node is registered, so pods/log works from the first pod on.
    const kubelet = await startKubeletServer(agent, {
      address: node.address,
      port: node.kubeletPort,
      certPem: certPem ?? '',
      keyPem: keyPem ?? '',
      clientCaPem: clientCaPem ?? '',
    });
    try {
      await backend.register();
    } catch (error: unknown) {
      await kubelet.close();
      backend.stop();
      throw new Error(
        `node agent: node ${node.name} could not register with ${options.server}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    agent.start();
    return new RealNode(agent, backend, network, kubelet);
  }

  /** Stops the pods' programs and every listener; the Node object stays (its Lease then expires). */
  async stop(): Promise<void> {
    this.agent.stop();
    await Promise.all([this.network.close(), this.kubelet.close()]);
  }
}
