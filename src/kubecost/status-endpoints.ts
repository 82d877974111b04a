/**
 * Where an installation serves its cloud-integration status (reference §5, §1.10 "3.x status
 * endpoints"), reached through the API server's service proxy. The chart names each Service
 * after its workload.
 *  - A cloud-cost Deployment (2.x statefulset mode, 3.x): its Service, `/cloudCost/status` on 9005.
 *  - Otherwise a frontend Deployment (2.x haMode): `<release>-frontend` on 9090 proxies
 *    `/model/cloudCost/status` to cloud-cost.
 *  - Otherwise the frontend container of cost-analyzer (1.x, 2.x singlepod): the cost-analyzer
 *    Service on 9090, `/model/cloudCost/status`.
 * Pure.
 */
import type { ComponentRole } from './components.js';

export interface StatusEndpoint {
  readonly service: string;
  readonly port: number;
  readonly path: string;
  /** Which component answers. */
  readonly via: 'cloud-cost' | 'frontend' | 'cost-analyzer';
}

export interface InstallationComponents {
  readonly release: string;
  readonly components: readonly { readonly role: ComponentRole; readonly name: string }[];
}

/** Every endpoint that serves the status, best first (use the first; the others are fallbacks). */
export function cloudCostStatusEndpoints(installation: InstallationComponents): StatusEndpoint[] {
  const named = (role: ComponentRole) => installation.components.find((c) => c.role === role)?.name;
  const out: StatusEndpoint[] = [];
  const cloudCost = named('cloud-cost');
  if (cloudCost) out.push({ service: cloudCost, port: 9005, path: '/cloudCost/status', via: 'cloud-cost' });
  const frontend = named('frontend');
  if (frontend) out.push({ service: frontend, port: 9090, path: '/model/cloudCost/status', via: 'frontend' });
  const costAnalyzer = named('cost-analyzer');
  if (costAnalyzer && !frontend)
    out.push({ service: costAnalyzer, port: 9090, path: '/model/cloudCost/status', via: 'cost-analyzer' });
  return out;
}

/** The endpoint to ask, or the chart's default cost-analyzer Service when nothing better is known. */
export function cloudCostStatusEndpoint(installation: InstallationComponents): StatusEndpoint {
  return (
    cloudCostStatusEndpoints(installation)[0] ?? {
      service: `${installation.release}-cost-analyzer`,
      port: 9090,
      path: '/model/cloudCost/status',
      via: 'cost-analyzer',
    }
  );
}
