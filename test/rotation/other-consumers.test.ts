/**
 * Readers of a rotated Secret that are not Deployments or StatefulSets (issue 8, defect 14): a
 * DaemonSet is restarted like a Deployment and waited for by kubectl's rules; a CronJob and a Job
 * are not restarted, and the plan and the result say their next run reads the new key; a Pod with
 * no controller is refused unless --allow-bare-pods, naming it and what to do.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/sim/kube/index.js';
import { SIM_RESOURCES } from '../../src/sim/kube/index.js';
import { fakeAwsKey, type FakeCredential } from '../../src/sim/kubecost/index.js';
import { runCliInProcess } from '../support/capture.js';
import { waitFor } from '../support/kube.js';
import { MANAGED_BY_SELECTOR, snapshotDiff, snapshotSecrets } from './harness.js';
import { startRotationWorld, type RotationWorld } from './world.js';

let world: RotationWorld;
const cluster = () => world.fleet.cluster('cluster-1');
const NS = 'kubecost';
const SECRET = 'cloud-integration';
const KEY = 'cloud-integration.json';

const container = (name: string, extra: Record<string, unknown> = {}) => ({ name, image: 'busybox:1.36', ...extra });
const podSpec = (extra: Record<string, unknown>) => ({ containers: [], ...extra });

/** The five ways a pod reads a Secret, one per object. */
function readers(): KubeObject[] {
  const labels = (app: string) => ({ app });
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'log-shipper', namespace: NS },
      spec: {
        selector: { matchLabels: labels('log-shipper') },
        template: {
          metadata: { labels: labels('log-shipper') },
          spec: podSpec({
            containers: [container('shipper', { volumeMounts: [{ name: 'creds', mountPath: '/etc/creds' }] })],
            volumes: [{ name: 'creds', projected: { sources: [{ secret: { name: SECRET } }] } }],
          }),
        },
      },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'cost-export', namespace: NS },
      spec: {
        schedule: '0 3 * * *',
        jobTemplate: {
          spec: {
            template: {
              spec: podSpec({
                restartPolicy: 'OnFailure',
                containers: [
                  container('export', {
                    env: [{ name: 'CLOUD_INTEGRATION', valueFrom: { secretKeyRef: { name: SECRET, key: KEY } } }],
                  }),
                ],
              }),
            },
          },
        },
      },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'backfill', namespace: NS },
      spec: {
        template: {
          spec: podSpec({
            restartPolicy: 'Never',
            containers: [container('backfill', { envFrom: [{ secretRef: { name: SECRET } }] })],
          }),
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'debug-shell', namespace: NS, labels: labels('debug') },
      spec: podSpec({
        containers: [
          container('shell', {
            volumeMounts: [{ name: 'creds', mountPath: '/tmp/cloud-integration.json', subPath: KEY }],
          }),
        ],
        volumes: [{ name: 'creds', secret: { secretName: SECRET } }],
      }),
    },
  ];
}

let credentialId: string;
let old: FakeCredential & { provider: 'aws' };

beforeAll(async () => {
  world = await startRotationWorld('v2-single', { backend: 'memory' });
  for (const object of readers()) cluster().apply(object);
  await waitFor(
    'the readers to run',
    () =>
      cluster()
        .api.select(SIM_RESOURCES.pods, NS)
        .filter((p) => /^(log-shipper|backfill|debug-shell)/.test(p.metadata.name ?? ''))
        .filter((p) => (p.status as { phase?: string } | undefined)?.phase === 'Running').length >= 3,
  );
  const inventory = await world.discover();
  const site = inventory.sites.find((s) => s.secret === SECRET && s.provider === 'aws');
  if (!site) throw new Error('v2-single has no AWS cloud integration site');
  credentialId = site.credential;
  old = [...world.layout.credentials.values()].find(
    (c) => c.provider === 'aws' && credentialId === `aws:${c.accessKeyId}`,
  ) as FakeCredential & { provider: 'aws' };
}, 120_000);

afterAll(() => world.stop());

const rotateArgs = (keyFile: string, ...extra: string[]) => [
  'rotate',
  '--kubeconfig',
  world.kubeconfig,
  '--all-contexts',
  '--credential',
  credentialId,
  '--new-key-file',
  keyFile,
  '--yes',
  '--verify-window',
  '1s',
  '--rollout-timeout',
  '60s',
  ...extra,
];

const journals = () => cluster().api.select(SIM_RESOURCES.secrets, NS, { labelSelector: MANAGED_BY_SELECTOR });

describe('readers of a rotated Secret besides Deployments and StatefulSets', () => {
  it('are discovered: a DaemonSet (projected volume), a CronJob (env), a Job (envFrom) and a bare Pod (subPath)', async () => {
    const inventory = await world.discover();
    const site = inventory.sites.find((s) => s.secret === SECRET && s.credential === credentialId);
    const others = (site?.consumers ?? [])
      .filter((c) => c.kind !== 'Deployment' && c.kind !== 'StatefulSet')
      .map((c) => `${c.kind}/${c.name}:${c.container}(${c.mount} ${c.path})`);
    expect(others).toEqual([
      'CronJob/cost-export:export(env CLOUD_INTEGRATION)',
      'DaemonSet/log-shipper:shipper(volume /etc/creds)',
      'Job/backfill:backfill(env *)',
      'Pod/debug-shell:shell(subPath /tmp/cloud-integration.json)',
    ]);
    // The Job's and the DaemonSet's own pods are read through their owners, not as bare Pods.
    expect(site?.consumers.filter((c) => c.kind === 'Pod').map((c) => c.name)).toEqual(['debug-shell']);
    expect(inventory.warnings.map((w) => `${w.code} ${w.workload ?? ''}`)).toEqual(
      expect.arrayContaining([
        'BarePodConsumer Pod/debug-shell',
        'BatchConsumer CronJob/cost-export',
        'BatchConsumer Job/backfill',
      ]),
    );
  });

  it('refuse the rotation while a bare Pod reads the key, naming the pod and what to do, with nothing written', async () => {
    const before = snapshotSecrets(world);
    const next = fakeAwsKey(old.user) as FakeCredential & { provider: 'aws' };
    world.allow(next);
    const run = await runCliInProcess(
      rotateArgs(
        await world.keyFile('bare-pod.json', { accessKeyId: next.accessKeyId, secretAccessKey: next.secretAccessKey }),
      ),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Pod kubecost/debug-shell on cluster-1 (container shell)');
    expect(run.stderr).toContain('no controller');
    expect(run.stderr).toContain('--allow-bare-pods');
    expect(snapshotDiff(before, snapshotSecrets(world))).toEqual([]);
    expect(journals()).toEqual([]);
  });

  it('with --allow-bare-pods: the DaemonSet restarts and rolls out like a Deployment; the plan and the result say the CronJob and the Job read the new key at their next run', async () => {
    const podsBefore = cluster()
      .api.select(SIM_RESOURCES.pods, NS, { labelSelector: 'app=log-shipper' })
      .map((p) => p.metadata.name);
    const next = fakeAwsKey(old.user) as FakeCredential & { provider: 'aws' };
    world.allow(next);
    const run = await runCliInProcess(
      rotateArgs(
        await world.keyFile('forced.json', { accessKeyId: next.accessKeyId, secretAccessKey: next.secretAccessKey }),
        '--allow-bare-pods',
      ),
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/restart DaemonSet kubecost\/log-shipper on cluster-1 .* and wait for its rollout/);
    const cronNote = 'CronJob kubecost/cost-export on cluster-1 is not restarted: its next run reads the new key';
    const jobNote =
      'Job kubecost/backfill on cluster-1 is not restarted: its pods started after the write read the new key';
    const podNote = 'Pod kubecost/debug-shell on cluster-1 has no controller and is not restarted (--allow-bare-pods)';
    const [planText, ...rest] = run.stdout.split(/\nRotate|\n.*Planned/);
    expect(planText).toContain(cronNote);
    expect(planText).toContain(jobNote);
    expect(planText).toContain(podNote);
    const result = rest
      .join('\n')
      .split('\n')
      .filter((l) => /Verified/.test(l))
      .join('\n');
    expect(result).toContain(cronNote);
    expect(result).toContain(podNote);
    // The DaemonSet's pods were replaced by pods of the restarted template.
    const daemonPods = cluster()
      .api.select(SIM_RESOURCES.pods, NS, { labelSelector: 'app=log-shipper' })
      .filter((p) => !p.metadata.deletionTimestamp);
    expect(daemonPods.length).toBeGreaterThan(0);
    expect(daemonPods.map((p) => p.metadata.name)).not.toEqual(podsBefore);
    for (const p of daemonPods)
      expect(p.metadata.annotations?.['kubecost-rotate.io/restart']).toMatch(/^\d{8}-\d{6}-[0-9a-z]{4}$/);
    // Nothing was done to the CronJob, the Job or the bare Pod.
    const cron = cluster().api.get(SIM_RESOURCES.cronjobs, NS, 'cost-export');
    expect(
      (cron.spec as { jobTemplate: { spec: { template: { metadata?: { annotations?: object } } } } }).jobTemplate.spec
        .template.metadata?.annotations,
    ).toBeUndefined();
    expect(cluster().api.get(SIM_RESOURCES.pods, NS, 'debug-shell').metadata.deletionTimestamp).toBeUndefined();
    world.layout.credentials.set([...world.layout.credentials.entries()].find(([, c]) => c === old)?.[0] ?? '', next);
  });
});
