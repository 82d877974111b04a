/**
 * kube-sim against the recorded answers of the real v1.34.4 API server: every case of the
 * differential table (cases.ts) must match, except the known differences (each with its reason),
 * on a kube-sim with every pending leniency switched off. The leniencies kube-sim keeps for senders
 * not fixed yet (PENDING_PRODUCT_FIXES) are shown to apply to their case only.
 *
 * The same table runs against a real control plane in differential.test.ts (npm run test:real).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../src/sim/kube/index.js';
import { PENDING_PRODUCT_FIXES } from '../../src/sim/kube/pending.js';
import { CASES } from './cases.js';
import { KNOWN_DIFFERENCES } from './known-differences.js';
import { describeResult, nobodyIdentity, runCase, type Identity } from './run.js';
import type { Target } from './target.js';

let fleet: Fleet;
let strict: Target;
let lenient: Target;
let strictNobody: Identity;
let lenientNobody: Identity;

beforeAll(async () => {
  fleet = await startFleet({ clusters: ['strict', 'lenient'] });
  const s = fleet.cluster('strict');
  const l = fleet.cluster('lenient');
  s.api.lenient.clear();
  strict = { name: 'kube-sim (strict)', server: s.url, caPem: s.caPem, token: s.adminToken };
  lenient = { name: 'kube-sim', server: l.url, caPem: l.caPem, token: l.adminToken };
  strictNobody = await nobodyIdentity(strict);
  lenientNobody = await nobodyIdentity(lenient);
});

afterAll(async () => {
  await fleet.stop();
});

describe('the table itself', () => {
  it('has unique case ids, and every known difference and pending fix names a case', () => {
    const ids = CASES.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of [...Object.keys(KNOWN_DIFFERENCES), ...Object.keys(PENDING_PRODUCT_FIXES)])
      expect(ids).toContain(id);
  });
});

describe.concurrent('kube-sim answers as the real v1.34.4 API server', () => {
  for (const testCase of CASES) {
    const known = KNOWN_DIFFERENCES[testCase.id];
    it(`${testCase.title} [${testCase.id}]${known ? ' (known difference)' : ''}`, async () => {
      const result = await runCase(strict, testCase, strictNobody);
      if (known) {
        expect(
          result.ok,
          `${testCase.id} is listed as a known difference (${known}) but now matches: remove it from known-differences.ts`,
        ).toBe(false);
        return;
      }
      expect(result.ok, describeResult(result)).toBe(true);
    });
  }
});

describe('leniencies pending product fixes', () => {
  it('refuses a Lease with 3-digit MicroTime like the real server, now that the product sends 6 digits', async () => {
    const testCase = CASES.find((c) => c.id === 'lease-microtime-three-digits');
    if (!testCase) throw new Error('no case lease-microtime-three-digits');
    const result = await runCase(lenient, testCase, lenientNobody);
    expect(result.ok, 'kube-sim with every pending leniency on must still answer this case as the real server').toBe(
      true,
    );
  });
  for (const [id, fix] of Object.entries(PENDING_PRODUCT_FIXES)) {
    it(`while ${fix.sender} is not fixed, kube-sim accepts what the real server refuses in ${id} (${fix.issue})`, async () => {
      const testCase = CASES.find((c) => c.id === id);
      if (!testCase) throw new Error(`no case ${id}`);
      const result = await runCase(lenient, testCase, lenientNobody);
      expect(
        result.ok,
        `${id} matches the real server even with its leniency on: remove it from PENDING_PRODUCT_FIXES`,
      ).toBe(false);
    });
  }
});
