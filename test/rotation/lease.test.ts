/**
 * The credential's Lease on kube-sim through the real client, on the injected clock (defect 5 and
 * issue 7 §6): times in MicroTime form, a refused Lease call is an error with its message (never a
 * silent retry), and every wait has a deadline and says what it waits for.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.js';
import { selectClusters } from '../../src/kube/kubeconfig.js';
import { LeaseHeldError } from '../../src/rotation/errors.js';
import { leaseName, RotationLease, type LeaseRequest } from '../../src/rotation/lease.js';
import { ManualClock } from '../../src/shared/clock.js';
import { SIM_RESOURCES, startFleet, type Fleet, type SimCluster } from '../../src/sim/kube/index.js';

let fleet: Fleet;
let dir: string;
let cluster: SimCluster;
let client: KubeClient;
const MICROTIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lease-'));
  fleet = await startFleet({ clusters: 1, kubeconfigPath: join(dir, 'kc') });
  cluster = fleet.cluster('cluster-1');
  cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kubecost' } });
  const [target] = selectClusters({ kubeconfig: join(dir, 'kc'), contexts: ['cluster-1'] });
  client = new KubeClient(target as NonNullable<typeof target>);
});

afterAll(async () => {
  await fleet.stop();
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
function request(clock: ManualClock, tweaks: Partial<LeaseRequest> = {}): LeaseRequest {
  return {
    client,
    namespace: 'kubecost',
    credentialId: `aws:AKIALEASETEST${n++}`,
    purpose: 'rotate test',
    clock,
    durationSeconds: 3,
    ...tweaks,
  };
}

const leaseWrites = (name: string) =>
  cluster.requests.filter(
    (r) =>
      r.facts?.resource === 'leases' &&
      ['create', 'update'].includes(r.facts.verb) &&
      (r.body as { metadata?: { name?: string } } | undefined)?.metadata?.name === name,
  );

describe('the rotation Lease', () => {
  it('sends acquireTime and renewTime in MicroTime form (6 fractional digits), as a real kube-apiserver requires', async () => {
    const clock = new ManualClock(Date.parse('2026-12-01T10:00:00.123Z'));
    const req = request(clock);
    const lease = await RotationLease.acquire(req);
    await clock.advance(1_000); // a renewal (every third of the duration)
    await lease.release();
    const name = leaseName(req.credentialId);
    const bodies = leaseWrites(name).map((r) => (r.body as { spec: { acquireTime: string; renewTime: string } }).spec);
    expect(bodies.length).toBeGreaterThanOrEqual(2);
    for (const spec of bodies) {
      expect(spec.acquireTime).toMatch(MICROTIME);
      expect(spec.renewTime).toMatch(MICROTIME);
    }
    expect(bodies[0]?.acquireTime).toBe('2026-12-01T10:00:00.123000Z');
  });

  it("fails at once with the server's message on a 4xx other than 409, instead of retrying it silently", async () => {
    const fault = cluster.faults.add({
      verb: 'create',
      resource: 'leases',
      status: 400,
      message: 'Lease.coordination.k8s.io "x" is invalid: spec.acquireTime: Invalid value',
    });
    try {
      const clock = new ManualClock();
      const req = request(clock);
      const error = await RotationLease.acquire(req).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toContain(`Lease kubecost/${leaseName(req.credentialId)} on cluster-1`);
      expect((error as Error).message).toContain('spec.acquireTime: Invalid value');
      expect(fault.hits).toBe(1);
      expect(clock.sleeps).toEqual([]);
    } finally {
      cluster.faults.remove(fault);
    }
  });

  it('waits for a holder that keeps renewing only until its deadline, saying what it waits for and until when, then refuses', async () => {
    const clock = new ManualClock();
    const req = request(clock);
    const holder = await RotationLease.acquire({ ...req, purpose: 'rotate by someone else' });
    const waits: { message: string; until: number }[] = [];
    const started = clock.now().getTime();
    const waiting = RotationLease.acquire({ ...req, onWait: (message, until) => waits.push({ message, until }) }).catch(
      (e: unknown) => e,
    );
    let settled = false;
    void waiting.then(() => (settled = true));
    await clock.runUntil(() => settled, 60_000);
    const error = await waiting;
    await holder.release();
    expect(error).toBeInstanceOf(LeaseHeldError);
    expect((error as Error).message).toContain('rotate by someone else holds its Lease');
    expect(waits[0]?.message).toMatch(
      /^waiting for .*rotate by someone else to release the Lease kubecost\/kubecost-rotate-lock-/,
    );
    expect(waits[0]?.until).toBe(started + 2 * 3_000 + 1_000);
    expect(clock.now().getTime() - started).toBeLessThanOrEqual(2 * 3_000 + 1_000 + 1_000);
  });

  it('takes over a Lease whose holder stopped renewing it, once its duration has passed on the injected clock', async () => {
    const clock = new ManualClock();
    const req = request(clock);
    const name = leaseName(req.credentialId);
    cluster.apply({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace: 'kubecost' },
      spec: {
        holderIdentity: 'laptop/4242/dead rotate',
        leaseDurationSeconds: 3,
        renewTime: '2026-12-01T09:59:59.000000Z',
      },
    });
    let taken: RotationLease | undefined;
    void RotationLease.acquire(req).then((l) => (taken = l));
    await clock.runUntil(() => taken !== undefined, 60_000);
    expect(taken).toBeDefined();
    expect(clock.now().getTime() - Date.UTC(2026, 11, 1)).toBeGreaterThan(3_000);
    const lease = cluster.api.get(SIM_RESOURCES.leases, 'kubecost', name) as unknown as {
      spec: { holderIdentity: string };
    };
    expect(lease.spec.holderIdentity).toContain('rotate test');
    await taken?.release();
  });
});
