/**
 * A failing real-cluster test keeps every component's log and says where in its failure message:
 * test/real/fixtures/fails-on-purpose.ts (a test that fails after running the CLI) runs in a
 * vitest of its own, inside this run's network namespace.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot } from './support/control-plane.js';

function runFixture(): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      join(repoRoot, 'node_modules/.bin/vitest'),
      ['run', '-c', 'vitest.real.config.ts'],
      {
        cwd: repoRoot,
        env: { ...process.env, REAL_CLUSTER_FIXTURE: 'test/real/fixtures/fails-on-purpose.ts', NO_COLOR: '1' },
        timeout: 150_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

it("keeps every component's log of a failing test under .tmp/real-cluster-* and names the place in the failure message", async () => {
  const { code, out } = await runFixture();
  expect(code, out.slice(-3000)).toBe(1);
  expect(out).toContain('fails on purpose after running the CLI once');
  const dir = /every component's log is kept under (\.tmp\/real-cluster-\w+)/.exec(out)?.[1];
  expect(dir, out.slice(-3000)).toBeDefined();
  const root = join(repoRoot, dir ?? '');
  try {
    expect(existsSync(join(root, 'kcp-up.log'))).toBe(true);
    expect(readdirSync(join(root, 'state/logs')).sort()).toEqual([
      'cluster-1-apiserver.log',
      'cluster-1-controller-manager.log',
      'cluster-1-scheduler.log',
      'etcd.log',
    ]);
    for (const f of readdirSync(join(root, 'state/logs')))
      expect(readFileSync(join(root, 'state/logs', f), 'utf8').length, f).toBeGreaterThan(0);
    expect(readFileSync(join(root, 'agents.log'), 'utf8')).toMatch(/node agents started: cluster-1-node-1\n/);
    expect(readFileSync(join(root, 'cli/01-discover.log'), 'utf8')).toMatch(
      /^\$ kubecost-rotate discover --kubeconfig \S+ --all-contexts\n--- exit 0\n--- stdout\n0 Kubecost installations on 1 cluster/,
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
