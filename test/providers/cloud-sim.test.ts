/**
 * The shared provider conformance cases on cloud-sim: aws, gcp, azure and manual (for each cloud),
 * every provider through its official SDK against the emulated control and data planes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  awsCapabilities,
  azureCapabilities,
  conformanceCases,
  gcpCapabilities,
  manualCapabilities,
  type ConformanceWorld,
} from '../../src/providers/index.js';
import { startCloudSim, type CloudSim } from '../../src/sim/cloud/index.js';
import { describeConformance } from './conformance-cases.js';
import { awsWorld, azureWorld, fakeClock, gcpWorld, manualWorlds } from './worlds.js';

const clock = fakeClock();
let sim: CloudSim;
let manual: Promise<ConformanceWorld[]> | undefined;

beforeAll(async () => {
  // New AWS keys are refused for 3 s of the fake clock, as IAM's eventual consistency does.
  sim = await startCloudSim({ awsConsistencyDelayMs: 3000, clock: () => clock.ms });
});

afterAll(async () => {
  await sim.stop();
});

const manualWorld = async (index: number) => {
  manual ??= manualWorlds(sim, clock);
  return (await manual)[index] as ConformanceWorld;
};

describeConformance('aws on cloud-sim', awsCapabilities(0), () => awsWorld(sim, clock));
describeConformance('gcp on cloud-sim', gcpCapabilities, () => gcpWorld(sim, clock));
describeConformance('azure on cloud-sim', azureCapabilities, () => azureWorld(sim, clock));
describeConformance('manual aws on cloud-sim', manualCapabilities, () => manualWorld(0));
describeConformance('manual gcp on cloud-sim', manualCapabilities, () => manualWorld(1));
describeConformance('manual azure on cloud-sim', manualCapabilities, () => manualWorld(2));

describe('the conformance suite', () => {
  it('has no case that applies to no provider', () => {
    const all = [awsCapabilities(0), gcpCapabilities, azureCapabilities, manualCapabilities];
    for (const c of conformanceCases) expect(all.some((caps) => c.applies(caps)), c.name).toBe(true);
  });
});
