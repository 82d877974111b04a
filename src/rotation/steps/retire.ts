/**
 * Retire (issue 10, not built yet): deactivate, then delete, the old key at the provider after a
 * Verified rotation and its grace period (`Verified → Retiring → Retired` in machine.ts). The
 * contract it will keep: only on a Verified journal (cert-manager's revisionmanager), the choice of
 * what to retire pure and the provider calls separate, every call idempotent (absent = done), and
 * the backups dropped from the journal only once the old key is gone.
 */
export type { StepContext } from './context.js';
