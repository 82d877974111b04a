/** Which pods are a workload's own: through their owner, never by labels alone (issue 8 defect 6). */
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { labelSelectorText, podsOwnedBy } from '../../src/verify/pods.js';

const pod = (
  name: string,
  owner?: { kind: string; name: string; uid?: string },
  phase = 'Running',
  hash = 'abc12',
): V1Pod => ({
  metadata: {
    name,
    labels: { app: 'x', 'pod-template-hash': hash },
    ...(owner
      ? { ownerReferences: [{ apiVersion: 'apps/v1', controller: true, uid: owner.uid ?? 'u', ...owner }] }
      : {}),
  },
  status: { phase, ...(phase === 'Failed' ? { reason: 'Evicted' } : {}) },
});

describe('labelSelectorText', () => {
  it('writes matchExpressions in the API syntax, so that a matchExpressions-only selector does not select every pod', () => {
    expect(
      labelSelectorText({
        matchExpressions: [
          { key: 'app', operator: 'In', values: ['b', 'a'] },
          { key: 'tier', operator: 'NotIn', values: ['debug'] },
          { key: 'release', operator: 'Exists' },
          { key: 'canary', operator: 'DoesNotExist' },
        ],
      }),
    ).toBe('app in (a,b),tier notin (debug),release,!canary');
    expect(
      labelSelectorText({ matchLabels: { app: 'x' }, matchExpressions: [{ key: 'v', operator: 'In', values: ['1'] }] }),
    ).toBe('app=x,v in (1)');
  });
});

describe('podsOwnedBy', () => {
  it("keeps a Deployment's pods (owned by its ReplicaSets) and skips finished pods, debug copies and other owners' pods", () => {
    const { pods, skipped } = podsOwnedBy('Deployment', { metadata: { name: 'web', uid: 'd1' } }, [
      pod('web-abc12-1', { kind: 'ReplicaSet', name: 'web-abc12' }),
      pod('web-abc12-2', { kind: 'ReplicaSet', name: 'web-abc12' }, 'Failed'),
      pod('web-debug'),
      pod('web-api-abc12-1', { kind: 'ReplicaSet', name: 'web-api-abc12' }),
      pod('job-1', { kind: 'Job', name: 'web' }, 'Succeeded'),
    ]);
    expect(pods.map((p) => p.metadata?.name)).toEqual(['web-abc12-1']);
    expect(skipped).toEqual([
      { name: 'web-abc12-2', why: 'Failed (Evicted)' },
      { name: 'web-debug', why: 'no owner: not one of its pods' },
      { name: 'web-api-abc12-1', why: 'owned by ReplicaSet web-api-abc12, not Deployment web' },
      { name: 'job-1', why: 'owned by Job web, not Deployment web' },
    ]);
  });

  it("keeps a StatefulSet's pods by the StatefulSet's uid", () => {
    const { pods } = podsOwnedBy('StatefulSet', { metadata: { name: 'agg', uid: 's1' } }, [
      pod('agg-0', { kind: 'StatefulSet', name: 'agg', uid: 's1' }),
      pod('agg-1', { kind: 'StatefulSet', name: 'agg', uid: 'an-older-statefulset' }),
    ]);
    expect(pods.map((p) => p.metadata?.name)).toEqual(['agg-0']);
  });
});
