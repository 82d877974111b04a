/**
 * Runs a rotation plan, step by step, with the journal written before and after every external
 * effect (DESIGN §4): stage (read every Secret, compute the new bytes, back up the old), write,
 * restart in waves, verify, and roll back on failure. Every step first looks at the real state,
 * so re-running it after a crash adopts what was done instead of doing it twice.
 */
import type { V1Secret } from '@kubernetes/client-node';
import type { KubeClient } from '../kube/client.js';
import { KubeError } from '../kube/errors.js';
import {
  credentialFingerprint,
  credentialIdentity,
  parseSecretData,
  replaceCredential,
  SecretFormatError,
  type Credential,
} from '../kubecost/secret-formats/index.js';
import {
  deploymentRollout,
  parseCloudCostStatus,
  scanLogForAuthFailures,
  scanLogForPositiveSignals,
  statefulSetRollout,
  type RolloutStatus,
} from '../verify/checks.js';
import { afterEffect, type Journal, type SecretBackup, type StepRecord, type Verdict } from './journal.js';
import type { PlannedRestart, PlannedWrite, RotationPlan } from './plan.js';
import type { ProgressEvent, Reporter } from './progress.js';

export const ANNOTATION_ROTATION = 'kubecost-rotate.io/rotation-id';
export const ANNOTATION_FINGERPRINT = 'kubecost-rotate.io/key-fingerprint';
export const ANNOTATION_RESTART = 'kubecost-rotate.io/restart';

/** Verifies one planned site with the new key directly at its provider (wired by the caller). */
export type SiteProbe = (
  site: RotationPlan['sites'][number],
  documentText: string,
  credential: Credential,
  signal: AbortSignal,
) => Promise<Verdict>;

export interface RunnerDeps {
  readonly clients: ReadonlyMap<string, KubeClient>;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  readonly report: Reporter;
  readonly probe?: SiteProbe;
  /** Attempts for a write that fails in a retryable way (default 4, backoff doubling from retryBaseMs). */
  readonly writeAttempts?: number;
  readonly retryBaseMs?: number;
}

/** Stops the forward path: the rotation must roll back (or wait for a human). */
class StopRotation extends Error {
  constructor(
    message: string,
    readonly needsHuman: boolean,
  ) {
    super(message);
  }
}

const b64 = (text: Uint8Array | string) => Buffer.from(text).toString('base64');

function client(deps: RunnerDeps, cluster: string): KubeClient {
  const c = deps.clients.get(cluster);
  if (!c)
    throw new StopRotation(
      `no kubeconfig context for cluster ${cluster}; pass --context ${cluster} (or --all-contexts)`,
      true,
    );
  return c;
}

function emit(deps: RunnerDeps, event: ProgressEvent): void {
  deps.report(event);
}

/** Runs `fn` for each item, at most `limit` clusters at once, items of one cluster in order. */
async function perCluster<T extends { cluster: string }>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const byCluster = new Map<string, T[]>();
  for (const item of items) byCluster.set(item.cluster, [...(byCluster.get(item.cluster) ?? []), item]);
  const queue = [...byCluster.values()];
  const errors: unknown[] = [];
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(limit, queue.length)) }, async () => {
      // After a failure, start nothing new: what is in flight finishes, the rest waits for resume or rollback.
      for (let group = queue.shift(); group && errors.length === 0; group = queue.shift()) {
        for (const item of group) {
          try {
            await fn(item);
          } catch (error: unknown) {
            errors.push(error);
            break;
          }
        }
      }
    }),
  );
  if (errors.length > 0) throw errors[0];
}

function sameData(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ka = Object.keys(a ?? {}).sort();
  const kb = Object.keys(b ?? {}).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && (a ?? {})[k] === (b ?? {})[k]);
}

function describeError(error: unknown): string {
  if (error instanceof KubeError || error instanceof SecretFormatError || error instanceof StopRotation)
    return error.message;
  return error instanceof Error ? error.message : String(error);
}

// ----------------------------------------------------------------------------------- stage

/** Reads every Secret to write, checks it still holds the old key, computes the new bytes and backs up the old. */
export async function stage(
  plan: RotationPlan,
  journal: Journal,
  credential: Credential,
  deps: RunnerDeps,
): Promise<void> {
  await perCluster(plan.writes, plan.options.maxParallelClusters, async (write) => {
    const key = `${write.cluster}/${write.namespace}/${write.secret}`;
    let secret: V1Secret;
    try {
      secret = await client(deps, write.cluster).readSecret(write.namespace, write.secret);
    } catch (error: unknown) {
      throw new StopRotation(
        `cannot read Secret ${write.namespace}/${write.secret} on ${write.cluster}: ${describeError(error)}`,
        false,
      );
    }
    const data = { ...(secret.data ?? {}) };
    const newData = { ...data };
    for (const dataKey of [...new Set(plan.sites.filter((s) => write.sites.includes(s.id)).map((s) => s.dataKey))]) {
      const location = { cluster: write.cluster, namespace: write.namespace, secret: write.secret, dataKey };
      const parsed = parseSecretData(data, location);
      let bytes: Uint8Array = Buffer.from(data[dataKey] ?? '', 'base64');
      for (const site of plan.sites.filter((s) => write.sites.includes(s.id) && s.dataKey === dataKey)) {
        const current = parsed.sites.find((p) => p.path === site.path && p.format === site.format);
        if (
          !current ||
          credentialIdentity(current.credential).id !== plan.credential.id ||
          credentialFingerprint(current.credential) !== plan.credential.fingerprint
        ) {
          throw new StopRotation(
            `Secret ${write.namespace}/${write.secret} on ${write.cluster} (${dataKey}, ${site.path}) no longer holds credential ${plan.credential.id} as discovered: it changed since the plan was made. Run the rotation again.`,
            false,
          );
        }
        bytes = replaceCredential(bytes, { ...current, location }, credential);
      }
      newData[dataKey] = b64(bytes);
    }
    const backup: SecretBackup = {
      cluster: write.cluster,
      namespace: write.namespace,
      secret: write.secret,
      resourceVersion: secret.metadata?.resourceVersion ?? '',
      data,
      newData,
      annotations: { ...(secret.metadata?.annotations ?? {}) },
    };
    journal.state.backups.set(key, backup);
    emit(deps, {
      type: 'step',
      rotation: plan.id,
      step: `stage:${key}`,
      cluster: write.cluster,
      state: 'done',
      detail: `read at resourceVersion ${backup.resourceVersion}; ${write.sites.length} site(s) to change`,
    });
  });
}

// ----------------------------------------------------------------------------------- write

async function withRetries<T>(deps: RunnerDeps, what: string, fn: () => Promise<T>, rotation = ''): Promise<T> {
  const attempts = deps.writeAttempts ?? 4;
  const base = deps.retryBaseMs ?? 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error: unknown) {
      const retryable = error instanceof KubeError && (error.retryable || error.failure === 'Timeout');
      if (!retryable || attempt >= attempts) throw error;
      deps.report({
        type: 'warning',
        rotation,
        message: `${what} failed (${describeError(error)}); retrying in ${(base * 2 ** (attempt - 1)) / 1000} s (attempt ${attempt + 1} of ${attempts})`,
      });
      await deps.sleep(base * 2 ** (attempt - 1));
    }
  }
}

function secretWith(current: V1Secret, data: Record<string, string>, annotations: Record<string, string>): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { ...current.metadata, annotations },
    ...(current.type ? { type: current.type } : {}),
    ...(current.immutable !== undefined ? { immutable: current.immutable } : {}),
    data,
  };
}

/** Writes one Secret (or adopts a write that already happened), recording it before and after. */
async function writeOne(plan: RotationPlan, journal: Journal, write: PlannedWrite, deps: RunnerDeps): Promise<void> {
  const key = `${write.cluster}/${write.namespace}/${write.secret}`;
  const record = journal.step(write.step);
  if (record.state === 'done') return;
  const backup = journal.state.backups.get(key);
  if (!backup) throw new StopRotation(`the journal has no backup of Secret ${key}; it cannot be written safely`, true);
  const kube = client(deps, write.cluster);
  if (record.state === 'started') {
    // A crash (or a timeout) may have happened after the write: look before writing again.
    const current = await withRetries(deps, `reading Secret ${key}`, () =>
      kube.readSecret(write.namespace, write.secret),
    );
    if (sameData(current.data, backup.newData)) {
      await journal.finish(
        record,
        `written (found after a restart of kubecost-rotate) at resourceVersion ${current.metadata?.resourceVersion ?? ''}`,
        { resourceVersionAfter: current.metadata?.resourceVersion ?? '' },
      );
      return;
    }
    if (!sameData(current.data, backup.data)) {
      throw new StopRotation(
        `Secret ${write.namespace}/${write.secret} on ${write.cluster} was changed by someone else during the rotation (it holds neither the old nor the new data). Nothing more was written to it.`,
        true,
      );
    }
  }
  await journal.begin(
    record,
    `writing new key ${plan.newKey.fingerprint} at resourceVersion ${backup.resourceVersion}`,
    { resourceVersionBefore: backup.resourceVersion },
  );
  emit(deps, {
    type: 'step',
    rotation: plan.id,
    step: write.step,
    cluster: write.cluster,
    state: 'started',
    detail: `writing ${write.sites.length} site(s)`,
  });
  let written: V1Secret;
  // Once a write was sent, it may land late (a timeout does not cancel it): from then on the step
  // is never recorded as "not written", only as written or unknown.
  let sent = false;
  try {
    written = await withRetries(deps, `writing Secret ${key}`, async () => {
      const current = await kube.readSecret(write.namespace, write.secret);
      if (sameData(current.data, backup.newData)) return current; // the previous attempt landed
      if (current.metadata?.resourceVersion !== backup.resourceVersion) {
        throw new StopRotation(
          `Secret ${write.namespace}/${write.secret} on ${write.cluster} changed since it was read (resourceVersion ${backup.resourceVersion} → ${current.metadata?.resourceVersion ?? '?'}): someone else edited it during the rotation. Nothing was written to it.`,
          false,
        );
      }
      const annotations = {
        ...(current.metadata?.annotations ?? {}),
        [ANNOTATION_ROTATION]: plan.id,
        [ANNOTATION_FINGERPRINT]: plan.newKey.fingerprint,
      };
      sent = true;
      return kube.replaceSecret(secretWith(current, backup.newData, annotations));
    });
  } catch (error: unknown) {
    if (sent) {
      const current = await kube.readSecret(write.namespace, write.secret).catch(() => undefined);
      if (current && sameData(current.data, backup.newData)) {
        afterEffect();
        await journal.finish(
          record,
          `written (the answer came late) at resourceVersion ${current.metadata?.resourceVersion ?? ''}`,
          { resourceVersionAfter: current.metadata?.resourceVersion ?? '' },
        );
        emit(deps, {
          type: 'step',
          rotation: plan.id,
          step: write.step,
          cluster: write.cluster,
          state: 'done',
          detail: `new key ${plan.newKey.fingerprint} written (was ${plan.credential.fingerprint})`,
        });
        return;
      }
      // Left 'started': rollback and resume look at the Secret before doing anything to it.
      throw error instanceof StopRotation
        ? error
        : new StopRotation(
            `${describeError(error)} while writing Secret ${key}: the write may or may not have been applied`,
            false,
          );
    }
    if (error instanceof KubeError && error.failure === 'Conflict') {
      const message = `Secret ${write.namespace}/${write.secret} on ${write.cluster} was modified by someone else between read and write (resourceVersion conflict). Nothing was written to it.`;
      await journal.fail(record, 'not written: modified by someone else');
      throw new StopRotation(message, false);
    }
    if (error instanceof StopRotation && !error.needsHuman) {
      // The write was refused before it was sent: the journal must not count it as a possible write.
      await journal.fail(record, 'not written: modified by someone else since it was read');
    }
    throw error;
  }
  afterEffect();
  await journal.finish(record, `written at resourceVersion ${written.metadata?.resourceVersion ?? ''}`, {
    resourceVersionAfter: written.metadata?.resourceVersion ?? '',
  });
  emit(deps, {
    type: 'step',
    rotation: plan.id,
    step: write.step,
    cluster: write.cluster,
    state: 'done',
    detail: `new key ${plan.newKey.fingerprint} written (was ${plan.credential.fingerprint})`,
  });
  await event(
    kube,
    write.namespace,
    { kind: 'Secret', name: write.secret },
    'KeyRotated',
    `kubecost-rotate ${plan.id} wrote the new ${plan.credential.provider} key ${plan.newKey.fingerprint} (was ${plan.credential.fingerprint})`,
    deps,
  );
}

async function event(
  kube: KubeClient,
  namespace: string,
  object: { kind: string; name: string; apiVersion?: string },
  reason: string,
  message: string,
  deps: RunnerDeps,
  type: 'Normal' | 'Warning' = 'Normal',
): Promise<void> {
  const now = deps.now();
  try {
    await kube.createEvent(namespace, {
      metadata: { generateName: `${object.name}.kubecost-rotate.`, namespace },
      involvedObject: {
        kind: object.kind,
        name: object.name,
        namespace,
        ...(object.apiVersion ? { apiVersion: object.apiVersion } : {}),
      },
      reason,
      message,
      type,
      source: { component: 'kubecost-rotate' },
      reportingComponent: 'kubecost-rotate',
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
  } catch {
    // Events are informative; a failure to record one does not stop a rotation.
  }
}

// ----------------------------------------------------------------------------------- restart

function rolloutOf(kind: PlannedRestart['kind'], workload: unknown): RolloutStatus {
  return kind === 'Deployment' ? deploymentRollout(workload as never) : statefulSetRollout(workload as never);
}

/** Restarts one workload (or adopts a restart that already happened). */
async function restartOne(
  plan: RotationPlan,
  journal: Journal,
  restart: PlannedRestart,
  record: StepRecord,
  token: string,
  deps: RunnerDeps,
): Promise<void> {
  if (record.state === 'done') return;
  const kube = client(deps, restart.cluster);
  if (record.state === 'started') {
    const current = await withRetries(deps, `reading ${restart.kind} ${restart.name}`, () =>
      kube.readWorkload(restart.kind, restart.namespace, restart.name),
    );
    if (current.spec?.template.metadata?.annotations?.[ANNOTATION_RESTART] === (record.token ?? token)) {
      await journal.finish(record, 'restart found applied after a restart of kubecost-rotate');
      return;
    }
  }
  await journal.begin(
    record,
    `restarting ${restart.kind} ${restart.namespace}/${restart.name} (wave ${restart.wave})`,
    { token },
  );
  emit(deps, {
    type: 'step',
    rotation: plan.id,
    step: restart.step,
    cluster: restart.cluster,
    state: 'started',
    detail: `restart ${restart.kind}/${restart.name} (wave ${restart.wave})`,
  });
  // The same annotations on every attempt: a retried patch is a no-op, not a second restart.
  const annotations = {
    'kubectl.kubernetes.io/restartedAt': deps
      .now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z'),
    [ANNOTATION_RESTART]: token,
  };
  await withRetries(deps, `restarting ${restart.kind} ${restart.name}`, () =>
    kube.annotatePodTemplate(restart.kind, restart.namespace, restart.name, annotations),
  );
  afterEffect();
  await journal.finish(record, `restart requested with token ${token}`);
  await event(
    kube,
    restart.namespace,
    { kind: restart.kind, name: restart.name, apiVersion: 'apps/v1' },
    'RotationRestart',
    `kubecost-rotate ${plan.id} restarted ${restart.kind} ${restart.name} to load key ${plan.newKey.fingerprint}`,
    deps,
  );
}

/** Waits until every workload has rolled out, by kubectl's rules. */
async function waitRollouts(plan: RotationPlan, restarts: readonly PlannedRestart[], deps: RunnerDeps): Promise<void> {
  const deadline = deps.now().getTime() + plan.options.rolloutTimeoutMs;
  let failed = false;
  await Promise.all(
    restarts.map(async (r) => {
      for (; !failed;) {
        const workload = await withRetries(deps, `reading ${r.kind} ${r.name}`, () =>
          client(deps, r.cluster).readWorkload(r.kind, r.namespace, r.name),
        );
        const status = rolloutOf(r.kind, workload);
        if (status.done) {
          emit(deps, {
            type: 'step',
            rotation: plan.id,
            step: r.step,
            cluster: r.cluster,
            state: 'done',
            detail: status.message,
          });
          return;
        }
        if (status.failed || deps.now().getTime() > deadline) {
          failed = true;
          throw new StopRotation(
            status.failed
              ? `${r.kind} ${r.namespace}/${r.name} on ${r.cluster}: ${status.message}`
              : `${r.kind} ${r.namespace}/${r.name} on ${r.cluster} did not finish rolling out within ${plan.options.rolloutTimeoutMs / 1000} s: ${status.message}`,
            false,
          );
        }
        await deps.sleep(250);
      }
    }),
  );
}

async function restartWaves(
  plan: RotationPlan,
  journal: Journal,
  restarts: readonly PlannedRestart[],
  recordOf: (r: PlannedRestart) => StepRecord,
  token: string,
  deps: RunnerDeps,
): Promise<void> {
  for (const wave of [1, 2, 3] as const) {
    const inWave = restarts.filter((r) => r.wave === wave);
    if (inWave.length === 0) continue;
    await perCluster(inWave, plan.options.maxParallelClusters, (r) =>
      restartOne(plan, journal, r, recordOf(r), token, deps),
    );
    await waitRollouts(plan, inWave, deps);
  }
}

// ----------------------------------------------------------------------------------- verify

function selectorOf(workload: { spec?: { selector?: { matchLabels?: Record<string, string> } } }): string {
  return Object.entries(workload.spec?.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

async function verifyRestart(
  r: PlannedRestart,
  token: string,
  writtenAt: number,
  deps: RunnerDeps,
): Promise<Verdict[]> {
  const kube = client(deps, r.cluster);
  const target = `${r.cluster}/${r.namespace}/${r.kind}/${r.name}`;
  const workload = await kube.readWorkload(r.kind, r.namespace, r.name);
  const pods = (await kube.listPods(r.namespace, selectorOf(workload))).filter((p) => !p.metadata?.deletionTimestamp);
  const verdicts: Verdict[] = [];
  if (workload.spec?.replicas === 0) {
    verdicts.push({
      check: 'pods-restarted',
      target,
      ok: true,
      evidence: 'scaled to 0: its next pod reads the new key',
    });
    return verdicts;
  }
  // The restart token is only on pods of the template patched after every write, whatever the clocks say.
  const stale = pods.filter((p) => p.metadata?.annotations?.[ANNOTATION_RESTART] !== token);
  const ready = pods.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  verdicts.push({
    check: 'pods-restarted',
    target,
    ok: pods.length > 0 && stale.length === 0 && ready.length === pods.length,
    evidence: `${pods.length} pod(s), ${ready.length} ready, ${stale.length} without restart token ${token}`,
  });
  for (const pod of pods) {
    const since = new Date(pod.status?.startTime ?? writtenAt).toISOString();
    for (const container of r.containers) {
      let text: string;
      try {
        text = await kube.readPodLog(r.namespace, pod.metadata?.name ?? '', container, since);
      } catch (error: unknown) {
        verdicts.push({
          check: 'logs',
          target: `${target}/${pod.metadata?.name ?? ''}/${container}`,
          ok: false,
          evidence: `could not read logs: ${describeError(error)}`,
        });
        continue;
      }
      const findings = scanLogForAuthFailures(text);
      // Positive evidence (cloud-cost's live reload, a shipped block) is reported, never required.
      const positive = scanLogForPositiveSignals(text)
        .map((p) => `; ${p.count}× ${p.pattern}`)
        .join('');
      const lines = text.split('\n').filter(Boolean).length;
      verdicts.push({
        check: 'logs',
        target: `${target}/${pod.metadata?.name ?? ''}/${container}`,
        ok: findings.length === 0,
        evidence:
          findings.length === 0
            ? `${lines} log line(s) since ${since}, no auth failure${positive}`
            : findings.map((f) => `${f.count}× ${f.pattern}${f.firstAt ? ` (first at ${f.firstAt})` : ''}`).join('; '),
      });
    }
  }
  return verdicts;
}

/**
 * The cloud-cost status of the integrations this key serves. AWS entries are told apart by their
 * sanitized key id and must all show the new one; other providers show no key, so their entries
 * count only once they have run since the restarts (a status persisted from before proves nothing).
 */
async function verifyStatus(
  plan: RotationPlan,
  check: RotationPlan['statusChecks'][number],
  since: number,
  deps: RunnerDeps,
): Promise<Verdict> {
  const target = `${check.cluster}/${check.namespace}/svc/${check.service}:${check.port}${check.path}`;
  const oldId = plan.credential.provider === 'aws' ? plan.credential.keyId : undefined;
  const newId = plan.credential.provider === 'aws' ? plan.newKey.keyId : undefined;
  const deadline = deps.now().getTime() + Math.max(plan.options.verifyWindowMs, 1000);
  let last: string;
  for (;;) {
    try {
      const body = await client(deps, check.cluster).getThroughServiceProxy(
        check.namespace,
        check.service,
        check.port,
        check.path,
      );
      const entries = parseCloudCostStatus(body).filter((e) => e.provider.toLowerCase() === plan.credential.provider);
      const mine = newId
        ? entries.filter((e) => e.authorizerId === newId || e.authorizerId === oldId)
        : entries.filter((e) => e.lastRun !== undefined && e.lastRun >= since - 1000);
      last =
        mine
          .map((e) => `${e.key}: ${e.connectionStatus}${e.authorizerId ? ` (key ${e.authorizerId})` : ''}`)
          .join('; ') || `no ${plan.credential.provider} integration of this key has run since the restart yet`;
      if (
        mine.length > 0 &&
        mine.every((e) => e.connectionStatus === 'Connection Successful' && (!newId || e.authorizerId === newId))
      ) {
        return { check: 'cloud-cost-status', target, ok: true, evidence: last };
      }
    } catch (error: unknown) {
      last = describeError(error);
    }
    if (deps.now().getTime() > deadline) return { check: 'cloud-cost-status', target, ok: false, evidence: last };
    await deps.sleep(500);
  }
}

async function verify(
  plan: RotationPlan,
  journal: Journal,
  credential: Credential | undefined,
  token: string,
  deps: RunnerDeps,
): Promise<Verdict[]> {
  const writtenAt = Math.max(...plan.writes.map((w) => Date.parse(journal.doc.steps[w.step]?.endedAt ?? '') || 0), 0);
  // Give the workloads the verification window to show an auth failure, polling the status meanwhile.
  const restartedAt = Math.max(
    writtenAt,
    ...plan.restarts.map((r) => Date.parse(journal.doc.steps[r.step]?.endedAt ?? '') || 0),
  );
  const statusVerdicts = Promise.all(plan.statusChecks.map((c) => verifyStatus(plan, c, restartedAt, deps)));
  await deps.sleep(plan.options.verifyWindowMs);
  const verdicts: Verdict[] = [...(await statusVerdicts)];
  // Something else (Argo CD self-heal, an ExternalSecret, helm upgrade) may have put the old data back.
  for (const w of plan.writes) {
    const backup = journal.state.backups.get(`${w.cluster}/${w.namespace}/${w.secret}`);
    const current = await client(deps, w.cluster).readSecret(w.namespace, w.secret);
    const holds = backup !== undefined && sameData(current.data, backup.newData);
    verdicts.push({
      check: 'secret-holds-new-key',
      target: `${w.cluster}/${w.namespace}/${w.secret}`,
      ok: holds,
      evidence: holds
        ? `resourceVersion ${current.metadata?.resourceVersion ?? ''} holds the written data`
        : `resourceVersion ${current.metadata?.resourceVersion ?? ''} no longer holds the data written by this rotation: something changed it back or again`,
    });
  }
  for (const r of plan.restarts) verdicts.push(...(await verifyRestart(r, token, writtenAt, deps)));
  if (deps.probe && credential) {
    for (const site of plan.sites) {
      const backup = journal.state.backups.get(`${site.cluster}/${site.namespace}/${site.secret}`);
      const text = Buffer.from(backup?.newData[site.dataKey] ?? '', 'base64').toString('utf8');
      const controller = new AbortController();
      verdicts.push(await deps.probe(site, text, credential, controller.signal));
    }
  }
  for (const v of verdicts) emit(deps, { type: 'verdict', rotation: plan.id, verdict: v });
  journal.doc.verdicts = verdicts;
  await journal.save();
  return verdicts;
}

// ----------------------------------------------------------------------------------- rollback

/**
 * Restores the exact previous data of every Secret this rotation may have written, and restarts
 * their readers again. It never throws for a cluster that fails: it restores what it can on every
 * cluster, then ends RolledBack, or NeedsHuman with what is left to do.
 */
export async function rollback(plan: RotationPlan, journal: Journal, reason: string, deps: RunnerDeps): Promise<void> {
  if (journal.doc.phase !== 'RollingBack') {
    journal.doc.reason ??= reason;
    await journal.setPhase('RollingBack', reason);
    emit(deps, { type: 'phase', rotation: plan.id, phase: 'RollingBack', message: reason });
  }
  const touched = plan.writes.filter(
    (w) => journal.doc.steps[w.step]?.state === 'done' || journal.doc.steps[w.step]?.state === 'started',
  );
  const leftOver: string[] = [];
  await Promise.all(
    touched.map(async (write) => {
      const key = `${write.cluster}/${write.namespace}/${write.secret}`;
      const record = journal.rollbackStep(`restore:${key}`);
      if (record.state === 'done') return;
      const backup = journal.state.backups.get(key);
      if (!backup) {
        leftOver.push(`the journal has no backup of Secret ${key}`);
        return;
      }
      const kube = client(deps, write.cluster);
      try {
        let outcome = 'already' as 'restored' | 'already' | 'changed';
        await journal.begin(record, `restoring the data read at resourceVersion ${backup.resourceVersion}`);
        // Read inside each attempt: a restore that timed out but landed must not be sent again with a stale resourceVersion.
        const restored = await withRetries(deps, `restoring Secret ${key}`, async () => {
          const current = await kube.readSecret(write.namespace, write.secret);
          if (sameData(current.data, backup.data)) return current;
          if (!sameData(current.data, backup.newData)) {
            outcome = 'changed';
            return current;
          }
          const annotations = { ...(current.metadata?.annotations ?? {}) };
          delete annotations[ANNOTATION_ROTATION];
          delete annotations[ANNOTATION_FINGERPRINT];
          for (const k of [ANNOTATION_ROTATION, ANNOTATION_FINGERPRINT])
            if (backup.annotations[k] !== undefined) annotations[k] = backup.annotations[k];
          outcome = 'restored';
          return kube.replaceSecret(secretWith(current, backup.data, annotations));
        });
        if (outcome === 'changed') {
          leftOver.push(
            `Secret ${write.namespace}/${write.secret} on ${write.cluster} was changed by someone else after the rotation read it; it was left as it is (its data before the rotation is in the journal)`,
          );
          await journal.fail(record, 'changed by someone else; left untouched');
          return;
        }
        afterEffect();
        await journal.finish(
          record,
          outcome === 'restored'
            ? `restored at resourceVersion ${restored.metadata?.resourceVersion ?? ''}`
            : 'already held the previous data',
        );
        emit(deps, {
          type: 'step',
          rotation: plan.id,
          step: `restore:${key}`,
          cluster: write.cluster,
          state: 'done',
          detail: `previous data restored (key ${plan.credential.fingerprint})`,
        });
        if (outcome === 'restored')
          await event(
            kube,
            write.namespace,
            { kind: 'Secret', name: write.secret },
            'KeyRotationRolledBack',
            `kubecost-rotate ${plan.id} restored the previous ${plan.credential.provider} key ${plan.credential.fingerprint}: ${reason}`,
            deps,
            'Warning',
          );
      } catch (error: unknown) {
        leftOver.push(
          `Secret ${write.namespace}/${write.secret} on ${write.cluster} could not be restored: ${describeError(error)}`,
        );
      }
    }),
  );
  const restoredSecrets = new Set(touched.map((w) => `${w.cluster}/${w.namespace}/${w.secret}`));
  const restarts = plan.restarts.filter((r) =>
    plan.sites.some(
      (s) =>
        restoredSecrets.has(`${s.cluster}/${s.namespace}/${s.secret}`) &&
        s.cluster === r.cluster &&
        s.namespace === r.namespace &&
        s.consumers.some((c) => c.kind === r.kind && c.name === r.name),
    ),
  );
  try {
    await restartWaves(plan, journal, restarts, (r) => journal.rollbackStep(r.step), `${plan.id}-rollback`, deps);
  } catch (error: unknown) {
    leftOver.push(
      `the previous data is back, but a restart did not complete: ${describeError(error)}; restart it by hand (kubectl rollout restart), then run "kubecost-rotate rollback ${plan.id}" again`,
    );
  }
  if (leftOver.length > 0) {
    const message = leftOver.join('; ');
    journal.doc.reason = message;
    await journal.setPhase('NeedsHuman', message);
    emit(deps, { type: 'phase', rotation: plan.id, phase: 'NeedsHuman', message });
    return;
  }
  await journal.setPhase(
    'RolledBack',
    `every Secret holds its previous data again and its readers restarted (${reason})`,
  );
  await journal.dropMaterial(true);
  emit(deps, { type: 'phase', rotation: plan.id, phase: 'RolledBack', message: reason });
}

// ----------------------------------------------------------------------------------- forward

/**
 * Runs (or continues) the forward path from whatever the journal says is done. Returns when the
 * rotation is Verified, RolledBack or NeedsHuman.
 */
export async function runForward(
  plan: RotationPlan,
  journal: Journal,
  credential: Credential,
  deps: RunnerDeps,
): Promise<void> {
  const phaseEvent = (message: string) =>
    emit(deps, { type: 'phase', rotation: plan.id, phase: journal.doc.phase, message });
  /** Ends a rotation that changed nothing (it stopped before its first write). */
  const endUnchanged = async (error: unknown) => {
    const message = `${describeError(error)}. Nothing was changed.`;
    journal.doc.reason = message;
    await journal.setPhase('RolledBack', message);
    await journal.dropMaterial(true);
    phaseEvent(message);
  };
  try {
    if (journal.doc.phase === 'Planned') {
      try {
        await stage(plan, journal, credential, deps);
      } catch (error: unknown) {
        await endUnchanged(error);
        return;
      }
      await journal.setPhase('Staged', `${plan.writes.length} Secret(s) read and backed up`);
      phaseEvent(`${plan.writes.length} Secret(s) staged`);
    }
    if (journal.doc.phase === 'Staged') {
      try {
        await perCluster(plan.writes, plan.options.maxParallelClusters, (w) => writeOne(plan, journal, w, deps));
      } catch (error: unknown) {
        const written = plan.writes.filter((w) => journal.doc.steps[w.step]?.state === 'done').length;
        const unsure = plan.writes.filter((w) => journal.doc.steps[w.step]?.state === 'started').length;
        const retryable = error instanceof KubeError;
        if (written === 0 && unsure === 0 && !(error instanceof StopRotation && error.needsHuman)) {
          await endUnchanged(error);
          return;
        }
        if (retryable || (error instanceof StopRotation && error.needsHuman)) {
          const message = `${describeError(error)}. ${written} of ${plan.writes.length} Secret(s) hold the new key${unsure > 0 ? ` and ${unsure} may or may not (the write was sent but not confirmed)` : ''}; the old key still works everywhere. Fix the cause, then run "kubecost-rotate resume ${plan.id}" to finish or "kubecost-rotate rollback ${plan.id}" to undo.`;
          journal.doc.reason = message;
          await journal.setPhase('NeedsHuman', message);
          phaseEvent(message);
          return;
        }
        await rollback(plan, journal, describeError(error), deps);
        return;
      }
      await journal.setPhase('Written', `the new key is in all ${plan.writes.length} Secret(s)`);
      phaseEvent('every Secret holds the new key');
    }
    if (journal.doc.phase === 'Written') {
      await restartWaves(plan, journal, plan.restarts, (r) => journal.step(r.step), plan.id, deps);
      await journal.setPhase('Restarted', `${plan.restarts.length} workload(s) restarted and rolled out`);
      phaseEvent(`${plan.restarts.length} workload(s) restarted`);
    }
    if (journal.doc.phase === 'Restarted') {
      const verdicts = await verify(plan, journal, credential, plan.id, deps);
      const failed = verdicts.filter((v) => !v.ok);
      if (failed.length > 0) {
        const reason = `verification failed: ${failed.map((v) => `${v.check} ${v.target}: ${v.evidence}`).join('; ')}`;
        // A failed verification always rolls back (DESIGN §6): the old key still works everywhere.
        await rollback(plan, journal, reason, deps);
        return;
      }
      await journal.setPhase(
        'Verified',
        `${verdicts.length} check(s) passed; every consumer runs with key ${plan.newKey.fingerprint}`,
      );
      // The new key is in the Secrets now; keep the backup until the old key is retired.
      await journal.dropMaterial(false);
      phaseEvent(
        `verified: retire the old key ${plan.credential.keyId ?? plan.credential.fingerprint} at the provider when you are ready`,
      );
    }
  } catch (error: unknown) {
    if (error instanceof StopRotation) {
      if (error.needsHuman) {
        const message = `${error.message}. Run "kubecost-rotate resume ${plan.id}" or "kubecost-rotate rollback ${plan.id}".`;
        journal.doc.reason = message;
        await journal.setPhase('NeedsHuman', message);
        phaseEvent(message);
        return;
      }
      try {
        await rollback(plan, journal, error.message, deps);
      } catch (inner: unknown) {
        // Only the journal's own cluster failing gets here; its last saved state still stands.
        if (!(inner instanceof KubeError)) throw inner;
        phaseEvent(
          `${inner.message}. The journal ${plan.journal.secret} on ${plan.journal.cluster} records how far the rollback got: run "kubecost-rotate rollback ${plan.id}" again.`,
        );
      }
      return;
    }
    if (error instanceof KubeError) {
      const message = `${error.message}. The journal ${plan.journal.secret} on ${plan.journal.cluster} records how far the rotation got: run "kubecost-rotate resume ${plan.id}" or "kubecost-rotate rollback ${plan.id}".`;
      journal.doc.reason = message;
      try {
        await journal.setPhase('NeedsHuman', message);
      } catch {
        // The journal's own cluster may be the one that is down; its last saved state still stands.
      }
      phaseEvent(message);
      return;
    }
    throw error;
  }
}
