/**
 * The permissions the README lists for `rotate` are exactly enough on real RBAC: a ServiceAccount
 * bound (on every cluster) to a Role in the Kubecost namespace with those rules, and nothing else,
 * completes a rotation with `-n kubecost`; with any single one of them removed the rotation stops
 * with a clear error that names the missing permission (or, for a check that only gathers
 * evidence, reports that check unavailable), with its documented exit code, and never hangs.
 * The kubeconfig holds only the ServiceAccount's token, as a user's CI job would.
 */
import * as k8s from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layoutSecretValues, secretValuesOf, successorOf, type FakeCredential } from '../../src/sim/kubecost/index.js';
import { credentialIdOf } from './support/secrets.js';
import { leakedSecrets } from '../support/capture.js';
import { snapshotDiff } from '../rotation/harness.js';
import { deleteUnfinishedRealJournals, realJournals, snapshotRealSecrets } from './support/secrets.js';
import { keepLogsOnFailure, startRealWorld, type RealWorld } from './support/world.js';

/** One rule of the README's list: a verb on a resource (with its API group). */
interface Permission {
  readonly group: string;
  readonly resource: string;
  readonly verb: string;
}

/**
 * README "rotate", Permissions: what a Role in the Kubecost namespace must allow, on every cluster.
 * Keep the two in step: this test is what makes the README's list true.
 */
const README_PERMISSIONS: readonly Permission[] = [
  ...['get', 'list', 'update', 'create'].map((verb) => ({ group: '', resource: 'secrets', verb })),
  ...['deployments', 'statefulsets', 'daemonsets'].flatMap((resource) =>
    ['get', 'list', 'watch', 'patch'].map((verb) => ({ group: 'apps', resource, verb })),
  ),
  { group: '', resource: 'pods', verb: 'list' },
  { group: 'batch', resource: 'cronjobs', verb: 'list' },
  { group: 'batch', resource: 'jobs', verb: 'list' },
  { group: '', resource: 'pods/log', verb: 'get' },
  { group: '', resource: 'services/proxy', verb: 'get' },
  { group: '', resource: 'events', verb: 'create' },
  ...['get', 'create', 'update', 'delete'].map((verb) => ({ group: 'coordination.k8s.io', resource: 'leases', verb })),
];

/** Permissions the rotation completes without: what it does instead. */
const OPTIONAL = new Map<string, string>([
  ['watch deployments (apps)', 'rollouts are then listed every few seconds instead of watched'],
  ['watch statefulsets (apps)', 'rollouts are then listed every few seconds instead of watched'],
  ['get daemonsets (apps)', 'this layout has no DaemonSet reading the key: nothing to restart'],
  ['watch daemonsets (apps)', 'this layout has no DaemonSet reading the key: nothing to watch'],
  ['patch daemonsets (apps)', 'this layout has no DaemonSet reading the key: nothing to restart'],
  ['list daemonsets (apps)', 'discovery warns that a DaemonSet reading the key would not be restarted'],
  ['list cronjobs (batch)', 'discovery warns that a CronJob reading the key would not be reported'],
  ['list jobs (batch)', 'discovery warns that a Job reading the key would not be reported'],
  ['get pods/log', 'the log checks are unavailable; under the default policy the probe proves the key'],
  ['get services/proxy', "a federated-store key's plan has no cloud-cost status check to read"],
  ['create events', 'the Events on the journal are then dropped'],
  ['update leases (coordination.k8s.io)', 'every renewal of the Lease is refused with a warning'],
  ['delete leases (coordination.k8s.io)', 'the Lease is then left to expire'],
]);

/**
 * The exit code without each required permission (1 when not listed): 2 when it is missing before
 * anything is written (nothing changed), 3 when the rotation stopped with a journal for resume or
 * rollback (the admin rolls it back here), 1 when it rolled back by itself or refused at the start.
 */
const REQUIRED_EXIT = new Map<string, number>([
  ['list secrets', 1],
  ['update secrets', 3],
  ['get deployments (apps)', 3],
  ['list deployments (apps)', 1],
  ['patch deployments (apps)', 3],
  ['get statefulsets (apps)', 3],
  ['list statefulsets (apps)', 1],
  ['patch statefulsets (apps)', 3],
  ['list pods', 1],
]);

const NS = 'kubecost';
const SA = 'kubecost-rotate';
const name = (p: Permission) => `${p.verb} ${p.resource}${p.group ? ` (${p.group})` : ''}`;

let world: RealWorld;
keepLogsOnFailure(() => world);
let saKubeconfig: string;
const printed: string[] = [];
const keys: string[] = [];

beforeAll(async () => {
  world = await startRealWorld({ clusters: 3 });
  // The federated GCS key: a Secret on every cluster, Deployments and the aggregator StatefulSet restarted.
  await world.install('v2-federated');
  const tokens = new Map<string, string>();
  for (const c of world.fleet.clusters) {
    const core = world.api(c.name, k8s.CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace: NS, body: { metadata: { name: SA } } });
    await world.api(c.name, k8s.RbacAuthorizationV1Api).createNamespacedRoleBinding({
      namespace: NS,
      body: {
        metadata: { name: SA },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: SA },
        subjects: [{ kind: 'ServiceAccount', name: SA, namespace: NS }],
      },
    });
    const token = await core.createNamespacedServiceAccountToken({
      name: SA,
      namespace: NS,
      body: { spec: { audiences: [], expirationSeconds: 3600 } },
    });
    tokens.set(c.name, token.status?.token ?? '');
  }
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: world.plane.clusters.map((c) => ({ name: c.name, server: c.server, caData: caData(c.caFile) })),
    users: world.plane.clusters.map((c) => ({ name: `${c.name}-${SA}`, token: tokens.get(c.name) ?? '' })),
    contexts: world.plane.clusters.map((c) => ({ name: c.context, cluster: c.name, user: `${c.name}-${SA}` })),
    currentContext: world.plane.clusters[0]?.context ?? '',
  });
  saKubeconfig = join(world.plane.dir, '..', 'service-account.kubeconfig');
  await writeFile(saKubeconfig, kc.exportConfig(), { mode: 0o600 });
});

afterAll(async () => {
  await world?.stop();
});

const caData = (file: string) => readFileSync(file).toString('base64');

/** Sets the Role on every cluster to exactly these permissions. */
async function grant(permissions: readonly Permission[]): Promise<void> {
  const rules = new Map<string, k8s.V1PolicyRule>();
  for (const p of permissions) {
    const key = `${p.group} ${p.resource}`;
    const rule = rules.get(key) ?? { apiGroups: [p.group], resources: [p.resource], verbs: [] };
    rule.verbs.push(p.verb);
    rules.set(key, rule);
  }
  for (const c of world.fleet.clusters) {
    const rbac = world.api(c.name, k8s.RbacAuthorizationV1Api);
    const body = { metadata: { name: SA, namespace: NS }, rules: [...rules.values()] };
    try {
      const current = await rbac.readNamespacedRole({ name: SA, namespace: NS });
      await rbac.replaceNamespacedRole({
        name: SA,
        namespace: NS,
        body: { ...body, metadata: { ...body.metadata, resourceVersion: current.metadata?.resourceVersion } },
      });
    } catch {
      await rbac.createNamespacedRole({ namespace: NS, body });
    }
  }
  // RBAC is read from an informer cache by the authorizer: wait until the change is in force.
  const want = new Set(permissions.map(name));
  for (const c of world.fleet.clusters) {
    const auth = new k8s.KubeConfig();
    auth.loadFromFile(saKubeconfig);
    auth.setCurrentContext(c.name);
    const review = auth.makeApiClient(k8s.AuthorizationV1Api);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const answers = await Promise.all(
        README_PERMISSIONS.map(async (p) => {
          const [resource, subresource] = p.resource.split('/');
          const r = await review.createSelfSubjectAccessReview({
            body: {
              spec: {
                resourceAttributes: {
                  namespace: NS,
                  group: p.group,
                  resource,
                  ...(subresource ? { subresource } : {}),
                  verb: p.verb,
                },
              },
            },
          });
          return (r.status?.allowed ?? false) === want.has(name(p));
        }),
      );
      if (answers.every(Boolean)) break;
      if (Date.now() > deadline) throw new Error(`RBAC on ${c.name} did not take effect within 20 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

const CREDENTIAL = 'federated-gcs';

async function freshKey(): Promise<{ old: FakeCredential; next: FakeCredential; keyFile: string }> {
  const old = world.layout.credentials.get(CREDENTIAL) as FakeCredential;
  const { next, keyFile: content } = successorOf(old);
  world.allow(next);
  keys.push(...secretValuesOf(next));
  const keyFile = await world.keyFile(`rbac-${keys.length}.json`, content);
  return { old, next, keyFile };
}

/** Rotates the federated GCS key as the ServiceAccount. */
async function rotateAsServiceAccount() {
  const { old, next, keyFile } = await freshKey();
  const started = Date.now();
  const run = await world.child(
    [
      'rotate',
      '--kubeconfig',
      saKubeconfig,
      '--all-contexts',
      '-n',
      NS,
      '--credential',
      credentialIdOf(old),
      '--new-key-file',
      keyFile,
      '--yes',
      '--verify-window',
      '1s',
      '--rollout-timeout',
      '30s',
      // cluster-3's copy of the key is managed by an ExternalSecret (no controller reverts it here).
      '--allow-owned',
      ...world.probeFlags,
    ],
    {},
    90_000,
  ).done;
  printed.push(run.stdout, run.stderr);
  if (/: Verified\./.test(run.stdout)) world.layout.credentials.set(CREDENTIAL, next);
  return { run, ms: Date.now() - started };
}

/** Puts the world back after a run that did not finish: the admin rolls back what it left. */
async function repair(): Promise<void> {
  for (const j of await realJournals(world)) {
    if (j.doc.phase === 'Verified' || j.doc.phase === 'RolledBack') continue;
    await world.cli(['rollback', j.doc.id, '--kubeconfig', world.kubeconfig, '--force']);
  }
  await deleteUnfinishedRealJournals(world);
}

describe("a ServiceAccount with the README's permissions", () => {
  it('completes a rotation with exit 0 and Verified', async () => {
    await grant(README_PERMISSIONS);
    const { run } = await rotateAsServiceAccount();
    expect(run.code, run.stdout.slice(-2500) + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/rotation \S+: Verified\./);
    expect(run.stdout + run.stderr).not.toMatch(/forbidden/i);
    // No check was unavailable (the policy's own text says that some may be).
    expect(run.stdout).not.toMatch(/^\S* ?n\/a\s/m);
  });

  for (const missing of README_PERMISSIONS) {
    const optional = OPTIONAL.get(name(missing));
    const title = optional
      ? `without ${name(missing)} still completes the rotation (${optional})`
      : `without ${name(missing)} stops with a clear error naming it and its exit code, never hanging`;
    it(title, async () => {
      await grant(README_PERMISSIONS.filter((p) => p !== missing));
      const before = await snapshotRealSecrets(world);
      const { run, ms } = await rotateAsServiceAccount();
      const output = run.stdout + run.stderr;
      console.info(`rbac: without ${name(missing)}: exit ${String(run.code)} in ${ms} ms`);
      await repair();
      expect(run.signal, 'the run ended on its own (no hang killed by the test)').toBeNull();
      if (optional) {
        expect(run.code, output.slice(-2500)).toBe(0);
        expect(run.stdout).toMatch(/rotation \S+: Verified\./);
        if (missing.resource === 'leases' && missing.verb === 'update')
          expect(run.stdout + run.stderr).toMatch(
            /warning: renewing the Lease \S+ failed .*cannot update resource "leases"/,
          );
        return;
      }
      expect(output).toContain(`cannot ${missing.verb} resource "${missing.resource}"`);
      expect(run.code, output.slice(-2500)).toBe(REQUIRED_EXIT.get(name(missing)) ?? 1);
      if (run.code === 2) expect(snapshotDiff(before, await snapshotRealSecrets(world))).toEqual([]);
    });
  }

  it('printed no secret value in any run', () => {
    expect(leakedSecrets(printed.join('\n'), [...layoutSecretValues(world.layout), ...keys])).toEqual([]);
  });
});
