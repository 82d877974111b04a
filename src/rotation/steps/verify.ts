/**
 * Verify: after the restarts, watch the verification window (the cloud-cost status is polled
 * meanwhile), then read every written Secret again, judge every restarted consumer by its chain of
 * checks, and probe every site with the new key at its provider. The evidence is gathered by
 * verify/gather.ts and judged by the pure checks of verify/chains.ts.
 */
import { CONSUMER_CHAIN, runChain, secretHoldsNewKey } from '../../verify/chains.js';
import { gatherConsumer, pollCloudCostStatus } from '../../verify/gather.js';
import type { Verdict } from '../../verify/verdict.js';
import { hasDirectProbe } from '../verification.js';
import { checkStop, clientOf, pause, sameData, type StepContext } from './context.js';

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
  // On a stop the status polls end too; their rejections are the stop's, handled by pause().
  statusVerdicts.catch(() => undefined);
  await pause(ctx, plan.options.verifyWindowMs);
  const verdicts: Verdict[] = [...(await statusVerdicts)];
  // Something else (Argo CD self-heal, an ExternalSecret, helm upgrade) may have put the old data back.
  for (const w of plan.writes) {
    const backup = journal.backupOf(w);
    const current = await clientOf(ctx, w.cluster).readSecret(w.namespace, w.secret);
    verdicts.push(
      secretHoldsNewKey(
        `${w.cluster}/${w.namespace}/${w.secret}`,
        backup !== undefined && sameData(current.data, backup.newData),
        current.metadata?.resourceVersion ?? '',
      ),
    );
  }
  for (const r of plan.restarts)
    verdicts.push(...runChain(CONSUMER_CHAIN, await gatherConsumer(clientOf(ctx, r.cluster), r, plan.id, writtenAt)));
  const newKey = journal.newKey;
  if (deps.probe && newKey) {
    // A site whose document names no resource has no direct probe: its consumers' checks speak for it.
    for (const site of plan.sites.filter((s) => hasDirectProbe(s, plan.credential.provider))) {
      const backup = journal.backupOf(site);
      const text = Buffer.from(backup?.newData[site.dataKey] ?? '', 'base64').toString('utf8');
      checkStop(ctx);
      verdicts.push(await deps.probe(site, text, newKey, deps.stop ?? new AbortController().signal));
    }
  }
  for (const verdict of verdicts) deps.emit({ type: 'verdict', rotation: plan.id, verdict });
  await journal.recordVerdicts(verdicts);
  return verdicts;
}
