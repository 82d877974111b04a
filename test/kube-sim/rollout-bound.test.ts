/**
 * The rollout model bench/rotate-fleet compares a rotation with: how long kube-sim's controllers
 * take to roll each kind of workload out, from the pod timing and the workload's strategy.
 */
import { describe, expect, it } from 'vitest';
import { rolloutMs, rotationBound, shapeOf, type WorkloadShape } from '../../src/sim/kube/rollout-bound.js';

const timing = { startMs: 2000, readyMs: 1000, terminateMs: 30 };

describe('rolloutMs', () => {
  const cases: [string, WorkloadShape, number][] = [
    ['a one-replica Deployment with the default 25% surge: one new pod', { kind: 'Deployment', replicas: 1 }, 3000],
    ['a scaled-to-zero Deployment: nothing to wait for', { kind: 'Deployment', replicas: 0 }, 0],
    [
      'four replicas with the defaults: surge 1 + unavailable 1, two batches',
      { kind: 'Deployment', replicas: 4 },
      6000,
    ],
    [
      'four replicas, maxSurge 0 and maxUnavailable 0: one at a time, as the controller forces',
      { kind: 'Deployment', replicas: 4, strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } },
      12000,
    ],
    [
      'ten replicas with maxSurge 100%: all at once',
      { kind: 'Deployment', replicas: 10, strategy: { rollingUpdate: { maxSurge: '100%', maxUnavailable: 0 } } },
      3000,
    ],
    [
      'ten replicas, maxSurge 2 and maxUnavailable 30% (3): batches of five',
      { kind: 'Deployment', replicas: 10, strategy: { rollingUpdate: { maxSurge: 2, maxUnavailable: '30%' } } },
      6000,
    ],
    [
      'Recreate: the old pods are gone first, then the new ones at once',
      { kind: 'Deployment', replicas: 3, strategy: { type: 'Recreate' } },
      3030,
    ],
    ['a one-replica StatefulSet: the pod goes, then comes back', { kind: 'StatefulSet', replicas: 1 }, 3030],
    [
      'a three-replica StatefulSet: one ordinal after the other',
      { kind: 'StatefulSet', replicas: 3, strategy: { type: 'RollingUpdate' } },
      9090,
    ],
    [
      'a StatefulSet with partition 2 of 3: only the top ordinal',
      { kind: 'StatefulSet', replicas: 3, strategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } },
      3030,
    ],
    [
      'an OnDelete StatefulSet never rolls out by itself',
      { kind: 'StatefulSet', replicas: 1, strategy: { type: 'OnDelete' } },
      Number.POSITIVE_INFINITY,
    ],
    ['a DaemonSet on the one node: the old pod goes first', { kind: 'DaemonSet', replicas: 1 }, 3030],
    [
      'a DaemonSet with maxSurge: the new pod starts beside the old one',
      { kind: 'DaemonSet', replicas: 1, strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } },
      3000,
    ],
  ];
  it.each(cases)('%s', (_name, shape, expected) => {
    expect(rolloutMs(shape, timing)).toBe(expected);
  });
});

describe('shapeOf', () => {
  it('reads replicas and the strategy of a Deployment, the updateStrategy of a StatefulSet, one pod of a DaemonSet', () => {
    expect(shapeOf({ kind: 'Deployment', spec: { replicas: 2, strategy: { type: 'Recreate' } } })).toEqual({
      kind: 'Deployment',
      replicas: 2,
      strategy: { type: 'Recreate' },
    });
    expect(shapeOf({ kind: 'StatefulSet', spec: { updateStrategy: { type: 'OnDelete' } } })).toEqual({
      kind: 'StatefulSet',
      replicas: 1,
      strategy: { type: 'OnDelete' },
    });
    expect(shapeOf({ kind: 'DaemonSet', spec: { replicas: 7 } })).toEqual({ kind: 'DaemonSet', replicas: 1 });
  });
});

describe('rotationBound', () => {
  it('adds one write, the longest rollout of each wave and the verification window', () => {
    const bound = rotationBound({
      writeMs: 100,
      waves: [
        [
          { kind: 'Deployment', replicas: 1 },
          { kind: 'Deployment', replicas: 4 },
        ],
        [{ kind: 'StatefulSet', replicas: 1 }],
        [],
      ],
      verifyWindowMs: 10_000,
      timing,
    });
    expect(bound).toEqual({
      totalMs: 100 + 6000 + 3030 + 10_000,
      writeMs: 100,
      wavesMs: [6000, 3030],
      verifyWindowMs: 10_000,
    });
  });

  it('is the write and the window alone when nothing restarts', () => {
    expect(rotationBound({ writeMs: 50, waves: [], verifyWindowMs: 1000, timing }).totalMs).toBe(1050);
  });
});
