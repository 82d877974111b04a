/**
 * The real control plane of the real-cluster suite: runs `kcp up` (test/real/controlplane: real
 * kube-apiserver, kube-controller-manager, kube-scheduler and etcd), waits for its `ready` line, and
 * hands back its clusters.json. It must run inside scripts/real-cluster/in-netns.sh (kcp up refuses
 * anywhere else); `npm run test:real` does that.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync, readdirSync, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import * as k8s from '@kubernetes/client-node';

export const repoRoot = resolve(import.meta.dirname, '../../..');

/** One planned node of a cluster: the identity and addresses a node agent uses (see kcp's cluster.go). */
export interface RealNode {
  readonly name: string;
  readonly address: string;
  readonly kubeletPort: number;
  readonly podCidr: string;
  /** CN system:node:<name>, O system:nodes: the kubelet's client certificate. */
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** Kubelet serving certificate (IP SAN = address), signed by the kubelet CA the API server trusts. */
  readonly servingCertFile: string;
  readonly servingKeyFile: string;
  /** CA of the API server's kubelet-client certificate: how the agent authenticates the API server. */
  readonly apiserverClientCaFile: string;
}

export interface RealCluster {
  readonly name: string;
  readonly context: string;
  readonly server: string;
  readonly caFile: string;
  readonly adminToken: string;
  readonly serviceCidr: string;
  readonly adminCertFile: string;
  readonly adminKeyFile: string;
  readonly kubeletCaFile: string;
  /** Component (apiserver, controller-manager, scheduler) → its log file. */
  readonly logs: Readonly<Record<string, string>>;
  readonly nodes: readonly RealNode[];
}

/** DIR/clusters.json as `kcp up` writes it. */
export interface ClustersFile {
  readonly kubeconfig: string;
  readonly version: string;
  readonly dir: string;
  readonly etcdLog: string;
  readonly clusters: readonly RealCluster[];
}

export interface ControlPlane extends ClustersFile {
  /** The `kcp up` process. */
  readonly pid: number;
  /** The processes `kcp up` started (API servers, controller-managers, schedulers; etcd runs inside it). */
  componentPids(): number[];
  /** Every log file of this run: kcp up's own, etcd's and each component's. */
  logFiles(): string[];
  /**
   * Stops kcp up and waits for it: with SIGTERM (the default) it must exit 0; with SIGKILL it dies
   * at once. Removes its files unless `keep` (then says where they are).
   */
  stop(options?: { keep?: boolean; signal?: 'SIGTERM' | 'SIGKILL' }): Promise<void>;
}

export interface ControlPlaneOptions {
  readonly clusters?: number;
  readonly nodesPerCluster?: number;
  /** How long to wait for `ready`. Default 180 s: three clusters start in well under a minute on 2 busy cores. */
  readonly readyTimeoutMs?: number;
}

/** The kcp binary: $KCP_BIN (run.sh sets it), else the one build.sh has cached for these sources. */
export function kcpBinary(): string {
  const fromEnv = process.env.KCP_BIN;
  if (fromEnv) return fromEnv;
  try {
    return execFileSync(join(repoRoot, 'scripts/real-cluster/build.sh'), ['--path'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      'kcp is not built: run scripts/real-cluster/build.sh (outside the network namespace), or set KCP_BIN',
    );
  }
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const { clusters = 1, nodesPerCluster = 1, readyTimeoutMs = 180_000 } = options;
  const kcp = kcpBinary();
  await mkdir(join(repoRoot, '.tmp'), { recursive: true });
  const root = await mkdtemp(join(repoRoot, '.tmp', 'real-cluster-'));
  const dir = join(root, 'state');
  const kubeconfig = join(root, 'kubeconfig');
  const upLog = join(root, 'kcp-up.log');
  const logFiles = () => [upLog, ...listLogs(join(dir, 'logs'))];

  const stderr = openSync(upLog, 'w');
  const child = spawn(
    kcp,
    [
      'up',
      `--clusters=${clusters}`,
      `--nodes-per-cluster=${nodesPerCluster}`,
      `--dir=${dir}`,
      `--kubeconfig=${kubeconfig}`,
      `--ready-timeout=${Math.floor(readyTimeoutMs / 1000)}s`,
    ],
    { stdio: ['ignore', 'pipe', stderr] },
  );
  closeSync(stderr);
  const exited = new Promise<Exit>((resolveExit) =>
    child.once('exit', (code, signal) => resolveExit({ code, signal })),
  );

  try {
    await waitForReady(child, exited, readyTimeoutMs);
  } catch (error: unknown) {
    await terminate(child, exited);
    throw new Error(
      `kcp up did not get ready: ${(error as Error).message}\n` +
        `kept ${root}; logs:\n${logFiles()
          .map((f) => `  ${f}`)
          .join('\n')}\nlast lines of ${upLog}:\n${tail(upLog, 20)}`,
      { cause: error },
    );
  }
  const file = JSON.parse(await readFile(join(dir, 'clusters.json'), 'utf8')) as ClustersFile;
  const pid = child.pid!;
  return {
    ...file,
    pid,
    componentPids: () => childrenOf(pid),
    logFiles,
    async stop({ keep = false, signal = 'SIGTERM' } = {}) {
      const exit = await terminate(child, exited, signal);
      const expected = signal === 'SIGTERM' ? exit.code === 0 : exit.signal === signal;
      if (!expected) {
        throw new Error(`kcp up ended with ${describeExit(exit)} after ${signal}; kept ${root}; see ${upLog}`);
      }
      if (keep) console.error(`real control plane: kept ${root}; logs:\n${logFiles().join('\n')}`);
      else await rm(root, { recursive: true, force: true });
    },
  };
}

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const describeExit = (exit: Exit) => (exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`);

async function waitForReady(child: ChildProcess, exited: Promise<Exit>, timeoutMs: number): Promise<void> {
  const lines = createInterface({ input: child.stdout! });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      new Promise<void>((resolveReady) =>
        lines.on('line', (line) => {
          if (line.trim() === 'ready') resolveReady();
        }),
      ),
      exited.then((exit) => Promise.reject(new Error(`kcp up ended with ${describeExit(exit)} before printing ready`))),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no ready line within ${timeoutMs / 1000}s`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Sends `signal`, then SIGKILL if kcp up has not exited within 40 s (it gives each component 15 s). */
async function terminate(
  child: ChildProcess,
  exited: Promise<Exit>,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const overdue = new Promise<void>((resolveOverdue) => {
    timer = setTimeout(resolveOverdue, 40_000);
  });
  try {
    if ((await Promise.race([exited, overdue])) === undefined) child.kill('SIGKILL');
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** The live processes whose parent is `pid` (from /proc/N/stat: "pid (comm) state ppid …"). */
export function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

/** Whether process `pid` still exists (a zombie counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function listLogs(logDir: string): string[] {
  return existsSync(logDir) ? readdirSync(logDir).map((f) => join(logDir, f)) : [];
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(none)';
  }
}

/** A KubeConfig for one cluster with the given credentials (admin token by default). */
export function kubeConfigFor(
  cluster: RealCluster,
  user: { token: string } | { certFile: string; keyFile: string } = { token: cluster.adminToken },
): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: cluster.name, server: cluster.server, caFile: cluster.caFile, skipTLSVerify: false }],
    users: [{ name: 'user', ...user }],
    contexts: [{ name: cluster.context, cluster: cluster.name, user: 'user' }],
    currentContext: cluster.context,
  });
  return kc;
}

/**
 * One HTTPS request to a cluster's API server with the admin token, the body sent exactly as given:
 * for requests client-node would reshape (it writes every MicroTime with 3 fractional digits).
 */
export function rawRequest(
  cluster: RealCluster,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: string }> {
  const url = new URL(path, cluster.server);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolveRequest, reject) => {
    const req = request(
      url,
      {
        method,
        ca: readFileSync(cluster.caFile),
        headers: {
          authorization: `Bearer ${cluster.adminToken}`,
          accept: 'application/json',
          ...(payload ? { 'content-type': 'application/json' } : {}),
        },
        timeout: 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolveRequest({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url.href}: no answer within 15 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}
