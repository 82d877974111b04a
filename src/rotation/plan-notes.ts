/** The sentences a plan says about Secrets it refuses to write and readers it does not restart. */
import type { SiteRecord } from '../kubecost/inventory.js';
import type { PlannedNoRestart } from './plan-types.js';

/** Who owns a Secret's value and where its key must change instead. */
export function ownedBecause(site: SiteRecord): string {
  const m = site.managedBy;
  switch (m?.kind) {
    case 'ExternalSecret':
      return `owned by ExternalSecret ${m.name}; change the key in the external store it reads (its remoteRef) and let the operator sync it`;
    case 'SealedSecret':
      return `owned by SealedSecret ${m.name}; seal the new key (kubeseal) into the SealedSecret's source and apply it`;
    case 'ArgoCD':
      return `tracked by Argo CD (${m.name}); change the key in Git (the application's source) and let Argo CD sync it`;
    default:
      return 'owned by another controller';
  }
}

/** What happens to a reader that is not restarted. */
export function noRestartNote(kind: PlannedNoRestart['kind'], where: string): string {
  switch (kind) {
    case 'CronJob':
      return `CronJob ${where} is not restarted: its next run reads the new key (a Job running now keeps the old one until it ends).`;
    case 'Job':
      return `Job ${where} is not restarted: its pods started after the write read the new key (a pod running now keeps the old one until it ends).`;
    case 'Pod':
      return `Pod ${where} has no controller and is not restarted (--allow-bare-pods): it keeps the old key until you delete it and create it again; do that before the old key is retired.`;
  }
}
