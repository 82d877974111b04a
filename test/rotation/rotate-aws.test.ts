/**
 * A rotation end to end on a v2-federated fleet: the AWS key of the cloud integration, with the
 * simulated cloud-cost really using it. Then bad keys: refused by the proof before anything is written,
 * or, with --no-probe, written, caught by verification and rolled back.
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
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

const rotateArgs = (credential: string, keyFile: string) => [
  'rotate',
  '--kubeconfig',
  world.kubeconfig,
  '--all-contexts',
  '--credential',
  credential,
  '--new-key-file',
  keyFile,
  '--yes',
  '--verify-window',
  '1500ms',
  '--rollout-timeout',
  '30s',
  ...world.probeFlags,
];

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
    run = await runCliInProcess(
      rotateArgs(
        old.accessKeyId,
        await world.keyFile('new-aws.json', { accessKeyId: next.accessKeyId, secretAccessKey: next.secretAccessKey }),
      ),
    );
    world.layout.credentials.set('billing-aws', next);
  });

  it('completes with exit 0 and ends Verified', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/rotation \S+: Verified\./);
  });

  it('changes only the credential fields of the Secret', () => {
    const after = secretText('cloud-integration', 'cloud-integration.json');
    expect(after).not.toBe(before);
    expect(after).toBe(
      before.replaceAll(old.accessKeyId, next.accessKeyId).replaceAll(old.secretAccessKey, next.secretAccessKey),
    );
    const secret = primary().api.get(SIM_RESOURCES.secrets, 'kubecost', 'cloud-integration');
    expect(secret.metadata.annotations?.['kubecost-rotate.io/key-fingerprint']).toBe(next.accessKeyId);
  });

  it('restarts cloud-cost, whose new pod authenticates with the new key and reports it in the status', async () => {
    const pods = primary()
      .api.select(SIM_RESOURCES.pods, 'kubecost', { labelSelector: 'app=cloud-cost' })
      .filter((p) => !p.metadata.deletionTimestamp);
    expect(pods).toHaveLength(1);
    expect(pods[0]?.metadata.annotations?.['kubecost-rotate.io/restart']).toMatch(/^\d{8}-\d{6}-[0-9a-z]{4}$/);
    const status = (await primary().kubelet.handler(
      'kubecost',
      pods[0]?.metadata.name ?? '',
      9005,
    )?.({
      method: 'GET',
      path: '/cloudCost/status',
      query: new URLSearchParams(),
      headers: {},
      body: Buffer.alloc(0),
    })) as {
      body: { data: { provider: string; connectionStatus: string; config: { authorizer: { id?: string } } }[] };
    };
    const aws = status.body.data.filter((d) => d.provider === 'AWS');
    expect(aws.map((d) => [d.connectionStatus, d.config.authorizer.id])).toEqual([
      ['Connection Successful', next.accessKeyId],
    ]);
    // Events say what happened, on the Secret and on the workload, with fingerprints only.
    const events = primary().api.select(SIM_RESOURCES.events, 'kubecost');
    const on = (kind: string, name: string, reason: string) =>
      events.filter(
        (e) =>
          (e.involvedObject as { kind?: string; name?: string }).kind === kind &&
          (e.involvedObject as { name?: string }).name === name &&
          e.reason === reason,
      );
    expect(on('Secret', 'cloud-integration', 'KeyRotated').map((e) => String(e.message))).toEqual([
      expect.stringContaining(`new aws key ${next.accessKeyId} (was ${old.accessKeyId})`),
    ]);
    expect(on('Deployment', 'kubecost-cloud-cost', 'RotationRestart')).toHaveLength(1);
    expect(on('Deployment', 'kubecost-cost-analyzer', 'RotationRestart')).toHaveLength(0);
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
    expect(leakedSecrets(run.stdout + run.stderr, [...layoutSecretValues(world.layout), next.secretAccessKey])).toEqual(
      [],
    );
    const journals = primary().api.select(SIM_RESOURCES.secrets, 'kubecost', {
      labelSelector: 'app.kubernetes.io/managed-by=kubecost-rotate',
    });
    // The head and its plan Secret (schema 4), which holds no key material at all.
    expect(journals.map((j) => j.metadata.name?.endsWith('-plan')).sort()).toEqual([false, true]);
    const data = journals.find((j) => !j.metadata.name?.endsWith('-plan'))?.data as Record<string, string>;
    const planData = journals.find((j) => j.metadata.name?.endsWith('-plan'))?.data as Record<string, string>;
    expect(Object.keys(planData)).toEqual(['plan.json']);
    const doc = Buffer.from(data['journal.json'] ?? '', 'base64').toString('utf8');
    expect(JSON.parse(doc)).toMatchObject({ phase: 'Verified' });
    const planText = Buffer.from(planData['plan.json'] ?? '', 'base64').toString('utf8');
    expect(leakedSecrets(doc + planText, [...layoutSecretValues(world.layout), next.secretAccessKey])).toEqual([]);
    // The new key is dropped; the backup (old and new data, content-addressed) stays until the old key is retired.
    expect(
      Object.keys(data)
        .filter((k) => !k.startsWith('blob.'))
        .sort(),
    ).toEqual(['backups.json', 'journal.json']);
  });
});

function allSecretData(): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const c of world.fleet.clusters) {
    for (const s of c.api.select(SIM_RESOURCES.secrets, undefined)) {
      if (s.metadata.name?.startsWith('kubecost-rotate-')) continue;
      out.set(`${c.name}/${s.metadata.namespace ?? ''}/${s.metadata.name ?? ''}`, {
        ...((s.data as Record<string, string>) ?? {}),
      });
    }
  }
  return out;
}

/** The journals on the primary cluster. */
const journalNames = () =>
  primary()
    .api.select(SIM_RESOURCES.secrets, 'kubecost', { labelSelector: 'app.kubernetes.io/managed-by=kubecost-rotate' })
    .map((s) => s.metadata.name);

describe('a bad new key', () => {
  // The proof retries keys the provider may not know everywhere yet; short rounds here.
  const savedBase = process.env.KUBECOST_ROTATE_RETRY_BASE_MS;
  beforeAll(() => {
    process.env.KUBECOST_ROTATE_RETRY_BASE_MS = '20';
  });
  afterAll(() => {
    if (savedBase === undefined) delete process.env.KUBECOST_ROTATE_RETRY_BASE_MS;
    else process.env.KUBECOST_ROTATE_RETRY_BASE_MS = savedBase;
  });

  it('is refused before anything is written (exit 2, no journal, no restart) when the provider does not know it, naming the check and the error code', async () => {
    const current = world.layout.credentials.get('billing-aws') as FakeCredential & { provider: 'aws' };
    const unknown = fakeAwsKey(current.user) as FakeCredential & { provider: 'aws' }; // never issued
    const before = allSecretData();
    const journals = journalNames();
    const pods = primary()
      .api.select(SIM_RESOURCES.pods, 'kubecost', { labelSelector: 'app=cloud-cost' })
      .map((p) => p.metadata.name);
    const logsFrom = world.logs.length;
    const run = await runCliInProcess(
      rotateArgs(
        current.accessKeyId,
        await world.keyFile('unknown.json', {
          accessKeyId: unknown.accessKeyId,
          secretAccessKey: unknown.secretAccessKey,
        }),
      ),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `the new key ${unknown.accessKeyId} was refused before anything was written (no journal was made): the identity check (sts:GetCallerIdentity as ${unknown.accessKeyId}; expected arn:aws:iam::123456789012:user/${current.user}) failed with auth InvalidClientTokenId: `,
    );
    expect(run.stderr).toMatch(/\(after 7 rounds\)\.\nhint: .*--no-probe/);
    expect(run.stdout).not.toContain('write Secret');
    expect(allSecretData()).toEqual(before);
    expect(journalNames()).toEqual(journals);
    expect(
      primary()
        .api.select(SIM_RESOURCES.pods, 'kubecost', { labelSelector: 'app=cloud-cost' })
        .map((p) => p.metadata.name),
    ).toEqual(pods);
    // No consumer ever saw the key: not one auth failure in any log.
    const lines = world.logs
      .slice(logsFrom)
      .map((l) => l.line)
      .join('\n');
    expect(scanLogForAuthFailures(lines)).toEqual([]);
    expect(
      leakedSecrets(run.stdout + run.stderr, [unknown.secretAccessKey, ...layoutSecretValues(world.layout)]),
    ).toEqual([]);
  });

  it('is refused before anything is written when its secret is mistyped, or a key of another IAM user', async () => {
    const current = world.layout.credentials.get('billing-aws') as FakeCredential & { provider: 'aws' };
    const before = allSecretData();
    const journals = journalNames();
    const good = fakeAwsKey(current.user) as FakeCredential & { provider: 'aws' };
    world.allow(good);
    const wrongSecret = `${good.secretAccessKey.slice(0, 39)}${good.secretAccessKey.endsWith('A') ? 'B' : 'A'}`;
    const other = fakeAwsKey('someone-else') as FakeCredential & { provider: 'aws' };
    world.allow(other);
    const cases: [object, RegExp][] = [
      [
        { accessKeyId: good.accessKeyId, secretAccessKey: wrongSecret },
        /the identity check \(sts:GetCallerIdentity as AKIA\w+; expected \S+\) failed with auth SignatureDoesNotMatch: /,
      ],
      [
        { accessKeyId: other.accessKeyId, secretAccessKey: other.secretAccessKey },
        /failed with auth PrincipalMismatch: the key belongs to arn:aws:iam::123456789012:user\/someone-else, not to arn:aws:iam::123456789012:user\//,
      ],
    ];
    for (const [content, message] of cases) {
      const run = await runCliInProcess(
        rotateArgs(current.accessKeyId, await world.keyFile('bad-proof.json', content)),
      );
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(
        leakedSecrets(run.stdout + run.stderr, [wrongSecret, good.secretAccessKey, other.secretAccessKey]),
      ).toEqual([]);
    }
    expect(allSecretData()).toEqual(before);
    expect(journalNames()).toEqual(journals);
  });

  it('with --no-probe is written unproven, with a loud warning, caught by verification and rolled back byte-identical', async () => {
    const current = world.layout.credentials.get('billing-aws') as FakeCredential & { provider: 'aws' };
    const good = fakeAwsKey(current.user) as FakeCredential & { provider: 'aws' };
    world.allow(good); // the key id exists at the provider...
    const before = allSecretData();
    const beforeCloudCost = primary()
      .api.select(SIM_RESOURCES.pods, 'kubecost', { labelSelector: 'app=cloud-cost' })
      .map((p) => p.metadata.name);
    const logsFrom = world.logs.length;
    // ...but the file has a mistyped secret.
    const wrongSecret = `${good.secretAccessKey.slice(0, 39)}${good.secretAccessKey.endsWith('A') ? 'B' : 'A'}`;
    const run = await runCliInProcess([
      ...rotateArgs(
        current.accessKeyId,
        await world.keyFile('typo.json', { accessKeyId: good.accessKeyId, secretAccessKey: wrongSecret }),
      ),
      '--no-probe',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('WARNING: --no-probe: the new key is NOT proven at its provider before it is written');
    expect(run.stdout).toMatch(/FAIL\s+cloud-cost-status .*Failed Connection/);
    expect(run.stdout).toMatch(/FAIL\s+logs .*AWS SignatureDoesNotMatch/);
    expect(run.stdout).toMatch(/rotation \S+: RolledBack\. verification failed/);
    // Byte for byte what it was, on every Secret of every cluster.
    expect(allSecretData()).toEqual(before);
    // cloud-cost was restarted twice (forward, then back) and now runs on the old key again.
    const pods = primary()
      .api.select(SIM_RESOURCES.pods, 'kubecost', { labelSelector: 'app=cloud-cost' })
      .filter((p) => !p.metadata.deletionTimestamp);
    expect(pods.map((p) => p.metadata.name)).not.toEqual(beforeCloudCost);
    expect(pods[0]?.metadata.annotations?.['kubecost-rotate.io/restart']).toMatch(/-rollback$/);
    const afterRollback = world.logs.length;
    await new Promise((r) => setTimeout(r, 600));
    const fresh = world.logs
      .slice(afterRollback)
      .filter((l) => l.container === 'cloud-cost')
      .map((l) => l.line);
    expect(fresh.some((l) => l.includes('ingestor: completed run'))).toBe(true);
    expect(scanLogForAuthFailures(fresh.join('\n'))).toEqual([]);
    // The failure was real and logged by the workload with the bad key.
    expect(
      scanLogForAuthFailures(
        world.logs
          .slice(logsFrom, afterRollback)
          .map((l) => l.line)
          .join('\n'),
      ).map((f) => f.pattern),
    ).toContain('AWS SignatureDoesNotMatch');
    expect(
      leakedSecrets(run.stdout + run.stderr, [wrongSecret, good.secretAccessKey, ...layoutSecretValues(world.layout)]),
    ).toEqual([]);
  });

  it('refuses a key of another provider, a temporary key, or the key in use, before anything is written', async () => {
    const current = world.layout.credentials.get('billing-aws') as FakeCredential & { provider: 'aws' };
    const before = allSecretData();
    const cases: [unknown, string][] = [
      [
        { accountName: 'acmecostexports', accountKey: Buffer.alloc(64, 1).toString('base64') },
        'holds a Azure key, but the credential to rotate is a AWS key',
      ],
      [{ accessKeyId: 'ASIAIOSFODNN7EXAMPLE', secretAccessKey: 'x'.repeat(40) }, 'is a temporary (STS) key'],
      [
        { accessKeyId: current.accessKeyId, secretAccessKey: current.secretAccessKey },
        'holds the key that is already in use',
      ],
      ['not json', 'is not JSON'],
    ];
    for (const [content, message] of cases) {
      const run = await runCliInProcess(rotateArgs(current.accessKeyId, await world.keyFile('bad.json', content)));
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(message);
      expect(leakedSecrets(run.stderr + run.stdout, [current.secretAccessKey])).toEqual([]);
    }
    expect(allSecretData()).toEqual(before);
  });
});

describe('machine-readable output and confirmation', () => {
  it('prints NDJSON events with -o json, the last one the result', async () => {
    const current = world.layout.credentials.get('billing-aws') as FakeCredential & { provider: 'aws' };
    const next = fakeAwsKey(current.user) as FakeCredential & { provider: 'aws' };
    world.allow(next);
    const run = await runCliInProcess([
      ...rotateArgs(
        current.accessKeyId,
        await world.keyFile('ndjson.json', { accessKeyId: next.accessKeyId, secretAccessKey: next.secretAccessKey }),
      ),
      '-o',
      'json',
    ]);
    expect(run.code).toBe(0);
    world.layout.credentials.set('billing-aws', next);
    const events = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; rotation: string; phase?: string; time: string });
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(['phase', 'step', 'wait', 'verdict', 'result']));
    // Every wait says what it waits for and until when.
    for (const wait of events.filter((e) => e.type === 'wait') as unknown as { message: string; until: string }[]) {
      expect(wait.message).toMatch(/^(waiting for|watching) /);
      expect(Number.isNaN(Date.parse(wait.until))).toBe(false);
    }
    expect(events.every((e) => !Number.isNaN(Date.parse(e.time)))).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'result', phase: 'Verified', rotation: events[0]?.rotation });
    expect(leakedSecrets(run.stdout, [next.secretAccessKey, current.secretAccessKey])).toEqual([]);
  });

  it('asks on a terminal without --yes, and a no changes nothing', async () => {
    const current = world.layout.credentials.get('billing-aws') as FakeCredential & { provider: 'aws' };
    const next = fakeAwsKey(current.user) as FakeCredential & { provider: 'aws' };
    world.allow(next);
    const before = allSecretData();
    const args = rotateArgs(
      current.accessKeyId,
      await world.keyFile('asked.json', { accessKeyId: next.accessKeyId, secretAccessKey: next.secretAccessKey }),
    ).filter((a) => a !== '--yes');
    const run = await runCliInProcess(args, { stdin: 'n\n', tty: true });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Rotate aws:\S+ at 1 site\(s\)\? \[y\/N\] /);
    expect(run.stderr).toContain('Nothing was changed.');
    expect(allSecretData()).toEqual(before);
  });

  it('refuses to rotate without --yes when it cannot ask, and writes nothing', async () => {
    const current = world.layout.credentials.get('billing-aws') as FakeCredential & { provider: 'aws' };
    const next = fakeAwsKey(current.user) as FakeCredential & { provider: 'aws' };
    world.allow(next);
    const before = allSecretData();
    const args = rotateArgs(
      current.accessKeyId,
      await world.keyFile('no-yes.json', { accessKeyId: next.accessKeyId, secretAccessKey: next.secretAccessKey }),
    ).filter((a) => a !== '--yes');
    const run = await runCliInProcess(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('refusing to rotate without confirmation');
    expect(allSecretData()).toEqual(before);
  });
});

describe('rolling back a verified rotation', () => {
  it('is refused without --force (the old key may be retired), and with --force restores the previous data', async () => {
    const current = world.layout.credentials.get('billing-aws') as FakeCredential & { provider: 'aws' };
    const next = fakeAwsKey(current.user) as FakeCredential & { provider: 'aws' };
    world.allow(next);
    const before = allSecretData();
    const rotated = await runCliInProcess(
      rotateArgs(
        current.accessKeyId,
        await world.keyFile('verified.json', { accessKeyId: next.accessKeyId, secretAccessKey: next.secretAccessKey }),
      ),
    );
    expect(rotated.code).toBe(0);
    const id = /rotation (\S+): Verified\./.exec(rotated.stdout)?.[1] ?? '';
    const refused = await runCliInProcess(['rollback', id, '--kubeconfig', world.kubeconfig]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('was verified');
    expect(allSecretData()).not.toEqual(before);
    const forced = await runCliInProcess(['rollback', id, '--kubeconfig', world.kubeconfig, '--force']);
    expect(forced.code).toBe(0);
    expect(allSecretData()).toEqual(before);
    // A second rollback is a no-op that says so.
    const again = await runCliInProcess(['rollback', id, '--kubeconfig', world.kubeconfig]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already rolled back');
  });

  it('fails verification when something puts the old data back before the end (an operator, Argo CD self-heal, an ExternalSecret)', async () => {
    const current = world.layout.credentials.get('billing-aws') as FakeCredential & { provider: 'aws' };
    const next = fakeAwsKey(current.user) as FakeCredential & { provider: 'aws' };
    world.allow(next);
    const before = allSecretData();
    const original = primary().api.get(SIM_RESOURCES.secrets, 'kubecost', 'cloud-integration');
    // Put the old data back as soon as the journal says everything is written.
    const stop = primary().store.subscribe((event) => {
      if (event.def.kind === 'Secret' && event.object.metadata.labels?.['kubecost-rotate.io/phase'] === 'Written') {
        const now = primary().api.get(SIM_RESOURCES.secrets, 'kubecost', 'cloud-integration');
        primary().apply({ ...now, data: original.data });
      }
    });
    try {
      const run = await runCliInProcess(
        rotateArgs(
          current.accessKeyId,
          await world.keyFile('reverted.json', {
            accessKeyId: next.accessKeyId,
            secretAccessKey: next.secretAccessKey,
          }),
        ),
      );
      expect(run.stdout).toMatch(/FAIL\s+secret-holds-new-key cluster-1\/kubecost\/cloud-integration/);
      expect(run.code).not.toBe(0);
    } finally {
      stop();
    }
    expect(allSecretData().get('cluster-1/kubecost/cloud-integration')).toEqual(
      before.get('cluster-1/kubecost/cloud-integration'),
    );
  });
});

describe('defect 3: a provider endpoint that never answers', () => {
  it('is an unavailable probe verdict after the probe time-out: with --require probe the rotation rolls back (exit 1) instead of crashing', async () => {
    // S3 and Athena answer (through a relay) while the new key is proven, and go dark once every Secret is written.
    const sockets: Socket[] = [];
    let dark = false;
    const relay = async (to: string) => {
      const url = new URL(to);
      const server = createServer((socket) => {
        sockets.push(socket);
        if (dark) return; // accepts, never answers
        const upstream = connect(Number(url.port), url.hostname);
        sockets.push(upstream);
        socket.pipe(upstream).pipe(socket);
        upstream.on('error', () => socket.destroy());
        socket.on('error', () => upstream.destroy());
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
    };
    const s3 = await relay(world.cloud?.endpoints.s3 ?? '');
    const athena = await relay(world.cloud?.endpoints.athena ?? '');
    const endpoints = await world.keyFile('black-hole-endpoints.json', {
      ...world.cloud?.endpoints,
      s3: s3.url,
      athena: athena.url,
    });
    const goDark = primary().store.subscribe((event) => {
      if (event.def.kind === 'Secret' && event.object.metadata.labels?.['kubecost-rotate.io/phase'] === 'Written') {
        dark = true;
        for (const socket of sockets) socket.destroy();
      }
    });
    const current = world.layout.credentials.get('billing-aws') as FakeCredential & { provider: 'aws' };
    const next = fakeAwsKey(current.user) as FakeCredential & { provider: 'aws' };
    world.allow(next);
    const before = allSecretData();
    try {
      const args = rotateArgs(
        current.accessKeyId,
        await world.keyFile('black-hole.json', {
          accessKeyId: next.accessKeyId,
          secretAccessKey: next.secretAccessKey,
        }),
      ).filter((a) => !world.probeFlags.includes(a));
      // (Under the default policy the cloud-cost status alone would prove the key: --require asks for the probe.)
      const run = await runCliInProcess([
        ...args,
        '--provider-endpoints',
        endpoints,
        '--probe-timeout',
        '2s',
        '--require',
        'probe',
      ]);
      expect(run.stderr).not.toContain('internal error');
      expect(run.code, run.stdout + run.stderr).toBe(1);
      expect(run.stdout).toMatch(/Proven: .* reached 1 resource\./);
      expect(run.stdout).toMatch(/n\/a\s+probe .*: no answer from the provider within 2 s/);
      expect(run.stdout).toMatch(
        /rotation \S+: RolledBack\. not verified under the --require policy: required check probe was unavailable/,
      );
      expect(allSecretData()).toEqual(before);
      const id = /rotation (\S+): RolledBack/.exec(run.stdout)?.[1] ?? '';
      const journal = primary().api.get(SIM_RESOURCES.secrets, 'kubecost', `kubecost-rotate-${id}`);
      expect(Object.keys((journal.data as Record<string, string>) ?? {})).toEqual(['journal.json']);
    } finally {
      goDark();
      for (const socket of sockets) socket.destroy();
      s3.server.close();
      athena.server.close();
    }
  });

  it('refuses the new key before anything is written when the provider never answers its proof (exit 2)', async () => {
    const sockets: Socket[] = [];
    const blackHole = createServer((socket) => void sockets.push(socket)); // accepts, never answers
    await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', r));
    const port = (blackHole.address() as AddressInfo).port;
    const endpoints = await world.keyFile('black-hole-sts.json', {
      ...world.cloud?.endpoints,
      sts: `http://127.0.0.1:${port}`,
    });
    const current = world.layout.credentials.get('billing-aws') as FakeCredential & { provider: 'aws' };
    const next = fakeAwsKey(current.user) as FakeCredential & { provider: 'aws' };
    world.allow(next);
    const before = allSecretData();
    const journals = journalNames();
    try {
      const args = rotateArgs(
        current.accessKeyId,
        await world.keyFile('black-hole-sts-key.json', {
          accessKeyId: next.accessKeyId,
          secretAccessKey: next.secretAccessKey,
        }),
      ).filter((a) => !world.probeFlags.includes(a));
      const run = await runCliInProcess([...args, '--provider-endpoints', endpoints, '--probe-timeout', '1s']);
      expect(run.code, run.stdout + run.stderr).toBe(2);
      expect(run.stderr).toContain(
        'the provider did not answer within 2 s; nothing was written and no journal was made',
      );
      expect(allSecretData()).toEqual(before);
      expect(journalNames()).toEqual(journals);
    } finally {
      for (const socket of sockets) socket.destroy();
      blackHole.close();
    }
  });
});

describe('one kubecost-rotate at a time per credential', () => {
  it("refuses to rotate while another holder keeps renewing the credential's Lease, and takes over one that stopped", async () => {
    const { RotationLease, leaseName } = await import('../../src/rotation/lease.js');
    const { KubeClient } = await import('../../src/kube/client.js');
    const { selectClusters } = await import('../../src/kube/kubeconfig.js');
    const { systemClock } = await import('../../src/shared/clock.js');
    const current = world.layout.credentials.get('billing-aws') as FakeCredential & { provider: 'aws' };
    const [target] = selectClusters({ kubeconfig: world.kubeconfig, contexts: ['cluster-1'] });
    const client = new KubeClient(target as NonNullable<typeof target>);
    // Another operator's run, alive: it renews its Lease.
    const other = await RotationLease.acquire({
      client,
      namespace: 'kubecost',
      credentialId: `aws:${current.accessKeyId}`,
      purpose: 'rotate by someone else',
      clock: systemClock,
      durationSeconds: 2,
    });
    const before = allSecretData();
    const next = fakeAwsKey(current.user) as FakeCredential & { provider: 'aws' };
    world.allow(next);
    const keyFile = await world.keyFile('lease.json', {
      accessKeyId: next.accessKeyId,
      secretAccessKey: next.secretAccessKey,
    });
    try {
      const refused = await runCliInProcess(rotateArgs(current.accessKeyId, keyFile));
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(
        /waiting for \S+ rotate by someone else to release the Lease .* \(until \d\d:\d\d:\d\d\)/,
      );
      expect(refused.stderr).toContain(`another kubecost-rotate is working on credential aws:${current.accessKeyId}`);
      expect(allSecretData()).toEqual(before);
    } finally {
      await other.release();
    }
    // A holder that died: its Lease stays, unrenewed, and is taken over after its duration.
    primary().apply({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: leaseName(`aws:${current.accessKeyId}`), namespace: 'kubecost' },
      spec: { holderIdentity: 'laptop/4242/dead rotate', leaseDurationSeconds: 2, renewTime: new Date().toISOString() },
    });
    const started = Date.now();
    const run = await runCliInProcess([...rotateArgs(current.accessKeyId, keyFile), '-o', 'json']);
    expect(run.code).toBe(0);
    // The wait is in the NDJSON stream: what it waits for, and until when.
    const waits = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; for?: string; message?: string; until?: string })
      .filter((e) => e.type === 'wait' && e.for === 'lease');
    expect(waits[0]?.message).toContain('waiting for laptop/4242/dead rotate to release the Lease');
    expect(Date.parse(waits[0]?.until ?? '')).toBeGreaterThan(started);
    expect(Date.now() - started).toBeGreaterThan(2000);
    world.layout.credentials.set('billing-aws', next);
    // Released at the end.
    expect(await client.readLease('kubecost', leaseName(`aws:${current.accessKeyId}`))).toBeUndefined();
  });
});
