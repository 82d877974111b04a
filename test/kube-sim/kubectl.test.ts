/**
 * kube-sim through the real kubectl binary: the commands an operator runs during a key rotation
 * must behave against the simulator as they do against a real API server.
 *
 * Which kubectl: $KUBECTL, else `kubectl` on PATH. CI on a clean machine installs Debian
 * bookworm's kubernetes-client (kubectl 1.20); developer machines usually have a recent one.
 * The suite runs unchanged with both. Without any kubectl it fails (it never skips).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet, type KubeObject, type SimCluster } from '../../src/sim/kube/index.js';

const KUBECTL = process.env.KUBECTL ?? 'kubectl';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const workDir = await mkdtemp(join(tmpdir(), 'kube-sim-kubectl-'));
const kubeconfigPath = join(workDir, 'kubeconfig');
let fleet: Fleet;
let c1: SimCluster;
let c2: SimCluster;

/** Runs kubectl against one context with a private HOME and discovery cache; never throws on a non-zero exit. */
function kubectl(args: readonly string[], options: { context?: string; input?: string } = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: join(workDir, 'home'),
    KUBECACHEDIR: join(workDir, 'home', '.kube', 'cache'),
  };
  delete env.KUBECONFIG;
  const argv = ['--kubeconfig', kubeconfigPath, '--context', options.context ?? 'cluster-1', ...args];
  return new Promise((resolve, reject) => {
    const child = execFile(
      KUBECTL,
      argv,
      { env, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code === 'string') {
          reject(
            new Error(
              error.code === 'ENOENT'
                ? `kubectl not found: tried "${KUBECTL}". Install kubectl (Debian: apt-get install kubernetes-client) or set KUBECTL=/path/to/kubectl.`
                : `could not run ${KUBECTL}: ${error.message}`,
            ),
          );
          return;
        }
        if (error && error.killed) {
          reject(new Error(`kubectl ${args.join(' ')} was killed (timeout?)\nstdout: ${stdout}\nstderr: ${stderr}`));
          return;
        }
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(options.input ?? '');
  });
}

/** Runs kubectl and insists on exit code 0. */
async function ok(args: readonly string[], options: { context?: string; input?: string } = {}): Promise<string> {
  const run = await kubectl(args, options);
  if (run.code !== 0)
    throw new Error(`kubectl ${args.join(' ')} exited ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  return run.stdout;
}

async function getJson(args: readonly string[], context?: string): Promise<KubeObject & { items?: KubeObject[] }> {
  return JSON.parse(await ok([...args, '-o', 'json'], context ? { context } : {})) as KubeObject & {
    items?: KubeObject[];
  };
}

async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Pods of a namespace matching a selector, without those already terminating. */
async function livePods(namespace: string, selector: string): Promise<KubeObject[]> {
  const list = await getJson(['get', 'pods', '-n', namespace, '-l', selector]);
  return (list.items ?? []).filter((p) => p.metadata.deletionTimestamp === undefined);
}

function template(app: string): Record<string, unknown> {
  return { metadata: { labels: { app } }, spec: { containers: [{ name: 'app', image: `registry.example/${app}:1` }] } };
}

function deployment(namespace: string, name: string, replicas: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: template(name) },
  };
}

function statefulSet(namespace: string, name: string, replicas: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace },
    spec: { replicas, serviceName: name, selector: { matchLabels: { app: name } }, template: template(name) },
  };
}

function secretObject(namespace: string, name: string, data: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
}

// Found before any test is collected: without a kubectl the file fails with this message (it never skips).
const clientVersion = await kubectl(['version', '--client', '-o', 'json']).then(
  (run) => /"gitVersion":\s*"([^"]+)"/.exec(run.stdout)?.[1] ?? `unknown (exit ${run.code}: ${run.stderr.trim()})`,
  async (error: unknown) => {
    await rm(workDir, { recursive: true, force: true });
    throw error;
  },
);

beforeAll(async () => {
  fleet = await startFleet({ clusters: 2, kubeconfigPath });
  c1 = fleet.cluster('cluster-1');
  c2 = fleet.cluster('cluster-2');
  c1.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kubecost' } });
});

afterAll(async () => {
  await fleet?.stop();
  await rm(workDir, { recursive: true, force: true });
});

describe(`kubectl ${clientVersion} (${KUBECTL}) against kube-sim`, () => {
  it('is a kubectl that reports a v1.x client version', () => {
    expect(clientVersion).toMatch(/^v1\.\d+\.\d+/);
  });

  it('lists the namespaces of the cluster with `get ns`', async () => {
    const out = await ok(['get', 'ns']);
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+STATUS\s+AGE$/);
    const names = lines.slice(1).map((l) => l.split(/\s+/)[0]);
    expect(names).toEqual(['default', 'kube-public', 'kube-system', 'kubecost']);
    for (const line of lines.slice(1)) expect(line).toMatch(/^\S+\s+Active\s+\d+s$/);
  });

  it('creates a secret from a file, and `get secret -o json` returns the file bytes in data and no stringData', async () => {
    const content = 'line one\nclé: välue ✓\n{"json": true}\n';
    const file = join(workDir, 'service-key.json');
    await writeFile(file, content);
    const created = await ok([
      'create',
      'secret',
      'generic',
      'cloud-key',
      '-n',
      'kubecost',
      `--from-file=service-key.json=${file}`,
      '--from-literal=project=acme',
    ]);
    expect(created.trim()).toBe('secret/cloud-key created');

    const secret = await getJson(['get', 'secret', 'cloud-key', '-n', 'kubecost']);
    const data = secret.data as Record<string, string>;
    expect(Object.keys(data).sort()).toEqual(['project', 'service-key.json']);
    expect(Buffer.from(data['service-key.json'] ?? '', 'base64').toString('utf8')).toBe(content);
    expect(Buffer.from(data.project ?? '', 'base64').toString('utf8')).toBe('acme');
    expect(secret.stringData).toBeUndefined();
    expect(secret.type).toBe('Opaque');

    // stringData sent by a manifest is folded into data, and is not echoed back either.
    const manifest = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'from-string-data', namespace: 'kubecost' },
      stringData: { token: 'plain text' },
    });
    await ok(['create', '-f', '-'], { input: manifest });
    const folded = await getJson(['get', 'secret', 'from-string-data', '-n', 'kubecost']);
    expect(folded.data).toEqual({ token: Buffer.from('plain text').toString('base64') });
    expect(folded.stringData).toBeUndefined();
  });

  it('merge-patches one key of a secret with `patch --type merge`, keeping the other keys and bumping resourceVersion', async () => {
    c1.apply(secretObject('kubecost', 'patch-me', { keep: 'unchanged', rotate: 'old', drop: 'gone soon' }));
    const before = await getJson(['get', 'secret', 'patch-me', '-n', 'kubecost']);
    const patch = JSON.stringify({
      metadata: { labels: { rotated: 'yes' } },
      data: { rotate: Buffer.from('new').toString('base64'), drop: null },
    });
    const out = await ok(['patch', 'secret', 'patch-me', '-n', 'kubecost', '--type', 'merge', '-p', patch]);
    expect(out.trim()).toBe('secret/patch-me patched');
    const after = await getJson(['get', 'secret', 'patch-me', '-n', 'kubecost']);
    const data = after.data as Record<string, string>;
    expect(Object.keys(data).sort()).toEqual(['keep', 'rotate']);
    expect(Buffer.from(data.rotate ?? '', 'base64').toString()).toBe('new');
    expect(Buffer.from(data.keep ?? '', 'base64').toString()).toBe('unchanged');
    expect(after.metadata.labels).toEqual({ rotated: 'yes' });
    expect(Number(after.metadata.resourceVersion)).toBeGreaterThan(Number(before.metadata.resourceVersion));
    expect(after.metadata.uid).toBe(before.metadata.uid);
  });

  it('replaces every pod of a Deployment with `rollout restart` and waits for it with `rollout status`', async () => {
    c1.apply(deployment('rollout', 'web', 3));
    await ok(['rollout', 'status', 'deployment/web', '-n', 'rollout', '--timeout=60s']);
    const before = await livePods('rollout', 'app=web');
    expect(before).toHaveLength(3);

    const restarted = await ok(['rollout', 'restart', 'deployment/web', '-n', 'rollout']);
    expect(restarted.trim()).toBe('deployment.apps/web restarted');
    const status = await ok(['rollout', 'status', 'deployment/web', '-n', 'rollout', '--timeout=60s']);
    expect(status).toContain('deployment "web" successfully rolled out');

    const web = await getJson(['get', 'deployment', 'web', '-n', 'rollout']);
    const annotations = ((web.spec as { template: { metadata: KubeObject['metadata'] } }).template.metadata
      .annotations ?? {}) as Record<string, string>;
    const restartedAt = Date.parse(annotations['kubectl.kubernetes.io/restartedAt'] ?? '');
    expect(Math.abs(Date.now() - restartedAt)).toBeLessThan(60_000);
    expect((web.status as { updatedReplicas?: number; availableReplicas?: number }).updatedReplicas).toBe(3);

    const after = await livePods('rollout', 'app=web');
    expect(after).toHaveLength(3);
    const beforeNames = new Set(before.map((p) => p.metadata.name));
    for (const pod of after) expect(beforeNames.has(pod.metadata.name)).toBe(false);
    const oldHashes = new Set(before.map((p) => p.metadata.labels?.['pod-template-hash']));
    const newHashes = new Set(after.map((p) => p.metadata.labels?.['pod-template-hash']));
    expect(newHashes.size).toBe(1);
    expect(oldHashes.has([...newHashes][0])).toBe(false);
  });

  it('recreates every pod of a StatefulSet with `rollout restart`, highest ordinal first, and `rollout status` waits for it', async () => {
    c1.apply(statefulSet('rollout', 'db', 3));
    await ok(['rollout', 'status', 'statefulset/db', '-n', 'rollout', '--timeout=60s']);
    const before = await livePods('rollout', 'app=db');
    expect(before.map((p) => p.metadata.name).sort()).toEqual(['db-0', 'db-1', 'db-2']);

    const restarted = await ok(['rollout', 'restart', 'statefulset/db', '-n', 'rollout']);
    expect(restarted.trim()).toBe('statefulset.apps/db restarted');
    const status = await ok(['rollout', 'status', 'statefulset/db', '-n', 'rollout', '--timeout=60s']);
    expect(status).toMatch(/roll(ing update|ed out| out complete)/);

    const db = await getJson(['get', 'statefulset', 'db', '-n', 'rollout']);
    const annotations = ((db.spec as { template: { metadata: KubeObject['metadata'] } }).template.metadata
      .annotations ?? {}) as Record<string, string>;
    expect(annotations['kubectl.kubernetes.io/restartedAt']).toBeDefined();
    const updateRevision = (db.status as { updateRevision?: string }).updateRevision;

    const after = await livePods('rollout', 'app=db');
    expect(after.map((p) => p.metadata.name).sort()).toEqual(['db-0', 'db-1', 'db-2']);
    const oldUid = new Map(before.map((p) => [p.metadata.name, p.metadata.uid]));
    for (const pod of after) {
      expect(pod.metadata.uid).not.toBe(oldUid.get(pod.metadata.name));
      expect(pod.metadata.labels?.['controller-revision-hash']).toBe(updateRevision);
    }

    // The controller's events tell the order it deleted the old pods in.
    const events = await ok([
      'get',
      'events',
      '-n',
      'rollout',
      '--field-selector',
      'involvedObject.kind=StatefulSet,involvedObject.name=db,reason=SuccessfulDelete',
      '--sort-by=.metadata.resourceVersion',
      '-o',
      'custom-columns=MESSAGE:.message',
      '--no-headers',
    ]);
    expect(events.trim().split('\n')).toEqual([
      'delete Pod db-2 in StatefulSet db successful',
      'delete Pod db-1 in StatefulSet db successful',
      'delete Pod db-0 in StatefulSet db successful',
    ]);
  });

  it('filters pods by label with `get pods -l`, and says "No resources found" when nothing matches', async () => {
    c1.apply(deployment('labels', 'front', 2));
    c1.apply(deployment('labels', 'back', 1));
    await ok(['rollout', 'status', 'deployment/front', '-n', 'labels', '--timeout=60s']);
    await ok(['rollout', 'status', 'deployment/back', '-n', 'labels', '--timeout=60s']);
    const podNames = async (selector: string) =>
      (await ok(['get', 'pods', '-n', 'labels', '-l', selector, '-o', 'name'])).trim().split('\n').filter(Boolean);

    const front = await podNames('app=front');
    expect(front).toHaveLength(2);
    for (const name of front) expect(name).toMatch(/^pod\/front-/);
    expect(await podNames('app!=front')).toEqual([expect.stringMatching(/^pod\/back-/)]);
    expect(await podNames('app in (front,back)')).toHaveLength(3);

    const table = await ok(['get', 'pods', '-n', 'labels', '-l', 'app=back']);
    expect(table.trim().split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(table).toMatch(/^back-\S+\s+1\/1\s+Running\s+0\s+\d+s$/m);

    const none = await kubectl(['get', 'pods', '-n', 'labels', '-l', 'app=nothing']);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('');
    expect(none.stderr.trim()).toBe('No resources found in labels namespace.');
  });

  it('serves `logs deploy/X -c C` with --since-time, --timestamps and --tail applied by the server', async () => {
    const total = 15;
    c1.kubelet.bind({
      namespace: 'logs',
      workload: 'Deployment/ticker',
      container: 'app',
      program: (ctx) => {
        let n = 0;
        ctx.log(`line ${n++}`);
        ctx.every(100, () => {
          if (n < total) ctx.log(`line ${n++}`);
        });
      },
    });
    c1.apply(deployment('logs', 'ticker', 1));
    await ok(['rollout', 'status', 'deployment/ticker', '-n', 'logs', '--timeout=60s']);
    const logs = (extra: string[]) => ok(['logs', 'deploy/ticker', '-n', 'logs', '-c', 'app', ...extra]);

    // 15 lines 100 ms apart span more than a second, so some whole second falls between them.
    const stamped = await eventually('all log lines', async () => {
      const out = await logs(['--timestamps']);
      return out.includes(`line ${total - 1}\n`) ? out : undefined;
    });
    const entries = stamped
      .trimEnd()
      .split('\n')
      .map((l) => {
        const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z) (line \d+)$/.exec(l);
        if (!m) throw new Error(`unexpected --timestamps line: ${l}`);
        return { ms: Date.parse(m[1] ?? ''), line: m[2] ?? '' };
      });
    expect(entries.map((e) => e.line)).toEqual(Array.from({ length: total }, (_, i) => `line ${i}`));

    const boundary = Math.ceil(((entries[0]?.ms ?? 0) + 1) / 1000) * 1000;
    const expected = entries.filter((e) => e.ms >= boundary).map((e) => e.line);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(total);
    const sinceTime = new Date(boundary).toISOString().replace('.000Z', 'Z');
    expect((await logs([`--since-time=${sinceTime}`])).trimEnd().split('\n')).toEqual(expected);

    expect((await logs(['--tail=3'])).trimEnd().split('\n')).toEqual(['line 12', 'line 13', 'line 14']);
    const tailStamped = (await logs(['--tail=1', '--timestamps'])).trimEnd().split('\n');
    expect(tailStamped).toEqual([expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line 14$/)]);
  });

  it('waits in `delete pod` until the pod is gone, and the ReplicaSet creates a replacement', async () => {
    c1.kubelet.setTiming({ namespace: 'deletion', timing: { terminateMs: 500 } });
    c1.apply(deployment('deletion', 'api', 2));
    await ok(['rollout', 'status', 'deployment/api', '-n', 'deletion', '--timeout=60s']);
    const before = await livePods('deletion', 'app=api');
    expect(before).toHaveLength(2);
    const victim = before[0]?.metadata.name ?? '';
    const owner = before[0]?.metadata.ownerReferences?.[0]?.name;

    const deleted = await ok(['delete', 'pod', victim, '-n', 'deletion']);
    expect(deleted.trim()).toBe(`pod "${victim}" deleted`);
    // The pod takes 500 ms to terminate: had kubectl not waited, it would still be there (Terminating).
    const gone = await kubectl(['get', 'pod', victim, '-n', 'deletion']);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toContain(`Error from server (NotFound): pods "${victim}" not found`);

    const after = await eventually('a replacement pod', async () => {
      const pods = await livePods('deletion', 'app=api');
      return pods.length === 2 ? pods : undefined;
    });
    const replacement = after.find((p) => !before.some((b) => b.metadata.name === p.metadata.name));
    expect(replacement).toBeDefined();
    expect(replacement?.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'ReplicaSet', name: owner });
    expect(after.map((p) => p.metadata.name)).toContain(before[1]?.metadata.name);
  });

  it('refuses a stale `replace -f` with a Conflict and leaves the object as it was', async () => {
    c1.apply(secretObject('kubecost', 'stale', { key: 'v1' }));
    const stale = await ok(['get', 'secret', 'stale', '-n', 'kubecost', '-o', 'yaml']);
    const staleFile = join(workDir, 'stale-secret.yaml');
    await writeFile(
      staleFile,
      stale.replace(Buffer.from('v1').toString('base64'), Buffer.from('from-stale-file').toString('base64')),
    );
    await ok([
      'patch',
      'secret',
      'stale',
      '-n',
      'kubecost',
      '--type',
      'merge',
      '-p',
      JSON.stringify({ data: { key: Buffer.from('v2').toString('base64') } }),
    ]);

    const replaced = await kubectl(['replace', '-f', staleFile]);
    expect(replaced.code).not.toBe(0);
    expect(replaced.stderr).toContain('Error from server (Conflict)');
    expect(replaced.stderr).toContain(
      'the object has been modified; please apply your changes to the latest version and try again',
    );
    const current = await getJson(['get', 'secret', 'stale', '-n', 'kubecost']);
    expect(Buffer.from((current.data as Record<string, string>).key ?? '', 'base64').toString()).toBe('v2');

    // The same replace from a fresh read goes through: the conflict was the stale resourceVersion.
    const fresh = await ok(['get', 'secret', 'stale', '-n', 'kubecost', '-o', 'json']);
    const freshObject = JSON.parse(fresh) as KubeObject;
    freshObject.data = { key: Buffer.from('v3').toString('base64') };
    expect((await ok(['replace', '-f', '-'], { input: JSON.stringify(freshObject) })).trim()).toBe(
      'secret/stale replaced',
    );
  });

  it('prints the human tables of `get deploy,sts,rs,pods`', async () => {
    c1.apply(deployment('tables', 'web', 2));
    c1.apply(statefulSet('tables', 'db', 1));
    await ok(['rollout', 'status', 'deployment/web', '-n', 'tables', '--timeout=60s']);
    await ok(['rollout', 'status', 'statefulset/db', '-n', 'tables', '--timeout=60s']);
    const out = await ok(['get', 'deploy,sts,rs,pods', '-n', 'tables']);
    const sections = out
      .trim()
      .split(/\n\s*\n/)
      .map((s) => s.split('\n'));
    expect(sections).toHaveLength(4);
    const [deploys = [], statefulSets = [], replicaSets = [], pods = []] = sections;
    expect(deploys[0]).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/);
    expect(deploys.slice(1)).toEqual([expect.stringMatching(/^deployment\.apps\/web\s+2\/2\s+2\s+2\s+\d+s$/)]);
    expect(statefulSets[0]).toMatch(/^NAME\s+READY\s+AGE$/);
    expect(statefulSets.slice(1)).toEqual([expect.stringMatching(/^statefulset\.apps\/db\s+1\/1\s+\d+s$/)]);
    expect(replicaSets[0]).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE$/);
    expect(replicaSets.slice(1)).toEqual([
      expect.stringMatching(/^replicaset\.apps\/web-[a-z0-9]+\s+2\s+2\s+2\s+\d+s$/),
    ]);
    expect(pods[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(pods.slice(1)).toHaveLength(3);
    expect(pods.slice(1)).toContainEqual(expect.stringMatching(/^pod\/db-0\s+1\/1\s+Running\s+0\s+\d+s$/));
    expect(
      pods.slice(1).filter((l) => /^pod\/web-[a-z0-9]+-[a-z0-9]+\s+1\/1\s+Running\s+0\s+\d+s$/.test(l)),
    ).toHaveLength(2);
  });

  it('surfaces a deny rule as `Error from server (Forbidden)` for that verb only', async () => {
    c1.apply(secretObject('kubecost', 'guarded', { key: 'value' }));
    const lift = c1.access.deny({ verb: 'get', resource: 'secrets' });
    try {
      const denied = await kubectl(['get', 'secret', 'guarded', '-n', 'kubecost']);
      expect(denied.code).not.toBe(0);
      expect(denied.stderr.trim()).toBe(
        'Error from server (Forbidden): secrets "guarded" is forbidden: User "kubernetes-admin" cannot get resource "secrets" in API group "" in the namespace "kubecost"',
      );
      // list is another verb: still allowed.
      expect(await ok(['get', 'secrets', '-n', 'kubecost', '-o', 'name'])).toContain('secret/guarded');
    } finally {
      lift();
    }
    expect((await ok(['get', 'secret', 'guarded', '-n', 'kubecost', '-o', 'name'])).trim()).toBe('secret/guarded');
  });

  it('switches clusters with --context, and the clusters share nothing', async () => {
    c1.apply(secretObject('default', 'same-name', { who: 'cluster-1' }));
    c2.apply(secretObject('default', 'same-name', { who: 'cluster-2' }));
    const read = async (context: string) => {
      const s = await getJson(['get', 'secret', 'same-name', '-n', 'default'], context);
      return Buffer.from((s.data as Record<string, string>).who ?? '', 'base64').toString();
    };
    expect(await read('cluster-1')).toBe('cluster-1');
    expect(await read('cluster-2')).toBe('cluster-2');

    const namespaces = (await ok(['get', 'ns', '-o', 'name'], { context: 'cluster-2' })).trim().split('\n');
    expect(namespaces).toEqual(['namespace/default', 'namespace/kube-public', 'namespace/kube-system']);
    const workloads = await kubectl(['get', 'deploy,sts', '-A'], { context: 'cluster-2' });
    expect(workloads.code).toBe(0);
    expect(workloads.stdout).toBe('');
    expect(workloads.stderr.trim()).toBe('No resources found');

    const before = c2.requests.length;
    await ok(['get', 'ns'], { context: 'cluster-2' });
    expect(c2.requests.length).toBeGreaterThan(before);
    expect(c2.requests.slice(before).every((r) => r.user === 'kubernetes-admin')).toBe(true);
  });

  it('restarts a DaemonSet with `rollout restart` and waits for it with `rollout status`', async () => {
    c1.apply({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: 'daemons' },
      spec: { selector: { matchLabels: { app: 'agent' } }, template: template('agent') },
    });
    await ok(['rollout', 'status', 'daemonset/agent', '-n', 'daemons', '--timeout=60s']);
    const before = await livePods('daemons', 'app=agent');
    expect(before).toHaveLength(1);
    expect((await ok(['rollout', 'restart', 'daemonset/agent', '-n', 'daemons'])).trim()).toBe(
      'daemonset.apps/agent restarted',
    );
    const status = await ok(['rollout', 'status', 'daemonset/agent', '-n', 'daemons', '--timeout=60s']);
    expect(status).toContain('daemon set "agent" successfully rolled out');
    const after = await eventually('the restarted pod alone', async () => {
      const pods = await livePods('daemons', 'app=agent');
      return pods.length === 1 && pods[0]?.metadata.name !== before[0]?.metadata.name ? pods : undefined;
    });
    expect(after[0]?.metadata.labels?.['pod-template-generation']).toBe('2');
    const table = await ok(['get', 'ds', '-n', 'daemons']);
    expect(table.trim().split('\n')[0]).toMatch(
      /^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE$/,
    );
  });

  it('sorts events with `get events --sort-by`, which needs whole objects in the Table rows', async () => {
    for (const [name, at] of [
      ['late', '2026-01-01T00:00:09Z'],
      ['early', '2026-01-01T00:00:01Z'],
    ] as const)
      c1.apply({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace: 'events' },
        involvedObject: { kind: 'Secret', name: 'x', namespace: 'events' },
        reason: name === 'late' ? 'Second' : 'First',
        message: name,
        type: 'Normal',
        firstTimestamp: at,
        lastTimestamp: at,
        count: 1,
      });
    const out = await ok(['get', 'events', '-n', 'events', '--sort-by=.lastTimestamp']);
    const rows = out.trim().split('\n').slice(1);
    expect(rows.map((r) => /\s(First|Second)\s/.exec(r)?.[1])).toEqual(['First', 'Second']);
  });

  it('shows the wide columns with `get pods -o wide` and scales with `scale`', async () => {
    c1.apply(deployment('wide', 'web', 1));
    await ok(['rollout', 'status', 'deployment/web', '-n', 'wide', '--timeout=60s']);
    const out = await ok(['get', 'pods', '-n', 'wide', '-o', 'wide']);
    const [header = '', row = ''] = out.trim().split('\n');
    expect(header).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/);
    expect(row).toMatch(/\s10\.244\.\d+\.\d+\s+cluster-1-node\s+<none>\s+<none>$/);
    expect((await ok(['scale', 'deployment/web', '-n', 'wide', '--replicas=3'])).trim()).toBe(
      'deployment.apps/web scaled',
    );
    await ok(['rollout', 'status', 'deployment/web', '-n', 'wide', '--timeout=60s']);
    expect(await livePods('wide', 'app=web')).toHaveLength(3);
  });

  it('applies server-side with `apply --server-side`, and a second manager setting the same field conflicts', async () => {
    const config = (value: string) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: kubecost\ndata:\n  mode: "${value}"\n`;
    expect((await ok(['apply', '--server-side', '-f', '-'], { input: config('a') })).trim()).toBe(
      'configmap/settings serverside-applied',
    );
    await ok(['apply', '--server-side', '-f', '-'], { input: config('b') });
    const cm = await getJson(['get', 'configmap', 'settings', '-n', 'kubecost', '--show-managed-fields']);
    expect((cm.data as Record<string, string>).mode).toBe('b');
    const conflict = await kubectl(['apply', '--server-side', '--field-manager=other', '-f', '-'], {
      input: config('c'),
    });
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toContain('Apply failed with 1 conflict: conflict with "kubectl": .data.mode');
    await ok(['apply', '--server-side', '--field-manager=other', '--force-conflicts', '-f', '-'], {
      input: config('c'),
    });
    expect(
      ((await getJson(['get', 'configmap', 'settings', '-n', 'kubecost'])).data as Record<string, string>).mode,
    ).toBe('c');
  });

  it("refuses an unknown field in `create -f` as the real server does with kubectl's strict validation", async () => {
    const run = await kubectl(['create', '-f', '-'], {
      input: 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: typo\n  namespace: kubecost\nstringdata:\n  a: b\n',
    });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('strict decoding error: unknown field "stringdata"');
    expect((await kubectl(['get', 'secret', 'typo', '-n', 'kubecost'])).code).not.toBe(0);
  });
});
