/**
 * The rotation commands: `plan`, `rotate`, `resume`, `rollback` and `history`. They are thin:
 * they read flags, call the rotation layer and render what it reports.
 */
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { KubeClient } from '../../kube/client.js';
import { selectClusters, type ContextSelection } from '../../kube/kubeconfig.js';
import { fromSecret, Journal, listJournals, type JournalDocument, type Phase } from '../../rotation/journal.js';
import { parseNewKey } from '../../rotation/new-key.js';
import type { RotationPlan } from '../../rotation/plan.js';
import type { ProgressEvent, Reporter } from '../../rotation/progress.js';
import { rollback, runForward, type RunnerDeps } from '../../rotation/runner.js';
import { findJournal, prepareRotation, type Fleet } from '../../rotation/session.js';
import { ConfigError, ExitCode } from '../../shared/errors.js';
import { parseOutputFormat, renderDocument, renderTable } from '../output.js';
import type { GlobalOptions } from '../options.js';
import { liveReporter } from '../live.js';
import { loadProviderEndpoints, siteProbe } from '../../rotation/probe.js';
import { DEFAULT_LEASE_SECONDS, RotationLease } from '../../rotation/lease.js';

export interface RotationFlags extends GlobalOptions {
  credential?: string;
  newKeyFile?: string;
  newKeyStdin?: boolean;
  yes?: boolean;
  verifyWindow?: string;
  maxParallelClusters?: string;
  rolloutTimeout?: string;
  providerEndpoints?: string;
  probe?: boolean;
  force?: boolean;
}

/** Parses a duration like 90s, 5m, 1h or 250ms. */
export function parseDuration(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value.trim());
  if (!m) throw new ConfigError(`${flag} ${value} is not a duration.`, 'Write it like 90s, 5m or 1h.');
  const n = Number(m[1]);
  return Math.round(n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h']);
}

function selectionOf(flags: GlobalOptions, defaultAll = false): ContextSelection {
  const contexts = flags.context ?? [];
  return {
    ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
    contexts,
    allContexts: flags.allContexts === true || (defaultAll && contexts.length === 0),
  };
}

async function readNewKey(flags: RotationFlags): Promise<{ text: string; source: string } | undefined> {
  if (flags.newKeyFile && flags.newKeyStdin)
    throw new ConfigError('give the new key with --new-key-file or --new-key-stdin, not both.');
  if (flags.newKeyFile) {
    try {
      return { text: await readFile(flags.newKeyFile, 'utf8'), source: `--new-key-file ${flags.newKeyFile}` };
    } catch (error: unknown) {
      throw new ConfigError(
        `cannot read --new-key-file ${flags.newKeyFile}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  if (flags.newKeyStdin) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return { text: Buffer.concat(chunks).toString('utf8'), source: 'the key read from stdin' };
  }
  return undefined;
}

function optionsOf(flags: RotationFlags) {
  return {
    ...(flags.verifyWindow ? { verifyWindowMs: parseDuration(flags.verifyWindow, '--verify-window') } : {}),
    ...(flags.rolloutTimeout ? { rolloutTimeoutMs: parseDuration(flags.rolloutTimeout, '--rollout-timeout') } : {}),
    ...(flags.maxParallelClusters
      ? { maxParallelClusters: Math.max(1, Number.parseInt(flags.maxParallelClusters, 10) || 1) }
      : {}),
  };
}

// ------------------------------------------------------------------------------------ plan

function describeSite(s: RotationPlan['sites'][number]): string {
  return `${s.cluster}  ${s.namespace}/${s.secret}  ${s.dataKey}  ${s.path}  [${s.kind}, ${s.format}]`;
}

const WAVE_TEXT = {
  1: 'wave 1: writers, every cluster in parallel',
  2: 'wave 2: readers, after the writers',
  3: 'wave 3: not Kubecost components, last',
} as const;

/** The ordered steps of a plan, as a numbered list a person can follow (and a test can check). */
export function planSteps(plan: RotationPlan): string[] {
  const steps: string[] = [];
  for (const w of plan.writes) {
    const sites = plan.sites.filter((s) => w.sites.includes(s.id));
    steps.push(
      `update Secret ${w.namespace}/${w.secret} on ${w.cluster} (${[...new Set(sites.map((s) => `${s.dataKey} ${s.path}`))].join(', ')})`,
    );
  }
  for (const r of plan.restarts)
    steps.push(
      `restart ${r.kind} ${r.namespace}/${r.name} on ${r.cluster} [${r.role}] (${WAVE_TEXT[r.wave]}) and wait for its rollout`,
    );
  for (const r of plan.restarts)
    steps.push(
      `verify ${r.kind} ${r.namespace}/${r.name} on ${r.cluster}: pods started after the write, no auth failure in the logs of ${r.containers.join(', ')}`,
    );
  for (const c of plan.statusChecks)
    steps.push(
      `verify the cloud integration status on ${c.cluster}: ${c.namespace}/svc/${c.service}:${c.port}${c.path} says Connection Successful${plan.credential.provider === 'aws' ? ' with the new key id' : ''}`,
    );
  for (const s of plan.sites)
    steps.push(
      `probe ${s.kind} site ${s.cluster} ${s.namespace}/${s.secret} ${s.path} with the new key at its provider (unless --no-probe)`,
    );
  return steps;
}

export function renderPlanText(plan: RotationPlan): string {
  const out: string[] = [];
  const clusters = [...new Set(plan.sites.map((s) => s.cluster))];
  out.push(`Rotation ${plan.id}: ${plan.credential.provider} credential ${plan.credential.id}\n`);
  out.push(
    `  key ${plan.credential.keyId ?? plan.credential.fingerprint} → ${plan.newKey.keyId ?? plan.newKey.fingerprint}; ${plan.sites.length} site(s) in ${plan.writes.length} Secret(s) on ${clusters.length} cluster(s); ${plan.restarts.length} restart(s)\n`,
  );
  out.push(
    `  journal: Secret ${plan.journal.namespace}/${plan.journal.secret} on ${plan.journal.cluster}\n\nChanges (secret values are never shown):\n`,
  );
  for (const s of plan.sites) {
    out.push(`  ${describeSite(s)}\n`);
    out.push(`    - ${plan.credential.keyId ?? `key ${plan.credential.fingerprint}`}  (secret: redacted)\n`);
    out.push(`    + ${plan.newKey.keyId ?? `key ${plan.newKey.fingerprint}`}  (secret: redacted)\n`);
  }
  out.push('\nSteps:\n');
  planSteps(plan).forEach((step, i) => out.push(`  ${String(i + 1).padStart(2)}. ${step}\n`));
  if (plan.warnings.length > 0) {
    out.push('\nWarnings:\n');
    for (const w of plan.warnings) out.push(`  ${w}\n`);
  }
  return out.join('');
}

export async function planCommand(flags: RotationFlags): Promise<number> {
  const format = parseOutputFormat(flags.output);
  if (!flags.credential)
    throw new ConfigError('--credential is required: the credential id or fingerprint from kubecost-rotate discover.');
  const newKey = await readNewKey(flags);
  const { plan } = await prepareRotation({
    selection: selectionOf(flags),
    ...(flags.namespace ? { namespace: flags.namespace } : {}),
    credential: flags.credential,
    ...(newKey ? { newKey } : {}),
    options: optionsOf(flags),
  });
  process.stdout.write(
    format === 'table' ? renderPlanText(plan) : renderDocument(format, { ...plan, steps: planSteps(plan) }),
  );
  return ExitCode.Ok;
}

// ------------------------------------------------------------------------------------ reporting

function reporterFor(format: string | undefined, plan?: RotationPlan, color = true): Reporter {
  if (format !== 'json' && plan && process.stdout.isTTY)
    return liveReporter(plan, process.stdout, color && !process.env.NO_COLOR);
  if (format === 'json')
    return (event: ProgressEvent) =>
      process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
  return (event: ProgressEvent) => {
    const time = new Date().toISOString().slice(11, 19);
    switch (event.type) {
      case 'phase':
        process.stdout.write(`${time} ${event.phase}: ${event.message}\n`);
        break;
      case 'step':
        process.stdout.write(
          `${time} [${event.cluster}] ${event.state === 'done' ? '✓' : event.state === 'failed' ? '✗' : '…'} ${event.detail}\n`,
        );
        break;
      case 'verdict':
        process.stdout.write(
          `${time} ${event.verdict.ok ? 'ok  ' : 'FAIL'} ${event.verdict.check} ${event.verdict.target}: ${event.verdict.evidence}\n`,
        );
        break;
      case 'warning':
        process.stderr.write(`${time} warning: ${event.message}\n`);
        break;
      case 'result':
        process.stdout.write(`${time} rotation ${event.rotation}: ${event.phase}. ${event.message}\n`);
        break;
    }
  };
}

function exitFor(phase: Phase): number {
  if (phase === 'Verified') return ExitCode.Ok;
  if (phase === 'RolledBack') return ExitCode.Failed;
  return ExitCode.NeedsHuman;
}

/** The credential's Lease: one kubecost-rotate at a time (KUBECOST_ROTATE_LEASE_SECONDS sets its duration; tests shorten it). */
function acquireLease(
  client: KubeClient,
  namespace: string,
  credentialId: string,
  purpose: string,
): Promise<RotationLease> {
  const seconds = Number(process.env.KUBECOST_ROTATE_LEASE_SECONDS ?? DEFAULT_LEASE_SECONDS);
  let told = false;
  return RotationLease.acquire(
    client,
    namespace,
    credentialId,
    purpose,
    seconds > 0 ? seconds : DEFAULT_LEASE_SECONDS,
    (message) => {
      if (!told) process.stderr.write(`${message}\n`);
      told = true;
    },
  );
}

function depsFor(fleet: Fleet, report: Reporter, flags: RotationFlags = {}): RunnerDeps {
  // KUBECOST_ROTATE_RETRY_BASE_MS shortens the write retry back-off (tests); 1 s otherwise.
  const retryBaseMs = Number(process.env.KUBECOST_ROTATE_RETRY_BASE_MS ?? 1000);
  const endpointsFile = flags.providerEndpoints ?? process.env.KUBECOST_ROTATE_PROVIDER_ENDPOINTS;
  // KUBECOST_ROTATE_PROBE=off turns the direct probe off where providers cannot be reached, unless endpoints are given explicitly.
  const probeOff = flags.probe === false || (process.env.KUBECOST_ROTATE_PROBE === 'off' && !flags.providerEndpoints);
  const probe = probeOff ? undefined : siteProbe(endpointsFile ? loadProviderEndpoints(endpointsFile) : {});
  return {
    clients: fleet.clients,
    now: () => new Date(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    report,
    retryBaseMs,
    ...(probe ? { probe } : {}),
  };
}

function finish(journal: Journal, report: Reporter): number {
  const doc = journal.doc;
  const message =
    doc.phase === 'Verified'
      ? `Every site holds key ${doc.plan.newKey.keyId ?? doc.plan.newKey.fingerprint} and every consumer uses it. Retire the old key ${doc.plan.credential.keyId ?? doc.plan.credential.fingerprint} at the provider when you are ready.`
      : (doc.reason ?? '');
  report({ type: 'result', rotation: doc.id, phase: doc.phase, message });
  return exitFor(doc.phase);
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

// ------------------------------------------------------------------------------------ rotate

export async function rotateCommand(flags: RotationFlags): Promise<number> {
  if (!flags.credential)
    throw new ConfigError('--credential is required: the credential id or fingerprint from kubecost-rotate discover.');
  const newKey = await readNewKey(flags);
  if (!newKey)
    throw new ConfigError(
      'rotate needs the new key: --new-key-file FILE or --new-key-stdin.',
      'Create the key at your provider first (kubecost-rotate sandbox new-key in the sandbox).',
    );
  const prepared = await prepareRotation({
    selection: selectionOf(flags),
    ...(flags.namespace ? { namespace: flags.namespace } : {}),
    credential: flags.credential,
    newKey,
    options: optionsOf(flags),
  });
  const { plan, fleet } = prepared;
  if (flags.output !== 'json') process.stdout.write(renderPlanText(plan));
  if (!flags.yes) {
    if (!process.stdin.isTTY || flags.newKeyStdin)
      throw new ConfigError(
        'refusing to rotate without confirmation: stdin is not a terminal.',
        'Review `kubecost-rotate plan` and pass --yes.',
      );
    if (!(await confirm(`\nRotate ${plan.credential.id} at ${plan.sites.length} site(s)? [y/N] `))) {
      process.stderr.write('Nothing was changed.\n');
      return ExitCode.Failed;
    }
  }
  const home = fleet.clients.get(plan.journal.cluster);
  if (!home) throw new ConfigError(`the journal's cluster ${plan.journal.cluster} is not selected.`);
  const lease = await acquireLease(home, plan.journal.namespace, plan.credential.id, `rotate ${plan.id}`);
  try {
    const inFlight = (await listJournals(home)).filter(
      (d) => d.plan.credential.id === plan.credential.id && d.phase !== 'Verified' && d.phase !== 'RolledBack',
    );
    if (inFlight[0]) {
      throw new ConfigError(
        `rotation ${inFlight[0].id} of this credential has not ended (phase ${inFlight[0].phase}).`,
        `Finish it with kubecost-rotate resume ${inFlight[0].id}, or undo it with kubecost-rotate rollback ${inFlight[0].id}.`,
      );
    }
    return await runRotation(flags, prepared, home, newKey.text);
  } finally {
    await lease.release();
  }
}

async function runRotation(
  flags: RotationFlags,
  prepared: Awaited<ReturnType<typeof prepareRotation>>,
  home: KubeClient,
  newKeyText: string,
): Promise<number> {
  const { plan, fleet, credential } = prepared;
  if (!credential) throw new ConfigError('the new key could not be read.');
  const report = reporterFor(flags.output, plan, flags.color !== false);
  const now = new Date().toISOString();
  const journal = await Journal.create(
    home,
    plan.journal.namespace,
    {
      schemaVersion: 1,
      id: plan.id,
      phase: 'Planned',
      plan,
      steps: {},
      rollback: {},
      verdicts: [],
      timeline: [{ at: now, phase: 'Planned', message: `planned ${plan.sites.length} site(s)` }],
      createdAt: now,
      updatedAt: now,
    },
    newKeyText,
    () => new Date(),
  );
  const deps = depsFor(fleet, report, flags);
  report({
    type: 'phase',
    rotation: plan.id,
    phase: 'Planned',
    message: `journal ${plan.journal.namespace}/${plan.journal.secret} on ${plan.journal.cluster}`,
  });
  await runForward(plan, journal, credential, deps);
  return finish(journal, report);
}

// ------------------------------------------------------------------------------------ resume / rollback

async function openJournal(flags: RotationFlags, id: string): Promise<{ fleet: Fleet; journal: Journal }> {
  const kubeconfigOnly = selectionOf(flags, true);
  const targets = selectClusters(kubeconfigOnly);
  const all: Fleet = { clients: new Map(targets.map((t) => [t.name, new KubeClient(t)])) };
  const found = await findJournal(all, id);
  const home = all.clients.get(found.cluster) as KubeClient;
  const secret = await home.readSecret(found.namespace, `kubecost-rotate-${found.doc.id}`);
  const journal = new Journal(home, found.namespace, fromSecret(secret), () => new Date());
  const missing = [...new Set(journal.doc.plan.sites.map((s) => s.cluster))].filter((c) => !all.clients.has(c));
  if (missing.length > 0)
    throw new ConfigError(
      `rotation ${journal.doc.id} spans clusters not in the selection: ${missing.join(', ')}.`,
      'Run it with --all-contexts, or name every cluster with --context.',
    );
  return { fleet: all, journal };
}

/** Finds a rotation's journal, takes its credential's Lease, and runs `fn` on the journal as the previous holder left it. */
async function withJournal(
  id: string,
  flags: RotationFlags,
  purpose: 'resume' | 'rollback',
  fn: (fleet: Fleet, journal: Journal) => Promise<number>,
): Promise<number> {
  const { fleet, journal } = await openJournal(flags, id);
  const lease = await acquireLease(
    journal.client,
    journal.namespace,
    journal.doc.plan.credential.id,
    `${purpose} ${journal.doc.id}`,
  );
  try {
    await journal.reload();
    return await fn(fleet, journal);
  } finally {
    await lease.release();
  }
}

export function resumeCommand(id: string, flags: RotationFlags): Promise<number> {
  return withJournal(id, flags, 'resume', (fleet, journal) => resumeRotation(fleet, journal, flags));
}

async function resumeRotation(fleet: Fleet, journal: Journal, flags: RotationFlags): Promise<number> {
  const report = reporterFor(flags.output, journal.doc.plan, flags.color !== false);
  const doc: JournalDocument = journal.doc;
  if (doc.phase === 'Verified' || doc.phase === 'RolledBack') {
    // A crash may have come between the last phase and dropping the key material it no longer needs.
    if (journal.state.newKey !== undefined || (doc.phase === 'RolledBack' && journal.state.backups.size > 0))
      await journal.dropMaterial(doc.phase === 'RolledBack');
    report({
      type: 'result',
      rotation: doc.id,
      phase: doc.phase,
      message: 'nothing to resume: the rotation has ended',
    });
    return exitFor(doc.phase);
  }
  const deps = depsFor(fleet, report, flags);
  if (doc.phase === 'RollingBack' || Object.keys(doc.rollback).length > 0) {
    await rollback(doc.plan, journal, doc.reason ?? 'resumed rollback', deps);
    return finish(journal, report);
  }
  if (journal.state.newKey === undefined)
    throw new ConfigError(
      `rotation ${doc.id} no longer holds its new key, so it cannot go forward.`,
      `Run kubecost-rotate rollback ${doc.id}.`,
    );
  const credential = parseNewKey(journal.state.newKey, `the new key in journal ${doc.plan.journal.secret}`);
  // Options given to resume (a longer rollout timeout, say) replace the planned ones from here on.
  const overrides = optionsOf(flags);
  if (Object.keys(overrides).length > 0) Object.assign(doc.plan.options, overrides);
  if (doc.phase === 'NeedsHuman') {
    // Every forward step looks before it acts, so going on from Staged redoes nothing and re-waits every rollout.
    await journal.setPhase(journal.state.backups.size ? 'Staged' : 'Planned', 'resumed by a human');
  }
  report({ type: 'phase', rotation: doc.id, phase: doc.phase, message: 'resuming' });
  await runForward(doc.plan, journal, credential, deps);
  return finish(journal, report);
}

export function rollbackCommand(id: string, flags: RotationFlags): Promise<number> {
  return withJournal(id, flags, 'rollback', (fleet, journal) => rollbackRotation(fleet, journal, flags));
}

async function rollbackRotation(fleet: Fleet, journal: Journal, flags: RotationFlags): Promise<number> {
  const report = reporterFor(flags.output, journal.doc.plan, flags.color !== false);
  if (journal.doc.phase === 'RolledBack') {
    if (journal.state.newKey !== undefined || journal.state.backups.size > 0) await journal.dropMaterial(true);
    report({ type: 'result', rotation: journal.doc.id, phase: 'RolledBack', message: 'already rolled back' });
    return ExitCode.Ok;
  }
  if (journal.doc.phase === 'Verified' && !flags.force) {
    throw new ConfigError(
      `rotation ${journal.doc.id} was verified: every consumer uses the new key, and the old key ${journal.doc.plan.credential.keyId ?? journal.doc.plan.credential.fingerprint} may already be retired at the provider. Rolling back would put that key back everywhere.`,
      `If the old key is still active, run kubecost-rotate rollback ${journal.doc.id} --force.`,
    );
  }
  if (journal.state.backups.size === 0 && journal.doc.phase !== 'Planned')
    throw new ConfigError(
      `rotation ${journal.doc.id} no longer holds the previous data of its Secrets, so it cannot be rolled back.`,
    );
  if (journal.state.backups.size === 0) {
    journal.doc.reason = 'rolled back before anything was read or written; nothing was changed';
    await journal.setPhase('RolledBack', journal.doc.reason);
    await journal.dropMaterial(true);
    report({ type: 'result', rotation: journal.doc.id, phase: 'RolledBack', message: journal.doc.reason });
    return ExitCode.Ok;
  }
  await rollback(journal.doc.plan, journal, 'rollback requested', depsFor(fleet, report));
  const phase = journal.doc.phase as Phase;
  report({ type: 'result', rotation: journal.doc.id, phase, message: journal.doc.reason ?? '' });
  return phase === 'RolledBack' ? ExitCode.Ok : ExitCode.NeedsHuman;
}

// ------------------------------------------------------------------------------------ history

export async function historyCommand(flags: GlobalOptions): Promise<number> {
  const format = parseOutputFormat(flags.output);
  const targets = selectClusters(selectionOf(flags, true));
  const docs: (JournalDocument & { cluster: string })[] = [];
  const problems: string[] = [];
  await Promise.all(
    targets.map(async (t) => {
      try {
        for (const doc of await listJournals(new KubeClient(t))) docs.push({ ...doc, cluster: t.name });
      } catch (error: unknown) {
        problems.push(`${t.name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }),
  );
  docs.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  if (format !== 'table') {
    process.stdout.write(
      renderDocument(format, {
        rotations: docs.map((d) => ({
          id: d.id,
          phase: d.phase,
          cluster: d.cluster,
          credential: d.plan.credential,
          newKey: d.plan.newKey,
          sites: d.plan.sites.length,
          createdAt: d.createdAt,
          updatedAt: d.updatedAt,
          reason: d.reason,
          timeline: d.timeline,
          verdicts: d.verdicts,
        })),
        problems,
      }),
    );
  } else {
    process.stdout.write(
      docs.length === 0
        ? 'No rotations found.\n'
        : renderTable(
            ['rotation', 'phase', 'credential', 'old key', 'new key', 'sites', 'started', 'updated'],
            docs.map((d) => [
              d.id,
              d.phase,
              d.plan.credential.id,
              d.plan.credential.keyId ?? d.plan.credential.fingerprint,
              d.plan.newKey.keyId ?? d.plan.newKey.fingerprint,
              String(d.plan.sites.length),
              d.createdAt.slice(0, 19) + 'Z',
              d.updatedAt.slice(0, 19) + 'Z',
            ]),
          ),
    );
    for (const p of problems) process.stderr.write(`warning: could not read rotations on ${p}\n`);
  }
  return problems.length > 0 ? ExitCode.Failed : ExitCode.Ok;
}
