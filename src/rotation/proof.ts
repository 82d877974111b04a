/**
 * The proof of the new key before anything is written (DESIGN §4 invariant 6, issue 8 defect 2):
 * before the journal exists, the new key must authenticate as the principal of the key the sites
 * hold (AWS STS GetCallerIdentity returns the same IAM user; GCP a token exchange for the same
 * service account; Azure a shared-key request to the same storage account) and reach the exact
 * resource every site's consumer needs (its bucket, container, Athena workgroup or BigQuery
 * table). A key that fails is refused with the site, the check and the provider's error code, and
 * nothing is written. Reads the sites' Secrets (their documents name the resources); writes none.
 */
import type { KubeClient } from '../kube/client.js';
import { resourceTargetOf } from '../kubecost/probe-targets.js';
import { parseSecretData } from '../kubecost/secret-formats/index.js';
import {
  proveReplacement,
  type IdentityEndpoints,
  type ProbeTarget,
  type ProviderCredential,
  type RetryPolicy,
} from '../providers/index.js';
import type { Clock } from '../shared/clock.js';
import { ConfigError } from '../shared/errors.js';
import { mapLimit } from '../shared/pool.js';
import type { KeyMaterial } from './new-key.js';
import type { RotationPlan } from './plan.js';
import { describeTarget, providerCredential, withEndpoints, type ProviderEndpoints } from './probe.js';

/** How the proof reaches the providers; none (`--no-probe`): no proof. */
export interface ProofSettings {
  readonly endpoints: ProviderEndpoints;
  readonly clock: Clock;
  /** How long the whole proof may take, retries included. Default 120 s. */
  readonly timeoutMs?: number;
  /** Rounds for keys the provider does not know everywhere yet. Default about 30 s of rounds. */
  readonly retry?: RetryPolicy;
}

/** What the proof found (printed before the confirmation; no secret in it). */
export interface ProofOutcome {
  readonly status: 'proven' | 'skipped';
  /** One sentence: what was proven, or why nothing could be. */
  readonly summary: string;
}

/** The new key could not be proven: nothing was written. */
export class KeyProofError extends ConfigError {}

export const DEFAULT_PROOF_TIMEOUT_MS = 120_000;

function identityEndpoints(endpoints: ProviderEndpoints): IdentityEndpoints {
  return {
    ...(endpoints.sts ? { sts: endpoints.sts } : {}),
    ...(endpoints.gcpToken ? { gcpToken: endpoints.gcpToken } : {}),
    ...(endpoints.azureBlob ? { azureBlob: endpoints.azureBlob } : {}),
  };
}

export interface SiteDocument {
  readonly site: RotationPlan['sites'][number];
  readonly text: string;
  readonly credential: KeyMaterial;
}

/** Secrets read at once by the proof: a fleet of 200 clusters is read in a few round trips, not 200. */
const READ_CONCURRENCY = 16;

/**
 * Reads every planned site's document as it stands (the old key and the resource it names). A fleet's
 * Secrets often hold the same document byte for byte: each distinct one is parsed once.
 */
export async function readSites(
  plan: RotationPlan,
  clients: ReadonlyMap<string, KubeClient>,
  signal: AbortSignal,
): Promise<SiteDocument[]> {
  for (const write of plan.writes)
    if (!clients.has(write.cluster)) throw new ConfigError(`cluster ${write.cluster} of the plan is not selected.`);
  const secrets = await mapLimit(plan.writes, READ_CONCURRENCY, (write) =>
    (clients.get(write.cluster) as KubeClient).readSecret(write.namespace, write.secret, signal),
  );
  // Keyed by data key and encoded value: the location only names where a parse error is.
  const parsedByValue = new Map<string, ReturnType<typeof parseSecretData>>();
  const out: SiteDocument[] = [];
  plan.writes.forEach((write, i) => {
    const data = secrets[i]?.data ?? {};
    for (const site of plan.sites.filter((s) => write.sites.includes(s.id))) {
      const distinct = `${site.dataKey}\u0000${data[site.dataKey] ?? ''}`;
      let parsed = parsedByValue.get(distinct);
      if (!parsed) {
        const location = {
          cluster: write.cluster,
          namespace: write.namespace,
          secret: write.secret,
          dataKey: site.dataKey,
        };
        parsed = parseSecretData(data, location);
        parsedByValue.set(distinct, parsed);
      }
      const found = parsed.sites.find((p) => p.path === site.path && p.format === site.format);
      if (!found) continue;
      const text = Buffer.from(data[site.dataKey] ?? '', 'base64').toString('utf8');
      out.push({ site, text, credential: found.credential });
    }
  });
  return out;
}

const keyName = (key: KeyMaterial): string =>
  key.provider === 'aws' || key.provider === 'alibaba'
    ? key.accessKeyId
    : key.provider === 'gcp' && key.kind !== 'api-key'
      ? `${key.clientEmail} key ${key.privateKeyId}`
      : 'the new key';

/**
 * Proves `newKey` for every site of `plan`. Resolves with what was proven (or why no proof
 * exists for this kind of key: Alibaba keys and GCP API keys have no provider check that needs
 * nothing written); rejects with a {@link KeyProofError} naming the site, the check and the
 * provider's error code when the key fails.
 */
export async function proveNewKey(
  plan: RotationPlan,
  clients: ReadonlyMap<string, KubeClient>,
  newKey: KeyMaterial,
  settings: ProofSettings,
  stop?: AbortSignal,
): Promise<ProofOutcome> {
  const next = providerCredential(newKey);
  if (!next)
    return {
      status: 'skipped',
      summary: `no provider check can prove a ${newKey.provider === 'gcp' ? 'GCP API key' : `${newKey.provider} key`} before it is written; it is verified through its consumers after the restarts`,
    };
  const timeoutMs = settings.timeoutMs ?? DEFAULT_PROOF_TIMEOUT_MS;
  const timeout = settings.clock.timeout(timeoutMs);
  const signal = stop ? AbortSignal.any([stop, timeout]) : timeout;
  const sites = await readSites(plan, clients, signal);
  const old = sites.map((s) => providerCredential(s.credential)).find((c): c is ProviderCredential => !!c);
  if (!old)
    throw new KeyProofError(
      `the sites of credential ${plan.credential.id} no longer hold it as discovered, so the new key cannot be proven against it; nothing was written.`,
      'Run the rotation again.',
    );
  const targets: ProbeTarget[] = [];
  const sitesOf = new Map<string, string[]>();
  for (const s of sites) {
    const resource = resourceTargetOf(s.site.format, s.site.path, s.text);
    if (!resource) continue;
    const target = withEndpoints(resource, settings.endpoints);
    const key = JSON.stringify(target);
    if (!sitesOf.has(key)) targets.push(target);
    sitesOf.set(key, [...(sitesOf.get(key) ?? []), s.site.id]);
  }
  let proof: Awaited<ReturnType<typeof proveReplacement>>;
  try {
    proof = await proveReplacement(
      {
        old,
        next,
        targets,
        endpoints: identityEndpoints(settings.endpoints),
        clock: settings.clock,
        ...(settings.retry ? { retry: settings.retry } : {}),
      },
      signal,
    );
  } catch (error: unknown) {
    if (stop?.aborted || !timeout.aborted) throw error;
    throw new KeyProofError(
      `the new key ${keyName(newKey)} could not be proven: the provider did not answer within ${timeoutMs / 1000} s; nothing was written and no journal was made.`,
      'Check that the provider endpoints are reachable from here (--provider-endpoints), or raise --probe-timeout.',
    );
  }
  if (proof.ok) return { status: 'proven', summary: proof.summary };
  const failed = proof.targets.find((t) => !t.result.ok);
  const verdict = !proof.identity.ok ? proof.identity : failed?.result;
  const why =
    verdict && !verdict.ok
      ? `${verdict.kind}${verdict.code ? ` ${verdict.code}` : ''}: ${verdict.message.replace(/[.\s]+$/, '')}`
      : 'unknown';
  const where = !proof.identity.ok
    ? `the identity check (${proof.identity.evidence}; expected ${proof.principal?.id ?? 'the principal of the old key'})`
    : failed
      ? `site ${(sitesOf.get(JSON.stringify(failed.target)) ?? []).join(', ')}: the probe of ${describeTarget(failed.target)} (${failed.result.evidence})`
      : 'the proof';
  throw new KeyProofError(
    `the new key ${keyName(newKey)} was refused before anything was written (no journal was made): ${where} failed with ${why}${proof.attempts > 1 ? ` (after ${proof.attempts} rounds)` : ''}.`,
    'Check that the new key is active and has the permissions of the old one (a new AWS key may take a few seconds to work everywhere; run again). To write it without this check, pass --no-probe.',
  );
}
