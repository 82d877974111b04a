/**
 * kube-sim benchmark: start-up time, memory and request throughput of a 200-cluster fleet.
 *
 *   npx tsx bench/kube-sim.ts [--clusters 200] [--duration 10] [--clients 1] [--concurrency 64]
 *                             [--max-requests 200000] [--phases raw_get,raw_mix,client_node_stock_mix,kubecost_rotate_mix]
 *
 * Process layout. The benchmark process (re-executed once with --expose-gc so that heap figures
 * are taken after a full GC) runs the whole fleet: every cluster's HTTPS server, store,
 * controllers and kubelet live on its main thread. The request load comes from `--clients`
 * child processes (node:child_process fork of this same file, role "client"), so that on a
 * 2-core machine one core serves and one core drives. Everything talks to 127.0.0.1 only: the
 * fleet listens there, and the clients use the URLs of its kubeconfig.
 *
 * Phases, each bounded by --duration seconds and --max-requests requests:
 *   raw_get          raw node:https GETs of Secrets, keep-alive agent per cluster (baseline)
 *   raw_mix          raw node:https, 80% GET / 20% merge-patch with a resourceVersion precondition
 *   client_node_stock_mix  @kubernetes/client-node 1.4.0 CoreV1Api as shipped (kubeconfig from
 *                    fleet.kubeconfig(), one KubeConfig per context), same 80/20 mix; stock
 *                    client-node opens a new TLS connection per request (reference figure)
 *   kubecost_rotate_mix  client-node the way kubecost-rotate uses it: the same, with the
 *                    keep-alive agents of src/kube (withKeepAlive); this is the headline figure
 * Each phase first reads every Secret once (untimed warm-up, fills the resourceVersion cache).
 * Requests are spread round-robin over every cluster (each client gets a share of the
 * clusters) and at random over the 10 Secrets of each cluster. A 409 from a stale resourceVersion is a
 * conflict, not an error; anything else that fails is an error and makes the exit code 1.
 */
import { fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { getHeapStatistics } from 'node:v8';
import type { KubeObject, SimCluster } from '../src/sim/kube/index.js';
import type { ResourceDef } from '../src/sim/kube/resources.js';
import { releaseConnections, withKeepAlive } from '../src/kube/kubeconfig.js';

// ----------------------------------------------------------------------------------- shared

const NAMESPACE = 'kubecost';
const DEPLOYMENTS = 8;
const STATEFULSETS = 2;
const WORKLOADS = DEPLOYMENTS + STATEFULSETS;
const GET_SHARE = 0.8;
const REQUEST_TIMEOUT_MS = 10_000;
const READY_TIMEOUT_MS = 120_000;
const WATCHDOG_MS = 10 * 60_000;

type Mode = 'raw_get' | 'raw_mix' | 'client_node_stock_mix' | 'kubecost_rotate_mix';
const MODES: readonly Mode[] = ['raw_get', 'raw_mix', 'client_node_stock_mix', 'kubecost_rotate_mix'];

interface Target {
  readonly context: string;
  readonly server: string;
  readonly caPem: string;
  readonly token: string;
}

interface ClientConfig {
  readonly type: 'config';
  readonly mode: Mode;
  /** fleet.kubeconfig(): what client-node loads. */
  readonly kubeconfig: string;
  /** This client's share of the clusters (the raw driver uses server, CA and token directly). */
  readonly targets: readonly Target[];
  readonly secretNames: readonly string[];
  readonly concurrency: number;
  readonly maxRequests: number;
  readonly seed: number;
}

interface ClientResult {
  readonly type: 'result';
  readonly gets: number;
  readonly patches: number;
  readonly conflicts: number;
  readonly errors: number;
  readonly errorSamples: readonly string[];
  readonly latenciesMs: Float64Array;
  readonly elapsedMs: number;
  readonly warmupRequests: number;
  readonly cpuUserMs: number;
  readonly cpuSystemMs: number;
  readonly elu: number;
}

type ToClient = ClientConfig | { readonly type: 'go'; readonly durationMs: number };
type FromClient = { readonly type: 'ready' } | ClientResult | { readonly type: 'fatal'; readonly message: string };

function secretNamesOf(): string[] {
  const names: string[] = [];
  for (let i = 0; i < DEPLOYMENTS; i++) names.push(`cost-model-${i}-cloud-key`);
  for (let i = 0; i < STATEFULSETS; i++) names.push(`aggregator-${i}-cloud-key`);
  return names;
}

/** mulberry32: a small seeded PRNG so runs pick the same operation sequence. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * CPU time (ms) the whole machine spent busy so far, from /proc/stat (Linux; undefined
 * elsewhere). Minus this benchmark's own CPU it shows how much other processes competed for
 * the cores during a measurement.
 */
function hostBusyMs(): number | undefined {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    return (user + nice + system + irq + softirq + steal) * 10; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/** Share of a core (0..cores) used by other processes over `wallMs`, given host and own CPU ms. */
function otherLoad(hostBefore: number | undefined, ownCpuMs: number, wallMs: number): string {
  const after = hostBusyMs();
  if (hostBefore === undefined || after === undefined) return 'n/a';
  return `${(Math.max(0, after - hostBefore - ownCpuMs) / wallMs).toFixed(2)} cores`;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ----------------------------------------------------------------------------------- client role

/** One operation against one Secret; resolves to the new resourceVersion or 'conflict'. */
interface Driver {
  get(target: number, secret: string): Promise<string>;
  patch(target: number, secret: string, resourceVersion: string, value: string): Promise<string | 'conflict'>;
  close(): void;
}

class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    body: string,
  ) {
    super(`HTTP ${status}: ${body.slice(0, 300)}`);
  }
}

function rawDriver(targets: readonly Target[]): Driver {
  const agents = targets.map((t) => new Agent({ keepAlive: true, ca: t.caPem, maxSockets: 16 }));
  const call = (
    index: number,
    method: 'GET' | 'PATCH',
    secret: string,
    body?: string,
  ): Promise<{ status: number; text: string }> => {
    const target = targets[index] as Target;
    const url = new URL(`${target.server}/api/v1/namespaces/${NAMESPACE}/secrets/${secret}`);
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method,
          agent: agents[index],
          headers: {
            Accept: 'application/json',
            Authorization: `Bearer ${target.token}`,
            ...(body !== undefined
              ? { 'Content-Type': 'application/merge-patch+json', 'Content-Length': Buffer.byteLength(body) }
              : {}),
          },
          timeout: REQUEST_TIMEOUT_MS,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`request timed out after ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  };
  const rvOf = (text: string): string => {
    const parsed = JSON.parse(text) as KubeObject;
    const rv = parsed.metadata?.resourceVersion;
    if (typeof rv !== 'string') throw new Error('response has no metadata.resourceVersion');
    return rv;
  };
  return {
    async get(index, secret) {
      const { status, text } = await call(index, 'GET', secret);
      if (status !== 200) throw new HttpStatusError(status, text);
      return rvOf(text);
    },
    async patch(index, secret, resourceVersion, value) {
      const body = JSON.stringify({ metadata: { resourceVersion }, data: { rotation: value } });
      const { status, text } = await call(index, 'PATCH', secret, body);
      if (status === 409) return 'conflict';
      if (status !== 200) throw new HttpStatusError(status, text);
      return rvOf(text);
    },
    close() {
      for (const a of agents) a.destroy();
    },
  };
}

/**
 * client-node 1.4.0 CoreV1Api. Stock, it makes a new https.Agent for every request
 * (KubeConfig.applySecurityAuthentication → createAgent), so every request opens a new TLS
 * connection. With `pooled`, each KubeConfig goes through src/kube's withKeepAlive, as
 * kubecost-rotate's own clients do: one keep-alive agent per cluster, built by client-node.
 */
async function clientNodeDriver(kubeconfig: string, targets: readonly Target[], pooled: boolean): Promise<Driver> {
  const k8s = await import('@kubernetes/client-node');
  const configs: InstanceType<typeof k8s.KubeConfig>[] = [];
  // The fleet's kubeconfig, parsed once; then one KubeConfig per context, because a client made
  // under one context picks up the *current* context's credentials on every request
  // (test-infrastructure.md §4.2).
  const fleetConfig = new k8s.KubeConfig();
  fleetConfig.loadFromString(kubeconfig);
  const apis = targets.map((t) => {
    const context = fleetConfig.getContextObject(t.context);
    const cluster = context ? fleetConfig.getCluster(context.cluster) : null;
    const user = context?.user ? fleetConfig.getUser(context.user) : null;
    if (!context || !cluster || !user) throw new Error(`kubeconfig has no complete context ${t.context}`);
    if (!cluster.server.startsWith('https://127.0.0.1:'))
      throw new Error(`refusing non-loopback server ${cluster.server}`);
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({ clusters: [cluster], users: [user], contexts: [context], currentContext: context.name });
    if (pooled) configs.push(withKeepAlive(kc));
    const api = kc.makeApiClient(k8s.CoreV1Api);
    return { api, options: undefined };
  });
  const rvOf = (secret: { metadata?: { resourceVersion?: string } }): string => {
    const rv = secret.metadata?.resourceVersion;
    if (typeof rv !== 'string') throw new Error('response has no metadata.resourceVersion');
    return rv;
  };
  return {
    async get(index, secret) {
      const { api, options } = apis[index] as (typeof apis)[number];
      return rvOf(await api.readNamespacedSecret({ name: secret, namespace: NAMESPACE }, options));
    },
    async patch(index, secret, resourceVersion, value) {
      const { api, options } = apis[index] as (typeof apis)[number];
      try {
        const body = { metadata: { resourceVersion }, data: { rotation: value } };
        return rvOf(
          await api.patchNamespacedSecret(
            { name: secret, namespace: NAMESPACE, body },
            k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch, options),
          ),
        );
      } catch (error: unknown) {
        if (error instanceof k8s.ApiException && error.code === 409) return 'conflict';
        throw error;
      }
    },
    close() {
      for (const kc of configs) releaseConnections(kc);
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`request timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function runClient(
  config: ClientConfig,
  waitForGo: () => Promise<number>,
  send: (m: FromClient) => void,
): Promise<void> {
  const driver = config.mode.startsWith('client_node')
    ? await clientNodeDriver(config.kubeconfig, config.targets, config.mode === 'kubecost_rotate_mix')
    : rawDriver(config.targets);
  const names = config.secretNames;
  const slots = config.targets.length * names.length;
  // Latest resourceVersion seen per (cluster, secret): numeric max, since a GET sent before a
  // PATCH may answer after it.
  const known: string[] = new Array<string>(slots).fill('');
  const remember = (slot: number, rv: string) => {
    const old = known[slot] ?? '';
    if (old === '' || Number(rv) > Number(old)) known[slot] = rv;
  };

  // Warm-up (not timed): read every Secret once, which also fills the resourceVersion cache
  // and, for the raw driver, opens the keep-alive connections.
  let warmupRequests = 0;
  {
    let next = 0;
    const worker = async () => {
      while (next < slots) {
        const slot = next++;
        remember(
          slot,
          await withTimeout(
            driver.get(Math.floor(slot / names.length), names[slot % names.length] as string),
            REQUEST_TIMEOUT_MS,
          ),
        );
        warmupRequests++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(config.concurrency, slots) }, worker));
  }

  send({ type: 'ready' });
  const durationMs = await waitForGo();

  const random = prng(config.seed);
  const latencies = new Float64Array(config.maxRequests);
  let issued = 0;
  let completed = 0;
  let gets = 0;
  let patches = 0;
  let conflicts = 0;
  let errors = 0;
  const errorSamples: string[] = [];
  let cursor = 0;
  const cpuStart = process.cpuUsage();
  const eluStart = performance.eventLoopUtilization();
  const start = performance.now();
  const deadline = start + durationMs;

  const worker = async () => {
    while (issued < config.maxRequests && performance.now() < deadline) {
      issued++;
      // Round-robin over clusters, random Secret within the cluster.
      const target = cursor++ % config.targets.length;
      const secretIndex = Math.floor(random() * names.length);
      const secret = names[secretIndex] as string;
      const slot = target * names.length + secretIndex;
      const isGet = config.mode === 'raw_get' || random() < GET_SHARE;
      const t0 = performance.now();
      try {
        if (isGet) {
          remember(slot, await withTimeout(driver.get(target, secret), REQUEST_TIMEOUT_MS));
          gets++;
        } else {
          const value = Buffer.from(`rotation-${issued}`).toString('base64');
          const result = await withTimeout(driver.patch(target, secret, known[slot] ?? '', value), REQUEST_TIMEOUT_MS);
          patches++;
          if (result === 'conflict') conflicts++;
          else remember(slot, result);
        }
      } catch (error: unknown) {
        errors++;
        if (errorSamples.length < 5)
          errorSamples.push(
            `${isGet ? 'GET' : 'PATCH'} ${config.targets[target]?.context ?? '?'}/${secret}: ${message(error)}`,
          );
      }
      latencies[completed++] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: config.concurrency }, worker));
  const elapsedMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  const elu = performance.eventLoopUtilization(eluStart).utilization;
  driver.close();
  send({
    type: 'result',
    gets,
    patches,
    conflicts,
    errors,
    errorSamples,
    latenciesMs: latencies.slice(0, completed),
    elapsedMs,
    warmupRequests,
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    elu,
  });
}

function clientMain(): void {
  let goResolve: ((ms: number) => void) | undefined;
  const go = new Promise<number>((resolve) => {
    goResolve = resolve;
  });
  const send = (m: FromClient) => process.send?.(m);
  process.on('message', (raw: ToClient) => {
    if (raw.type === 'go') goResolve?.(raw.durationMs);
    else if (raw.type === 'config') {
      runClient(raw, () => go, send).catch((error: unknown) => {
        send({ type: 'fatal', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

// ----------------------------------------------------------------------------------- server role

interface Phase {
  readonly mode: Mode;
  readonly requests: number;
  readonly gets: number;
  readonly patches: number;
  readonly conflicts: number;
  readonly errors: number;
  readonly errorSamples: string[];
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly serverRequests: number;
  readonly serverElu: number;
  readonly serverCpu: number;
  readonly clientCpuPerCore: number;
  readonly clientElu: number;
  readonly otherLoad: string;
}

function seedCluster(cluster: SimCluster, index: number): void {
  const secrets = secretNamesOf();
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  for (let w = 0; w < WORKLOADS; w++) {
    const secretName = secrets[w] as string;
    cluster.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: secretName, namespace: NAMESPACE },
      type: 'Opaque',
      data: { 'access-key-id': b64(`AKIA${index}X${w}`), 'secret-access-key': b64(`secret-${index}-${w}`) },
    });
    const isDeployment = w < DEPLOYMENTS;
    const name = isDeployment ? `cost-model-${w}` : `aggregator-${w - DEPLOYMENTS}`;
    const labels = { app: name };
    const template = {
      metadata: { labels },
      spec: {
        containers: [
          {
            name: 'main',
            image: 'gcr.io/kubecost1/cost-model:prod-2.4.0',
            volumeMounts: [{ name: 'cloud-key', mountPath: '/var/secrets', readOnly: true }],
          },
        ],
        volumes: [{ name: 'cloud-key', secret: { secretName } }],
      },
    };
    cluster.apply({
      apiVersion: 'apps/v1',
      kind: isDeployment ? 'Deployment' : 'StatefulSet',
      metadata: { name, namespace: NAMESPACE, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template,
        ...(isDeployment ? {} : { serviceName: name }),
      },
    });
  }
}

function rec(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Ready as `kubectl rollout status` would say: observed, updated and ready/available replicas. */
function workloadReady(obj: KubeObject): boolean {
  const spec = rec(obj.spec);
  const status = rec(obj.status);
  const desired = typeof spec.replicas === 'number' ? spec.replicas : 1;
  if ((status.observedGeneration ?? 0) !== (obj.metadata.generation ?? 1)) return false;
  if (obj.kind === 'Deployment')
    return (
      status.updatedReplicas === desired &&
      status.readyReplicas === desired &&
      status.availableReplicas === desired &&
      status.replicas === desired
    );
  return (
    status.readyReplicas === desired &&
    status.updatedReplicas === desired &&
    status.currentRevision === status.updateRevision
  );
}

function countReady(clusters: readonly SimCluster[], defs: readonly ResourceDef[]): number {
  let ready = 0;
  for (const c of clusters) {
    for (const def of defs) {
      for (const obj of c.store.peekAll(def, NAMESPACE)) if (workloadReady(obj)) ready++;
    }
  }
  return ready;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

function memory(): { rssMiB: number; heapUsedMiB: number; heapTotalMiB: number; forcedGc: boolean } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  const heap = getHeapStatistics();
  return {
    rssMiB: m.rss / 2 ** 20,
    heapUsedMiB: heap.used_heap_size / 2 ** 20,
    heapTotalMiB: heap.total_heap_size / 2 ** 20,
    forcedGc: gc !== undefined,
  };
}

function figure(name: string, value: number, unit: string, target?: { op: '<' | '>' | '='; value: number }): string {
  const shown = Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 3 : 1);
  const head = `${name}: ${shown}${unit ? ` ${unit}` : ''}`;
  if (!target) return head;
  const ratio = target.value === 0 ? (value === 0 ? '0' : 'inf') : (value / target.value).toFixed(3);
  const ok =
    target.op === '<' ? value < target.value : target.op === '>' ? value > target.value : value === target.value;
  return `${head} (target ${target.op === '=' ? '' : `${target.op} `}${target.value}, ratio ${ratio}) ${ok ? 'OK' : 'MISSED'}`;
}

async function runPhase(
  mode: Mode,
  clusters: readonly SimCluster[],
  kubeconfig: string,
  args: Options,
  entry: string,
): Promise<Phase> {
  const targets: Target[] = clusters.map((c) => ({
    context: c.name,
    server: c.url,
    caPem: c.caPem,
    token: c.adminToken,
  }));
  for (const t of targets)
    if (!t.server.startsWith('https://127.0.0.1:')) throw new Error(`refusing non-loopback server ${t.server}`);
  const children = Array.from({ length: args.clients }, (_, i) => {
    const share = targets.filter((_, j) => j % args.clients === i);
    const child = fork(entry, [], {
      env: { ...process.env, KUBE_SIM_BENCH_ROLE: 'client' },
      execArgv: process.execArgv.filter((a) => a !== '--expose-gc'),
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const inbox: FromClient[] = [];
    const waiters: ((m: FromClient) => void)[] = [];
    child.on('message', (m: FromClient) => {
      const w = waiters.shift();
      if (w) w(m);
      else inbox.push(m);
    });
    let exited = false;
    child.on('exit', (code) => {
      exited = true;
      const w = waiters.shift();
      w?.({ type: 'fatal', message: `client ${i} exited with code ${String(code)}` });
    });
    const next = (): Promise<FromClient> => {
      const m = inbox.shift();
      if (m) return Promise.resolve(m);
      if (exited) return Promise.resolve({ type: 'fatal', message: `client ${i} exited` });
      return new Promise((resolve) => waiters.push(resolve));
    };
    const config: ClientConfig = {
      type: 'config',
      mode,
      kubeconfig,
      targets: share,
      secretNames: secretNamesOf(),
      concurrency: Math.max(1, Math.floor(args.concurrency / args.clients)),
      maxRequests: Math.ceil(args.maxRequests / args.clients),
      seed: 1234 + i,
    };
    child.send(config);
    return { child, next };
  });
  try {
    for (const c of children) {
      const m = await c.next();
      if (m.type !== 'ready') throw new Error(`client did not get ready: ${m.type === 'fatal' ? m.message : m.type}`);
    }
    const serverBefore = clusters.reduce((s, c) => s + c.stats.requests, 0);
    const eluBefore = performance.eventLoopUtilization();
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    const hostBefore = hostBusyMs();
    for (const c of children) c.child.send({ type: 'go', durationMs: args.durationS * 1000 });
    const results: ClientResult[] = [];
    for (const c of children) {
      const m = await c.next();
      if (m.type !== 'result') throw new Error(`client failed: ${m.type === 'fatal' ? m.message : m.type}`);
      results.push(m);
    }
    const elu = performance.eventLoopUtilization(eluBefore);
    const cpu = process.cpuUsage(cpuBefore);
    const wall = performance.now() - wallBefore;
    const others = otherLoad(
      hostBefore,
      (cpu.user + cpu.system) / 1000 + results.reduce((t, r) => t + r.cpuUserMs + r.cpuSystemMs, 0),
      wall,
    );
    const serverRequests = clusters.reduce((s, c) => s + c.stats.requests, 0) - serverBefore;
    const all = new Float64Array(results.reduce((s, r) => s + r.latenciesMs.length, 0));
    let offset = 0;
    for (const r of results) {
      all.set(r.latenciesMs, offset);
      offset += r.latenciesMs.length;
    }
    all.sort();
    const seconds = Math.max(...results.map((r) => r.elapsedMs)) / 1000;
    const sum = (f: (r: ClientResult) => number) => results.reduce((s, r) => s + f(r), 0);
    return {
      mode,
      requests: all.length,
      gets: sum((r) => r.gets),
      patches: sum((r) => r.patches),
      conflicts: sum((r) => r.conflicts),
      errors: sum((r) => r.errors),
      errorSamples: results.flatMap((r) => r.errorSamples),
      seconds,
      perSecond: all.length / seconds,
      p50: percentile(all, 50),
      p99: percentile(all, 99),
      serverRequests,
      serverElu: elu.utilization,
      serverCpu: (cpu.user + cpu.system) / 1000 / wall,
      clientCpuPerCore: sum((r) => (r.cpuUserMs + r.cpuSystemMs) / r.elapsedMs) / results.length,
      clientElu: sum((r) => r.elu) / results.length,
      otherLoad: others,
    };
  } finally {
    for (const c of children) {
      if (c.child.connected) c.child.disconnect();
      const killer = setTimeout(() => c.child.kill('SIGKILL'), 5_000);
      killer.unref();
      if (c.child.exitCode === null && c.child.signalCode === null)
        await new Promise<void>((resolve) => c.child.once('exit', () => resolve()));
      clearTimeout(killer);
    }
  }
}

interface Options {
  clusters: number;
  durationS: number;
  clients: number;
  concurrency: number;
  maxRequests: number;
  phases: Mode[];
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      clusters: { type: 'string', default: '200' },
      duration: { type: 'string', default: '10' },
      clients: { type: 'string', default: '1' },
      concurrency: { type: 'string', default: '64' },
      'max-requests': { type: 'string', default: '200000' },
      phases: { type: 'string', default: MODES.join(',') },
    },
    strict: true,
  });
  const int = (name: string, raw: string | undefined, min: number, max: number) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`--${name} must be an integer from ${min} to ${max} (got ${String(raw)})`);
    return n;
  };
  const phases = (values.phases ?? '').split(',').filter(Boolean) as Mode[];
  for (const p of phases) if (!MODES.includes(p)) throw new Error(`--phases: unknown phase ${p}`);
  return {
    clusters: int('clusters', values.clusters, 1, 1000),
    durationS: int('duration', values.duration, 1, 120),
    clients: int('clients', values.clients, 1, 8),
    concurrency: int('concurrency', values.concurrency, 1, 1024),
    maxRequests: int('max-requests', values['max-requests'], 1, 5_000_000),
    phases,
  };
}

async function serverMain(entry: string): Promise<number> {
  const args = options();
  const watchdog = setTimeout(() => {
    console.error(`kube-sim bench: watchdog: still running after ${WATCHDOG_MS / 1000} s, giving up`);
    process.exit(3);
  }, WATCHDOG_MS);

  const t0 = performance.now();
  const hostAtStart = hostBusyMs();
  const cpuAtStart = process.cpuUsage();
  const { startFleet } = await import('../src/sim/kube/index.js');
  const { R } = await import('../src/sim/kube/objects.js');
  const tImported = performance.now();
  const fleet = await startFleet({ clusters: args.clusters });
  const tListening = performance.now();
  let exitCode = 0;
  try {
    fleet.clusters.forEach((c, i) => seedCluster(c, i));
    const tSeeded = performance.now();
    const expected = fleet.clusters.length * WORKLOADS;
    let ready = 0;
    while (performance.now() - tSeeded < READY_TIMEOUT_MS) {
      ready = countReady(fleet.clusters, [R.deployments, R.statefulsets]);
      if (ready === expected) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const tReady = performance.now();
    const startupCpu = process.cpuUsage(cpuAtStart);
    const startupOthers = otherLoad(hostAtStart, (startupCpu.user + startupCpu.system) / 1000, tReady - t0);
    if (ready !== expected)
      throw new Error(`only ${ready} of ${expected} workloads became ready within ${READY_TIMEOUT_MS / 1000} s`);
    const mem = memory();
    const pods = fleet.clusters.reduce((s, c) => s + c.store.peekAll(R.pods).length, 0);
    const objects = fleet.clusters.reduce((s, c) => s + c.store.currentRevision(), 0);

    console.log(
      `# kube-sim bench: ${args.clusters} clusters x ${WORKLOADS} workloads (${DEPLOYMENTS} Deployments + ${STATEFULSETS} StatefulSets, 1 replica, Secret volume) in namespace ${NAMESPACE}`,
    );
    console.log(
      `# node ${process.version}, ${args.clients} client child process(es), total concurrency ${args.concurrency}, ${args.durationS} s or ${args.maxRequests} requests per phase`,
    );
    console.log(figure('import_s (kube-sim modules)', (tImported - t0) / 1000, 's'));
    console.log(figure('fleet_listening_s', (tListening - tImported) / 1000, 's'));
    console.log(figure('seed_s', (tSeeded - tListening) / 1000, 's'));
    console.log(figure('workloads_ready_s (after seeding)', (tReady - tSeeded) / 1000, 's'));
    console.log(figure('startup_s', (tReady - tImported) / 1000, 's', { op: '<', value: 5 }));
    console.log(
      `# start-up used ${(((startupCpu.user + startupCpu.system) / 1000 / (tReady - t0)) * 100).toFixed(0)}% of a core in this process; other processes on this host: ${startupOthers}`,
    );
    console.log(figure('workloads_ready', ready, `of ${expected}`));
    console.log(figure('pods', pods, ''));
    console.log(figure('store_revisions (sum over clusters)', objects, ''));
    console.log(
      figure('memory_mib', mem.rssMiB, `MiB RSS${mem.forcedGc ? ' after gc()' : ' (no --expose-gc)'}`, {
        op: '<',
        value: 1024,
      }),
    );
    console.log(figure('heap_used_mib', mem.heapUsedMiB, `MiB (heap total ${mem.heapTotalMiB.toFixed(1)} MiB)`));

    const kubeconfig = fleet.kubeconfig();
    const phases: Phase[] = [];
    for (const mode of args.phases) {
      const phase = await runPhase(mode, fleet.clusters, kubeconfig, args, entry);
      phases.push(phase);
      console.log(
        `# phase ${mode}: ${phase.requests} requests (${phase.gets} GET, ${phase.patches} PATCH) in ${phase.seconds.toFixed(2)} s; server saw ${phase.serverRequests} requests; server: event loop ${(phase.serverElu * 100).toFixed(0)}% busy, CPU ${(phase.serverCpu * 100).toFixed(0)}% of a core; each client: event loop ${(phase.clientElu * 100).toFixed(0)}% busy, CPU ${(phase.clientCpuPerCore * 100).toFixed(0)}% of a core; other processes on this host: ${phase.otherLoad}`,
      );
      const target = mode === 'kubecost_rotate_mix' ? { op: '>' as const, value: 2000 } : undefined;
      console.log(figure(`${mode}.requests_per_s`, phase.perSecond, 'req/s', target));
      console.log(figure(`${mode}.latency_p50_ms`, phase.p50, 'ms'));
      console.log(figure(`${mode}.latency_p99_ms`, phase.p99, 'ms'));
      console.log(figure(`${mode}.errors`, phase.errors, '', { op: '=', value: 0 }));
      console.log(figure(`${mode}.conflicts (409, stale resourceVersion)`, phase.conflicts, ''));
      for (const s of phase.errorSamples) console.log(`#   error: ${s}`);
      if (phase.errors > 0) exitCode = 1;
    }
    const byMode = new Map(phases.map((p) => [p.mode, p]));
    const client = byMode.get('kubecost_rotate_mix');
    if (client) {
      console.log(
        figure(
          'requests_per_s',
          client.perSecond,
          'req/s (client-node with kubecost-rotate keep-alive agents, 80% get / 20% merge-patch)',
          { op: '>', value: 2000 },
        ),
      );
      console.log(figure('latency_p50_ms', client.p50, 'ms'));
      console.log(figure('latency_p99_ms', client.p99, 'ms'));
      console.log(figure('errors', client.errors, '', { op: '=', value: 0 }));
      console.log(figure('conflicts', client.conflicts, '(409 from stale patches, not errors)'));
      for (const base of ['raw_mix', 'raw_get'] as const) {
        const raw = byMode.get(base);
        if (raw) console.log(figure(`ratio kubecost_rotate_mix/${base}`, client.perSecond / raw.perSecond, ''));
      }
    }
    const stock = byMode.get('client_node_stock_mix');
    if (stock && client)
      console.log(
        figure(
          'ratio client_node_stock_mix/kubecost_rotate_mix',
          stock.perSecond / client.perSecond,
          '(what connection reuse buys)',
        ),
      );
    const after = memory();
    console.log(
      figure('memory_after_load_mib', after.rssMiB, `MiB RSS (heap used ${after.heapUsedMiB.toFixed(1)} MiB)`),
    );
  } catch (error: unknown) {
    console.error(`kube-sim bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    exitCode = 1;
  } finally {
    await fleet.stop();
    clearTimeout(watchdog);
  }
  return exitCode;
}

// ----------------------------------------------------------------------------------- entry

const entry = fileURLToPath(import.meta.url);
if (process.env.KUBE_SIM_BENCH_ROLE === 'client') {
  clientMain();
} else if (typeof (globalThis as { gc?: unknown }).gc !== 'function' && process.env.KUBE_SIM_BENCH_REEXEC !== '1') {
  // Re-run once with --expose-gc (keeping tsx's loader flags) so memory is measured after a GC.
  const child = spawn(process.execPath, [...process.execArgv, '--expose-gc', entry, ...process.argv.slice(2)], {
    env: { ...process.env, KUBE_SIM_BENCH_REEXEC: '1' },
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  child.on('error', (error) => {
    console.error(`kube-sim bench: cannot re-run with --expose-gc: ${error.message}`);
    process.exit(1);
  });
} else {
  const code = await serverMain(entry);
  process.exitCode = code;
  // Everything was stopped; if some handle still keeps the loop alive, do not hang.
  setTimeout(() => {
    console.error('kube-sim bench: handles still open after stop; exiting');
    process.exit(code);
  }, 5_000).unref();
}
