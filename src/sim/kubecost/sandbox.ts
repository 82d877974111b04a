/**
 * The sandbox: a fleet with a Kubecost layout whose components really use their keys, plus a
 * small admin API on loopback so that `sandbox new-key` (another process) can make a new key
 * valid in the emulated cloud, as an operator would at the provider before rotating.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { Fleet } from '../kube/fleet.js';
import { memoryBackend, type MemoryKeys } from './backend.js';
import { matchesCredential, successorOf, type FakeCredential } from './credentials.js';
import { installLayout, type InstalledLayout, type LayoutName } from './layouts.js';
import { bindKubecostPrograms } from './programs.js';

export interface SandboxState {
  readonly admin: string;
  readonly token: string;
}

export interface Sandbox {
  readonly layout: InstalledLayout;
  readonly keys: MemoryKeys;
  /** Makes a credential valid in the emulated cloud. */
  allow(credential: FakeCredential): void;
  stop(): Promise<void>;
}

/** Where `sandbox up` writes how to reach its admin API: next to the kubeconfig. */
export function sandboxStatePath(kubeconfigPath: string): string {
  return `${kubeconfigPath}.sandbox.json`;
}

export async function startSandbox(fleet: Fleet, layoutName: LayoutName, kubeconfigPath: string): Promise<Sandbox> {
  const keys: MemoryKeys = { aws: new Map(), gcp: new Set(), azure: new Map(), alibaba: new Map() };
  const allow = (c: FakeCredential) => {
    if (c.provider === 'aws') keys.aws.set(c.accessKeyId, c.secretAccessKey);
    else if (c.provider === 'gcp') keys.gcp.add(c.privateKeyId);
    else if (c.provider === 'azure') keys.azure.set(c.accountName, new Set([...(keys.azure.get(c.accountName) ?? []), c.accountKey]));
    else keys.alibaba.set(c.accessKeyId, c.accessKeySecret);
  };
  for (const cluster of fleet.clusters) bindKubecostPrograms(cluster, memoryBackend(keys), { intervalMs: 2000, configReloadMs: 10_000 });
  const layout = installLayout(fleet, layoutName);
  for (const c of layout.credentials.values()) allow(c);

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
        selector = String((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { credential?: unknown }).credential ?? '');
      } catch {
        return reply(400, { error: 'the body must be JSON {"credential": ID}' });
      }
      const old = [...layout.credentials.values(), ...issued].find((c) => matchesCredential(c, selector));
      if (!old) return reply(404, { error: `no credential "${selector}" in this sandbox; run kubecost-rotate discover to list them` });
      const { next, keyFile } = successorOf(old);
      allow(next);
      issued.push(next);
      return reply(200, { keyFile });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const state: SandboxState = { admin: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, token };
  await writeFile(sandboxStatePath(kubeconfigPath), JSON.stringify(state), { mode: 0o600 });
  return {
    layout,
    keys,
    allow,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
