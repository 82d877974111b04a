/**
 * A rotation end to end on a v2-federated fleet: the AWS key of the cloud integration, with the
 * simulated cloud-cost really using it. Then a bad key, which verification catches and rolls back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanLogForAuthFailures } from '../../src/verify/checks.js';
import { SIM_RESOURCES } from '../../src/sim/kube/index.js';
import { fakeAwsKey, layoutSecretValues, type FakeCredential } from '../../src/sim/kubecost/index.js';
import { leakedSecrets, runCliInProcess } from '../support/capture.js';
import { startRotationWorld, type RotationWorld } from './world.js';

let world: RotationWorld;
const primary = () => world.fleet.cluster('cluster-1');

function secretText(name: string, dataKey: string): string {
  const secret = primary().api.get(SIM_RESOURCES.secrets, 'kubecost', name);
  return Buffer.from((secret.data as Record<string, string>)[dataKey] ?? '', 'base64').toString('utf8');
}

beforeAll(async () => {
  world = await startRotationWorld('v2-federated');
});

afterAll(() => world.stop());

const rotateArgs = (credential: string, keyFile: string) => ['rotate', '--kubeconfig', world.kubeconfig, '--all-contexts', '--credential', credential, '--new-key-file', keyFile, '--yes', '--verify-window', '1500ms', '--rollout-timeout', '30s'];

describe('rotating the AWS key of a cloud integration', () => {
  let old: FakeCredential & { provider: 'aws' };
  let next: FakeCredential & { provider: 'aws' };
  let before: string;
  let run: Awaited<ReturnType<typeof runCliInProcess>>;
  let logsBefore: number;

  beforeAll(async () => {
    old = world.layout.credentials.get('billing-aws') as FakeCredential & { provider: 'aws' };
    next = fakeAwsKey(old.user) as FakeCredential & { provider: 'aws' };
    world.allow(next); // both keys valid, as at the provider during a rotation
    before = secretText('cloud-integration', 'cloud-integration.json');
    logsBefore = world.logs.length;
    run = await runCliInProcess(rotateArgs(old.accessKeyId, await world.keyFile('new-aws.json', { accessKeyId: next.accessKeyId, secretAccessKey: next.secretAccessKey })));
  });

  it('completes with exit 0 and ends Verified', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/rotation \S+: Verified\./);
  });

  it('changes only the credential fields of the Secret', () => {
    const after = secretText('cloud-integration', 'cloud-integration.json');
    expect(after).not.toBe(before);
    expect(after).toBe(before.replaceAll(old.accessKeyId, next.accessKeyId).replaceAll(old.secretAccessKey, next.secretAccessKey));
    const secret = primary().api.get(SIM_RESOURCES.secrets, 'kubecost', 'cloud-integration');
    expect(secret.metadata.annotations?.['kubecost-rotate.io/key-fingerprint']).toBe(next.accessKeyId);
  });

  it('restarts cloud-cost, whose new pod authenticates with the new key and reports it in the status', async () => {
    const pods = primary().api.select(SIM_RESOURCES.pods, 'kubecost', { labelSelector: 'app=cloud-cost' }).filter((p) => !p.metadata.deletionTimestamp);
    expect(pods).toHaveLength(1);
    expect(pods[0]?.metadata.annotations?.['kubecost-rotate.io/restart']).toMatch(/^\d{8}-\d{6}-[0-9a-z]{4}$/);
    const status = (await primary().kubelet.handler('kubecost', pods[0]?.metadata.name ?? '', 9005)?.({ method: 'GET', path: '/cloudCost/status', query: new URLSearchParams(), headers: {}, body: Buffer.alloc(0) })) as { body: { data: { provider: string; connectionStatus: string; config: { authorizer: { id?: string } } }[] } };
    const aws = status.body.data.filter((d) => d.provider === 'AWS');
    expect(aws.map((d) => [d.connectionStatus, d.config.authorizer.id])).toEqual([['Connection Successful', next.accessKeyId]]);
    // cost-analyzer does not read the integration (2.3+), so it was not restarted.
    expect(run.stdout).not.toContain('restart Deployment/kubecost-cost-analyzer');
  });

  it('logged zero auth failures while both keys were valid', () => {
    const lines = world.logs.slice(logsBefore).map((l) => `${l.namespace}/${l.pod}/${l.container}: ${l.line}`);
    expect(lines.length).toBeGreaterThan(10);
    expect(scanLogForAuthFailures(lines.join('\n'))).toEqual([]);
    expect(lines.some((l) => l.includes('ingestor: completed run'))).toBe(true);
  });

  it('prints no secret value and records a Verified journal without key material', () => {
    expect(leakedSecrets(run.stdout + run.stderr, [...layoutSecretValues(world.layout), next.secretAccessKey])).toEqual([]);
    const journals = primary().api.select(SIM_RESOURCES.secrets, 'kubecost', { labelSelector: 'app.kubernetes.io/managed-by=kubecost-rotate' });
    expect(journals).toHaveLength(1);
    const data = journals[0]?.data as Record<string, string>;
    const doc = Buffer.from(data['journal.json'] ?? '', 'base64').toString('utf8');
    expect(JSON.parse(doc)).toMatchObject({ phase: 'Verified' });
    expect(leakedSecrets(doc, [...layoutSecretValues(world.layout), next.secretAccessKey])).toEqual([]);
    expect(Object.keys(data).sort()).toEqual(['backup.0', 'journal.json']);
  });
});
