/** Registers the shared conformance cases for one world: those its provider's capabilities call for. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  caseContext,
  cleanUp,
  conformanceCases,
  ConformanceRecord,
  type ConformanceWorld,
  type ProviderCapabilities,
} from '../../src/providers/index.js';

export function describeConformance(
  label: string,
  capabilities: ProviderCapabilities,
  makeWorld: () => Promise<ConformanceWorld>,
): void {
  describe(`conformance: ${label}`, () => {
    let world: ConformanceWorld;
    const record = new ConformanceRecord();
    beforeAll(async () => {
      world = await makeWorld();
      expect(world.provider.capabilities).toEqual(capabilities);
    });
    afterEach(async () => {
      await cleanUp(world, AbortSignal.timeout(30_000));
    });
    afterAll(() => {
      // The canary case must have seen what every other case produced.
      expect(record.outputs.length).toBeGreaterThan(10);
    });
    for (const c of conformanceCases.filter((c) => c.applies(capabilities)))
      it(c.name, async () => {
        await c.run(caseContext(world, record, AbortSignal.timeout(50_000)));
      });
  });
}
