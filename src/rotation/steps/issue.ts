/**
 * Issue (issue 10, not built yet): mint the new key at the provider before staging, as the first
 * forward step (`Planned → Issued` in machine.ts). The contract it will keep, like every step here:
 * observe before acting (a key this rotation minted before a crash is found by its non-secret
 * reference in the journal and adopted, never minted twice), record the reference in the journal
 * before the key is used (cert-manager's keymanager), and hand the material to the journal, which
 * owns it (`Journal.create` takes it today for a key the user brings).
 */
export type { StepContext } from './context.js';
