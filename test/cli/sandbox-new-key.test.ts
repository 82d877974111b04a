/**
 * `sandbox new-key` for GCP and Azure (issue 10): a thin wrapper over the emulated control planes
 * of cloud-sim, as the AWS variant is over its IAM (tested in sandbox-up.test.ts). GCP: IAM
 * keys.create for the service account, its limit of ten keys included, printing the key file JSON;
 * Azure: regenerateKey of the storage account's slot the sites do not use, printing
 * {"accountName","accountKey"}. The key file goes to stdout only (the user redirects it into a
 * file), nothing secret to stderr, and `rotate --new-key-file` takes it and proves it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxFleet, type RunningSandbox } from '../../src/sandbox/up.js';
import type { CloudSim } from '../../src/sim/cloud/index.js';
import { layoutSecretValues } from '../../src/sim/kubecost/index.js';
import { leakedSecrets, runCliInProcess, type CliRun } from '../support/capture.js';

let dir: string;
let running: RunningSandbox;
let cloud: CloudSim;
let kubeconfig: string;
/** Every key value the sandbox printed or holds: none may reach stderr, or stdout but as the key file. */
const secrets: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubecost-rotate-new-key-'));
  kubeconfig = join(dir, 'kubeconfig');
  running = await startSandboxFleet({ layout: 'v3', kubeconfig });
  if (!running.sandbox) throw new Error('the sandbox has no layout');
  cloud = running.sandbox.cloud;
  secrets.push(...layoutSecretValues(running.sandbox.layout));
}, 60_000);

afterAll(async () => {
  await running.sandbox?.stop();
  await running.fleet.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Discovered {
  readonly id: string;
  readonly provider: string;
  readonly principal?: string;
}

async function credentials(): Promise<Discovered[]> {
  const run = await runCliInProcess(['discover', '--kubeconfig', kubeconfig, '--all-contexts', '-o', 'json']);
  expect(run.code, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as { credentials: Discovered[] }).credentials;
}

const newKey = (credential: string) =>
  runCliInProcess(['sandbox', 'new-key', '--kubeconfig', kubeconfig, '--credential', credential]);

/** Nothing secret on stderr; stdout is the key file and nothing else. */
function onlyTheKeyFile(run: CliRun): void {
  expect(leakedSecrets(run.stderr, secrets)).toEqual([]);
  expect(run.stderr).toContain('A new key was created and is valid in the sandbox cloud, next to the old one.');
  expect(() => JSON.parse(run.stdout) as unknown).not.toThrow();
}

async function rotateWith(credential: string, keyFile: string): Promise<CliRun> {
  const path = join(dir, `new-key-${Date.now()}.json`);
  await writeFile(path, keyFile, { mode: 0o600 });
  const run = await runCliInProcess([
    'rotate',
    '--kubeconfig',
    kubeconfig,
    '--all-contexts',
    '--credential',
    credential,
    '--new-key-file',
    path,
    '--yes',
    '--verify-window',
    '500ms',
    '--rollout-timeout',
    '30s',
    '--provider-endpoints',
    running.sandbox?.endpointsFile ?? '',
  ]);
  expect(leakedSecrets(run.stdout + run.stderr, secrets), 'the rotation printed no key').toEqual([]);
  return run;
}

describe('sandbox new-key for a GCP service-account key', () => {
  it('creates a key of the same service account at the emulated IAM, prints its key file, and rotate takes and proves it', async () => {
    const old = (await credentials()).find((c) => c.provider === 'gcp' && !c.id.startsWith('gcp:api-key:'));
    if (!old?.principal) throw new Error('the v3 layout has a GCP service-account key');
    const email = old.principal;
    const before = cloud.gcp.listKeys(email).map((k) => k.privateKeyId);
    const run = await newKey(old.id);
    expect(run.code, run.stderr).toBe(0);
    const file = JSON.parse(run.stdout) as {
      type: string;
      client_email: string;
      private_key_id: string;
      private_key: string;
    };
    secrets.push(file.private_key);
    onlyTheKeyFile(run);
    expect(file.type).toBe('service_account');
    expect(file.client_email).toBe(email);
    // IAM keys.create: one key more for the account, the old one still there and enabled.
    const after = cloud.gcp.listKeys(email);
    expect(after.map((k) => k.privateKeyId).sort()).toEqual([...before, file.private_key_id].sort());
    expect(after.every((k) => !k.disabled)).toBe(true);

    const rotated = await rotateWith(old.id, run.stdout);
    expect(rotated.code, `${rotated.stderr}\n${rotated.stdout.slice(-1500)}`).toBe(0);
    expect(rotated.stdout).toContain('Verified.');
    expect(rotated.stdout).toMatch(new RegExp(`Proven: .*${file.private_key_id}|Proven: .*${email}`));
    const ids = (await credentials()).map((c) => c.id);
    expect(ids).toContain(`gcp:${email}:${file.private_key_id}`);
    expect(ids).not.toContain(old.id);
  }, 120_000);

  it('is refused as Google refuses it past ten keys per service account, printing no key', async () => {
    const current = (await credentials()).find((c) => c.provider === 'gcp' && !c.id.startsWith('gcp:api-key:'));
    if (!current?.principal) throw new Error('a GCP service-account key');
    const email = current.principal;
    for (let n = cloud.gcp.listKeys(email).length; n < 10; n++) {
      const run = await newKey(current.id);
      expect(run.code, run.stderr).toBe(0);
      secrets.push((JSON.parse(run.stdout) as { private_key: string }).private_key);
    }
    const refused = await newKey(current.id);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('the sandbox refused: FAILED_PRECONDITION');
    expect(cloud.gcp.listKeys(email)).toHaveLength(10);
  }, 60_000);
});

describe('sandbox new-key for an Azure storage key', () => {
  it('regenerates the slot the sites do not use, prints {accountName, accountKey}, and rotate takes it; the next one regenerates the other slot', async () => {
    const old = (await credentials()).find((c) => c.provider === 'azure');
    if (!old?.principal) throw new Error('the v3 layout has an Azure storage key');
    const account = old.principal;
    const before = cloud.azure.keysOf(account);
    if (!before) throw new Error(`no storage account ${account}`);
    // The slot the sites use: the one holding the layout's key.
    const installed = [...(running.sandbox?.layout.credentials.values() ?? [])].find(
      (c) => c.provider === 'azure' && c.accountName === account,
    );
    const inUse = installed?.provider === 'azure' ? cloud.azure.slotOf(account, installed.accountKey) : undefined;
    if (!inUse) throw new Error('the sites hold a key of a slot');
    const other = inUse === 'key1' ? 'key2' : 'key1';
    const run = await newKey(old.id);
    expect(run.code, run.stderr).toBe(0);
    const file = JSON.parse(run.stdout) as { accountName: string; accountKey: string };
    secrets.push(file.accountKey, before.key1, before.key2);
    onlyTheKeyFile(run);
    expect(Object.keys(file).sort()).toEqual(['accountKey', 'accountName']);
    expect(file.accountName).toBe(account);
    // The slot the sites use kept its key; the other one now holds the printed key.
    expect(cloud.azure.keysOf(account)?.[inUse]).toBe(before[inUse]);
    expect(cloud.azure.keysOf(account)?.[other]).toBe(file.accountKey);
    expect(before[other]).not.toBe(file.accountKey);

    const rotated = await rotateWith(old.id, run.stdout);
    expect(rotated.code, `${rotated.stderr}\n${rotated.stdout.slice(-1500)}`).toBe(0);
    expect(rotated.stdout).toContain('Verified.');
    const now = (await credentials()).find((c) => c.provider === 'azure' && c.principal === account);
    expect(now?.id).not.toBe(old.id);

    // The sites are on the other slot now: the next new key goes into the slot they left.
    const next = await newKey(now?.id ?? '');
    expect(next.code, next.stderr).toBe(0);
    const nextFile = JSON.parse(next.stdout) as { accountKey: string };
    secrets.push(nextFile.accountKey);
    expect(cloud.azure.keysOf(account)?.[other], 'the key the sites hold is untouched').toBe(file.accountKey);
    expect(cloud.azure.keysOf(account)?.[inUse]).toBe(nextFile.accountKey);
  }, 120_000);

  it('refuses an id whose key no slot holds any more, naming what to do, and changes no slot', async () => {
    const account = (await credentials()).find((c) => c.provider === 'azure')?.principal ?? '';
    const before = cloud.azure.keysOf(account);
    const stale = await newKey(`azure:${account}:0123456789ab`);
    expect(stale.code).toBe(2);
    expect(stale.stdout).toBe('');
    expect(stale.stderr).toContain(`neither slot of storage account ${account} holds the key 0123456789ab any more`);
    expect(stale.stderr).toContain('run kubecost-rotate discover');
    expect(cloud.azure.keysOf(account)).toEqual(before);
  });
});
