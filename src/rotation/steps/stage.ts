/**
 * Stage: read every Secret to write, check that it still holds the old key where discovery found it,
 * compute its new bytes (only the credential fields change) and back up the old values of the data
 * keys it changes (no other key). Writes nothing to any cluster but the journal; a failure here ends
 * the rotation with nothing changed.
 */
import type { V1Secret } from '@kubernetes/client-node';
import {
  credentialFingerprint,
  credentialIdentity,
  parseSecretData,
  replaceCredential,
} from '../../kubecost/secret-formats/index.js';
import { forEachGrouped } from '../../shared/pool.js';
import { backupOf } from '../journal/backup.js';
import { stagedOversize } from '../journal-size.js';
import type { KeyMaterial } from '../new-key.js';
import type { PlannedWrite } from '../plan.js';
import {
  checkStop,
  clientOf,
  describeError,
  emitStep,
  StepCounter,
  StopRotation,
  type StepContext,
} from './context.js';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** The new values of the data keys of one Secret that hold a planned site, rewritten with `newKey` (only those keys). */
function rewrite(ctx: StepContext, write: PlannedWrite, secret: V1Secret, newKey: KeyMaterial): Record<string, string> {
  const { plan } = ctx;
  const data = { ...(secret.data ?? {}) };
  const newData: Record<string, string> = {};
  const sites = plan.sites.filter((s) => write.sites.includes(s.id));
  for (const dataKey of [...new Set(sites.map((s) => s.dataKey))]) {
    const location = { cluster: write.cluster, namespace: write.namespace, secret: write.secret, dataKey };
    const parsed = parseSecretData(data, location);
    let bytes: Uint8Array = Buffer.from(data[dataKey] ?? '', 'base64');
    for (const site of sites.filter((s) => s.dataKey === dataKey)) {
      const current = parsed.sites.find((p) => p.path === site.path && p.format === site.format);
      if (
        !current ||
        credentialIdentity(current.credential).id !== plan.credential.id ||
        credentialFingerprint(current.credential) !== plan.credential.fingerprint
      ) {
        throw new StopRotation(
          'end-unchanged',
          `Secret ${write.namespace}/${write.secret} on ${write.cluster} (${dataKey}, ${site.path}) no longer holds credential ${plan.credential.id} as discovered: it changed since the plan was made. Run the rotation again.`,
        );
      }
      bytes = replaceCredential(bytes, { ...current, location }, newKey);
    }
    newData[dataKey] = b64(bytes);
  }
  return newData;
}

/** Reads, checks and backs up every Secret of the plan (the backups are saved with the next phase). */
export async function stage(ctx: StepContext): Promise<void> {
  const { plan, journal } = ctx;
  const newKey = journal.newKey;
  if (!newKey) throw new StopRotation('end-unchanged', `rotation ${plan.id} no longer holds its new key`);
  const counter = new StepCounter(plan.writes.length);
  await forEachGrouped(
    plan.writes,
    (w) => w.cluster,
    plan.options.maxParallelClusters,
    async (write) => {
      checkStop(ctx);
      const key = `${write.cluster}/${write.namespace}/${write.secret}`;
      let secret: V1Secret;
      try {
        secret = await clientOf(ctx, write.cluster).readSecret(write.namespace, write.secret);
      } catch (error: unknown) {
        throw new StopRotation(
          'end-unchanged',
          `cannot read Secret ${write.namespace}/${write.secret} on ${write.cluster}: ${describeError(error)}`,
        );
      }
      // Only the data keys the rotation changes: the Secret's other keys are neither kept nor restored.
      const backup = backupOf(write, secret, rewrite(ctx, write, secret, newKey));
      journal.keepBackup(backup);
      emitStep(ctx, {
        kind: 'stage',
        step: `stage:${key}`,
        object: { cluster: write.cluster, namespace: write.namespace, kind: 'Secret', name: write.secret },
        state: 'done',
        detail: `read at resourceVersion ${backup.resourceVersion}; ${write.sites.length} site(s) to change`,
        counts: counter.tick(),
      });
    },
  );
  // The backups are saved with the next phase: a journal over 1 MiB would be refused then, or mid-rotation.
  const oversize = stagedOversize(journal);
  if (oversize) throw new StopRotation('end-unchanged', oversize);
}
