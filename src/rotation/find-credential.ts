/** Finding the credential a rotation names, in what discovery found. Pure. */
import type { CredentialRecord, Inventory } from '../kubecost/inventory.js';
import { ConfigError } from '../shared/errors.js';

/** Finds a credential by id, AWS key id or fingerprint (prefix of at least 6 characters). */
export function findCredential(inventory: Inventory, selector: string): CredentialRecord {
  const matches = inventory.credentials.filter(
    (c) =>
      c.id === selector ||
      c.keyId === selector ||
      c.fingerprint === selector ||
      (selector.length >= 6 && (c.fingerprint.startsWith(selector) || c.id.startsWith(selector))),
  );
  if (matches.length === 1 && matches[0]) return matches[0];
  const known = inventory.credentials.map((c) => `${c.id} (${c.fingerprint})`).join(', ') || 'none';
  if (matches.length === 0)
    // prepare.ts names the clusters discovery could not read, where the credential may be.
    throw new ConfigError(
      `no credential matches "${selector}" in the selected clusters.`,
      `Run kubecost-rotate discover to list them. Known: ${known}`,
    );
  throw new ConfigError(
    `"${selector}" matches ${matches.length} credentials: ${matches.map((m) => m.id).join(', ')}.`,
    'Give the full id or fingerprint.',
  );
}
