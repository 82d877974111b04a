/**
 * A Kubecost layout on the real control plane, as test/rotation/world.ts has it on kube-sim: real
 * kube-apiserver, controller-manager and scheduler (kcp), node agents running the simulated
 * Kubecost programs, and the emulated clouds (cloud-sim with s3rver and azurite, on loopback inside
 * the run's network namespace). The CLI is driven as a user drives it: through the kubeconfig kcp
 * wrote, with the admin's (or a ServiceAccount's) token.
 *
 * Every component's log goes under the run's directory (.tmp/real-cluster-*): kcp up, etcd and
 * each API server / controller-manager / scheduler (state/logs), the node agents' errors and every
 * container's log lines (agents.log), and every CLI run's output (cli/NN-<command>.log). The
 * directory is removed after a clean run and kept when a test failed; `keepLogsOnFailure` names it
 * in the failure message.
 */
import * as k8s from '@kubernetes/client-node';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { afterEach } from 'vitest';
import {
  cloudSimBackend,
  distrustCredential,
  prepareCloudForLayout,
  startCloudSim,
  trustCredential,
  type CloudSim,
} from '../../../src/sim/cloud/index.js';
import {
  bindKubecostPrograms,
  renderLayout,
  withGcpPricing,
  type FakeCredential,
  type InstalledLayout,
  type LayoutName,
  type RenderedLayout,
} from '../../../src/sim/kubecost/index.js';
import { startRealFleet, type RealFleet, type TappedLog } from '../../../src/sim/node/index.js';
import { runCliInProcess, type CliRun } from '../../support/capture.js';
import { waitFor } from '../../support/kube.js';
import { startCliChild, type ChildRun, type StartedChild } from '../../rotation/harness.js';
import { repoRoot, startControlPlane, type ControlPlane } from './control-plane.js';

export interface RealWorld {
  readonly plane: ControlPlane;
  readonly fleet: RealFleet;
  /** The layout installed now (see install). */
  readonly layout: InstalledLayout;
  readonly rendered: RenderedLayout;
  /** The kubeconfig kcp wrote: a context per cluster, the admin's token. */
  readonly kubeconfig: string;
  /** The run's directory (.tmp/real-cluster-*), relative to the repository. */
  readonly root: string;
  readonly cloud: CloudSim;
  readonly probeFlags: string[];
  readonly logs: TappedLog[];
  /** Errors the node agents reported in the background (denials, failed writes). */
  readonly agentErrors: string[];
  /**
   * Installs a layout (rendered for the given clusters, default all), after removing the previous
   * one (every namespace it created, waited for until gone). With `programs` (the default) it waits
   * for every workload to be ready.
   */
  install(name: LayoutName, options?: InstallOptions): Promise<InstalledLayout>;
  allow(credential: FakeCredential): void;
  revoke(credential: FakeCredential): void;
  keyFile(name: string, content: unknown): Promise<string>;
  /** A CoreV1Api (or other) client of a cluster as its admin. */
  api<T extends k8s.ApiType>(cluster: string, type: new (config: k8s.Configuration) => T): T;
  /** The CLI in this process (main(argv, io)); its output is written to the run's cli/ directory. */
  cli(argv: readonly string[]): Promise<CliRun>;
  /** The CLI in a child process (for SIGKILL); its output is written to the run's cli/ directory. */
  child(argv: readonly string[], env?: Record<string, string>, timeoutMs?: number): StartedChild;
  /** Says that a test failed: stop() then keeps every log. */
  markFailed(): void;
  stop(): Promise<void>;
}

export interface InstallOptions {
  /** The clusters to render the layout for (default every cluster). */
  readonly clusters?: readonly string[];
  /** An already rendered layout (to install the same Secrets elsewhere too). */
  readonly rendered?: RenderedLayout;
  /** Wait for every workload to be ready (default true; discover does not need running pods). */
  readonly running?: boolean;
}

export interface RealWorldOptions {
  readonly clusters?: number;
}

/** Namespaces the control plane has on its own: a layout's cleanup leaves them. */
const SYSTEM_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

export async function startRealWorld(options: RealWorldOptions = {}): Promise<RealWorld> {
  const plane = await startControlPlane({ clusters: options.clusters ?? 3 });
  const root = dirname(plane.kubeconfig);
  const agentLog = join(root, 'agents.log');
  const cliDir = join(root, 'cli');
  mkdirSync(cliDir, { recursive: true });
  const agentErrors: string[] = [];
  const logs: TappedLog[] = [];
  let failed = false;
  let cliRuns = 0;
  const note = (line: string) => appendFileSync(agentLog, `${new Date().toISOString()} ${line}\n`);

  let fleet: RealFleet | undefined;
  let cloud: CloudSim | undefined;
  let close = () => undefined as void;
  try {
    fleet = await startRealFleet(plane, {
      onError: (message) => {
        note(`agent error: ${message}`);
        // A kubelet's Events in a namespace being deleted (a layout's cleanup) are refused; a real kubelet drops them too.
        if (/unable to create new content in namespace \S+ because it is being terminated/.test(message)) return;
        agentErrors.push(message);
      },
    });
    note(`node agents started: ${plane.clusters.flatMap((c) => c.nodes.map((n) => n.name)).join(', ')}`);
    cloud = await startCloudSim();
    const gcpApiKeys = new Set<string>();
    const alibabaKeys = new Map<string, string>();
    const simBackend = cloudSimBackend(cloud, { alibabaKeys });
    close = () => simBackend.close();
    const backend = withGcpPricing(simBackend, gcpApiKeys);
    for (const cluster of fleet.clusters) {
      bindKubecostPrograms(cluster, backend, { intervalMs: 200, configReloadMs: 1000 });
      cluster.kubelet.tapLogs((entry) => {
        const tapped = { ...entry, namespace: `${cluster.name}/${entry.namespace}` };
        logs.push(tapped);
        note(`${tapped.namespace}/${entry.pod}/${entry.container}: ${entry.line}`);
      });
    }
    const cloudNow = cloud;
    const allow = (c: FakeCredential) => {
      if (c.provider === 'alibaba') alibabaKeys.set(c.accessKeyId, c.accessKeySecret);
      else if (c.provider === 'gcp-api-key') gcpApiKeys.add(c.apiKey);
      else trustCredential(cloudNow, c);
    };
    const revoke = (c: FakeCredential) => {
      if (c.provider === 'alibaba') alibabaKeys.delete(c.accessKeyId);
      else if (c.provider === 'gcp-api-key') gcpApiKeys.delete(c.apiKey);
      else distrustCredential(cloudNow, c);
    };
    const realFleet = fleet;
    const api = <T extends k8s.ApiType>(cluster: string, type: new (config: k8s.Configuration) => T): T =>
      realFleet.cluster(cluster).kubeConfig().makeApiClient(type);

    const endpoints = join(root, 'provider-endpoints.json');
    await writeFile(endpoints, JSON.stringify(cloud.endpoints));
    const record = (argv: readonly string[], run: CliRun | ChildRun) => {
      cliRuns += 1;
      const file = join(cliDir, `${String(cliRuns).padStart(2, '0')}-${argv[0] ?? 'cli'}.log`);
      const ended = 'signal' in run && run.signal ? `signal ${run.signal}` : `exit ${String(run.code)}`;
      writeFileSync(
        file,
        `$ kubecost-rotate ${argv.join(' ')}\n--- ${ended}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}\n`,
      );
    };
    let installed: RenderedLayout | undefined;
    const world: RealWorld = {
      plane,
      fleet,
      get layout() {
        if (!installed) throw new Error('no layout installed yet (call install first)');
        return installed.layout;
      },
      get rendered() {
        if (!installed) throw new Error('no layout installed yet (call install first)');
        return installed;
      },
      kubeconfig: plane.kubeconfig,
      root: relative(repoRoot, root),
      cloud,
      probeFlags: ['--provider-endpoints', endpoints],
      logs,
      agentErrors,
      install: async (name, install = {}) => {
        if (installed) await clearLayouts(realFleet, api);
        const rendered =
          install.rendered ?? renderLayout(name, install.clusters ?? realFleet.clusters.map((c) => c.name));
        note(`installing layout ${name}`);
        // Keys valid before any component starts.
        prepareCloudForLayout(cloudNow, rendered.layout, alibabaKeys);
        for (const c of rendered.layout.credentials.values()) if (c.provider === 'gcp-api-key') allow(c);
        for (const cluster of realFleet.clusters)
          for (const o of rendered.objects.get(cluster.name) ?? []) cluster.apply(o);
        installed = rendered;
        await realFleet.settled();
        if (install.running ?? true) await waitForLayoutRunning(realFleet, rendered, api);
        return rendered.layout;
      },
      allow,
      revoke,
      api,
      keyFile: async (file, content) => {
        const path = join(root, file);
        await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content), { mode: 0o600 });
        return path;
      },
      cli: async (argv) => {
        const run = await runCliInProcess(argv);
        record(argv, run);
        return run;
      },
      child: (argv, env = {}, timeoutMs = 120_000) => {
        const started = startCliChild(argv, env, timeoutMs);
        return { child: started.child, done: started.done.then((run) => (record(argv, run), run)) };
      },
      markFailed: () => {
        failed = true;
      },
      stop: async () => {
        await realFleet.stop();
        close();
        await cloudNow.stop();
        await plane.stop({ keep: failed });
      },
    };
    return world;
  } catch (error: unknown) {
    await fleet?.stop();
    close();
    await cloud?.stop();
    await plane.stop({ keep: true });
    throw new Error(`${(error as Error).message}\n(every log kept under ${relative(repoRoot, root)})`, {
      cause: error,
    });
  }
}

/** Deletes every namespace but the system ones on every cluster, and waits until they are gone. */
async function clearLayouts(
  fleet: RealFleet,
  api: <T extends k8s.ApiType>(cluster: string, type: new (config: k8s.Configuration) => T) => T,
): Promise<void> {
  await Promise.all(
    fleet.clusters.map(async (cluster) => {
      const core = api(cluster.name, k8s.CoreV1Api);
      const doomed = (await core.listNamespace()).items
        .map((n) => n.metadata?.name ?? '')
        .filter((n) => !SYSTEM_NAMESPACES.has(n));
      for (const name of doomed) await core.deleteNamespace({ name }).catch(() => undefined);
      await waitFor(
        `the namespaces ${doomed.join(', ')} of ${cluster.name} to be gone`,
        async () => {
          const left = (await core.listNamespace()).items.filter((n) => doomed.includes(n.metadata?.name ?? ''));
          // Pods of a namespace being deleted go at once: nothing a layout runs needs its grace period.
          for (const ns of left)
            for (const pod of (await core.listNamespacedPod({ namespace: ns.metadata?.name ?? '' })).items)
              await core
                .deleteNamespacedPod({
                  name: pod.metadata?.name ?? '',
                  namespace: ns.metadata?.name ?? '',
                  gracePeriodSeconds: 0,
                })
                .catch(() => undefined);
          return left.length === 0;
        },
        90_000,
        250,
      );
    }),
  );
  // RealCluster remembers the namespaces it created; they are gone now.
  for (const cluster of fleet.clusters) cluster.forgetNamespaces();
}

/** Every pod of the layout (but monitoring's) Running, every workload with its replicas ready. */
async function waitForLayoutRunning(
  fleet: RealFleet,
  rendered: RenderedLayout,
  api: <T extends k8s.ApiType>(cluster: string, type: new (config: k8s.Configuration) => T) => T,
): Promise<void> {
  for (const cluster of fleet.clusters) {
    const apps = api(cluster.name, k8s.AppsV1Api);
    const core = api(cluster.name, k8s.CoreV1Api);
    await waitFor(
      `every workload of ${cluster.name} ready`,
      async () => {
        const [deployments, statefulSets, pods] = await Promise.all([
          apps.listDeploymentForAllNamespaces(),
          apps.listStatefulSetForAllNamespaces(),
          core.listPodForAllNamespaces(),
        ]);
        const mine = (ns: string | undefined) => ns !== 'kube-system' && ns !== 'monitoring';
        const workloads = [...deployments.items, ...statefulSets.items].filter((w) => mine(w.metadata?.namespace));
        const expected = (rendered.objects.get(cluster.name) ?? []).filter(
          (o) => (o.kind === 'Deployment' || o.kind === 'StatefulSet') && mine(o.metadata.namespace),
        ).length;
        const ready =
          workloads.length >= expected &&
          workloads.every(
            (w) =>
              (w.status?.observedGeneration ?? 0) >= (w.metadata?.generation ?? 1) &&
              (w.status?.readyReplicas ?? 0) >= (w.spec?.replicas ?? 1),
          ) &&
          pods.items.filter((p) => mine(p.metadata?.namespace)).every((p) => p.status?.phase === 'Running');
        return ready;
      },
      120_000,
      200,
    );
  }
}

/**
 * Marks the world failed when a test of this file fails (so its logs are kept), and adds to the
 * failure message where they are.
 */
export function keepLogsOnFailure(world: () => RealWorld | undefined): void {
  afterEach(({ task }) => {
    if (task.result?.state !== 'fail') return;
    const w = world();
    if (!w) return;
    w.markFailed();
    for (const error of task.result.errors ?? []) {
      if (!error.message.includes(w.root)) error.message += `\n${logsNote(w)}`;
    }
  });
}

/** Where a world's logs are, for a failure message. */
export function logsNote(w: RealWorld): string {
  return `every component's log is kept under ${w.root} (kcp-up.log, state/logs/*.log for etcd and each API server, controller-manager and scheduler, agents.log for the node agents and containers, cli/*.log for each kubecost-rotate run)`;
}
