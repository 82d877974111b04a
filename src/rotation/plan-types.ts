/**
 * The shape of a rotation plan: which Secrets change, which workloads restart in which order, what
 * is checked. Plain JSON without secrets: it is printed by `plan` and kept in the journal.
 */
import type { WorkloadKind } from '../kube/client.js';
import type { ComponentRole } from '../kubecost/components.js';
import type { Consumer, CredentialRecord, SiteRecord } from '../kubecost/inventory.js';

import type { SiteKind, Wave } from '../kubecost/restart-rules.js';
import type { VerdictPolicy } from '../verify/policy.js';
import type { CheckName } from '../verify/verdict.js';

/** What a site is for, which decides its restart and verification rules (DESIGN §3; the table lives in kubecost/). */
export type { SiteKind, Wave };

/**
 * A key by reference: who it is and how to recognise it, never its secret (safe to print and to
 * journal). Its material, where this process has it, is a `KeyMaterial`.
 */
export interface KeyRef {
  /** The credential id from discovery (provider, principal, key id). */
  readonly id: string;
  readonly provider: CredentialRecord['provider'];
  /** The AWS key id, or a sha256 prefix of the secret. */
  readonly fingerprint: string;
  readonly principal?: string;
  readonly keyId?: string;
}

/** The new key by reference (its id is known once it is read). */
export interface NewKeyRef {
  readonly fingerprint: string;
  readonly keyId?: string;
}

export interface PlannedSite {
  readonly id: string;
  readonly kind: SiteKind;
  readonly cluster: string;
  readonly namespace: string;
  readonly secret: string;
  readonly dataKey: string;
  readonly path: string;
  readonly format: SiteRecord['format'];
  readonly consumers: readonly Consumer[];
}

/** One Secret to rewrite (all its sites of this credential at once, one write). */
export interface PlannedWrite {
  readonly step: string;
  readonly cluster: string;
  readonly namespace: string;
  readonly secret: string;
  readonly sites: readonly string[];
}

export interface PlannedRestart {
  readonly step: string;
  readonly cluster: string;
  readonly namespace: string;
  readonly kind: WorkloadKind;
  readonly name: string;
  readonly role: ComponentRole;
  readonly wave: Wave;
  /** The containers that read a rotated site (their logs are checked). */
  readonly containers: readonly string[];
  readonly because: readonly SiteKind[];
}

/**
 * A reader of a rotated Secret that is not restarted: a CronJob or Job (its next run reads the new
 * key) or, with --allow-bare-pods, a Pod without a controller (it keeps the old key until it is recreated).
 */
export interface PlannedNoRestart {
  readonly cluster: string;
  readonly namespace: string;
  readonly kind: 'CronJob' | 'Job' | 'Pod';
  readonly name: string;
  readonly containers: readonly string[];
  /** What happens to it, in a sentence (printed in the plan and the result). */
  readonly note: string;
}

export interface PlannedStatusCheck {
  readonly cluster: string;
  readonly namespace: string;
  readonly release: string;
  /** Service and port serving the cloud-cost status, and the path on it. */
  readonly service: string;
  readonly port: number;
  readonly path: string;
}

export interface RotationPlan {
  readonly schemaVersion: 1;
  readonly id: string;
  readonly createdAt: string;
  /** The credential being rotated: the old key, by reference. */
  readonly credential: KeyRef;
  /** The key that replaces it, by reference. */
  readonly newKey: NewKeyRef;
  /** Where the journal lives: the primary (or only) installation of the credential. */
  readonly journal: { readonly cluster: string; readonly namespace: string; readonly secret: string };
  readonly sites: readonly PlannedSite[];
  readonly writes: readonly PlannedWrite[];
  readonly restarts: readonly PlannedRestart[];
  /** Readers that are not restarted (absent in journals older than this field). */
  readonly notRestarted?: readonly PlannedNoRestart[];
  readonly statusChecks: readonly PlannedStatusCheck[];
  readonly options: RotationOptions;
  /** What verification must show (issue 7 §7), as planned; resume judges by the policy of its own flags. */
  readonly verification: VerdictPolicy;
  /** Things the user should know (ownership by Helm and the like), copied from discovery. */
  readonly warnings: readonly string[];
  /**
   * Contexts of the kubeconfig outside the selection that hold the old key (rotated anyway with
   * --partial) or could not be checked for it. Absent: nothing outside the selection holds it.
   */
  readonly partial?: OutsideHolders;
}

/** A place outside the rotation's selection that keeps the old key. */
export interface OutsideSite {
  readonly cluster: string;
  readonly namespace: string;
  readonly secret: string;
  readonly dataKey: string;
}

/** Who, outside the selection, keeps the old key after the rotation (partial-fleet.ts). */
export interface OutsideHolders {
  readonly holders: readonly OutsideSite[];
  /** Outside contexts that could not be read (unreachable, forbidden): they may hold it too. */
  readonly unchecked: readonly { readonly cluster: string; readonly reason: string }[];
}

export interface RotationOptions {
  /** How long logs are watched after the restarts for auth failures. */
  readonly verifyWindowMs: number;
  /** How many clusters are written and restarted at once. */
  readonly maxParallelClusters: number;
  /** How long one workload may take to roll out. */
  readonly rolloutTimeoutMs: number;
  /** The checks `--require` names (undefined: the default policy). */
  readonly require?: readonly CheckName[];
  /** How long the old data is kept after Verified (`--keep-backup`; undefined: 7 days). */
  readonly keepBackupMs?: number;
}

export const DEFAULT_OPTIONS: RotationOptions = {
  verifyWindowMs: 60_000,
  maxParallelClusters: 8,
  rolloutTimeoutMs: 600_000,
};
