/**
 * The plan's large immutable part (schema 4): the sites, writes, restarts and checks, which grow with
 * the fleet and never change once planned, live in a second Secret `kubecost-rotate-<id>-plan`,
 * written once (`immutable: true`) before the journal's head Secret. The head keeps the plan's small
 * fields, among them those a rotation changes (`newKey` when a minted key is issued, `options` on
 * resume), and the digest of the plan Secret's `plan.json`, so a save writes only what can change.
 *
 * Crash consistency: the plan Secret is created first; a plan Secret without a head is an orphan
 * (listing ignores it, and the next create of the same rotation replaces it); a head whose plan
 * Secret is missing or differs from its digest cannot be read (JournalUnreadableError).
 */
import { createHash } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import { LABEL_MANAGED_BY, LABEL_ROTATION, MANAGED_BY } from '../../shared/labels.js';
import type { RotationPlan } from '../plan.js';
import { JournalUnreadableError } from './document.js';

/** The data key of the plan Secret. */
export const PLAN_KEY = 'plan.json';

/** The fields of a plan kept in the plan Secret (never changed after planning). */
const BODY_FIELDS = ['sites', 'writes', 'restarts', 'notRestarted', 'statusChecks', 'warnings', 'partial'] as const;
type BodyField = (typeof BODY_FIELDS)[number];

/** The plan Secret's part of a plan. */
export type PlanBody = Pick<RotationPlan, BodyField>;
/** The head's part of a plan: everything else. */
export type PlanHead = Omit<RotationPlan, BodyField>;

/** Where a head's plan body lives, as recorded in the head's journal.json. */
export interface PlanSecretRef {
  /** The plan Secret's name (same namespace as the head). */
  readonly name: string;
  /** sha256 of its plan.json, hex. */
  readonly sha256: string;
}

export const planSecretName = (id: string) => `kubecost-rotate-${id}-plan`;

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

export function splitPlan(plan: RotationPlan): { head: PlanHead; body: PlanBody } {
  const head: Record<string, unknown> = {};
  const body: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(plan))
    ((BODY_FIELDS as readonly string[]).includes(field) ? body : head)[field] = value;
  return { head: head as unknown as PlanHead, body: body as unknown as PlanBody };
}

export function joinPlan(head: PlanHead, body: PlanBody): RotationPlan {
  return { ...head, ...body } as RotationPlan;
}

/** The plan Secret of a plan, and the reference the head keeps to it. */
export function planSecretOf(plan: RotationPlan, namespace: string): { secret: V1Secret; ref: PlanSecretRef } {
  const text = JSON.stringify(splitPlan(plan).body);
  const name = planSecretName(plan.id);
  return {
    ref: { name, sha256: sha256(text) },
    secret: {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace, labels: { [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_ROTATION]: plan.id } },
      type: 'Opaque',
      immutable: true,
      data: { [PLAN_KEY]: Buffer.from(text, 'utf8').toString('base64') },
    },
  };
}

/** Whether a Secret is a plan Secret (listing skips them: a plan Secret is read through its head). */
export const isPlanSecret = (secret: V1Secret) => secret.data?.[PLAN_KEY] !== undefined;

/** The plan body a head refers to, checked against its digest. */
export function readPlanBody(head: string, ref: PlanSecretRef, secret: V1Secret | undefined): PlanBody {
  const missing = `the journal ${head} cannot be read: its plan Secret ${ref.name}`;
  const what =
    'it was deleted or edited by hand. Restore it from a backup of the namespace, or, if the rotation is over, delete the journal Secret';
  const data = secret?.data?.[PLAN_KEY];
  if (secret === undefined || data === undefined)
    throw new JournalUnreadableError(`${missing} is missing (${what} ${head}).`);
  const text = Buffer.from(data, 'base64').toString('utf8');
  if (sha256(text) !== ref.sha256)
    throw new JournalUnreadableError(`${missing} is not the one the journal was created with (${what} ${head}).`);
  try {
    return JSON.parse(text) as PlanBody;
  } catch {
    throw new JournalUnreadableError(`${missing} is not JSON (${what} ${head}).`);
  }
}
