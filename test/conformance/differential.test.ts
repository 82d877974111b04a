/**
 * The differential conformance suite: every case of the table (cases.ts) sent to a real v1.34.4
 * kube-apiserver (kcp, test/real/controlplane, with the node agent of src/sim/node running its pods)
 * and to kube-sim in the same run. A case fails when
 * the real server no longer gives the recorded answer (the table is out of date), when kube-sim
 * differs from it (unless listed in known-differences.ts, with its reason), or when the two Status
 * bodies differ in reason, code, message or causes. Run with `npm run test:real` (root, Go, a
 * private network namespace); kube-sim.test.ts checks kube-sim against the same recorded answers
 * in `npm test`.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../src/sim/kube/index.js';
import { PENDING_PRODUCT_FIXES } from '../../src/sim/kube/pending.js';
import { startRealFleet, type RealFleet } from '../../src/sim/node/index.js';
import { repoRoot, startControlPlane, type ControlPlane } from '../real/support/control-plane.js';
import { CASES } from './cases.js';
import { KNOWN_DIFFERENCES, UNMODELLED } from './known-differences.js';
import { describeResult, nobodyIdentity, runCase, type CaseResult, type Identity } from './run.js';
import type { Answer, Target } from './target.js';

let plane: ControlPlane;
/** The node agent running the real cluster's pods (issue 7 §3). */
let agents: RealFleet;
const agentErrors: string[] = [];
let fleet: Fleet;
let real: Target;
let sim: Target;
let lenient: Target;
let realNobody: Identity;
let simNobody: Identity;
let lenientNobody: Identity;

type Outcome = 'equal' | 'known difference' | 'pending product fix' | 'differs' | 'table out of date' | 'not run';
const outcomes = new Map<string, { outcome: Outcome; detail?: string }>();
/** Fields present in one server's answer and not the other's (informative: the patterns decide). */
const shapeDiffs = new Map<string, { onlyReal: string[]; onlySim: string[]; real?: unknown; sim?: unknown }>();

function fieldPaths(value: unknown, prefix = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) fieldPaths(item, `${prefix}[]`, out);
    return out;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'managedFields') continue;
      const path = `${prefix}.${/^[A-Za-z0-9_-]+$/.test(k) ? k : '*'}`;
      out.add(path);
      fieldPaths(v, path, out);
    }
  }
  return out;
}

function compareShapes(id: string, realResult: CaseResult, simResult: CaseResult): void {
  const onlyReal = new Set<string>();
  const onlySim = new Set<string>();
  let first: { real: unknown; sim: unknown } | undefined;
  for (const [i, step] of realResult.steps.entries()) {
    const other = simResult.steps[i];
    if (!step.checked || !other || typeof step.answer?.body !== 'object') continue;
    const a = fieldPaths(step.answer.body);
    const b = fieldPaths(other.answer?.body);
    const before = onlyReal.size + onlySim.size;
    for (const p of a) if (!b.has(p)) onlyReal.add(`step ${i + 1} ${p}`);
    for (const p of b) if (!a.has(p)) onlySim.add(`step ${i + 1} ${p}`);
    if (!first && onlyReal.size + onlySim.size > before) first = { real: step.answer.body, sim: other.answer?.body };
  }
  if (onlyReal.size > 0 || onlySim.size > 0)
    shapeDiffs.set(id, { onlyReal: [...onlyReal], onlySim: [...onlySim], ...first });
}

beforeAll(async () => {
  plane = await startControlPlane({ clusters: 1, nodesPerCluster: 1 });
  const cluster = plane.clusters[0];
  if (!cluster) throw new Error('kcp up started no cluster');
  agents = await startRealFleet(plane, { onError: (m) => agentErrors.push(m) });
  real = {
    name: 'real',
    server: cluster.server,
    caPem: await readFile(cluster.caFile, 'utf8'),
    token: cluster.adminToken,
  };
  fleet = await startFleet({ clusters: ['strict', 'lenient'] });
  const s = fleet.cluster('strict');
  s.api.lenient.clear();
  sim = { name: 'kube-sim', server: s.url, caPem: s.caPem, token: s.adminToken };
  const l = fleet.cluster('lenient');
  lenient = { name: 'kube-sim (lenient)', server: l.url, caPem: l.caPem, token: l.adminToken };
  [realNobody, simNobody, lenientNobody] = await Promise.all([
    nobodyIdentity(real),
    nobodyIdentity(sim),
    nobodyIdentity(lenient),
  ]);
}, 300_000);

afterAll(async () => {
  await fleet?.stop();
  await agents?.stop();
  // A namespace a case just deleted refuses the agent's Events: that is expected, the rest is not.
  const unexpected = agentErrors.filter((m) => !m.includes('because it is being terminated'));
  if (unexpected.length > 0) console.error(`node agent errors:\n${unexpected.join('\n')}`);
  const failed = [...outcomes.values()].some((o) => o.outcome === 'differs' || o.outcome === 'table out of date');
  await plane?.stop({ keep: failed });
  await writeReport();
});

/** What a Status body says, with what differs per run (namespace, numbers, uids) masked. */
function statusShape(answer: Answer | undefined, ns: string): unknown {
  const body = answer?.body as Record<string, unknown> | undefined;
  if (!body || body.kind !== 'Status') return undefined;
  const mask = (text: unknown) =>
    typeof text === 'string'
      ? text
          .replaceAll(ns, '{ns}')
          .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '{uid}')
          // generateName's random five characters
          .replace(/([.-])[bcdfghjklmnpqrstvwxz2456789]{5}(?![a-z0-9])/g, '$1{suffix}')
          .replace(/\d+/g, '#')
      : text;
  const details = (body.details ?? {}) as Record<string, unknown>;
  const causes = Array.isArray(details.causes) ? (details.causes as Record<string, unknown>[]) : [];
  return {
    status: body.status,
    code: body.code,
    reason: body.reason,
    message: mask(body.message),
    details: {
      name: mask(details.name),
      group: details.group,
      kind: details.kind,
      causes: causes.map((c) => ({ reason: c.reason, field: c.field, message: mask(c.message) })),
    },
  };
}

function compareStatuses(realResult: CaseResult, simResult: CaseResult, withMessages: boolean): string[] {
  const out: string[] = [];
  const shape = (answer: Answer | undefined, ns: string) => {
    const s = statusShape(answer, ns) as
      { message?: unknown; details: { causes: { message?: unknown }[] } } | undefined;
    if (s && !withMessages) {
      delete s.message;
      for (const c of s.details.causes) delete c.message;
    }
    return s;
  };
  for (const [i, step] of realResult.steps.entries()) {
    const other = simResult.steps[i];
    if (!step.checked || !other) continue;
    const a = JSON.stringify(shape(step.answer, realResult.ns));
    const b = JSON.stringify(shape(other.answer, simResult.ns));
    if (a !== b) out.push(`step ${i + 1}: Status differs\n  real:     ${a}\n  kube-sim: ${b}`);
  }
  return out;
}

describe('kube-sim and a real v1.34.4 kube-apiserver give the same answers', () => {
  for (const testCase of CASES) {
    it(`${testCase.title} [${testCase.id}]`, async () => {
      const [realResult, simResult] = await Promise.all([
        runCase(real, testCase, realNobody),
        runCase(sim, testCase, simNobody),
      ]);
      if (!realResult.ok) {
        outcomes.set(testCase.id, { outcome: 'table out of date', detail: describeResult(realResult) });
        expect.fail(`the real server no longer gives the recorded answer: fix cases.ts\n${describeResult(realResult)}`);
      }
      compareShapes(testCase.id, realResult, simResult);
      const known = KNOWN_DIFFERENCES[testCase.id];
      const statusDiffs = compareStatuses(realResult, simResult, testCase.messagesDiffer === undefined);
      const simMatches = simResult.ok && statusDiffs.length === 0;
      if (known) {
        outcomes.set(testCase.id, { outcome: 'known difference', detail: known });
        expect(simMatches, `${testCase.id} is a known difference (${known}) but kube-sim now matches: remove it`).toBe(
          false,
        );
        return;
      }
      if (!simMatches) {
        const detail = [simResult.ok ? '' : describeResult(simResult), ...statusDiffs].filter(Boolean).join('\n');
        outcomes.set(testCase.id, { outcome: 'differs', detail });
        expect.fail(`kube-sim differs from the real server:\n${detail}`);
      }
      if (testCase.id in PENDING_PRODUCT_FIXES) {
        const lenientResult = await runCase(lenient, testCase, lenientNobody);
        outcomes.set(testCase.id, {
          outcome: lenientResult.ok ? 'equal' : 'pending product fix',
          detail: PENDING_PRODUCT_FIXES[testCase.id]?.issue ?? '',
        });
        return;
      }
      outcomes.set(testCase.id, { outcome: 'equal' });
    });
  }
});

async function writeReport(): Promise<void> {
  const counts = new Map<Outcome, number>();
  for (const o of outcomes.values()) counts.set(o.outcome, (counts.get(o.outcome) ?? 0) + 1);
  const lines = [
    `differential conformance: ${CASES.length} cases, v1.34.4 kube-apiserver vs kube-sim`,
    ...[...counts].map(([outcome, n]) => `  ${outcome}: ${n}`),
    ...[...outcomes]
      .filter(([, o]) => o.outcome !== 'equal')
      .map(([id, o]) => `  - ${id}: ${o.outcome}${o.detail ? ` — ${o.detail.split('\n')[0] ?? ''}` : ''}`),
    `  answers with fields only one server sent (informative, see .tmp/conformance-report.json): ${shapeDiffs.size} cases`,
    '  not modelled by kube-sim:',
    ...UNMODELLED.map((u) => `  - ${u.what}: ${u.why}`),
  ];
  console.log(lines.join('\n'));
  await mkdir(join(repoRoot, '.tmp'), { recursive: true });
  await writeFile(
    join(repoRoot, '.tmp', 'conformance-report.json'),
    JSON.stringify(
      { cases: CASES.length, outcomes: Object.fromEntries(outcomes), shapeDiffs: Object.fromEntries(shapeDiffs) },
      null,
      2,
    ),
  );
}
