/**
 * The use cases of rotation (prepare, rotate, resume, rollback, history) and the rules around the runner: one
 * rotation in flight per credential, its Lease, the journal's creation, resume per phase. Prints nothing.
 */
import { KubeClient } from '../kube/client.js';
import { selectClusters, type ContextSelection } from '../kube/kubeconfig.js';
import type { Clock } from '../shared/clock.js';
import { ConfigError } from '../shared/errors.js';
import type { RetryPolicy } from '../shared/retry.js';
import type { JournalHooks } from './journal/hooks.js';
import { listRotations, openJournal, type Fleet, type JournalListing } from './journal/find.js';
import { Journal, listJournals } from './journal/journal.js';
import { withLease } from './service-lease.js';
import { streamFor, withJournal, type ProgressOutput } from './service-journal.js';
import { issueIntent, type IssueStart } from './issue-flow.js';
import { isEnded, type Phase } from './machine.js';
import type { RotationOptions, RotationPlan } from './plan.js';
import { prepareRotation, type PlanRequest, type PreparedRotation } from './prepare.js';

export type { Fleet, JournalListing, PlanRequest, PreparedRotation };
import type { SiteProbe } from './probe.js';
import type { ProgressStream } from './progress.js';
import { policyOf, verificationReport } from './verification.js';
import { proveNewKey, type ProofSettings } from './proof.js';
import { preflightIssue, type IssuePolicy, type IssuePreflight, type ProviderSettings } from './issuing.js';
import { recordKubernetesEvents } from './recorder.js';
import { verifiedResult } from './partial-fleet.js';
import { refuseUnrollbackable } from './retention.js';
import { rollback, runForward, type StepContext } from './runner.js';

export interface ServiceConfig {
  readonly clock: Clock;
  /** How long one call to a cluster may take. Default 15 s. */
  readonly requestTimeoutMs?: number;
  /** The credential Lease's duration. Default 30 s (lease.ts). */
  readonly leaseSeconds?: number;
  /** Retries of writes, restarts and reads between effects. */
  readonly retry?: RetryPolicy;
  /** The direct probe of each site at its provider (none: no probe). */
  readonly probe?: SiteProbe;
  /** How the new key is proven before anything is written (none: `--no-probe`, no proof). */
  readonly proof?: ProofSettings;
  /** How keys are minted and retired at the providers (`--issue`). */
  readonly providers?: ProviderSettings;
  readonly hooks?: JournalHooks;
  /** Stops a running rotation at its next safe point (Ctrl-C). */
  readonly stop?: AbortSignal;
}

/** How a command left a rotation. */
export interface RotationOutcome {
  readonly rotation: string;
  readonly phase: Phase;
  readonly message: string;
}

export type { ProgressOutput };

export class RotationService {
  constructor(protected readonly config: ServiceConfig) {}

  /** Clients for the selected clusters. */
  connect(selection: ContextSelection): Fleet {
    const options = {
      clock: this.config.clock,
      ...(this.config.requestTimeoutMs ? { timeoutMs: this.config.requestTimeoutMs } : {}),
    };
    return { clients: new Map(selectClusters(selection).map((t) => [t.name, new KubeClient(t, options)])) };
  }

  /**
   * Discovers, finds the credential, checks the new key and plans; with `request.prove`, proves the
   * new key at its provider (a key that fails is a {@link KeyProofError}). Writes nothing.
   */
  async prepare(request: PlanRequest): Promise<PreparedRotation> {
    const fleet = this.connect(request.selection);
    const prepared = await prepareRotation(
      { ...request, probing: this.config.probe !== undefined },
      fleet,
      this.config.clock,
      this.config.requestTimeoutMs,
    );
    if (!request.prove || !prepared.newKey) return prepared;
    const proof = this.config.proof
      ? await proveNewKey(prepared.plan, fleet.clients, prepared.newKey, this.config.proof, this.config.stop)
      : ({ status: 'skipped', summary: 'the new key was not proven before it is written (--no-probe)' } as const);
    return { ...prepared, proof };
  }

  /** `plan --issue`: the principal's keys inspected and the pure capability checks. Changes nothing. */
  preflightIssue(prepared: PreparedRotation, policy: IssuePolicy): Promise<IssuePreflight> {
    const settings = this.config.providers ?? { endpoints: {}, clock: this.config.clock };
    const signal = AbortSignal.any([
      this.config.clock.timeout(120_000),
      ...(this.config.stop ? [this.config.stop] : []),
    ]);
    return preflightIssue(prepared.plan, prepared.fleet.clients, policy, settings, signal);
  }

  /**
   * Runs a prepared rotation: takes the Lease, refuses a second rotation in flight, creates the journal, runs it.
   * With `issue` (`--issue`), the journal is created with the intent to mint the key, which the run then mints.
   */
  async rotate(prepared: PreparedRotation, output: ProgressOutput, issue?: IssueStart): Promise<RotationOutcome> {
    const { plan, fleet, newKey } = prepared;
    const stream = streamFor(output, plan);
    if (!newKey && !issue)
      throw new ConfigError(
        'rotate needs the new key: --new-key-file FILE or --new-key-stdin.',
        'Create the key at your provider first (kubecost-rotate sandbox new-key in the sandbox).',
      );
    const home = fleet.clients.get(plan.journal.cluster);
    if (!home) throw new ConfigError(`the journal's cluster ${plan.journal.cluster} is not selected.`);
    return this.withLease(home, plan.journal.namespace, plan, `rotate ${plan.id}`, stream, async () => {
      // Another journal of this credential lives where this one will: list that namespace only, so a
      // Role in the Kubecost namespace is enough (listing Secrets cluster-wide is often forbidden).
      const inFlight = (await listJournals(home, plan.journal.namespace)).filter(
        (d) => d.plan.credential.id === plan.credential.id && !isEnded(d.phase),
      );
      if (inFlight[0]) {
        throw new ConfigError(
          `rotation ${inFlight[0].id} of this credential has not ended (phase ${inFlight[0].phase}).`,
          `Finish it with kubecost-rotate resume ${inFlight[0].id}, or undo it with kubecost-rotate rollback ${inFlight[0].id}.`,
        );
      }
      const intent = issue ? issueIntent(issue, this.config.clock.now()) : undefined;
      const journal = await Journal.create(home, plan, newKey, this.journalDeps(), intent);
      stream.emit({
        type: 'phase',
        rotation: plan.id,
        phase: 'Planned',
        message: `journal ${plan.journal.namespace}/${plan.journal.secret} on ${plan.journal.cluster}`,
      });
      await this.run(fleet, journal, stream, (ctx) => runForward(ctx));
      return this.result(journal, stream);
    });
  }

  /** Finishes a rotation that stopped, from its journal (what each phase means for resume is decided here). */
  async resume(
    id: string,
    selection: ContextSelection,
    overrides: Partial<RotationOptions>,
    output: ProgressOutput,
  ): Promise<RotationOutcome> {
    const { fleet, journal } = await this.open(id, selection);
    return this.withJournal(journal, 'resume', output, async (stream) => {
      if (isEnded(journal.phase)) {
        // A crash may have come between the last phase and dropping the key material it no longer needs.
        await journal.dropLeftoverMaterial();
        return this.result(journal, stream, 'nothing to resume: the rotation has ended');
      }
      if (journal.phase === 'RollingBack' || Object.keys(journal.doc.rollback).length > 0) {
        await this.run(fleet, journal, stream, (ctx) => rollback(ctx, journal.doc.reason ?? 'resumed rollback'));
        return this.result(journal, stream);
      }
      // A crash between minting a key and recording it leaves the journal without it: the issue step finds it.
      const mintsAgain = journal.doc.issue?.state === 'intent' && journal.backups.size === 0;
      if (!journal.newKey && !mintsAgain)
        throw new ConfigError(
          `rotation ${journal.id} no longer holds its new key, so it cannot go forward.`,
          `Run kubecost-rotate rollback ${journal.id}.`,
        );
      // A --require this rotation cannot meet is refused before anything changes (ConfigError, exit 2).
      policyOf(
        { ...journal.plan, options: { ...journal.plan.options, ...overrides } },
        this.config.probe !== undefined,
      );
      if (Object.keys(overrides).length > 0) journal.overrideOptions(overrides);
      // Every forward step looks before it acts, so going on from Staged redoes nothing and re-waits every rollout.
      if (journal.phase === 'NeedsHuman')
        await journal.advance(journal.backups.size > 0 ? 'Staged' : 'Planned', 'resumed by a human');
      stream.emit({ type: 'phase', rotation: journal.id, phase: journal.phase, message: 'resuming' });
      await this.run(fleet, journal, stream, (ctx) => runForward(ctx));
      return this.result(journal, stream);
    });
  }

  /** Restores the previous data of a rotation's Secrets and restarts their readers. */
  async rollback(
    id: string,
    selection: ContextSelection,
    options: { readonly force?: boolean },
    output: ProgressOutput,
  ): Promise<RotationOutcome> {
    const { fleet, journal } = await this.open(id, selection);
    return this.withJournal(journal, 'rollback', output, async (stream) => {
      if (journal.phase === 'RolledBack') {
        await journal.dropLeftoverMaterial();
        return this.result(journal, stream, 'already rolled back');
      }
      await refuseUnrollbackable(journal, this.config.clock); // its backups were dropped (retired, expired)
      const oldKey = journal.plan.credential.keyId ?? journal.plan.credential.fingerprint;
      if (journal.phase === 'Verified' && !options.force)
        throw new ConfigError(
          `rotation ${journal.id} was verified: every consumer uses the new key, and the old key ${oldKey} may already be retired at the provider. Rolling back would put that key back everywhere.`,
          `If the old key is still active, run kubecost-rotate rollback ${journal.id} --force.`,
        );
      // A rotation that minted its key rolls back through the steps, which delete that key.
      if (journal.backups.size === 0 && journal.doc.issue === undefined) {
        await journal.end('RolledBack', 'rolled back before anything was read or written; nothing was changed');
        return this.result(journal, stream);
      }
      await this.run(fleet, journal, stream, (ctx) => rollback(ctx, 'rollback requested'));
      return this.result(journal, stream);
    });
  }

  /** The journals on the selected clusters, newest first. */
  history(selection: ContextSelection): Promise<JournalListing> {
    return listRotations(this.connect(selection), this.config.clock);
  }

  /** The clients of the selection, and rotation `id`'s journal found on them. */
  protected async open(id: string, selection: ContextSelection): Promise<{ fleet: Fleet; journal: Journal }> {
    const fleet = this.connect(selection);
    return { fleet, journal: await openJournal(fleet, id, this.journalDeps()) };
  }

  protected journalDeps() {
    return { clock: this.config.clock, ...(this.config.hooks ? { hooks: this.config.hooks } : {}) };
  }

  /** Runs `fn` on the journal with the runner's dependencies, recording Kubernetes Events as it goes. */
  protected async run(
    fleet: Fleet,
    journal: Journal,
    stream: ProgressStream,
    fn: (ctx: StepContext) => Promise<void>,
  ): Promise<void> {
    const events = recordKubernetesEvents(stream, journal.plan, fleet.clients, this.config.clock);
    try {
      await fn({
        plan: journal.plan,
        journal,
        deps: {
          clients: fleet.clients,
          clock: this.config.clock,
          emit: (event) => stream.emit(event),
          ...(this.config.probe ? { probe: this.config.probe } : {}),
          ...(this.config.retry ? { retry: this.config.retry } : {}),
          ...(this.config.hooks ? { hooks: this.config.hooks } : {}),
          ...(this.config.stop ? { stop: this.config.stop } : {}),
          ...(this.config.providers
            ? { issue: { settings: this.config.providers, ...(this.config.proof ? { proof: this.config.proof } : {}) } }
            : {}),
        },
      });
    } finally {
      events.stop();
      await events.flush();
    }
  }

  /** The outcome of the journal as it stands, reported as the stream's last event. */
  protected result(journal: Journal, stream: ProgressStream, message?: string): RotationOutcome {
    const { plan } = journal;
    const text = message ?? (journal.phase === 'Verified' ? verifiedResult(plan) : (journal.doc.reason ?? ''));
    const outcome = { rotation: journal.id, phase: journal.phase, message: text };
    const verification = verificationReport(journal.plan, journal.doc.verdicts, this.config.probe !== undefined);
    stream.emit({ type: 'result', ...outcome, ...(verification ? { verification } : {}) });
    return outcome;
  }

  /** Runs `fn` on an opened journal, reloaded under the credential's Lease (`purpose`: the command). */
  protected withJournal<T>(
    journal: Journal,
    purpose: string,
    output: ProgressOutput,
    fn: (stream: ProgressStream) => Promise<T>,
  ): Promise<T> {
    return withJournal(this.config, journal, purpose, output, fn);
  }

  /** Takes the credential's Lease around `fn`, reporting what it waits for. */
  protected withLease<T>(
    client: KubeClient,
    namespace: string,
    plan: RotationPlan,
    purpose: string,
    stream: ProgressStream,
    fn: () => Promise<T>,
  ): Promise<T> {
    return withLease(this.config, { client, namespace }, plan, purpose, stream, fn);
  }
}
