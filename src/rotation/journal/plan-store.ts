/** Creating a journal's plan Secret (plan-part.ts), once, before its head. */
import type { V1Secret } from '@kubernetes/client-node';
import type { KubeClient } from '../../kube/client.js';
import { KubeError } from '../../kube/errors.js';
import type { RotationPlan } from '../plan.js';
import { planRefOf, type KnownPlan } from './codec.js';
import { PLAN_KEY, planSecretOf, type PlanSecretRef } from './plan-part.js';

const notFound = (error: unknown) => {
  if (error instanceof KubeError && error.failure === 'NotFound') return undefined;
  throw error;
};

/**
 * Creates the plan Secret of a rotation and returns the reference its head keeps. One that exists
 * already is kept when it holds this plan (a create that got no answer, a crash before the head),
 * and replaced when it is an orphan of another plan with this id (no head refers to it).
 */
export async function createPlanSecret(
  client: KubeClient,
  plan: RotationPlan,
  namespace: string,
): Promise<PlanSecretRef> {
  const { secret, ref } = planSecretOf(plan, namespace);
  try {
    await client.createSecret(secret);
    return ref;
  } catch (error: unknown) {
    if (!(error instanceof KubeError && (error.failure === 'Conflict' || error.mayHaveApplied))) throw error;
    const existing: V1Secret | undefined = await client.readSecret(namespace, ref.name).catch(notFound);
    if (existing === undefined) throw error;
    if (existing.data?.[PLAN_KEY] === secret.data?.[PLAN_KEY]) return ref;
    // Another plan's orphan, unless a head refers to it (then the head's create fails: a journal of this id exists).
    const head = await client.readSecret(namespace, plan.journal.secret).catch(notFound);
    if (head !== undefined) throw error;
    await client.deleteSecret(namespace, ref.name, existing.metadata?.resourceVersion ?? '');
    await client.createSecret(secret);
    return ref;
  }
}

/**
 * The plan a head needs (for codec.ts fromSecret): `known` if the head refers to that one (a plan
 * Secret is immutable: no need to read it again), else its plan Secret as read (undefined: the head
 * has none, or it is missing, which fromSecret reports).
 */
export async function planFor(
  client: KubeClient,
  namespace: string,
  head: V1Secret,
  known?: KnownPlan,
): Promise<V1Secret | KnownPlan | undefined> {
  const ref = planRefOf(head);
  if (ref && known && ref.sha256 === known.ref.sha256) return known;
  return ref ? client.readSecret(namespace, ref.name).catch(notFound) : undefined;
}
