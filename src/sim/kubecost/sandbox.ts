/**
 * The sandbox: a fleet with a Kubecost layout whose components really use their keys, plus a
 * small admin API on loopback so that `sandbox new-key` (another process) can make a new key
 * valid in the emulated cloud, as an operator would at the provider before rotating.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { parse, stringify } from 'yaml';
import type { FleetTarget } from '../kube/target.js';
import {
  type CloudSim,
  cloudSimBackend,
  prepareCloudForLayout,
  provisionResources,
  startCloudSim,
  trustCredential,
} from '../cloud/index.js';
import { matchesCredential, successorOf, type FakeCredential } from './credentials.js';
import { installLayout, type InstalledLayout, type LayoutName } from './layouts.js';
import { withGcpPricing } from './backend.js';
import { bindKubecostPrograms } from './programs.js';
import { SimCluster } from '../kube/index.js';
import { revertOwnedSecrets } from './owners.js';
import { newKeyAtCloud, SandboxKeyRefused, type SandboxNewKey } from './sandbox-keys.js';

export interface SandboxState {
  readonly admin: string;
  readonly token: string;
}

export interface Sandbox {
  readonly layout: InstalledLayout;
  /** The provider endpoints file for rotations in this sandbox (--provider-endpoints). */
  readonly endpointsFile: string;
  /** Makes a credential valid in the emulated cloud. */
  allow(credential: FakeCredential): void;
  /** The emulated clouds (for tests: what `sandbox new-key` made there). */
  readonly cloud: CloudSim;
  stop(): Promise<void>;
}

/** Where `sandbox up` writes how to reach its admin API: next to the kubeconfig. */
export function sandboxStatePath(kubeconfigPath: string): string {
  return `${kubeconfigPath}.sandbox.json`;
}

/** Where `sandbox up` writes the emulated clouds' endpoints, for `--provider-endpoints`. */
export function sandboxEndpointsPath(kubeconfigPath: string): string {
  return `${kubeconfigPath}.endpoints.json`;
}

/** The kubeconfig extension in which the sandbox records its emulated clouds (kubecost-rotate reads it). */
export const ENDPOINTS_EXTENSION = 'kubecost-rotate.io/provider-endpoints';

/**
 * Records the emulated clouds' endpoints in the kubeconfig, as a top-level extension, so that a
 * rotation against the sandbox never reaches a public endpoint, without any flag or variable.
 */
async function recordEndpoints(kubeconfigPath: string, endpoints: object): Promise<void> {
  const doc = (parse(await readFile(kubeconfigPath, 'utf8')) ?? {}) as { extensions?: { name?: string }[] };
  doc.extensions = [
    ...(doc.extensions ?? []).filter((e) => e.name !== ENDPOINTS_EXTENSION),
    { name: ENDPOINTS_EXTENSION, extension: endpoints } as { name: string },
  ];
  await writeFile(kubeconfigPath, stringify(doc), { mode: 0o600 });
}

export async function startSandbox(
  fleet: FleetTarget,
  layoutName: LayoutName,
  kubeconfigPath: string,
): Promise<Sandbox> {
  // The components use their keys through the official SDKs against emulated S3, Athena, GCS,
  // BigQuery and Azure Blob (Alibaba has no emulator: its keys are checked in memory).
  // GCP API keys (the finops agent's pricing key) have no emulator: the pricing API checks this set.
  const cloud = await startCloudSim();
  const apiKeys = new Set<string>();
  const backend = withGcpPricing(cloudSimBackend(cloud), apiKeys);
  const allow = (c: FakeCredential) => {
    if (c.provider === 'alibaba') backend.alibabaKeys.set(c.accessKeyId, c.accessKeySecret);
    else if (c.provider === 'gcp-api-key') apiKeys.add(c.apiKey);
    else trustCredential(cloud, c);
  };
  for (const cluster of fleet.clusters)
    bindKubecostPrograms(cluster, backend, { intervalMs: 2000, configReloadMs: 10_000 });
  const layout = installLayout(fleet, layoutName);
  prepareCloudForLayout(cloud, layout, backend.alibabaKeys);
  // An ExternalSecret's operator and Argo CD self-heal put a directly edited Secret back, as they do on a cluster.
  const owners = fleet.clusters.flatMap((c) => (c instanceof SimCluster ? [revertOwnedSecrets(c)] : []));
  for (const c of layout.credentials.values()) if (c.provider === 'gcp-api-key') allow(c);
  await provisionResources(cloud, layout.documents ?? []);
  const endpointsFile = sandboxEndpointsPath(kubeconfigPath);
  await writeFile(endpointsFile, JSON.stringify(cloud.endpoints, null, 2), { mode: 0o600 });
  await recordEndpoints(kubeconfigPath, cloud.endpoints);

  const token = randomBytes(24).toString('base64url');
  const issued: FakeCredential[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.headers.authorization !== `Bearer ${token}`) return reply(401, { error: 'unauthorized' });
      if (req.method !== 'POST' || req.url !== '/keys') return reply(404, { error: 'not found' });
      let selector = '';
      try {
        selector = String(
          (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { credential?: unknown }).credential ?? '',
        );
      } catch {
        return reply(400, { error: 'the body must be JSON {"credential": ID}' });
      }
      const old = [...layout.credentials.values(), ...issued].find((c) => matchesCredential(c, selector));
      if (!old)
        return reply(404, {
          error: `no credential "${selector}" in this sandbox; run kubecost-rotate discover to list them`,
        });
      // AWS, GCP, Azure: through the emulated control planes (IAM, ARM), with their limits; the others as before.
      let made: SandboxNewKey | undefined;
      try {
        made = newKeyAtCloud(
          cloud,
          old,
          [...layout.credentials.values(), ...issued].filter((c) => c.provider === old.provider),
          selector,
        );
      } catch (error: unknown) {
        if (!(error instanceof SandboxKeyRefused)) throw error;
        return reply(409, { error: error.message });
      }
      if (made) {
        issued.push(made.next);
        return reply(200, { keyFile: made.keyFile });
      }
      const { next, keyFile } = successorOf(old);
      allow(next);
      issued.push(next);
      return reply(200, { keyFile });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const state: SandboxState = {
    admin: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    token,
  };
  await writeFile(sandboxStatePath(kubeconfigPath), JSON.stringify(state), { mode: 0o600 });
  return {
    layout,
    endpointsFile,
    allow,
    cloud,
    stop: async () => {
      for (const stopOwner of owners) stopOwner();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      backend.close();
      await cloud.stop();
    },
  };
}
