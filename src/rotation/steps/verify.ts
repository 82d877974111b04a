/**
 * Verify: after the restarts, watch the verification window (the cloud-cost status is polled and
 * the new key is probed at its provider meanwhile), then read every written Secret again and judge
 * every restarted consumer by its chain of checks, a bounded number at a time. The evidence is
 * gathered by verify/gather.ts and judged by the pure checks of verify/chains.ts.
 */
import { mapLimit } from '../../shared/pool.js';
import { CONSUMER_CHAIN, runChain, secretHoldsNewKey } from '../../verify/chains.js';
import { gatherConsumer, pollCloudCostStatus } from '../../verify/gather.js';
import type { Verdict } from '../../verify/verdict.js';
import { hasDirectProbe } from '../verification.js';
import { holdsNew } from '../journal/backup.js';
import { checkStop, clientOf, pause, type StepContext } from './context.js';

/** How many Secret re-reads, and how many consumer checks, run at once (each a few requests to one cluster). */
export const VERIFY_CONCURRENCY = 16;
/** How many direct probes run at once (each a call to a provider). */
export const PROBE_CONCURRENCY = 4;

/**
 * The direct probe of every site, each distinct resource and key once: 200 clusters that hold the
 * same document (the same bucket, the same new key) cost one probe, whose verdict each site gets.
 */
async function probeSites(ctx: StepContext): Promise<Verdict[]> {
  const { plan, journal, deps } = ctx;
  const newKey = journal.newKey;
  const probe = deps.probe;
  if (!probe || !newKey) return [];
  const textOf = (site: (typeof plan.sites)[number]) =>
    Buffer.from(journal.backupOf(site)?.newData?.[site.dataKey] ?? '', 'base64').toString('utf8');
  const sameProbe = new Map<string, (typeof plan.sites)[number][]>();
  // A site whose document names no resource has no direct probe: its consumers' checks speak for it.
  for (const site of plan.sites.filter((s) => hasDirectProbe(s, plan.credential.provider))) {
    const key = `${site.format}\n${site.path}\n${textOf(site)}`;
    sameProbe.set(key, [...(sameProbe.get(key) ?? []), site]);
  }
  const groups = [...sameProbe.values()];
  const results = await mapLimit(groups, PROBE_CONCURRENCY, async (sites) => {
    const [first, ...others] = sites as [(typeof plan.sites)[number], ...(typeof plan.sites)[number][]];
    checkStop(ctx);
    const verdict = await probe(first, textOf(first), newKey, deps.stop ?? new AbortController().signal);
    const note = others.length > 0 ? ` (one probe for the ${sites.length} sites that hold this document)` : '';
    return sites.map((site): [string, Verdict] => [
      site.id,
      {
        ...verdict,
        target: verdict.target.startsWith(first.id)
          ? `${site.id}${verdict.target.slice(first.id.length)}`
          : verdict.target,
        evidence: `${verdict.evidence}${note}`,
      },
    ]);
  });
  // In the order of the plan's sites.
  const bySite = new Map(results.flat());
  return plan.sites.flatMap((site) => bySite.get(site.id) ?? []);
}

/** Gathers and judges every check; records and reports the verdicts. */
export async function verify(ctx: StepContext): Promise<Verdict[]> {
  const { plan, journal, deps } = ctx;
  const endedAt = (id: string) => Date.parse(journal.record(id).endedAt ?? '') || 0;
  const writtenAt = Math.max(...plan.writes.map((w) => endedAt(w.step)), 0);
  const restartedAt = Math.max(writtenAt, ...plan.restarts.map((r) => endedAt(r.step)));
  const windowEnds = deps.clock.now().getTime() + Math.max(plan.options.verifyWindowMs, 1000);
  const aws = plan.credential.provider === 'aws';
  // Give the workloads the verification window to show an auth failure, polling the status meanwhile.
  const statusVerdicts = Promise.all(
    plan.statusChecks.map((c) =>
      pollCloudCostStatus(
        clientOf(ctx, c.cluster),
        c,
        {
          provider: plan.credential.provider,
          ...(aws && plan.credential.keyId ? { oldKeyId: plan.credential.keyId } : {}),
          ...(aws && plan.newKey.keyId ? { newKeyId: plan.newKey.keyId } : {}),
          since: restartedAt,
        },
        { clock: deps.clock, deadline: windowEnds, ...(deps.stop ? { signal: deps.stop } : {}) },
      ),
    ),
  );
  deps.emit({
    type: 'wait',
    rotation: plan.id,
    for: 'verify-window',
    message: `watching ${plan.restarts.length} restarted workload(s) for auth failures for ${plan.options.verifyWindowMs / 1000} s`,
    until: new Date(deps.clock.now().getTime() + plan.options.verifyWindowMs).toISOString(),
  });
  // On a stop the status polls and probes end too; their rejections are the stop's, handled by pause().
  statusVerdicts.catch(() => undefined);
  // The provider answers for the new key whatever the consumers do: probe during the window.
  const probeVerdicts = probeSites(ctx);
  probeVerdicts.catch(() => undefined);
  await pause(ctx, plan.options.verifyWindowMs);
  // The Secret re-reads and the consumer checks at once: each is a few requests to its own cluster.
  // Something else (Argo CD self-heal, an ExternalSecret, helm upgrade) may have put the old data back.
  const secrets = mapLimit(plan.writes, VERIFY_CONCURRENCY, async (w) => {
    const backup = journal.backupOf(w);
    const current = await clientOf(ctx, w.cluster).readSecret(w.namespace, w.secret, deps.stop);
    return secretHoldsNewKey(
      `${w.cluster}/${w.namespace}/${w.secret}`,
      backup !== undefined && holdsNew(current.data, backup),
      current.metadata?.resourceVersion ?? '',
    );
  });
  const consumerVerdicts = mapLimit(plan.restarts, VERIFY_CONCURRENCY, async (r) =>
    runChain(CONSUMER_CHAIN, await gatherConsumer(clientOf(ctx, r.cluster), r, plan.id, writtenAt, deps.stop)),
  );
  // Both end before the step does, even when one fails (its failure is the step's).
  const [read, checked] = await Promise.allSettled([secrets, consumerVerdicts]);
  if (read.status === 'rejected') throw read.reason;
  if (checked.status === 'rejected') throw checked.reason;
  const verdicts: Verdict[] = [...(await statusVerdicts), ...read.value];
  const consumers = checked.value;
  verdicts.push(...consumers.flat(), ...(await probeVerdicts));
  checkStop(ctx);
  for (const verdict of verdicts) deps.emit({ type: 'verdict', rotation: plan.id, verdict });
  await journal.recordVerdicts(verdicts);
  return verdicts;
}
