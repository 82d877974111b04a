/**
 * The AWS provider beyond the shared cases: evidence from GetAccessKeyLastUsed that says when the
 * old key was last used, by which service, and which window the answer covers (AWS records uses
 * late: the window ends that much before now); a fresh key refused until IAM's consistency delay
 * has passed; the principal found from the old key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsProvider, type KeyProvider, type KeyRef, type Principal } from '../../src/providers/index.js';
import { SecretValue } from '../../src/shared/secret-value.js';
import { startCloudSim, trustCredential, type CloudSim } from '../../src/sim/cloud/index.js';
import { awsAccessKey } from '../../src/sim/kubecost/credentials.js';
import { awsTargets, fakeClock } from './worlds.js';

const HOUR = 3_600_000;
const clock = fakeClock(Date.parse('2026-12-01T12:00:00.000Z'));
let sim: CloudSim;
let provider: KeyProvider;
let principal: Principal;
let oldRef: KeyRef;
const old = awsAccessKey('kubecost');
const signal = () => AbortSignal.timeout(30_000);
const oldCredential = {
  provider: 'aws' as const,
  accessKeyId: old.accessKeyId,
  secretAccessKey: new SecretValue(old.secretAccessKey),
};

beforeAll(async () => {
  sim = await startCloudSim({ awsConsistencyDelayMs: 5000, clock: () => clock.ms });
  trustCredential(sim, old);
  const admin = sim.aws.createAdmin();
  // AWS's own reporting delay (4 h by default): what the provider does on a real account.
  provider = createAwsProvider({
    iamEndpoint: sim.endpoints.iam,
    stsEndpoint: sim.endpoints.sts,
    credentials: {
      provider: 'aws',
      accessKeyId: admin.accessKeyId,
      secretAccessKey: new SecretValue(admin.secretAccessKey),
    },
    clock,
  });
  principal = await provider.identify(oldCredential, signal());
  oldRef = { principal, keyId: old.accessKeyId };
});

afterAll(async () => {
  await sim.stop();
});

describe('the AWS provider', () => {
  it('finds the IAM user from the old key with STS GetCallerIdentity', () => {
    expect(principal).toEqual({
      provider: 'aws',
      id: 'arn:aws:iam::123456789012:user/kubecost',
      name: 'kubecost',
      account: '123456789012',
    });
  });

  it('reports a use after the moment asked about, saying when and by which service', async () => {
    const since = new Date(clock.ms - 60_000);
    // The consumer reads the federated bucket with the old key.
    const proof = await provider.prove(
      { principal, credential: oldCredential, targets: (await awsTargets(sim)).slice(0, 1) },
      signal(),
    );
    expect(proof.ok).toBe(true);
    const evidence = await provider.evidence(oldRef, since, signal());
    expect(evidence).toMatchObject({
      usedSince: 'yes',
      lastUsedAt: new Date(Math.floor(clock.ms / 1000) * 1000).toISOString(),
      lastUsedService: 's3',
      checked: [`iam:GetAccessKeyLastUsed for ${old.accessKeyId}`],
    });
    expect(evidence.summary).toMatch(/was used after .* by s3/);
  });

  it('will not call a key unused before AWS can have recorded every use, and says until when', async () => {
    clock.ms += 60_000;
    const since = new Date(clock.ms);
    clock.ms += HOUR;
    const early = await provider.evidence(oldRef, since, signal());
    expect(early.usedSince).toBe('unknown');
    expect(early.window).toEqual({ from: since.toISOString(), to: since.toISOString() });
    expect(early.summary).toMatch(
      new RegExp(`too early .* up to 240 min .* ask again after ${new Date(since.getTime() + 4 * HOUR).toISOString()}`),
    );
    expect(early.notChecked).toContain('uses in the last 240 min (AWS may record them that late)');
    clock.ms += 3 * HOUR + 1000;
    const late = await provider.evidence(oldRef, since, signal());
    expect(late.usedSince).toBe('no');
    expect(late.window).toEqual({ from: since.toISOString(), to: new Date(clock.ms - 4 * HOUR).toISOString() });
    expect(late.summary).toMatch(/was not used from .* to .* \(last used .* by s3\)/);
  });

  it('proves a fresh key only once IAM has propagated it, and a single round fails it as an invalid key', async () => {
    const inspection = await provider.inspect(principal, [{ site: 's', credential: oldCredential }], signal());
    const issued = await provider.issue({ principal, replacing: oldRef }, signal());
    try {
      expect(inspection.keys.map((k) => k.ref.keyId)).toEqual([old.accessKeyId]);
      const once = await provider.prove(
        {
          principal,
          credential: issued.credential,
          targets: [],
          retry: { attempts: 1, firstDelayMs: 1, maxDelayMs: 1 },
        },
        signal(),
      );
      expect(once).toMatchObject({
        ok: false,
        attempts: 1,
        identity: { ok: false, kind: 'auth', code: 'InvalidClientTokenId' },
      });
      const start = clock.ms;
      const retried = await provider.prove(
        { principal, credential: issued.credential, targets: await awsTargets(sim) },
        signal(),
      );
      expect(retried).toMatchObject({ ok: true, identity: { ok: true } });
      expect(retried.attempts).toBeGreaterThan(1);
      // It slept (on the injected clock) just past the 5 s delay, no more than the back-off's next step.
      expect(clock.ms - start).toBeGreaterThanOrEqual(5000);
      expect(clock.ms - start).toBeLessThan(16_000);
    } finally {
      await provider.delete(issued.ref, signal());
    }
  });
});
