/**
 * What the API server does to an object between decoding and the store: defaulting (defaults.ts),
 * the admission plugins that matter here, and validation (validation.ts), turned into one 422
 * Invalid Status as apierrors.NewInvalid builds it.
 */
import { applyDefaults, randomSuffix } from './defaults.js';
import type { FieldError } from './fielderrors.js';
import type { PendingFix } from './pending.js';
import type { ResourceDef } from './resources.js';
import { errors } from './status.js';
import type { KubeObject } from './types.js';
import { validateObject } from './validation.js';

export { applyDefaults, randomSuffix };

/** Throws the 422 Invalid of `causes`, if any. */
export function throwIfInvalid(def: ResourceDef, name: string, causes: readonly FieldError[]): void {
  if (causes.length > 0) throw errors.invalid(def.group, def.kind, name, causes);
}

/** Validates an object about to be stored; throws a 422 Invalid ApiError naming every bad field. */
export function validate(
  def: ResourceDef,
  obj: KubeObject,
  previous: KubeObject | undefined,
  lenient: ReadonlySet<PendingFix>,
): void {
  throwIfInvalid(def, obj.metadata.name ?? '', validateObject(def.kind, obj, previous, { lenient }));
}
