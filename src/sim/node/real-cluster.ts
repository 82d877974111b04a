/**
 * A real cluster as a ClusterTarget: `apply` creates or replaces objects through an admin client
 * (writes are queued in order, since layouts apply synchronously; `await settled()` waits for
 * them and throws what failed), and `kubelet` forwards program bindings, timings and queries to
 * the node agents of that cluster. `startRealFleet` reads the control plane's clusters.json and
 * starts one node agent per node, so `installLayout` and `bindKubecostPrograms` run unchanged on
 * a real control plane.
 */
import * as k8s from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import type { ProgramBinding, HttpHandler } from '../kube/program.js';
import { apiVersionOf, resourceByKind } from '../kube/resources.js';
import type { ClusterTarget, FleetTarget } from '../kube/target.js';
import type { KubeObject } from '../kube/types.js';
import { SimClock } from '../kube/clock.js';
import { RealNode, type RealNodeSpec } from './real-node.js';
import { ApiStatusError, RestClient } from './rest.js';
import type { ContainerState, LogEntry, NodeClock, PodTiming, TappedLog, TimingRule } from './types.js';

/** A cluster as the control plane's clusters.json describes it. */
export interface RealClusterSpec {
  readonly name: string;
  readonly server: string;
  readonly caFile: string;
  readonly adminToken: string;
  readonly serviceCidr?: string;
  readonly nodes: readonly RealNodeSpec[];
}

export interface ClustersFile {
  readonly kubeconfig: string;
  readonly version?: string;
  readonly clusters: readonly RealClusterSpec[];
}

export interface RealFleetOptions {
  readonly timing?: Partial<PodTiming>;
  readonly syncDelayMs?: number;
  readonly clock?: NodeClock;
  readonly onError?: (message: string) => void;
}

/** The node agents of one cluster, driven as kube-sim's one kubelet is. */
export class NodeGroup {
  constructor(private readonly nodes: readonly RealNode[]) {}

  private agentRunning(namespace: string, pod: string) {
    return this.nodes.find((n) => n.agent.runs(namespace, pod))?.agent;
  }

  bind(binding: ProgramBinding): () => void {
    const unbind = this.nodes.map((n) => n.agent.bind(binding));
    return () => unbind.forEach((u) => u());
  }

  setTiming(rule: TimingRule): void {
    for (const n of this.nodes) n.agent.setTiming(rule);
  }

  setSyncDelay(ms: number): void {
    for (const n of this.nodes) n.agent.setSyncDelay(ms);
  }

  pause(): void {
    for (const n of this.nodes) n.agent.pause();
  }

  resume(): void {
    for (const n of this.nodes) n.agent.resume();
  }

  tapLogs(listener: (entry: TappedLog) => void): () => void {
    const untap = this.nodes.map((n) => n.agent.tapLogs(listener));
    return () => untap.forEach((u) => u());
  }

  logs(namespace: string, pod: string, container: string, previous: boolean): LogEntry[] | undefined {
    return this.agentRunning(namespace, pod)?.logs(namespace, pod, container, previous);
  }

  containerState(namespace: string, pod: string, container: string): ContainerState | undefined {
    return this.agentRunning(namespace, pod)?.containerState(namespace, pod, container);
  }

  follow(namespace: string, pod: string, container: string, listener: (entry: LogEntry | null) => void): () => void {
    const agent = this.agentRunning(namespace, pod);
    if (!agent) {
      listener(null);
      return () => undefined;
    }
    return agent.follow(namespace, pod, container, listener);
  }

  handler(namespace: string, pod: string, port: number): HttpHandler | undefined {
    return this.agentRunning(namespace, pod)?.handler(namespace, pod, port);
  }
}

export class RealCluster implements ClusterTarget {
  readonly kubelet: NodeGroup;
  private queue: Promise<void> = Promise.resolve();
  private failures: Error[] = [];
  private readonly knownNamespaces = new Set<string>();

  constructor(
    readonly spec: RealClusterSpec,
    readonly admin: RestClient,
    readonly nodes: readonly RealNode[],
  ) {
    this.kubelet = new NodeGroup(nodes);
  }

  get name(): string {
    return this.spec.name;
  }

  /** Queues a create-or-replace of `object` (and of its namespace, when missing); see settled(). */
  apply(object: KubeObject): void {
    const write = async () => {
      try {
        await this.write(object);
      } catch (error: unknown) {
        this.failures.push(error instanceof Error ? error : new Error(String(error)));
      }
    };
    this.queue = this.queue.then(write);
  }

  /** Waits for every queued write; throws (once) with every write that failed. */
  async settled(): Promise<void> {
    await this.queue;
    const failures = this.failures.splice(0);
    if (failures.length > 0)
      throw new AggregateError(
        failures,
        `${this.name}: ${failures.length} write(s) failed: ${failures.map((f) => f.message).join('; ')}`,
      );
  }

  private async write(object: KubeObject): Promise<KubeObject> {
    const kind = String(object.kind);
    const def = resourceByKind(kind);
    if (!def) throw new Error(`${this.name}: cannot apply kind ${kind} (not a resource the layouts use)`);
    const name = object.metadata.name ?? '';
    const namespace = def.namespaced ? (object.metadata.namespace ?? 'default') : undefined;
    if (namespace && !this.knownNamespaces.has(namespace)) {
      try {
        await this.admin.json('POST', '/api/v1/namespaces', {
          body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
        });
      } catch (error: unknown) {
        if (!(error instanceof ApiStatusError && error.code === 409)) throw error;
      }
      this.knownNamespaces.add(namespace);
    }
    const prefix = def.group ? `/apis/${def.group}/${def.version}` : `/api/${def.version}`;
    const collection = `${prefix}${namespace ? `/namespaces/${namespace}` : ''}/${def.plural}`;
    const body = {
      ...object,
      apiVersion: object.apiVersion ?? apiVersionOf(def),
      metadata: { ...object.metadata, ...(namespace ? { namespace } : {}) },
    };
    try {
      return await this.admin.json<KubeObject>('POST', collection, { body });
    } catch (error: unknown) {
      if (!(error instanceof ApiStatusError && error.code === 409)) throw error;
    }
    const current = await this.admin.json<KubeObject>('GET', `${collection}/${name}`);
    return this.admin.json<KubeObject>('PUT', `${collection}/${name}`, {
      body: { ...body, metadata: { ...body.metadata, resourceVersion: current.metadata.resourceVersion } },
    });
  }

  /** Forgets which namespaces it has made sure exist (after a test deleted them). */
  forgetNamespaces(): void {
    this.knownNamespaces.clear();
  }

  /** A client-node KubeConfig for this cluster as its admin. */
  kubeConfig(): k8s.KubeConfig {
    return adminKubeConfig(this.spec);
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}

function adminKubeConfig(spec: RealClusterSpec): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: spec.name, server: spec.server, caFile: spec.caFile }],
    users: [{ name: `${spec.name}-admin`, token: spec.adminToken }],
    contexts: [{ name: spec.name, cluster: spec.name, user: `${spec.name}-admin` }],
    currentContext: spec.name,
  });
  return kc;
}

export class RealFleet implements FleetTarget {
  constructor(
    readonly clusters: readonly RealCluster[],
    readonly file: ClustersFile,
    readonly clock: NodeClock,
  ) {}

  /** The kubeconfig the control plane wrote (a context per cluster). */
  get kubeconfigPath(): string {
    return this.file.kubeconfig;
  }

  cluster(name: string): RealCluster {
    const found = this.clusters.find((c) => c.name === name);
    if (!found)
      throw new Error(`real fleet: no cluster named ${name} (have ${this.clusters.map((c) => c.name).join(', ')})`);
    return found;
  }

  /** Waits for every cluster's queued writes. */
  async settled(): Promise<void> {
    await Promise.all(this.clusters.map((c) => c.settled()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.clusters.map((c) => c.stop()));
  }
}

function parseClustersFile(text: string, path: string): ClustersFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error: unknown) {
    throw new Error(`${path}: not JSON (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  const file = parsed as Partial<ClustersFile>;
  if (!Array.isArray(file.clusters) || file.clusters.length === 0)
    throw new Error(`${path}: "clusters" must be a non-empty list`);
  file.clusters.forEach((c, i) => {
    for (const field of ['name', 'server', 'caFile', 'adminToken'] as const)
      if (typeof c[field] !== 'string' || c[field] === '')
        throw new Error(`${path}: clusters[${i}].${field} must be a non-empty string`);
    if (!Array.isArray(c.nodes)) throw new Error(`${path}: clusters[${i}].nodes must be a list`);
    c.nodes.forEach((n: RealNodeSpec, j: number) => {
      for (const field of [
        'name',
        'address',
        'podCidr',
        'clientCertFile',
        'clientKeyFile',
        'servingCertFile',
        'servingKeyFile',
        'apiserverClientCaFile',
      ] as const)
        if (typeof n[field] !== 'string' || n[field] === '')
          throw new Error(`${path}: clusters[${i}].nodes[${j}].${field} must be a non-empty string`);
      if (typeof n.kubeletPort !== 'number')
        throw new Error(`${path}: clusters[${i}].nodes[${j}].kubeletPort must be a number`);
    });
  });
  return file as ClustersFile;
}

/** Reads clusters.json (or takes it parsed) and starts a node agent for every node of every cluster. */
export async function startRealFleet(
  clustersJson: string | ClustersFile,
  options: RealFleetOptions = {},
): Promise<RealFleet> {
  const file =
    typeof clustersJson === 'string'
      ? parseClustersFile(await readFile(clustersJson, 'utf8'), clustersJson)
      : parseClustersFile(JSON.stringify(clustersJson), 'clusters.json');
  const clock = options.clock ?? new SimClock();
  const clusters: RealCluster[] = [];
  try {
    for (const spec of file.clusters) {
      const nodes: RealNode[] = [];
      clusters.push(new RealCluster(spec, await RestClient.fromKubeConfig(adminKubeConfig(spec)), nodes));
      for (const node of spec.nodes)
        nodes.push(
          await RealNode.start({
            cluster: spec.name,
            server: spec.server,
            caFile: spec.caFile,
            node,
            clock,
            ...(file.version ? { kubernetesVersion: file.version } : {}),
            ...(options.timing ? { timing: options.timing } : {}),
            ...(options.syncDelayMs !== undefined ? { syncDelayMs: options.syncDelayMs } : {}),
            ...(options.onError ? { onError: options.onError } : {}),
          }),
        );
    }
  } catch (error: unknown) {
    await Promise.all(clusters.map((c) => c.stop()));
    throw error;
  }
  return new RealFleet(clusters, file, clock);
}
