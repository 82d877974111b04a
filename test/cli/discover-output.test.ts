/**
 * What `kubecost-rotate discover` prints: the JSON shape of the design, a table readable for a
 * fleet, exit codes, and (for every layout, format and failure) not one byte of a secret value.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIM_RESOURCES } from '../../src/sim/kube/index.js';
import { LAYOUTS, layoutSecretValues, type LayoutName } from '../../src/sim/kubecost/index.js';
import { leakedSecrets, runCliInProcess } from '../support/capture.js';
import { startLayout, type LayoutWorld } from '../kubecost/layout-support.js';

const worlds = new Map<LayoutName, LayoutWorld>();

beforeAll(async () => {
  for (const name of LAYOUTS) worlds.set(name, await startLayout(name));
});

afterAll(async () => {
  for (const world of worlds.values()) await world.stop();
});

const world = (name: LayoutName) => worlds.get(name) as LayoutWorld;
const discoverArgs = (w: LayoutWorld, ...rest: string[]) => [
  'discover',
  '--kubeconfig',
  w.kubeconfig,
  '--all-contexts',
  ...rest,
];

/** Breaks one Secret and one cluster of a world, runs `fn`, and puts everything back. */
async function withFailures<T>(w: LayoutWorld, fn: () => Promise<T>): Promise<T> {
  const first = w.fleet.clusters[0];
  const last = w.fleet.clusters[w.fleet.clusters.length - 1];
  if (!first || !last) throw new Error('no clusters');
  const secrets = first.api
    .select(SIM_RESOURCES.secrets, undefined)
    .filter((s) => Object.keys((s.data as Record<string, string>) ?? {}).some((k) => /\.(json|yaml)$/.test(k)));
  const victim = secrets[0];
  if (!victim) throw new Error('no Secret to break');
  const data = victim.data as Record<string, string>;
  const key = Object.keys(data)[0] ?? '';
  const original = data[key] ?? '';
  // Truncate the document in the middle: the key material is still in the stored bytes.
  const text = Buffer.from(original, 'base64').toString('utf8');
  first.apply({
    ...victim,
    data: { ...data, [key]: Buffer.from(text.slice(0, Math.floor(text.length * 0.8))).toString('base64') },
  });
  const fault = w.fleet.clusters.length > 1 ? last.faults.add({ drop: true }) : undefined;
  try {
    return await fn();
  } finally {
    if (fault) last.faults.remove(fault);
    first.apply({ ...victim, data });
  }
}

describe('discover output never contains a secret value', () => {
  const formats = [
    ['-o', 'table'],
    ['-o', 'table', '-v'],
    ['-o', 'json'],
    ['-o', 'yaml'],
  ] as const;
  for (const name of LAYOUTS) {
    it(`prints no secret of layout ${name} in any format, with and without failures`, async () => {
      const w = world(name);
      const secrets = layoutSecretValues(w.layout);
      expect(secrets.length).toBeGreaterThan(0);
      // The scan itself must be able to find a leak.
      expect(leakedSecrets(`before ${secrets[0] ?? ''} after`, secrets)).toContain(secrets[0]);
      let printed = 0;
      for (const format of formats) {
        const ok = await runCliInProcess(discoverArgs(w, ...format));
        expect(ok.code).toBe(0);
        const failing = await withFailures(w, () => runCliInProcess(discoverArgs(w, ...format)));
        expect(failing.code).toBe(1);
        for (const run of [ok, failing]) {
          printed += run.stdout.length + run.stderr.length;
          expect(leakedSecrets(run.stdout + run.stderr, secrets)).toEqual([]);
        }
      }
      expect(printed).toBeGreaterThan(5_000);
    });
  }

  it('prints no secret value from the real binary either (bytes of a child process)', async () => {
    const w = world('mixed');
    const root = join(import.meta.dirname, '..', '..');
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', join(root, 'src', 'cli', 'main.ts'), ...discoverArgs(w, '-o', 'json')],
      { cwd: root },
    );
    expect(JSON.parse(stdout)).toHaveProperty('credentials');
    expect(leakedSecrets(stdout + stderr, layoutSecretValues(w.layout))).toEqual([]);
  });
});

describe('discover -o json', () => {
  it('has the minimum shape of the design for installations, sites, credentials and problems', async () => {
    const run = await runCliInProcess(discoverArgs(world('v2-federated'), '-o', 'json'));
    const doc = JSON.parse(run.stdout) as Record<string, Record<string, unknown>[]>;
    expect(Object.keys(doc)).toEqual(expect.arrayContaining(['installations', 'sites', 'credentials', 'problems']));
    expect(Object.keys(doc.installations?.[0] ?? {})).toEqual(
      expect.arrayContaining(['cluster', 'namespace', 'release', 'layout', 'role']),
    );
    expect(Object.keys(doc.sites?.[0] ?? {})).toEqual(
      expect.arrayContaining([
        'id',
        'cluster',
        'namespace',
        'secret',
        'dataKey',
        'path',
        'format',
        'provider',
        'credential',
        'consumers',
      ]),
    );
    const consumer = (doc.sites?.[0]?.consumers as Record<string, unknown>[])[0] ?? {};
    expect(Object.keys(consumer)).toEqual(expect.arrayContaining(['kind', 'name', 'container', 'mount']));
    expect(Object.keys(doc.credentials?.[0] ?? {})).toEqual(
      expect.arrayContaining(['id', 'provider', 'fingerprint', 'sites']),
    );
    const siteIds = new Set(doc.sites?.map((s) => s.id));
    for (const c of doc.credentials ?? []) for (const id of c.sites as string[]) expect(siteIds.has(id)).toBe(true);
  });

  it('reports an unreachable cluster in problems with a non-zero exit, and still lists the others', async () => {
    const w = world('v2-federated');
    const fault = w.fleet.cluster('cluster-2').faults.add({ drop: true });
    try {
      const run = await runCliInProcess(discoverArgs(w, '-o', 'json'));
      expect(run.code).toBe(1);
      const doc = JSON.parse(run.stdout) as {
        installations: { cluster: string }[];
        problems: { cluster: string; reason: string }[];
      };
      expect(doc.installations.map((i) => i.cluster)).toEqual(['cluster-1', 'cluster-3']);
      expect(doc.problems.map((p) => [p.cluster, p.reason])).toEqual([['cluster-2', 'Unreachable']]);
    } finally {
      w.fleet.cluster('cluster-2').faults.remove(fault);
    }
  });
});

describe('discover table', () => {
  it('prints one line per credential with its sites and clusters, and a warning summary', async () => {
    const run = await runCliInProcess(discoverArgs(world('mixed')));
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe(
      '5 Kubecost installations on 5 clusters (1 primary, 3 secondary, 1 single); 13 sites holding 7 credentials.',
    );
    const header = lines.find((l) => l.startsWith('CREDENTIAL'));
    expect(header?.split(/\s{3,}/)).toEqual([
      'CREDENTIAL',
      'PROVIDER',
      'PRINCIPAL',
      'FINGERPRINT',
      'SITES',
      'CLUSTERS',
      'WARNINGS',
    ]);
    const shared = world('mixed').layout.credentials.get('shared-aws');
    const row = lines.find((l) => shared?.provider === 'aws' && l.startsWith(`aws:${shared.accessKeyId}`));
    expect(row?.split(/\s{3,}/).slice(1, 6)).toEqual([
      'aws',
      '-',
      shared?.provider === 'aws' ? shared.accessKeyId : '',
      '5',
      '4',
    ]);
    expect(run.stdout).toMatch(/\d+ warnings: .*MissingSecret ×1.*\(-v lists them\)/);
  });

  it('details every installation, site and consumer with -v, 3.x included', async () => {
    const run = await runCliInProcess(discoverArgs(world('v3'), '-v'));
    expect(run.stdout.split('\n')[0]).toBe(
      '3 Kubecost installations on 3 clusters (1 primary, 1 secondary, 1 single); 11 sites holding 6 credentials.',
    );
    expect(run.stdout).toMatch(/\ncluster-3 +kubecost +kubecost +v3-single +single +3\.2\.1\n/);
    expect(run.stdout).toContain(
      '  cluster-1  kubecost/federated-store  federated-store.yaml  config  (objstore-azure)\n',
    );
    expect(run.stdout).toContain(
      '    StatefulSet/kubecost-aggregator  container aggregator  subPath /var/configs/federated-store.yaml  [aggregator]\n',
    );
    expect(run.stdout).toContain(
      '    Deployment/kubecost-finopsagent  container finops-agent  env CLOUD_PROVIDER_API_KEY  [finops-agent]\n',
    );
    expect(run.stdout).toContain('WARNINGS (15)\n');
  });

  it('lists the places with no key in -o json, the 3.x local store among them', async () => {
    const run = await runCliInProcess(discoverArgs(world('v3'), '-o', 'json'));
    const doc = JSON.parse(run.stdout) as { keylessSites: { id: string; reason: string }[]; problems: unknown[] };
    expect(doc.keylessSites.map((k) => [k.id, k.reason])).toEqual([
      ['cluster-3/kubecost/kubecost-federated-storage-config/federated-store.yaml#config', 'NoCredential'],
    ]);
    expect(doc.problems).toEqual([]);
  });

  it('refuses an unknown context with exit 2 and names the ones there are', async () => {
    const run = await runCliInProcess(['discover', '--kubeconfig', world('v2-single').kubeconfig, '--context', 'nope']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('context "nope" not found in the kubeconfig (it has: cluster-1)');
  });
});
