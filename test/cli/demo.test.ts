/** `sandbox demo` (what `npm start` runs): one rotation end to end, then everything stops. */
import { describe, expect, it } from 'vitest';
import { runCliInProcess } from '../support/capture.js';

describe('sandbox demo', () => {
  it('discovers a 3.x fleet, rotates its storage key on every cluster, verifies it and exits 0', async () => {
    const run = await runCliInProcess(['sandbox', 'demo']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('3 Kubecost installations on 3 clusters (1 primary, 1 secondary, 1 single)');
    expect(run.stdout).toMatch(/rotation \S+: Verified\./);
    expect(run.stdout).toMatch(/\n\S+\s+Verified\s+azure:acmekubecostfed:/);
    expect(run.stdout).not.toContain('PRIVATE KEY');
  });
});
