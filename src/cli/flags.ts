/** Reading the rotation commands' flags: durations, the cluster selection, the new key. */
import type { ContextSelection } from '../kube/kubeconfig.js';
import { DEFAULT_ISSUE_POLICY, type IssuePolicy } from '../rotation/issuing.js';
import { MAX_KEY_FILE_BYTES, readKeyFile } from '../rotation/new-key.js';
import type { RotationOptions } from '../rotation/plan.js';
import { ConfigError } from '../shared/errors.js';
import { parseRequire } from '../verify/policy.js';
import type { CliIo } from './io.js';
import type { GlobalOptions } from './options.js';

export interface RotationFlags extends GlobalOptions {
  credential?: string;
  newKeyFile?: string;
  newKeyStdin?: boolean;
  yes?: boolean;
  verifyWindow?: string;
  maxParallelClusters?: string;
  rolloutTimeout?: string;
  providerEndpoints?: string;
  probe?: boolean;
  probeTimeout?: string;
  force?: boolean;
  allowUnready?: boolean;
  allowBarePods?: boolean;
  require?: string;
  allowOwned?: boolean;
  issue?: boolean;
  retire?: string;
  grace?: string;
  deleteInactive?: boolean;
  partial?: boolean;
  keepBackup?: string;
}

/**
 * What plan and rotate may do despite a refusal: --allow-unready (pods that cannot start now),
 * --allow-bare-pods (Pods without a controller), --allow-owned (managed Secrets), --partial
 * (contexts outside the selection hold the same key). Each names the one risk it accepts; `--force`
 * is rollback's alone, so a plan never takes more risk than it says.
 */
export function planPolicyOf(flags: RotationFlags): {
  allowUnready?: true;
  allowBarePods?: true;
  allowOwned?: true;
  partial?: true;
} {
  if (flags.force)
    throw new ConfigError(
      '--force is not an option of plan or rotate: say which refusal to go past.',
      'Use --allow-unready for workloads whose pods cannot start now (when the old key is why), --allow-bare-pods for Pods without a controller that read the key, or --allow-owned for Secrets another controller manages.',
    );
  return {
    ...(flags.allowUnready ? { allowUnready: true as const } : {}),
    ...(flags.allowBarePods ? { allowBarePods: true as const } : {}),
    ...(flags.allowOwned ? { allowOwned: true as const } : {}),
    ...(flags.partial ? { partial: true as const } : {}),
  };
}

/** `--issue` and its policy: `--retire none|deactivate|delete` (deactivate), `--grace DURATION` (24h), `--delete-inactive`. */
export function issuePolicyOf(flags: RotationFlags): IssuePolicy {
  const retire = flags.retire ?? DEFAULT_ISSUE_POLICY.retire;
  if (retire !== 'none' && retire !== 'deactivate' && retire !== 'delete')
    throw new ConfigError(`--retire ${retire} is not a retire policy.`, 'Use --retire none, deactivate or delete.');
  if (!flags.issue && (flags.retire !== undefined || flags.grace !== undefined || flags.deleteInactive))
    throw new ConfigError(
      '--retire, --grace and --delete-inactive go with --issue.',
      'Add --issue to have kubecost-rotate mint the new key and retire the old one.',
    );
  if (flags.issue && (flags.newKeyFile || flags.newKeyStdin))
    throw new ConfigError(
      '--issue mints the new key at the provider: do not give one with --new-key-file or --new-key-stdin.',
    );
  return {
    retire,
    graceMs: flags.grace !== undefined ? parseDuration(flags.grace, '--grace') : DEFAULT_ISSUE_POLICY.graceMs,
    deleteInactive: flags.deleteInactive === true,
  };
}

/** The range each duration flag accepts, in ms (README "rotate"): a time-out of 0 or of centuries is a typo. */
export const DURATION_BOUNDS: Readonly<Record<string, readonly [number, number]>> = {
  '--verify-window': [100, 24 * 3_600_000],
  '--rollout-timeout': [1000, 24 * 3_600_000],
  '--probe-timeout': [100, 3_600_000],
  '--request-timeout': [100, 600_000],
  '--keep-backup': [60_000, 366 * 86_400_000],
};

const showMs = (ms: number) =>
  ms % 86_400_000 === 0
    ? `${ms / 86_400_000}d`
    : ms % 3_600_000 === 0
      ? `${ms / 3_600_000}h`
      : ms % 1000 === 0
        ? `${ms / 1000}s`
        : `${ms}ms`;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses a duration like 90s, 5m, 1h, 7d or 250ms, within the flag's bounds. */
export function parseDuration(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value.trim());
  if (!m) throw new ConfigError(`${flag} ${value} is not a duration.`, 'Write it like 90s, 5m, 1h or 7d.');
  const n = Number(m[1]);
  const ms = Math.round(n * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
  const bounds = DURATION_BOUNDS[flag];
  if (bounds && !(ms >= bounds[0] && ms <= bounds[1]))
    throw new ConfigError(
      `${flag} ${value} is out of range.`,
      `Give a duration from ${showMs(bounds[0])} to ${showMs(bounds[1])}.`,
    );
  return ms;
}

/** The most clusters written and restarted at once. */
export const MAX_PARALLEL_CLUSTERS = 256;

/** Parses --max-parallel-clusters: a whole number from 1 to {@link MAX_PARALLEL_CLUSTERS}. */
export function parseParallelClusters(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!(n >= 1 && n <= MAX_PARALLEL_CLUSTERS))
    throw new ConfigError(
      `--max-parallel-clusters ${value} is not a whole number from 1 to ${MAX_PARALLEL_CLUSTERS}.`,
      'Write it like --max-parallel-clusters 8.',
    );
  return n;
}

const RFC1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Checks -n: a Kubernetes namespace name is an RFC 1123 label. */
export function checkNamespace(namespace: string | undefined): void {
  if (namespace !== undefined && !RFC1123_LABEL.test(namespace))
    throw new ConfigError(
      `-n ${JSON.stringify(namespace)} is not a namespace name.`,
      'A namespace name is at most 63 lower-case letters, digits and "-", starting and ending with a letter or digit.',
    );
}

/** Checks a rotation id argument: the full id or a prefix of at least 8 characters (an empty one would match every rotation). */
export function checkRotationId(id: string): void {
  if (!/^[a-z0-9-]{8,}$/.test(id))
    throw new ConfigError(
      `rotation id ${JSON.stringify(id)} is not a rotation id.`,
      'Give the id from kubecost-rotate history (or at least its first 8 characters).',
    );
}

/** The clusters the flags select; `defaultAll` when no context is named (resume, rollback, history). */
export function selectionOf(io: CliIo, flags: GlobalOptions, defaultAll = false): ContextSelection {
  checkNamespace(flags.namespace);
  const contexts = flags.context ?? [];
  return {
    env: io.env,
    ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
    contexts,
    allContexts: flags.allContexts === true || (defaultAll && contexts.length === 0),
  };
}

export function rotationOptionsOf(flags: RotationFlags): Partial<RotationOptions> {
  return {
    ...(flags.verifyWindow !== undefined
      ? { verifyWindowMs: parseDuration(flags.verifyWindow, '--verify-window') }
      : {}),
    ...(flags.rolloutTimeout !== undefined
      ? { rolloutTimeoutMs: parseDuration(flags.rolloutTimeout, '--rollout-timeout') }
      : {}),
    ...(flags.require !== undefined ? { require: parseRequire(flags.require, '--require') } : {}),
    ...(flags.maxParallelClusters !== undefined
      ? { maxParallelClusters: parseParallelClusters(flags.maxParallelClusters) }
      : {}),
    ...(flags.keepBackup !== undefined ? { keepBackupMs: parseDuration(flags.keepBackup, '--keep-backup') } : {}),
  };
}

/** The new key file's text and where it came from, if one was given. */
export async function readNewKey(
  flags: RotationFlags,
  io: CliIo,
): Promise<{ text: string; source: string } | undefined> {
  if (flags.newKeyFile && flags.newKeyStdin)
    throw new ConfigError('give the new key with --new-key-file or --new-key-stdin, not both.');
  if (flags.newKeyFile) return readKeyFile(flags.newKeyFile);
  if (flags.newKeyStdin) {
    // Read no more than a key file may hold, and one byte: the check in readKeyText names the size.
    const chunks: Buffer[] = [];
    let bytes = 0;
    for await (const chunk of io.stdin) {
      chunks.push(Buffer.from(chunk));
      bytes += chunks.at(-1)?.length ?? 0;
      if (bytes > MAX_KEY_FILE_BYTES)
        throw new ConfigError(
          `the key read from stdin is over ${MAX_KEY_FILE_BYTES} bytes: a key file is at most 64 KiB, and no key format comes near that.`,
          'Pipe the key file as the provider issued it.',
        );
    }
    return { text: Buffer.concat(chunks).toString('utf8'), source: 'the key read from stdin' };
  }
  return undefined;
}
