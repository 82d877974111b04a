/**
 * The crash matrix inside an automatic rollback (issue 8): a rotation on a v1-thanos fleet writes a
 * key whose secret is mistyped (`--no-probe`, so nothing proves it first), verification fails, and
 * the run rolls itself back. That rollback is killed with SIGKILL right after each of its journal
 * saves (rollback-journal:N) and right after each of its effects, before the journal records it
 * (rollback-effect:N: a Secret restored, a reader restarted). Every such kill must be finishable
 * with `resume` (which goes on rolling back) and, on another fleet killed at the same point, with
 * `rollback`: every Secret byte for byte as before the rotation, no key material left in the journal.
 */
import { afterAll, beforeAll, describe, it, type ExpectStatic } from 'vitest';
import { fakeAwsKey, layoutSecretValues, type FakeCredential } from '../../src/sim/kubecost/index.js';
import { leakedSecrets, runCliInProcess } from '../support/capture.js';
import {
  deleteUnfinishedJournals,
  journalById,
  journals,
  restoreSecret,
  runCliChild,
  settle,
  snapshotDiff,
  snapshotSecrets,
  type ChildRun,
  type JournalView,
  type SecretSnapshot,
} from './harness.js';
import { startRotationWorld, type RotationWorld } from './world.js';

type AwsKey = FakeCredential & { provider: 'aws' };

interface Fleet {
  readonly name: string;
  readonly world: RotationWorld;
  readonly initial: SecretSnapshot;
  readonly thanos: AwsKey;
  readonly printed: string[];
  readonly secrets: string[];
}

async function startFleet(name: string): Promise<Fleet> {
  const world = await startRotationWorld('v1-thanos', { backend: 'memory' });
  return {
    name,
    world,
    initial: snapshotSecrets(world),
    thanos: world.layout.credentials.get('thanos-s3') as AwsKey,
    printed: [],
    secrets: [],
  };
}

/** A key id the provider knows with a secret it does not: written unproven, it fails every consumer. */
async function mistypedKeyFile(fleet: Fleet, point: string): Promise<string> {
  const good = fakeAwsKey(fleet.thanos.user) as AwsKey;
  fleet.world.allow(good);
  const last = good.secretAccessKey.at(-1) === 'A' ? 'B' : 'A';
  const wrong = `${good.secretAccessKey.slice(0, -1)}${last}`;
  fleet.secrets.push(good.secretAccessKey, wrong);
  return fleet.world.keyFile(`mistyped-${fleet.name}-${point.replace(':', '-')}.json`, {
    accessKeyId: good.accessKeyId,
    secretAccessKey: wrong,
  });
}

const rotateArgs = (fleet: Fleet, keyFile: string) => [
  'rotate',
  '--kubeconfig',
  fleet.world.kubeconfig,
  '--all-contexts',
  '--credential',
  fleet.thanos.accessKeyId,
  '--new-key-file',
  keyFile,
  '--yes',
  '--no-probe',
  '--verify-window',
  '1s',
  '--rollout-timeout',
  '30s',
];

interface KilledRun {
  readonly child: ChildRun;
  readonly journal: JournalView | undefined;
}

/** Runs the failing rotation from the installed state in a child that kills itself at `point`. */
async function killAt(fleet: Fleet, point: string): Promise<KilledRun> {
  const { world } = fleet;
  deleteUnfinishedJournals(world);
  for (const [key, state] of fleet.initial) restoreSecret(world, key, state);
  await settle(world);
  const known = new Set(journals(world).map((j) => j.doc.id));
  const child = await runCliChild(rotateArgs(fleet, await mistypedKeyFile(fleet, point)), {
    KUBECOST_ROTATE_TEST_CRASH: point,
  });
  fleet.printed.push(child.stdout, child.stderr);
  return { child, journal: journals(world).find((j) => !known.has(j.doc.id)) };
}

/** Checks the world after `finish` ran on the killed rotation: as installed, byte for byte. */
function expectRolledBack(fleet: Fleet, id: string, at: (what: string) => string, soft: ExpectStatic): void {
  const journal = journalById(fleet.world, id);
  soft.soft(journal?.doc.phase, at('the journal ends RolledBack')).toBe('RolledBack');
  soft.soft(journal?.dataKeys, at('the journal keeps no key material')).toEqual(['journal.json']);
  soft
    .soft(
      snapshotDiff(fleet.initial, snapshotSecrets(fleet.world)),
      at('every Secret is byte-identical to before the rotation (data, annotations, labels, type)'),
    )
    .toEqual([]);
}

/**
 * Kills the rollback at each point of `kind` in turn until a run gets past its last one (it then ends
 * RolledBack by itself), finishing each kill with `command`. Returns the points that were reached.
 */
async function matrix(
  fleet: Fleet,
  kind: 'rollback-journal' | 'rollback-effect',
  command: 'resume' | 'rollback',
  soft: ExpectStatic,
): Promise<string[]> {
  const reached: string[] = [];
  for (let n = 1; n <= 40; n++) {
    const point = `${kind}:${n}`;
    const at = (what: string) => `[${fleet.name} ${point}] ${what}`;
    const run = await killAt(fleet, point);
    if (run.child.signal !== 'SIGKILL') {
      // Past the last point: the run rolled itself back, exit 1, as without a crash point.
      soft
        .soft(run.child.code, at(`an uninterrupted run ends rolled back (${run.child.stderr.slice(0, 300)})`))
        .toBe(1);
      soft.soft(run.child.stdout, at('it says RolledBack')).toMatch(/: RolledBack\. verification failed/);
      if (run.journal) expectRolledBack(fleet, run.journal.doc.id, at, soft);
      return reached;
    }
    reached.push(point);
    const journal = run.journal;
    soft.soft(journal?.doc.phase, at('the killed run was rolling back')).toBe('RollingBack');
    if (!journal) continue;
    const argv =
      command === 'resume'
        ? ['resume', journal.doc.id, '--kubeconfig', fleet.world.kubeconfig]
        : ['rollback', journal.doc.id, '--kubeconfig', fleet.world.kubeconfig];
    const finish = await runCliInProcess(argv);
    fleet.printed.push(finish.stdout, finish.stderr);
    // resume ends a rotation that was rolled back with 1, rollback with 0 (DESIGN §2).
    soft
      .soft(finish.code, at(`${command} finishes the rollback (stderr: ${finish.stderr.slice(0, 500)})`))
      .toBe(command === 'resume' ? 1 : 0);
    expectRolledBack(fleet, journal.doc.id, at, soft);
  }
  soft.fail(`[${fleet.name}] ${kind} never ran past its last point in 40 runs`);
  return reached;
}

describe('a rotation killed inside its automatic rollback', () => {
  let resumeFleet: Fleet;
  let rollbackFleet: Fleet;

  beforeAll(async () => {
    [resumeFleet, rollbackFleet] = await Promise.all([startFleet('resume'), startFleet('rollback')]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([resumeFleet.world.stop(), rollbackFleet.world.stop()]);
  });

  it.concurrent.for<{ command: 'resume' | 'rollback'; what: string }>([
    { command: 'resume', what: 'resume finishes the rollback' },
    { command: 'rollback', what: 'rollback restores every Secret byte for byte' },
  ])(
    '$what after a kill at each of its journal saves and each of its effects',
    { timeout: 600_000 },
    async ({ command }, { expect: soft }) => {
      const fleet = command === 'resume' ? resumeFleet : rollbackFleet;
      const saves = await matrix(fleet, 'rollback-journal', command, soft);
      const effects = await matrix(fleet, 'rollback-effect', command, soft);
      // The rollback of two Secrets and their readers: at least a save per phase and an effect per Secret.
      soft(saves.length, 'rollback saves its journal at least twice').toBeGreaterThanOrEqual(2);
      soft(effects.length, 'rollback restores two Secrets and restarts their readers').toBeGreaterThanOrEqual(4);
      console.info(
        `crash matrix in rollback (${command}): ${saves.length} save points, ${effects.length} effect points`,
      );
      soft(
        leakedSecrets(fleet.printed.join('\n'), [...layoutSecretValues(fleet.world.layout), ...fleet.secrets]),
        'no secret value was printed',
      ).toEqual([]);
    },
  );
});
