/**
 * Each of the journal's Secrets must fit: the API server refuses a Secret whose data values total more
 * than 1 MiB (422 Invalid, `data: Too long: may not be more than 1048576 bytes`), and a journal that
 * cannot be saved mid-rotation leaves the rotation without its record. So its largest size is
 * projected, and the rotation refused when it would not fit: from the plan before the Lease is taken
 * (prepare), and exactly, from the staged backups, before the first write (stage).
 *
 * The journal is two Secrets (schema 4, journal/plan-part.ts): the plan Secret holds the plan's large
 * immutable part, written once; the head at its largest holds the plan's other fields, a record for
 * every forward step and every rollback step, the verdicts, the timeline, the new key, and the
 * backups (each distinct old and new value once). The limit applies to each; the sizes below are of
 * the larger one.
 */
import { ConfigError } from '../shared/errors.js';
import type { JournalDocument } from './journal/document.js';
import { splitPlan } from './journal/plan-part.js';
import type { RotationPlan } from './plan.js';

/** What the API server lets a Secret's data values total (core.MaxSecretSize). */
export const SECRET_DATA_LIMIT = 1024 * 1024;

/** A step record as long as the ones the steps write (measured: 170 to 200 bytes). */
const RECORD = JSON.stringify({
  state: 'done',
  startedAt: '2026-01-01T00:00:00.000Z',
  endedAt: '2026-01-01T00:00:00.000Z',
  detail: 'x'.repeat(45),
  resourceVersionBefore: '1234567',
}).length;
/** A verdict as long as the ones verification records (measured: 190 to 260 bytes). */
const VERDICT = JSON.stringify({
  check: 'secret-holds-new-key',
  target: 'x'.repeat(90),
  status: 'passed',
  reason: 'SecretHoldsNewKey',
  evidence: 'x'.repeat(80),
}).length;
const TIMELINE_ENTRY = JSON.stringify({
  at: '2026-01-01T00:00:00.000Z',
  phase: 'RollingBack',
  message: 'x'.repeat(300),
}).length;
/** The plan Secret's bytes: the plan's large immutable part. */
export function planSecretBytes(plan: RotationPlan): number {
  return Buffer.byteLength(JSON.stringify(splitPlan(plan).body));
}

/** The plan Secret's reference in the head (its name and a sha256). */
const PLAN_REF = 160;

/** The largest journal.json of a plan: the plan's head part, every step's records (forward and rollback), verdicts and timeline. */
export function projectedDocumentBytes(plan: RotationPlan): number {
  const planBytes = Buffer.byteLength(JSON.stringify(splitPlan(plan).head)) + PLAN_REF;
  const ids = [...plan.writes.map((w) => w.step), ...plan.restarts.map((r) => r.step)];
  const idBytes = ids.reduce((n, id) => n + Buffer.byteLength(id) + 4, 0);
  // Forward: one record per write and restart; rollback: a restore per write and a restart each (a fence
  // only follows a write that got no answer: not counted).
  const records = (plan.writes.length + plan.restarts.length) * 2;
  // Pods and logs (one per container) per restarted workload, the re-read per write, a probe per site, the statuses.
  const verdicts =
    plan.restarts.reduce((n, r) => n + 1 + r.containers.length, 0) +
    plan.writes.length +
    plan.sites.length +
    plan.statusChecks.length;
  return planBytes + 3 * idBytes + records * (RECORD + 8) + verdicts * (VERDICT + 2) + 16 * TIMELINE_ENTRY + 1024;
}

/** The bytes a Secret's data values total (what the API server counts). */
export function secretDataBytes(data: Readonly<Record<string, string>>): number {
  return Object.values(data).reduce((n, v) => n + Buffer.from(v, 'base64').length, 0);
}

/**
 * The largest size of the journal's larger Secret, from the plan and what discovery saw: `values` are
 * the sizes of the data values the rotation changes, one per distinct value.
 */
export function projectedJournalBytes(plan: RotationPlan, newKeyBytes: number, values: readonly number[]): number {
  // The new value: the old one with the key replaced (a key file may be embedded escaped: twice its size).
  const backups = values.reduce((n, v) => n + 2 * v + 2 * newKeyBytes + 300, 0);
  return Math.max(planSecretBytes(plan), projectedDocumentBytes(plan) + newKeyBytes + backups);
}

/**
 * The head's largest size once staged: the head as it would be saved now (`savedBytes`, whose
 * journal.json is `documentBytes`), plus the records still to come. The plan Secret is written already.
 */
export function stagedJournalBytes(
  saved: { readonly bytes: number; readonly documentBytes: number },
  doc: Readonly<JournalDocument>,
): number {
  return saved.bytes - saved.documentBytes + Math.max(saved.documentBytes, projectedDocumentBytes(doc.plan));
}

const mib = (bytes: number) => `${(bytes / SECRET_DATA_LIMIT).toFixed(2)} MiB`;

/** The message when the journal would not fit, naming its size and what to do. */
export function oversizedMessage(plan: RotationPlan, bytes: number): string {
  const clusters = new Set(plan.writes.map((w) => w.cluster)).size;
  return `the journal of this rotation would hold about ${bytes} bytes (${mib(bytes)}: ${plan.writes.length} Secret(s) on ${clusters} cluster(s), ${plan.restarts.length} restart(s)), more than the ${SECRET_DATA_LIMIT} bytes (1 MiB) a Kubernetes Secret can hold; nothing was written`;
}

const WHAT_TO_DO =
  'Rotate fewer clusters per run: split the fleet and select one part at a time with --context, or make the Secret values that hold the key smaller.';

/** Refuses (ConfigError, before the Lease and before any write) a rotation whose journal would be over the limit. */
export function refuseOversizedJournal(plan: RotationPlan, bytes: number): void {
  if (bytes > SECRET_DATA_LIMIT) throw new ConfigError(`${oversizedMessage(plan, bytes)}.`, WHAT_TO_DO);
}

/** The stop message of a staged rotation whose journal would be over the limit (undefined: it fits). */
export function stagedOversize(journal: {
  savedBytes(): { readonly bytes: number; readonly documentBytes: number };
  readonly doc: Readonly<JournalDocument>;
}): string | undefined {
  const bytes = stagedJournalBytes(journal.savedBytes(), journal.doc);
  return bytes > SECRET_DATA_LIMIT ? `${oversizedMessage(journal.doc.plan, bytes)}. ${WHAT_TO_DO}` : undefined;
}
