/** kube-sim: a simulated Kubernetes fleet for tests and the sandbox. */
export { startFleet, Fleet, DEFAULT_TIMING, DEFAULT_SYNC_DELAY_MS, type FleetOptions } from './fleet.js';
export { SimCluster } from './cluster.js';
export { SimClock } from './clock.js';
export type { PodTiming, TimingRule, LogEntry, TappedLog } from './kubelet.js';
export type {
  ContainerContext,
  ContainerProgram,
  ProgramBinding,
  HttpHandler,
  ProxyRequest,
  ProxyResponse,
} from './program.js';
export type { DenyRule, FaultRule, ActiveFault, RequestFacts } from './access.js';
export type { RecordedRequest, RequestStats } from './server.js';
export type { KubeObject } from './types.js';
export type { ClusterTarget, FleetTarget } from './target.js';
export { R as SIM_RESOURCES } from './objects.js';
export { rolloutMs, rotationBound, shapeOf, type RotationBound, type WorkloadShape } from './rollout-bound.js';
