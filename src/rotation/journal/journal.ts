/**
 * The write-ahead journal of a rotation (DESIGN §4): every external effect is recorded before and
 * after it happens. The journal owns the rotation's state: its phase (moved only along the
 * transition table), its step records, the backups and the new key. Every save carries the
 * resourceVersion it read, so two runners cannot interleave.
 */
import type { KubeClient } from '../../kube/client.js';
import type { Clock } from '../../shared/clock.js';
import type { KeyMaterial } from '../new-key.js';
import type { Verdict } from '../../verify/verdict.js';
import { IllegalTransitionError } from '../errors.js';
import { canTransition, type Phase } from '../machine.js';
import type { RotationOptions, RotationPlan } from '../plan.js';
import { backupKey, fromSecret, journalSecretName, knownPlan, toSecret, type JournalState } from './codec.js';
import { createPlanSecret, planFor } from './plan-store.js';
import type { SecretBackup } from './backup.js';
import { SCHEMA_VERSION, type JournalDocument, type MintedKey, type StepRecord } from './document.js';
import { DEFAULT_KEEP_BACKUP_MS, dropMaterialFor, dropOldData } from './material.js';
import { NO_HOOKS, type JournalHooks } from './hooks.js';
import { storeJournal } from './store.js';

export interface JournalDeps {
  readonly clock: Clock;
  readonly hooks?: JournalHooks;
}

/** Which record book a step is in: the forward path, or the rollback. */
export type StepBook = 'steps' | 'rollback';

/** How the journal ends a rotation, and what key material each end keeps. */
export type EndPhase = 'Verified' | 'RolledBack' | 'NeedsHuman';

export class Journal {
  /** The save in flight (or the last one); `waiting`: the save after it, which carries every change made meanwhile. */
  private writing: Promise<void> = Promise.resolve();
  private waiting: Promise<void> | undefined;
  private readonly hooks: JournalHooks;

  private constructor(
    readonly client: KubeClient,
    readonly namespace: string,
    private state: JournalState,
    private readonly deps: JournalDeps,
  ) {
    this.hooks = deps.hooks ?? NO_HOOKS;
  }

  /** Creates the journal of a planned rotation, holding its new key. Touches the journal's cluster. */
  static async create(
    client: KubeClient,
    plan: RotationPlan,
    newKey: KeyMaterial | undefined,
    deps: JournalDeps,
    issue?: JournalDocument['issue'],
  ): Promise<Journal> {
    const now = deps.clock.now().toISOString();
    const doc: JournalDocument = {
      schemaVersion: SCHEMA_VERSION,
      id: plan.id,
      phase: 'Planned',
      plan,
      steps: {},
      rollback: {},
      verdicts: [],
      timeline: [{ at: now, phase: 'Planned', message: `planned ${plan.sites.length} site(s)` }],
      createdAt: now,
      updatedAt: now,
      ...(issue ? { issue } : {}),
    };
    // The plan's large part first, once: a crash before the head leaves an orphan that nothing reads.
    const planSecret = await createPlanSecret(client, plan, plan.journal.namespace);
    const state: JournalState = {
      doc,
      ...(newKey ? { newKey } : {}),
      backups: new Map(),
      resourceVersion: '',
      planSecret,
    };
    const journal = new Journal(client, plan.journal.namespace, state, deps);
    const created = await client.createSecret(toSecret(journal.state, journal.namespace));
    journal.state.resourceVersion = created.metadata?.resourceVersion ?? '';
    journal.hooks.afterSave(journal.phase);
    return journal;
  }

  /** Reads a rotation's journal. */
  static async load(client: KubeClient, namespace: string, id: string, deps: JournalDeps): Promise<Journal> {
    const secret = await client.readSecret(namespace, journalSecretName(id));
    return new Journal(client, namespace, fromSecret(secret, await planFor(client, namespace, secret)), deps);
  }

  /** The document, read-only: change it through the methods below. */
  get doc(): Readonly<JournalDocument> {
    return this.state.doc;
  }

  get id(): string {
    return this.state.doc.id;
  }

  get phase(): Phase {
    return this.state.doc.phase;
  }

  get plan(): RotationPlan {
    return this.state.doc.plan;
  }

  /** The new key, until the rotation has ended. */
  get newKey(): KeyMaterial | undefined {
    return this.state.newKey;
  }

  get backups(): ReadonlyMap<string, SecretBackup> {
    return this.state.backups;
  }

  backupOf(where: { cluster: string; namespace: string; secret: string }): SecretBackup | undefined {
    return this.state.backups.get(backupKey(where));
  }

  /** The bytes the journal's head Secret's data values would total if saved now, and those of its journal.json (the API server's 1 MiB counts these). */
  savedBytes(): { bytes: number; documentBytes: number } {
    const data = toSecret(this.state, this.namespace).data ?? {};
    const size = (v: string) => Buffer.from(v, 'base64').length;
    return {
      bytes: Object.values(data).reduce((n, v) => n + size(v), 0),
      documentBytes: size(data['journal.json'] ?? ''),
    };
  }

  /** Keeps a backup (saved with the next save). */
  keepBackup(backup: SecretBackup): void {
    this.state.backups.set(backupKey(backup), backup);
  }

  /** Reads the journal again (after taking the credential's Lease, to see what the previous holder left). */
  async reload(): Promise<void> {
    const head = await this.client.readSecret(this.namespace, this.plan.journal.secret);
    // The plan Secret is immutable: the one read already serves, unless the head now names another.
    this.state = fromSecret(head, await planFor(this.client, this.namespace, head, knownPlan(this.state)));
  }

  /** A step's record (pending if it never ran). */
  record(id: string, book: StepBook = 'steps'): Readonly<StepRecord> {
    return this.state.doc[book][id] ?? { state: 'pending' };
  }

  /** Records that a step is about to act (before its effect). */
  begin(id: string, detail: string, extra: Partial<StepRecord> = {}, book: StepBook = 'steps'): Promise<void> {
    return this.setRecord(id, book, { state: 'started', startedAt: this.now(), detail, ...extra });
  }

  /** Records, in one save, that several steps are about to act (before any of their effects). */
  beginMany(
    steps: readonly { id: string; detail: string; extra?: Partial<StepRecord> }[],
    book: StepBook = 'steps',
  ): Promise<void> {
    if (steps.length === 0) return Promise.resolve();
    const startedAt = this.now();
    for (const { id, detail, extra } of steps) this.merge(id, book, { state: 'started', startedAt, detail, ...extra });
    return this.save();
  }

  /** Records, in one save, that several steps did not act and will not by themselves. */
  failMany(ids: readonly string[], detail: string, book: StepBook = 'steps'): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    const endedAt = this.now();
    for (const id of ids) this.merge(id, book, { state: 'failed', endedAt, detail });
    return this.save();
  }

  /** Records that a step's effect happened (or was found to have happened). */
  finish(id: string, detail: string, extra: Partial<StepRecord> = {}, book: StepBook = 'steps'): Promise<void> {
    return this.setRecord(id, book, { state: 'done', endedAt: this.now(), detail, ...extra });
  }

  /** Records that a step's effect did not happen and will not by itself. */
  fail(id: string, detail: string, book: StepBook = 'steps'): Promise<void> {
    return this.setRecord(id, book, { state: 'failed', endedAt: this.now(), detail });
  }

  /** Moves to the next phase on the forward path (or to RollingBack). */
  advance(to: Phase, message: string): Promise<void> {
    this.move(to, message);
    return this.save();
  }

  /**
   * Ends (or stops) the rotation with its reason, dropping the key material the end no longer needs
   * (material.ts): RolledBack keeps none; Verified drops the new key and new values and keeps the
   * old values until the old key is retired or `--keep-backup` after now; NeedsHuman keeps all.
   */
  end(phase: EndPhase, reason: string): Promise<void> {
    this.move(phase, reason);
    if (phase !== 'Verified') this.state.doc.reason = reason;
    if (phase === 'Verified') {
      const keep = this.plan.options.keepBackupMs ?? DEFAULT_KEEP_BACKUP_MS;
      this.state.doc.retention = { keepUntil: new Date(this.deps.clock.now().getTime() + keep).toISOString() };
    }
    dropMaterialFor(this.state);
    return this.save();
  }

  /** Drops key material a crash left behind after the rotation ended (resume and rollback of an ended rotation). */
  async dropLeftoverMaterial(): Promise<boolean> {
    if (!dropMaterialFor(this.state)) return false;
    await this.save();
    return true;
  }

  /** Records the issue step; with `minted`, the journal takes the minted key and moves to Issued in the same save. */
  recordIssue(issue: NonNullable<JournalDocument['issue']>, minted?: MintedKey): Promise<void> {
    this.state.doc.issue = issue;
    if (!minted) return this.save();
    this.move('Issued', minted.message);
    this.state.newKey = minted.key;
    Object.assign(this.state.doc.plan, { newKey: minted.ref });
    return this.save();
  }

  /**
   * Drops the old data of the Secrets (the digests stay), saying why: the retire step calls it once
   * the old key is gone, and retention.ts once the backup expired. The rotation can no longer be
   * rolled back afterwards (retention.ts: refuseUnrollbackable).
   */
  dropBackups(because: string): Promise<void> {
    dropOldData(this.state, this.deps.clock.now(), because);
    return this.save();
  }

  /** Merges into the retirement record (and moves to `to`) in one save: before and after each provider effect. */
  retirement(patch: Partial<NonNullable<JournalDocument['retire']>>, to?: Phase, message = ''): Promise<void> {
    this.state.doc.retire = { policy: 'deactivate', graceMs: 0, ...this.state.doc.retire, ...patch };
    if (to) this.move(to, message);
    return this.save();
  }

  recordVerdicts(verdicts: readonly Verdict[]): Promise<void> {
    this.state.doc.verdicts = [...verdicts];
    return this.save();
  }

  /** Options given to resume (a longer rollout timeout, say) replace the planned ones from here on. */
  overrideOptions(options: Partial<RotationOptions>): void {
    Object.assign(this.state.doc.plan.options, options);
  }

  private move(to: Phase, message: string): void {
    const from = this.state.doc.phase;
    if (from !== to && !canTransition(from, to))
      throw new IllegalTransitionError(`rotation ${this.id} cannot go from ${from} to ${to}`);
    this.state.doc.phase = to;
    this.state.doc.timeline.push({ at: this.now(), phase: to, message });
  }

  private setRecord(id: string, book: StepBook, record: Partial<StepRecord>): Promise<void> {
    this.merge(id, book, record);
    return this.save();
  }

  private merge(id: string, book: StepBook, record: Partial<StepRecord>): void {
    const records = this.state.doc[book];
    records[id] = { ...(records[id] ?? { state: 'pending' }), ...record } as StepRecord;
  }

  private now(): string {
    return this.deps.clock.now().toISOString();
  }

  /**
   * Records the state; fails if anyone else changed the journal since it was read. Resolves once a
   * write that began after the call has landed, so a step that awaits it knows its record is
   * durable before it acts (DESIGN §4). Saves are grouped: one write at a time, and every save asked
   * for while one is in flight shares the next write, which carries all their changes. Parallel
   * steps thus cost one write per batch, not one each: linear in the fleet, not quadratic.
   */
  save(): Promise<void> {
    if (this.waiting) return this.waiting;
    const next = this.writing
      .catch(() => undefined)
      .then(() => {
        // From here on, a change needs the write after this one: this one may have read the state already.
        this.waiting = undefined;
        return this.write();
      });
    this.waiting = next;
    this.writing = next;
    return next;
  }

  private async write(): Promise<void> {
    this.state.doc.updatedAt = this.now();
    await storeJournal(this.client, this.namespace, this.state, this.deps.clock);
    this.hooks.afterSave(this.phase);
  }
}

export { listJournals } from './list.js';
