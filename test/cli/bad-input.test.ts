/**
 * Bad input is refused before anything is written (issue 8, defect 9): every case gets a clear
 * error naming the flag or file, exit 2, and leaves every Secret as it was and no journal behind.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { successorOf, type FakeCredential } from '../../src/sim/kubecost/index.js';
import { runCliInProcess } from '../support/capture.js';
import { journals, snapshotDiff, snapshotSecrets, type SecretSnapshot } from '../rotation/harness.js';
import { startRotationWorld, type RotationWorld } from '../rotation/world.js';

let world: RotationWorld;
let old: FakeCredential & { provider: 'aws' };
let keyFile: string;
/** The new AWS key as `aws iam create-access-key` prints it. */
let keyText: string;
let before: SecretSnapshot;

beforeAll(async () => {
  world = await startRotationWorld('v2-federated', { backend: 'memory' });
  old = world.layout.credentials.get('billing-aws') as FakeCredential & { provider: 'aws' };
  const { next, keyFile: text } = successorOf(old);
  world.allow(next);
  keyText = text;
  keyFile = await world.keyFile('bad-input-new.json', text);
  before = snapshotSecrets(world);
});
afterAll(() => world.stop());

const base = () => ['--kubeconfig', world.kubeconfig, '--all-contexts', '--credential', old.accessKeyId];

async function refused(argv: string[], names: string | RegExp) {
  const run = await runCliInProcess(argv);
  expect(run.stderr).not.toContain('Cannot read properties');
  expect(run.stderr).not.toContain('internal error');
  expect(run.stderr).toMatch(
    typeof names === 'string' ? new RegExp(names.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')) : names,
  );
  expect(run.code).toBe(2);
  expect(snapshotDiff(before, snapshotSecrets(world))).toEqual([]);
  expect(journals(world)).toEqual([]);
  return run;
}

describe('bad flags of plan and rotate', () => {
  it.each(['abc', '0', '-3', '2.7', '100000'])('refuses --max-parallel-clusters %s, naming the flag', async (n) => {
    await refused(['plan', ...base(), '--max-parallel-clusters', n], '--max-parallel-clusters');
    await refused(
      ['rotate', ...base(), '--new-key-file', keyFile, '--yes', '--max-parallel-clusters', n],
      '--max-parallel-clusters',
    );
  });

  it.each([
    ['--verify-window', '0s'],
    ['--rollout-timeout', '99999999999h'],
    ['--rollout-timeout', '0ms'],
    ['--probe-timeout', '0s'],
    ['--request-timeout', '48h'],
  ])('refuses %s %s as out of range, saying which range it takes', async (flag, value) => {
    const run = await refused(['rotate', ...base(), '--new-key-file', keyFile, '--yes', flag, value], flag);
    expect(run.stderr).toMatch(/from \S+ to \S+/);
  });

  it('refuses --force on plan and rotate, naming the flag for each refusal it used to pass', async () => {
    for (const argv of [
      ['plan', ...base(), '--force'],
      ['rotate', ...base(), '--new-key-file', keyFile, '--yes', '--force'],
    ]) {
      const run = await refused(argv, '--force is not an option of plan or rotate');
      for (const flag of ['--allow-unready', '--allow-bare-pods', '--allow-owned']) expect(run.stderr).toContain(flag);
    }
  });

  it('refuses -n with a name that is not a namespace name', async () => {
    await refused(['plan', ...base(), '-n', 'Bad/NS'], '-n "Bad/NS" is not a namespace name');
    await refused(['discover', '--kubeconfig', world.kubeconfig, '--all-contexts', '-n', 'Bad/NS'], 'namespace');
  });

  it('refuses --context together with --all-contexts', async () => {
    await refused(
      [
        'rotate',
        '--kubeconfig',
        world.kubeconfig,
        '--context',
        'cluster-1',
        '--all-contexts',
        '--credential',
        old.accessKeyId,
        '--new-key-file',
        keyFile,
        '--yes',
      ],
      /--all-contexts.*--context|--context.*--all-contexts/,
    );
  });

  it('refuses a missing --provider-endpoints file before any journal exists', async () => {
    await refused(
      [
        'rotate',
        ...base(),
        '--new-key-file',
        keyFile,
        '--yes',
        '--provider-endpoints',
        join(world.kubeconfig, '..', 'missing.json'),
      ],
      'missing.json',
    );
  });

  it('refuses an empty kubeconfig, naming the file', async () => {
    const empty = join(world.kubeconfig, '..', 'empty-kubeconfig');
    await writeFile(empty, '');
    await refused(['plan', '--kubeconfig', empty, '--credential', old.accessKeyId], `the kubeconfig ${empty} is empty`);
    await writeFile(empty, 'just: text\n');
    await refused(['plan', '--kubeconfig', empty, '--credential', old.accessKeyId], empty);
  });
});

describe('bad key files', () => {
  const secretLike = 'VALUE-THAT-MUST-NOT-BE-PRINTED-0123456789';
  const idOf = async (name: string) => {
    const key = world.layout.credentials.get(name) as FakeCredential;
    const inventory = await world.discover();
    const id = inventory.credentials.find(
      (c) => c.provider === key.provider && c.sites.some((s) => s.startsWith('cluster-1/')) && matches(c, key),
    )?.id;
    return id ?? '';
  };
  const matches = (c: { principal?: string; keyId?: string }, key: FakeCredential) =>
    key.provider === 'gcp'
      ? c.keyId === key.privateKeyId
      : key.provider === 'azure'
        ? c.principal === key.accountName
        : false;

  it('refuses a key file over 64 KiB, naming the file and its size, before reading the clusters', async () => {
    const big = JSON.stringify({ ...(JSON.parse(keyText) as object), padding: 'x'.repeat(2 * 1024 * 1024) });
    const path = await world.keyFile('two-megabytes.json', big);
    const size = String(Buffer.byteLength(big));
    for (const command of ['plan', 'rotate']) {
      const run = await refused(
        [command, ...base(), '--new-key-file', path, ...(command === 'rotate' ? ['--yes'] : [])],
        path,
      );
      expect(run.stderr).toContain(size);
      expect(run.stderr).toContain('64 KiB');
    }
  });

  it('refuses a key over 64 KiB on stdin', async () => {
    const big = JSON.stringify({ ...(JSON.parse(keyText) as object), padding: 'x'.repeat(100 * 1024) });
    const run = await runCliInProcess(['rotate', ...base(), '--new-key-stdin', '--yes'], { stdin: big });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/stdin is over 65536 bytes/);
    expect(snapshotDiff(before, snapshotSecrets(world))).toEqual([]);
    expect(journals(world)).toEqual([]);
  });

  it.each([
    [
      'an AWS key file',
      () => {
        const { AccessKeyId, SecretAccessKey } = (
          JSON.parse(keyText) as { AccessKey: { AccessKeyId: string; SecretAccessKey: string } }
        ).AccessKey;
        return { accessKeyId: AccessKeyId, secretAccessKey: SecretAccessKey, note: secretLike };
      },
    ],
    [
      'aws iam create-access-key output',
      () => ({ AccessKey: { ...(JSON.parse(keyText) as { AccessKey: object }).AccessKey, Password: secretLike } }),
    ],
    [
      'aws iam create-access-key output (outside AccessKey)',
      () => ({ ...(JSON.parse(keyText) as object), Note: secretLike }),
    ],
  ])('refuses an unknown field in %s, naming the field and not its value', async (_format, content) => {
    const path = await world.keyFile('extra-field-aws.json', content());
    for (const command of ['plan', 'rotate']) {
      const run = await refused(
        [command, ...base(), '--new-key-file', path, ...(command === 'rotate' ? ['--yes'] : [])],
        /unknown field "(note|Password|Note)"/,
      );
      expect(run.stderr).toContain(path);
      expect(run.stderr).not.toContain(secretLike);
    }
  });

  it('refuses a GCP service-account key file with a field the format does not define', async () => {
    const old = world.layout.credentials.get('billing-gcp') as FakeCredential;
    const { keyFile: text } = successorOf(old);
    const path = await world.keyFile('extra-field-gcp.json', {
      ...(JSON.parse(text) as object),
      private_key_2: secretLike,
    });
    const run = await refused(
      [
        'plan',
        '--kubeconfig',
        world.kubeconfig,
        '--all-contexts',
        '--credential',
        await idOf('billing-gcp'),
        '--new-key-file',
        path,
      ],
      'unknown field "private_key_2" in a GCP service-account key file',
    );
    expect(run.stderr).toContain('universe_domain');
    expect(run.stderr).not.toContain(secretLike);
  });

  it('refuses an Azure key file with a field the format does not define', async () => {
    const old = world.layout.credentials.get('billing-azure') as FakeCredential;
    const { keyFile: text } = successorOf(old);
    const path = await world.keyFile('extra-field-azure.json', {
      ...(JSON.parse(text) as object),
      connectionString: secretLike,
    });
    const run = await refused(
      [
        'plan',
        '--kubeconfig',
        world.kubeconfig,
        '--all-contexts',
        '--credential',
        await idOf('billing-azure'),
        '--new-key-file',
        path,
      ],
      'unknown field "connectionString" in an Azure key file',
    );
    expect(run.stderr).not.toContain(secretLike);
  });

  it('accepts the documented fields of every format', async () => {
    const run = await runCliInProcess(['plan', ...base(), '--new-key-file', keyFile]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    for (const name of ['billing-gcp', 'billing-azure']) {
      const { keyFile: text } = successorOf(world.layout.credentials.get(name) as FakeCredential);
      const ok = await runCliInProcess([
        'plan',
        '--kubeconfig',
        world.kubeconfig,
        '--all-contexts',
        '--credential',
        await idOf(name),
        '--new-key-file',
        await world.keyFile(`${name}-ok.json`, text),
      ]);
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
    }
  });
});

describe('bad rotation ids', () => {
  it.each(['', '2', 'x/y'])('rollback %j rolls back nothing and names the id', async (id) => {
    await refused(['rollback', id, '--kubeconfig', world.kubeconfig, '--force'], 'is not a rotation id');
    await refused(['resume', id, '--kubeconfig', world.kubeconfig], 'is not a rotation id');
  });
});

describe('an internal error', () => {
  it('prints a redacted message without the values it carried, and exits 70', async () => {
    const secret = old.secretAccessKey;
    const err: string[] = [];
    const io: CliIo = {
      stdout: {
        write: () => {
          throw new TypeError(`unexpected value ${secret} in the output`);
        },
      },
      stderr: { write: (text: string) => err.push(text) },
      stdin: Object.assign(Readable.from([]), { isTTY: false }),
      env: process.env,
      onSignal: () => () => undefined,
    };
    const code = await main(['discover', '--kubeconfig', world.kubeconfig, '--all-contexts'], io);
    const stderr = err.join('');
    expect(code).toBe(70);
    expect(stderr).toContain('internal error');
    expect(stderr).toContain('TypeError: unexpected value <redacted> in the output');
    expect(stderr).not.toContain(secret);
    expect(stderr).not.toContain(secret.slice(0, 16));
  });
});

describe('every cluster unreachable', () => {
  it('plan names the clusters it could not read and exits 1, rather than say no credential matches', async () => {
    const path = join(world.kubeconfig, '..', 'unreachable-kubeconfig');
    const cluster = (name: string) => ({ name, cluster: { server: 'https://127.0.0.1:1' } });
    const context = (name: string) => ({ name, context: { cluster: name, user: 'u' } });
    await writeFile(
      path,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [cluster('far-1'), cluster('far-2')],
        users: [{ name: 'u', user: { token: 't' } }],
        contexts: [context('far-1'), context('far-2')],
        'current-context': 'far-1',
      }),
    );
    const run = await runCliInProcess([
      'plan',
      '--kubeconfig',
      path,
      '--all-contexts',
      '--credential',
      old.accessKeyId,
      '--request-timeout',
      '1s',
    ]);
    expect(run.stderr).not.toContain('no credential matches');
    expect(run.stderr).toContain('far-1');
    expect(run.stderr).toContain('far-2');
    expect(run.code).toBe(1);
  });
});
