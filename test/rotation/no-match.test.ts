/**
 * "No credential matches" when discovery could not read everything: the error says what it could
 * not read (a cluster that is unreachable, Secrets it may not list), so that a missing permission
 * is not mistaken for a wrong credential id. Found on real RBAC (test/real/rbac.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/capture.js';
import { startLayout, type LayoutWorld } from '../kubecost/layout-support.js';

let world: LayoutWorld;

beforeAll(async () => {
  world = await startLayout('v2-single');
});

afterAll(async () => {
  await world.stop();
});

describe('a credential that discovery could not see', () => {
  it('is refused (exit 1, nothing written) with what discovery could not read, naming the cluster, the namespace and the refusal', async () => {
    const allow = world.fleet.cluster('cluster-1').access.deny({ verb: 'list', resource: 'secrets' });
    try {
      const run = await runCliInProcess(
        [
          'rotate',
          '--kubeconfig',
          world.kubeconfig,
          '--all-contexts',
          '-n',
          'kubecost',
          '--credential',
          'aws:AKIAIOSFODNN7EXAMPLE',
          '--new-key-stdin',
          '--yes',
        ],
        // A well-formed key (the key file is read before any cluster): what is refused is the credential.
        { stdin: JSON.stringify({ accessKeyId: 'AKIAJOSFODNN7EXAMPLE', secretAccessKey: 'a'.repeat(40) }) },
      );
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /could not read cluster-1: cluster cluster-1: list secrets in namespace kubecost: .*forbidden/i,
      );
      expect(run.stderr).toContain('aws:AKIAIOSFODNN7EXAMPLE was not found on the clusters that could be read');
    } finally {
      allow();
    }
  });
});
