/** The node agent: kube-sim's kubelet, on kube-sim's object store or on a real API server. */
export { NodeAgent, workloadOf, type NodeAgentOptions, type PodNetwork } from './agent.js';
export { ApiServerBackend, microTime, type ApiServerBackendOptions } from './apiserver-backend.js';
export { CidrPool, CountingPool, type PodIpAllocator } from './ip-pool.js';
export {
  startKubeletServer,
  kubeletRequestHandler,
  KubeletServer,
  type KubeletServerOptions,
} from './kubelet-server.js';
export { logSource, selectLogText, formatLogLine, rfc3339Nano, type LogSelection } from './logs.js';
export { HttpPodNetwork } from './pod-network.js';
export {
  RealNode,
  REAL_NODE_TIMING,
  REAL_NODE_SYNC_DELAY_MS,
  type RealNodeOptions,
  type RealNodeSpec,
} from './real-node.js';
export {
  startRealFleet,
  RealFleet,
  RealCluster,
  NodeGroup,
  type ClustersFile,
  type RealClusterSpec,
  type RealFleetOptions,
} from './real-cluster.js';
export { RestClient, ApiStatusError } from './rest.js';
export type * from './types.js';
