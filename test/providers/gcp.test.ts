/**
 * The GCP provider's evidence beyond the shared cases: Policy Analyzer's key activity when it can
 * be read, and when it cannot (its permission denied) an answer that says so and claims nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGcpProvider, type KeyProvider, type KeyRef } from '../../src/providers/index.js';
import { SecretValue } from '../../src/shared/secret-value.js';
import { KEY_ACTIVITY_PERMISSION, startCloudSim, trustCredential, type CloudSim } from '../../src/sim/cloud/index.js';
import { gcpServiceAccountKey } from '../../src/sim/kubecost/credentials.js';
import { fakeClock } from './worlds.js';

const clock = fakeClock(Date.parse('2026-12-01T12:00:00.000Z'));
let sim: CloudSim;
let provider: KeyProvider;
let ref: KeyRef;
const old = gcpServiceAccountKey('kubecost', 'acme');
const oldCredential = { provider: 'gcp' as const, keyJson: new SecretValue(old.json) };
const signal = () => AbortSignal.timeout(30_000);

beforeAll(async () => {
  sim = await startCloudSim({ clock: () => clock.ms });
  trustCredential(sim, old);
  const admin = sim.gcp.createAdmin('acme');
  provider = createGcpProvider({
    iamEndpoint: sim.endpoints.gcs,
    tokenUrl: sim.endpoints.gcpToken,
    policyAnalyzerEndpoint: sim.endpoints.gcs,
    credentials: { provider: 'gcp', keyJson: new SecretValue(admin.keyJson) },
    clock,
  });
  ref = { principal: await provider.identify(oldCredential, signal()), keyId: old.privateKeyId };
});

afterAll(async () => {
  await sim.stop();
});

describe('GCP key evidence', () => {
  it("reports the key's last authentication from Policy Analyzer, and the window Google has observed", async () => {
    const since = new Date(clock.ms - 1000);
    await provider.prove({ principal: ref.principal, credential: oldCredential, targets: [] }, signal());
    const used = await provider.evidence(ref, since, signal());
    expect(used).toMatchObject({ usedSince: 'yes', lastUsedAt: new Date(clock.ms).toISOString() });
    expect(used.checked).toEqual([
      `iam keys.get for ${old.privateKeyId}: enabled`,
      `Policy Analyzer serviceAccountKeyLastAuthentication for ${old.privateKeyId}`,
    ]);
    clock.ms += 60_000;
    const idleSince = new Date(clock.ms - 30_000);
    const idle = await provider.evidence(ref, idleSince, signal());
    expect(idle).toMatchObject({
      usedSince: 'no',
      window: { from: idleSince.toISOString(), to: new Date(clock.ms).toISOString() },
    });
  });

  it('says it could not read the activity, and claims nothing, when Policy Analyzer is denied', async () => {
    sim.gcp.deny(KEY_ACTIVITY_PERMISSION);
    try {
      const evidence = await provider.evidence(ref, new Date(clock.ms - 1000), signal());
      expect(evidence.usedSince).toBe('unknown');
      expect(evidence.notChecked[0]).toBe(
        `the key's last authentication (Policy Analyzer: missing ${KEY_ACTIVITY_PERMISSION})`,
      );
      expect(evidence.summary).toMatch(/its use could not be read/);
    } finally {
      sim.gcp.allow();
    }
  });

  it('calls a disabled key unused: nothing can authenticate with it', async () => {
    const issued = await provider.issue({ principal: ref.principal, replacing: ref }, signal());
    await provider.deactivate(issued.ref, signal());
    const evidence = await provider.evidence(issued.ref, new Date(clock.ms - 1000), signal());
    expect(evidence).toMatchObject({
      usedSince: 'no',
      summary: `${issued.ref.keyId} is disabled: nothing can authenticate with it`,
    });
    await provider.delete(issued.ref, signal());
  });
});
