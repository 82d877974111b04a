/**
 * What every rotation command does first: pick the clusters, discover, find the credential, read
 * the new key and plan. Then the runner takes over, with the journal as the only state.
 */
import { randomBytes } from 'node:crypto';
import { KubeClient } from '../kube/client.js';
import { selectClusters, type ContextSelection } from '../kube/kubeconfig.js';
import { discover } from '../kubecost/discover.js';
import type { Inventory } from '../kubecost/inventory.js';
import { credentialFingerprint, credentialIdentity, type Credential } from '../kubecost/secret-formats/index.js';
import { ConfigError } from '../shared/errors.js';
import { listJournals, type JournalDocument } from './journal.js';
import { checkReplacement, parseNewKey } from './new-key.js';
import { findCredential, planRotation, rotationId, type RotationOptions, type RotationPlan } from './plan.js';

export interface Fleet {
  readonly clients: ReadonlyMap<string, KubeClient>;
}

export interface PlanRequest {
  readonly selection: ContextSelection;
  readonly namespace?: string;
  readonly credential: string;
  /** The new key file's text and where it came from (for messages), if one was given. */
  readonly newKey?: { readonly text: string; readonly source: string };
  readonly options?: Partial<RotationOptions>;
  readonly now?: Date;
}

export interface PreparedRotation {
  readonly fleet: Fleet;
  readonly inventory: Inventory;
  readonly plan: RotationPlan;
  readonly credential?: Credential;
}

/** Discovers, finds the credential, checks the new key and plans. Writes nothing. */
export async function prepareRotation(request: PlanRequest): Promise<PreparedRotation> {
  const targets = selectClusters(request.selection);
  const fleet: Fleet = { clients: new Map(targets.map((t) => [t.name, new KubeClient(t)])) };
  const inventory = await discover(targets, request.namespace ? { namespace: request.namespace } : {});
  const record = findCredential(inventory, request.credential);
  let credential: Credential | undefined;
  if (request.newKey) {
    credential = parseNewKey(request.newKey.text, request.newKey.source);
    checkReplacement(record, credential, request.newKey.source);
  }
  const now = request.now ?? new Date();
  const plan = planRotation({
    inventory,
    credential: record,
    newKey: credential
      ? {
          fingerprint: credentialFingerprint(credential),
          ...(credentialIdentity(credential).keyId ? { keyId: credentialIdentity(credential).keyId } : {}),
        }
      : { fingerprint: '<new key>' },
    id: rotationId(now, randomBytes(2).toString('hex')),
    now,
    ...(request.options ? { options: request.options } : {}),
  });
  return { fleet, inventory, plan, ...(credential ? { credential } : {}) };
}

/** Finds a rotation's journal on the selected clusters. */
export async function findJournal(
  fleet: Fleet,
  id: string,
): Promise<{ cluster: string; namespace: string; doc: JournalDocument }> {
  const found: { cluster: string; namespace: string; doc: JournalDocument }[] = [];
  const failures: string[] = [];
  await Promise.all(
    [...fleet.clients].map(async ([cluster, client]) => {
      try {
        for (const doc of await listJournals(client))
          if (doc.id === id || doc.id.startsWith(id))
            found.push({ cluster, namespace: doc.plan.journal.namespace, doc });
      } catch (error: unknown) {
        failures.push(`${cluster}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }),
  );
  if (found.length === 1 && found[0]) return found[0];
  if (found.length > 1)
    throw new ConfigError(
      `"${id}" matches ${found.length} rotations: ${found.map((f) => f.doc.id).join(', ')}.`,
      'Give the full rotation id.',
    );
  throw new ConfigError(
    `no rotation "${id}" on the selected clusters${failures.length ? ` (could not read: ${failures.join('; ')})` : ''}.`,
    'Run kubecost-rotate history --all-contexts to list rotations; the journal lives on the primary cluster.',
  );
}
