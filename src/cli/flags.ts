/** Reading the rotation commands' flags: durations, the cluster selection, the new key. */
import { readFile } from 'node:fs/promises';
import type { ContextSelection } from '../kube/kubeconfig.js';
import { DEFAULT_ISSUE_POLICY, type IssuePolicy } from '../rotation/issuing.js';
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
  require?: string;
  allowOwned?: boolean;
  issue?: boolean;
  retire?: string;
  grace?: string;
  deleteInactive?: boolean;
}

/** What plan and rotate may do despite a refusal: --force (bare Pods), --allow-owned (managed Secrets). */
export function planPolicyOf(flags: RotationFlags): { force?: true; allowOwned?: true } {
  return {
    ...(flags.force ? { force: true as const } : {}),
    ...(flags.allowOwned ? { allowOwned: true as const } : {}),
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

/** Parses a duration like 90s, 5m, 1h or 250ms. */
export function parseDuration(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value.trim());
  if (!m) throw new ConfigError(`${flag} ${value} is not a duration.`, 'Write it like 90s, 5m or 1h.');
  const n = Number(m[1]);
  return Math.round(n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h']);
}

/** The clusters the flags select; `defaultAll` when no context is named (resume, rollback, history). */
export function selectionOf(io: CliIo, flags: GlobalOptions, defaultAll = false): ContextSelection {
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
    ...(flags.verifyWindow ? { verifyWindowMs: parseDuration(flags.verifyWindow, '--verify-window') } : {}),
    ...(flags.rolloutTimeout ? { rolloutTimeoutMs: parseDuration(flags.rolloutTimeout, '--rollout-timeout') } : {}),
    ...(flags.require !== undefined ? { require: parseRequire(flags.require, '--require') } : {}),
    ...(flags.maxParallelClusters
      ? { maxParallelClusters: Math.max(1, Number.parseInt(flags.maxParallelClusters, 10) || 1) }
      : {}),
  };
}

/** The new key file's text and where it came from, if one was given. */
export async function readNewKey(
  flags: RotationFlags,
  io: CliIo,
): Promise<{ text: string; source: string } | undefined> {
  if (flags.newKeyFile && flags.newKeyStdin)
    throw new ConfigError('give the new key with --new-key-file or --new-key-stdin, not both.');
  if (flags.newKeyFile) {
    try {
      return { text: await readFile(flags.newKeyFile, 'utf8'), source: `--new-key-file ${flags.newKeyFile}` };
    } catch (error: unknown) {
      throw new ConfigError(
        `cannot read --new-key-file ${flags.newKeyFile}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  if (flags.newKeyStdin) {
    const chunks: Buffer[] = [];
    for await (const chunk of io.stdin) chunks.push(Buffer.from(chunk));
    return { text: Buffer.concat(chunks).toString('utf8'), source: 'the key read from stdin' };
  }
  return undefined;
}
