/**
 * The write-ahead journal of a rotation (DESIGN §4): a Secret `kubecost-rotate-<id>` in the
 * Kubecost namespace of the primary cluster. `journal.json` holds the plan, the phase, every
 * step's state and the verdicts: no secret value, fingerprints only. The key material lives in
 * other data keys of the same Secret: `new-key` (dropped when the rotation ends) and the backups
 * of written Secrets (`backups.json` and `blob.*`: the exact previous and new data, kept until
 * RolledBack, or until the old key is retired).
 * Every save carries the resourceVersion it read, so two runners cannot interleave.
 */
import type { V1Secret } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import type { KubeClient } from '../kube/client.js';
import { KubeError } from '../kube/errors.js';
import { ExitError, ExitCode } from '../shared/errors.js';
import type { RotationPlan } from './plan.js';

export const MANAGED_BY = 'kubecost-rotate';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LABEL_ROTATION = 'kubecost-rotate.io/rotation-id';

export type Phase =
  'Planned' | 'Staged' | 'Written' | 'Restarted' | 'Verified' | 'RollingBack' | 'RolledBack' | 'NeedsHuman';

export type StepState = 'pending' | 'started' | 'done' | 'failed';

export interface StepRecord {
  state: StepState;
  startedAt?: string;
  endedAt?: string;
  /** What happened, safe to print. */
  detail?: string;
  resourceVersionBefore?: string;
  resourceVersionAfter?: string;
  /** The pod-template token of a restart, to recognise it after a crash. */
  token?: string;
}

export interface Verdict {
  readonly check: string;
  readonly target: string;
  readonly ok: boolean;
  /** What was looked at, safe to print. */
  readonly evidence: string;
}

export interface JournalEntry {
  readonly at: string;
  readonly phase: Phase;
  readonly message: string;
}

export interface JournalDocument {
  schemaVersion: 1;
  id: string;
  phase: Phase;
  plan: RotationPlan;
  steps: Record<string, StepRecord>;
  rollback: Record<string, StepRecord>;
  verdicts: Verdict[];
  timeline: JournalEntry[];
  createdAt: string;
  updatedAt: string;
  /** Why the rotation stopped, when it did not verify. */
  reason?: string;
}

/** The exact data of a Secret before the rotation wrote it. */
export interface SecretBackup {
  readonly cluster: string;
  readonly namespace: string;
  readonly secret: string;
  readonly resourceVersion: string;
  readonly data: Record<string, string>;
  /** The data the rotation writes (so resume and rollback can tell whose bytes are there). */
  readonly newData: Record<string, string>;
  /** The Secret's annotations before the rotation added its own (restored with the data). */
  readonly annotations: Record<string, string>;
}

export interface JournalState {
  doc: JournalDocument;
  /** The new key, as its key-file JSON (absent once dropped). */
  newKey?: string;
  backups: Map<string, SecretBackup>;
  resourceVersion: string;
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: string | undefined) => Buffer.from(text ?? '', 'base64').toString('utf8');

/**
 * Test hook for the crash matrix: KUBECOST_ROTATE_TEST_CRASH=journal:N kills this process with
 * SIGKILL right after the Nth journal save; effect:N right after the Nth external effect, before
 * the journal records it.
 */
let savesSoFar = 0;
let effectsSoFar = 0;
function crashPoint(kind: 'journal' | 'effect'): void {
  const spec = process.env.KUBECOST_ROTATE_TEST_CRASH;
  if (!spec) return;
  const [what, count] = spec.split(':');
  if (what !== kind) return;
  if (kind === 'journal') savesSoFar += 1;
  else effectsSoFar += 1;
  if ((kind === 'journal' ? savesSoFar : effectsSoFar) === Number(count)) process.kill(process.pid, 'SIGKILL');
}

/** Test hook: called after each external effect, before the journal records it. */
export function afterEffect(): void {
  crashPoint('effect');
}

/**
 * Backups are stored content-addressed: each distinct value once, as `blob.<sha256 prefix>`, and an
 * index `backups.json` that refers to them. A fleet usually has the same federated-store.yaml on
 * every cluster, so 200 written Secrets cost two blobs, not 400 copies (a Secret holds 1 MiB).
 */
function blobId(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 32);
}

type StoredBackup = Omit<SecretBackup, 'data' | 'newData' | 'annotations'> & {
  data: Record<string, string>;
  newData: Record<string, string>;
  annotations: string;
};

function toSecret(state: JournalState, namespace: string): V1Secret {
  const data: Record<string, string> = { 'journal.json': b64(JSON.stringify(state.doc, null, 2)) };
  if (state.newKey !== undefined) data['new-key'] = b64(state.newKey);
  const store = (value: string): string => {
    const id = blobId(value);
    data[`blob.${id}`] = value;
    return id;
  };
  const refs = (values: Record<string, string>) =>
    Object.fromEntries(Object.entries(values).map(([k, v]) => [k, store(v)]));
  const index: StoredBackup[] = [...state.backups.values()].map((b) => ({
    ...b,
    data: refs(b.data),
    newData: refs(b.newData),
    annotations: store(b64(JSON.stringify(b.annotations))),
  }));
  if (index.length > 0) data['backups.json'] = b64(JSON.stringify(index));
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: state.doc.plan.journal.secret,
      namespace,
      labels: {
        [LABEL_MANAGED_BY]: MANAGED_BY,
        [LABEL_ROTATION]: state.doc.id,
        'kubecost-rotate.io/phase': state.doc.phase,
      },
      annotations: {
        'kubecost-rotate.io/credential': state.doc.plan.credential.id,
        'kubecost-rotate.io/new-key-fingerprint': state.doc.plan.newKey.fingerprint,
      },
      resourceVersion: state.resourceVersion || undefined,
    },
    type: 'Opaque',
    data,
  };
}

export function fromSecret(secret: V1Secret): JournalState {
  const data = secret.data ?? {};
  const doc = JSON.parse(unb64(data['journal.json'])) as JournalDocument;
  if (doc.schemaVersion !== 1)
    throw new Error(
      `journal ${secret.metadata?.name ?? ''} has schema version ${String(doc.schemaVersion)}, which this kubecost-rotate does not know; use a newer version`,
    );
  const backups = new Map<string, SecretBackup>();
  const blob = (id: string): string => {
    const value = data[`blob.${id}`];
    if (value === undefined)
      throw new Error(
        `journal ${secret.metadata?.name ?? ''} is missing blob ${id}: it was edited by hand or truncated`,
      );
    return value;
  };
  const values = (refs: Record<string, string>) =>
    Object.fromEntries(Object.entries(refs).map(([k, id]) => [k, blob(id)]));
  for (const stored of data['backups.json'] ? (JSON.parse(unb64(data['backups.json'])) as StoredBackup[]) : []) {
    const backup: SecretBackup = {
      ...stored,
      data: values(stored.data),
      newData: values(stored.newData),
      annotations: JSON.parse(unb64(blob(stored.annotations))) as Record<string, string>,
    };
    backups.set(`${backup.cluster}/${backup.namespace}/${backup.secret}`, backup);
  }
  return {
    doc,
    ...(data['new-key'] !== undefined ? { newKey: unb64(data['new-key']) } : {}),
    backups,
    resourceVersion: secret.metadata?.resourceVersion ?? '',
  };
}

/** Reads and writes one rotation's journal on its home cluster. */
export class Journal {
  constructor(
    readonly client: KubeClient,
    readonly namespace: string,
    public state: JournalState,
    private readonly now: () => Date,
  ) {}

  get doc(): JournalDocument {
    return this.state.doc;
  }

  /** Reads the journal again (after taking the credential's Lease, to see what the previous holder left). */
  async reload(): Promise<void> {
    this.state = fromSecret(await this.client.readSecret(this.namespace, this.doc.plan.journal.secret));
  }

  static async create(
    client: KubeClient,
    namespace: string,
    doc: JournalDocument,
    newKey: string,
    now: () => Date,
  ): Promise<Journal> {
    const journal = new Journal(client, namespace, { doc, newKey, backups: new Map(), resourceVersion: '' }, now);
    const created = await client.createSecret(toSecret(journal.state, namespace));
    journal.state.resourceVersion = created.metadata?.resourceVersion ?? '';
    crashPoint('journal');
    return journal;
  }

  static async load(client: KubeClient, namespace: string, id: string, now: () => Date): Promise<Journal> {
    const secret = await client.readSecret(namespace, `kubecost-rotate-${id}`);
    return new Journal(client, namespace, fromSecret(secret), now);
  }

  private queue: Promise<void> = Promise.resolve();

  /**
   * Records the state; fails if anyone else changed the journal since it was read. Saves from
   * parallel steps of this process are serialized, each writing the latest state.
   */
  save(): Promise<void> {
    const next = this.queue.then(() => this.write());
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async write(): Promise<void> {
    this.state.doc.updatedAt = this.now().toISOString();
    for (let attempt = 1; ; attempt++) {
      try {
        const saved = await this.client.replaceSecret(toSecret(this.state, this.namespace));
        this.state.resourceVersion = saved.metadata?.resourceVersion ?? '';
        break;
      } catch (error: unknown) {
        if (error instanceof KubeError && (error.retryable || error.failure === 'Timeout') && attempt < 4) {
          // The save may have landed without an answer: adopt it if the stored journal is ours.
          const stored = await this.client
            .readSecret(this.namespace, this.doc.plan.journal.secret)
            .catch(() => undefined);
          if (stored && fromSecret(stored).doc.updatedAt === this.state.doc.updatedAt) {
            this.state.resourceVersion = stored.metadata?.resourceVersion ?? '';
            break;
          }
          if (stored && stored.metadata?.resourceVersion !== this.state.resourceVersion) throw this.conflict();
          await new Promise((r) => setTimeout(r, 200 * 2 ** (attempt - 1)));
          continue;
        }
        if (error instanceof KubeError && error.failure === 'Conflict') throw this.conflict();
        throw error;
      }
    }
    crashPoint('journal');
  }

  private conflict(): ExitError {
    process.stderr.write(
      `error: the journal ${this.doc.plan.journal.secret} changed under us: another kubecost-rotate is working on rotation ${this.doc.id}. Stopping here; run "kubecost-rotate history" to see its state.\n`,
    );
    return new ExitError(ExitCode.NeedsHuman);
  }

  async setPhase(phase: Phase, message: string): Promise<void> {
    this.state.doc.phase = phase;
    this.state.doc.timeline.push({ at: this.now().toISOString(), phase, message });
    await this.save();
  }

  step(id: string): StepRecord {
    return (this.state.doc.steps[id] ??= { state: 'pending' });
  }

  rollbackStep(id: string): StepRecord {
    return (this.state.doc.rollback[id] ??= { state: 'pending' });
  }

  async begin(record: StepRecord, detail: string, extra: Partial<StepRecord> = {}): Promise<void> {
    Object.assign(record, { state: 'started', startedAt: this.now().toISOString(), detail }, extra);
    await this.save();
  }

  async finish(record: StepRecord, detail: string, extra: Partial<StepRecord> = {}): Promise<void> {
    Object.assign(record, { state: 'done', endedAt: this.now().toISOString(), detail }, extra);
    await this.save();
  }

  async fail(record: StepRecord, detail: string): Promise<void> {
    Object.assign(record, { state: 'failed', endedAt: this.now().toISOString(), detail });
    await this.save();
  }

  /** Drops key material: the new key always, the backups too once they can no longer be needed. */
  async dropMaterial(backupsToo: boolean): Promise<void> {
    delete this.state.newKey;
    if (backupsToo) this.state.backups.clear();
    await this.save();
  }
}

/** The journals on a cluster (for history and resume by id); only journal.json is read, never the key material. */
export async function listJournals(client: KubeClient): Promise<JournalDocument[]> {
  const secrets = await client.listSecretsByLabel(`${LABEL_MANAGED_BY}=${MANAGED_BY}`);
  return secrets
    .filter((s) => s.data?.['journal.json'])
    .map((s) => JSON.parse(unb64(s.data?.['journal.json'])) as JournalDocument);
}
