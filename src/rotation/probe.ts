/**
 * The direct probe of verification (DESIGN §6): the new key, at its provider, on the exact
 * resource the site's consumer reads. Provider endpoints can be overridden (emulators, sovereign
 * clouds, private endpoints) with a JSON file.
 */
import { readFileSync } from 'node:fs';
import { resourceTargetOf, type ResourceTarget } from '../kubecost/probe-targets.js';
import type { KeyMaterial } from './new-key.js';
import { probe, type ProbeTarget, type ProviderCredential } from '../providers/index.js';
import type { Clock } from '../shared/clock.js';
import { ConfigError } from '../shared/errors.js';
import type { Verdict } from '../verify/verdict.js';
import type { RotationPlan } from './plan.js';

/** Verifies one planned site with the new key directly at its provider (wired by the caller). */
export type SiteProbe = (
  site: RotationPlan['sites'][number],
  documentText: string,
  newKey: KeyMaterial,
  signal: AbortSignal,
) => Promise<Verdict>;

/** Provider endpoints to use instead of the public ones. */
export interface ProviderEndpoints {
  readonly s3?: string;
  readonly athena?: string;
  readonly gcs?: string;
  readonly bigquery?: string;
  readonly gcpToken?: string;
  /** Blob service base; the account is appended as a path segment (emulator style). */
  readonly azureBlob?: string;
  /** AWS STS (the pre-write proof's GetCallerIdentity) and IAM (minting and retiring keys). */
  readonly sts?: string;
  readonly iam?: string;
  /** Azure Resource Manager and its authority host (minting and retiring storage keys). */
  readonly azureArm?: string;
  readonly azureAuthority?: string;
  /** GCP IAM (service-account keys) and Policy Analyzer. */
  readonly gcpIam?: string;
}

/** The endpoints a file may name. */
export const ENDPOINT_KEYS = [
  's3',
  'athena',
  'gcs',
  'bigquery',
  'gcpToken',
  'azureBlob',
  'sts',
  'iam',
  'azureArm',
  'azureAuthority',
  'gcpIam',
] as const;

export function loadProviderEndpoints(path: string): ProviderEndpoints {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error: unknown) {
    throw new ConfigError(
      `cannot read provider endpoints from ${path}: ${error instanceof Error ? error.message : String(error)}`,
      `The file is JSON: {${ENDPOINT_KEYS.map((k) => `"${k}"`).join(',')}}, each a URL.`,
    );
  }
  return parseProviderEndpoints(parsed, path);
}

/** Provider endpoints from a parsed document (a file, or the sandbox's kubeconfig extension); `where` names it in errors. */
export function parseProviderEndpoints(parsed: unknown, where: string): ProviderEndpoints {
  const doc = (parsed ?? {}) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const key of ENDPOINT_KEYS) {
    const value = doc[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !/^https?:\/\//.test(value))
      throw new ConfigError(`${where}: "${key}" must be an http(s) URL.`);
    out[key] = value.replace(/\/+$/, '');
  }
  return out;
}

/** The kubeconfig extension in which `sandbox up` records its emulated clouds' endpoints. */
export const ENDPOINTS_EXTENSION = 'kubecost-rotate.io/provider-endpoints';

export function withEndpoints(target: ResourceTarget, endpoints: ProviderEndpoints): ProbeTarget {
  switch (target.kind) {
    case 's3':
      return endpoints.s3 ? { ...target, endpoint: endpoints.s3, forcePathStyle: true } : target;
    case 'athena':
      return endpoints.athena ? { ...target, endpoint: endpoints.athena } : target;
    case 'gcs':
      return {
        ...target,
        ...(endpoints.gcs ? { endpoint: endpoints.gcs } : {}),
        ...(endpoints.gcpToken ? { tokenUrl: endpoints.gcpToken } : {}),
      };
    case 'bigquery':
      return {
        ...target,
        ...(endpoints.bigquery ? { endpoint: endpoints.bigquery } : {}),
        ...(endpoints.gcpToken ? { tokenUrl: endpoints.gcpToken } : {}),
      };
    case 'azure-blob':
      return endpoints.azureBlob ? { ...target, endpoint: `${endpoints.azureBlob}/${target.account}` } : target;
  }
}

export function providerCredential(credential: KeyMaterial): ProviderCredential | undefined {
  switch (credential.provider) {
    case 'aws':
      return { provider: 'aws', accessKeyId: credential.accessKeyId, secretAccessKey: credential.secretAccessKey };
    case 'gcp':
      // A GCP API key (the finops agent's pricing key) names no resource to probe.
      return credential.kind === 'api-key' ? undefined : { provider: 'gcp', keyJson: credential.keyJson };
    case 'azure':
      return { provider: 'azure', accountName: credential.accountName, accountKey: credential.accountKey };
    case 'alibaba':
      return undefined;
  }
}

export function describeTarget(target: ResourceTarget): string {
  switch (target.kind) {
    case 's3':
      return `s3://${target.bucket}`;
    case 'athena':
      return `athena ${target.region}/${target.workgroup}/${target.database}`;
    case 'gcs':
      return `gs://${target.bucket}`;
    case 'bigquery':
      return `bigquery ${target.projectId}.${target.dataset}.${target.table}`;
    case 'azure-blob':
      return `azure ${target.account}/${target.container}`;
  }
}

/** A SiteProbe for the runner: probes every site with the new key, each bounded in time. */
export function siteProbe(
  endpoints: ProviderEndpoints,
  options: { readonly clock: Clock; readonly timeoutMs?: number },
): SiteProbe {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return async (site, text, newKey, signal): Promise<Verdict> => {
    const base = { check: 'probe', target: site.id } as const;
    const target = resourceTargetOf(site.format, site.path, text);
    const providerKey = providerCredential(newKey);
    if (!target || !providerKey) {
      return {
        ...base,
        status: 'unavailable',
        reason: 'NoDirectProbe',
        evidence: `no direct probe for a ${newKey.provider} ${site.format} site (it names no resource); verified through its consumers`,
      };
    }
    const where = `${site.id} → ${describeTarget(target)}`;
    const timeout = options.clock.timeout(timeoutMs);
    const bounded = AbortSignal.any([signal, timeout]);
    let result: Awaited<ReturnType<typeof probe>>;
    try {
      // Raced against the time-out as well: an SDK call that ignores the signal must not hold the rotation.
      result = await Promise.race([
        probe(providerKey, withEndpoints(target, endpoints), bounded),
        new Promise<never>((_, reject) =>
          bounded.addEventListener('abort', () => reject(bounded.reason as Error), { once: true }),
        ),
      ]);
    } catch (error: unknown) {
      if (!timeout.aborted || signal.aborted) throw error;
      // No answer is no evidence either way: the check could not run.
      return {
        ...base,
        target: where,
        status: 'unavailable',
        reason: 'ProbeTimedOut',
        evidence: `no answer from the provider within ${timeoutMs / 1000} s`,
      };
    }
    if (!result.ok && (result.kind === 'transient' || result.kind === 'throttled'))
      // The provider could not be reached (or asked to slow down): the check could not run.
      return {
        ...base,
        target: where,
        status: 'unavailable',
        reason: 'ProbeUnreachable',
        evidence: `${result.kind}${result.code ? ` ${result.code}` : ''}: ${result.message} (${result.evidence})`,
      };
    return result.ok
      ? { ...base, target: where, status: 'passed', reason: 'ProbePassed', evidence: result.evidence }
      : {
          ...base,
          target: where,
          status: 'failed',
          reason: 'ProbeFailed',
          evidence: `${result.kind}${result.code ? ` ${result.code}` : ''}: ${result.message} (${result.evidence})`,
        };
  };
}
