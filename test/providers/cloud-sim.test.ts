/**
 * The shared provider conformance cases on cloud-sim: aws, gcp, azure and manual (for each cloud),
 * every provider through its official SDK against the emulated control and data planes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  awsCapabilities,
  azureCapabilities,
  caseContext,
  ConformanceRecord,
  ProviderError,
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
    for (const c of conformanceCases)
      expect(
        all.some((caps) => c.applies(caps)),
        c.name,
      ).toBe(true);
  });
});

describe('the conformance suite fails a provider that breaks the contract', () => {
  const caseNamed = (start: string) => {
    const found = conformanceCases.find((c) => c.name.startsWith(start));
    if (!found) throw new Error(`no case "${start}"`);
    return found;
  };
  let mutants = 0;
  /** The AWS world of a user of its own, with some operations replaced. */
  const mutant = async (mutate: (world: ConformanceWorld) => Partial<ConformanceWorld['provider']>) => {
    const world = await awsWorld(sim, clock, `kubecost-mutant-${++mutants}`);
    return { ...world, provider: { ...world.provider, ...mutate(world) } };
  };

  it('catches a delete that leaves the key working', async () => {
    const world = await mutant(() => ({ delete: () => Promise.resolve() }));
    await expect(
      caseNamed('a deleted key fails the proof').run(
        caseContext(world, new ConformanceRecord(), AbortSignal.timeout(30_000)),
      ),
    ).rejects.toThrow(/a deleted key was proven/);
  });

  it('catches a permission error that does not name the permission', async () => {
    const world = await mutant((w) => ({
      issue: async (request, signal) => {
        try {
          return await w.provider.issue(request, signal);
        } catch (error: unknown) {
          if (error instanceof ProviderError)
            throw new ProviderError({ provider: 'aws', operation: 'issue', kind: error.kind }, 'denied');
          throw error;
        }
      },
    }));
    await expect(
      caseNamed('a denied action is permission_missing').run(
        caseContext(world, new ConformanceRecord(), AbortSignal.timeout(30_000)),
      ),
    ).rejects.toThrow(/names nothing/);
  });

  it('catches key material in a result', async () => {
    const world = await mutant((w) => ({
      inspect: async (principal, held, signal) => ({
        ...(await w.provider.inspect(principal, held, signal)),
        inspectedAt: w.secrets()[1] ?? '',
      }),
    }));
    const record = new ConformanceRecord();
    await caseNamed('inspect lists the old key').run(caseContext(world, record, AbortSignal.timeout(30_000)));
    await expect(
      caseNamed('no result or error').run(caseContext(world, record, AbortSignal.timeout(30_000))),
    ).rejects.toThrow(/a secret \(fp=/);
  });
});
