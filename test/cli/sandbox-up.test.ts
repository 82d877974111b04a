/**
 * The command line: help, version, and `sandbox up` serving a fleet that real clients can use.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { SIM_RESOURCES } from '../../src/sim/kube/index.js';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const cli = ['--import', 'tsx', join(root, 'src', 'cli', 'main.ts')];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubecost-rotate-cli-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [...cli, ...args], { cwd: root, env });
    return { code: 0, stdout, stderr };
  } catch (error: unknown) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('kubecost-rotate', () => {
  it('prints help naming the sandbox command, and exits 0', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: kubecost-rotate');
    expect(stdout).toContain('sandbox');
  });

  it('prints the package version', async () => {
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
    const { code, stdout } = await runCli(['--version']);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(pkg.version);
  });

  it('runs from the installed binary once built', async () => {
    // `npm ci` builds dist/ through the prepare script; the launcher must find it.
    expect(
      existsSync(join(root, 'dist', 'cli', 'main.js')),
      'dist/ is missing: run `npm run build` (npm ci does it)',
    ).toBe(true);
    const { stdout } = await run(process.execPath, [join(root, 'bin', 'kubecost-rotate.js'), '--version']);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('exits 2 with a clear message on bad usage', async () => {
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    const bad = await runCli(['sandbox', 'up', '--clusters', 'many', '--kubeconfig', join(dir, 'x')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--clusters must be a whole number from 1 to 500 (got "many")');
  });
});

/** Starts `sandbox up` as a child process and resolves once it prints ready. */
async function startSandboxProcess(
  args: string[],
): Promise<{ stdout: () => string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [...cli, 'sandbox', 'up', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no "ready" line within 20 s; stdout: ${stdout} stderr: ${stderr}`)),
      20_000,
    );
    child.stdout.on('data', () => {
      if (/^ready$/m.test(stdout)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return {
    stdout: () => stdout,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

describe('sandbox up', () => {
  it('serves N clusters, prints ready, writes a working kubeconfig, and stops cleanly on SIGTERM', async () => {
    const kubeconfig = join(dir, 'kubeconfig');
    const sandbox = await startSandboxProcess(['--layout', 'none', '--clusters', '3', '--kubeconfig', kubeconfig]);
    try {
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(kubeconfig);
      expect(kc.getContexts().map((c) => c.name)).toEqual(['cluster-1', 'cluster-2', 'cluster-3']);
      for (const context of ['cluster-1', 'cluster-3']) {
        const one = new k8s.KubeConfig();
        one.loadFromFile(kubeconfig);
        one.setCurrentContext(context);
        const namespaces = await one.makeApiClient(k8s.CoreV1Api).listNamespace();
        expect(namespaces.items.map((n) => n.metadata?.name)).toEqual(['default', 'kube-public', 'kube-system']);
      }
    } finally {
      expect(await sandbox.stop()).toBe(0);
    }
    expect(sandbox.stdout()).toContain('kube-sim: stopped');
  });
});

describe('sandbox with a layout', () => {
  it('lets a user discover, get a new key with sandbox new-key, and rotate it, all as separate commands, against the clouds the kubeconfig records', async () => {
    const kubeconfig = join(dir, 'kubeconfig-layout');
    const sandbox = await startSandboxProcess(['--layout', 'v2-single', '--kubeconfig', kubeconfig]);
    try {
      expect(sandbox.stdout()).toContain('Kubecost 2.4.2 single (release kubecost in kubecost)');
      const discovered = await runCli(['discover', '--kubeconfig', kubeconfig, '--all-contexts', '-o', 'json']);
      expect(discovered.code).toBe(0);
      const aws = (
        JSON.parse(discovered.stdout) as { credentials: { id: string; provider: string }[] }
      ).credentials.find((c) => c.provider === 'aws');
      expect(aws).toBeDefined();
      const issued = await runCli(['sandbox', 'new-key', '--kubeconfig', kubeconfig, '--credential', aws?.id ?? '']);
      expect(issued.code).toBe(0);
      const keyFile = JSON.parse(issued.stdout) as { AccessKey: { AccessKeyId: string } };
      expect(keyFile.AccessKey.AccessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
      const path = join(dir, 'new-key.json');
      await writeFile(path, issued.stdout);
      // The kubeconfig records the emulated clouds: no --provider-endpoints, no variable, and the probe on.
      const kubeconfigDoc = parse(await readFile(kubeconfig, 'utf8')) as {
        extensions?: { name: string; extension: Record<string, string> }[];
      };
      const recorded = kubeconfigDoc.extensions?.find((e) => e.name === 'kubecost-rotate.io/provider-endpoints');
      expect(recorded?.extension).toEqual(JSON.parse(await readFile(`${kubeconfig}.endpoints.json`, 'utf8')));
      expect(
        Object.values(recorded?.extension ?? {}).every((url) => /^https?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(url)),
      ).toBe(true);
      const { KUBECOST_ROTATE_PROBE: _off, KUBECOST_ROTATE_PROVIDER_ENDPOINTS: _file, ...env } = process.env;
      const rotated = await runCli(
        [
          'rotate',
          '--kubeconfig',
          kubeconfig,
          '--all-contexts',
          '--credential',
          aws?.id ?? '',
          '--new-key-file',
          path,
          '--yes',
          '--verify-window',
          '3s',
        ],
        env,
      );
      expect(rotated.stdout).toContain('Verified.');
      expect(rotated.stdout).toMatch(
        /^Proven: AKIA\w+ authenticates as arn:aws:iam::123456789012:user\/\S+ and reached/m,
      );
      expect(rotated.stdout).toMatch(/ok\s+probe .* → athena us-east-1\/primary\/athenacurcfn_kubecost_cur/);
      expect(rotated.code).toBe(0);
      const after = JSON.parse(
        (await runCli(['discover', '--kubeconfig', kubeconfig, '--all-contexts', '-o', 'json'])).stdout,
      ) as { credentials: { id: string }[] };
      expect(after.credentials.map((c) => c.id)).toContain(`aws:${keyFile.AccessKey.AccessKeyId}`);
      expect(after.credentials.map((c) => c.id)).not.toContain(aws?.id);
      // new-key is CreateAccessKey of the IAM emulation: the old key still exists, so a third is refused as AWS refuses it.
      const third = await runCli([
        'sandbox',
        'new-key',
        '--kubeconfig',
        kubeconfig,
        '--credential',
        `aws:${keyFile.AccessKey.AccessKeyId}`,
      ]);
      expect(third.code).toBe(2);
      expect(third.stderr).toContain(
        'the sandbox refused: LimitExceeded: Cannot exceed quota for AccessKeysPerUser: 2',
      );
    } finally {
      expect(await sandbox.stop()).toBe(0);
    }
  });

  it('refuses new-key when no sandbox runs for that kubeconfig', async () => {
    const run = await runCli(['sandbox', 'new-key', '--kubeconfig', join(dir, 'nothing'), '--credential', 'x']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no running sandbox for');
  });
});

describe('sandbox up --pod-start and --pod-ready', () => {
  it('runs pods with the latencies given: Pending until the start latency, Ready only after the ready latency', async () => {
    const { startSandboxFleet } = await import('../../src/sandbox/up.js');
    const { deployment, waitFor } = await import('../support/kube.js');
    const running = await startSandboxFleet({
      layout: 'none',
      clusters: '1',
      kubeconfig: join(dir, 'kubeconfig-timing'),
      podStart: '20s',
      podReady: '30s',
    });
    try {
      const cluster = running.fleet.cluster('cluster-1');
      const clock = running.fleet.clock;
      cluster.apply(deployment({ name: 'slow' }));
      const podOf = () =>
        cluster.store.peekAll(SIM_RESOURCES.pods, 'default').find((p) => p.metadata.labels?.app === 'slow') as
          { status?: { phase?: string; conditions?: { type: string; status: string }[] } } | undefined;
      const ready = () => podOf()?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      await waitFor('the pod of the Deployment', () => podOf()?.status?.phase === 'Pending');
      clock.advance(19_000);
      expect(podOf()?.status?.phase).toBe('Pending');
      clock.advance(1_000);
      await waitFor('the pod running', () => podOf()?.status?.phase === 'Running');
      clock.advance(29_000);
      expect(ready()).toBe(false);
      clock.advance(1_000);
      await waitFor('the pod ready', () => ready());
    } finally {
      await running.fleet.stop();
    }
  });

  it('refuses a latency that is not a duration, and exits 2', async () => {
    const bad = await runCli(['sandbox', 'up', '--pod-start', 'fast', '--kubeconfig', join(dir, 'x')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--pod-start fast is not a duration');
  });
});
