/**
 * The journal's projected size (issue 8, defect 11) against the 1 MiB a Secret holds: a pure function
 * of the plan and the sizes discovery saw, so a fleet too large for one journal is refused before
 * the Lease, and one that fits is not.
 */
import { describe, expect, it } from 'vitest';
import {
  projectedDocumentBytes,
  projectedJournalBytes,
  refuseOversizedJournal,
  SECRET_DATA_LIMIT,
} from '../../src/rotation/journal-size.js';
import { planRotation, type RotationPlan } from '../../src/rotation/plan.js';
import { installation, inventory, site, THANOS_KEY } from './builders.js';

const NOW = new Date('2026-12-01T10:00:00Z');

/** A Thanos fleet of `n` clusters, one Secret on each (the same document everywhere). */
function fleetPlan(n: number): RotationPlan {
  const sites = Array.from({ length: n }, (_, i) => site(`cluster-${i + 1}`, { valueBytes: 3072 }));
  const inv = inventory({
    sites,
    installations: sites.map((s, i) => installation(s.cluster, { role: i === 0 ? 'primary' : 'secondary' })),
  });
  return planRotation({
    inventory: inv,
    credential: inv.credentials.find((c) => c.id === THANOS_KEY) as (typeof inv.credentials)[number],
    newKey: { fingerprint: 'AKIANEWTHANOSKEY0002', keyId: 'AKIANEWTHANOSKEY0002' },
    id: '20261201-100000-abcd',
    now: NOW,
  });
}

describe("the journal's projected size", () => {
  it('leaves a 200-cluster fleet (two restarts on each) with one shared document inside 1 MiB, the plan and records being most of it', () => {
    const plan = fleetPlan(200);
    const bytes = projectedJournalBytes(plan, 100, [3072]);
    // About 0.89 MiB at its largest: every record and verdict, and the rollback's records after a failed verification.
    expect(bytes).toBeLessThan(SECRET_DATA_LIMIT * 0.95);
    expect(projectedDocumentBytes(plan)).toBeGreaterThan(bytes - 10_000);
    expect(() => refuseOversizedJournal(plan, bytes)).not.toThrow();
  });

  it('grows linearly with the fleet', () => {
    const at = (n: number) => projectedDocumentBytes(fleetPlan(n));
    const perCluster = (at(200) - at(100)) / 100;
    expect(Math.abs(at(300) - at(200) - 100 * perCluster)).toBeLessThan(0.02 * 100 * perCluster);
  });

  it('refuses a fleet too large for one journal, naming its size and how to split it', () => {
    const plan = fleetPlan(600);
    const bytes = projectedJournalBytes(plan, 100, [3072]);
    expect(bytes).toBeGreaterThan(SECRET_DATA_LIMIT);
    expect(() => refuseOversizedJournal(plan, bytes)).toThrow(
      new RegExp(
        `would hold about ${bytes} bytes \\(\\d\\.\\d\\d MiB: 600 Secret\\(s\\) on 600 cluster\\(s\\), \\d+ restart\\(s\\)\\), more than the 1048576 bytes`,
      ),
    );
  });

  it('counts every distinct value the backups keep, old and new', () => {
    const plan = fleetPlan(2);
    const one = projectedJournalBytes(plan, 100, [400_000]);
    expect(projectedJournalBytes(plan, 100, [400_000, 400_000]) - one).toBeGreaterThan(800_000);
  });
});
