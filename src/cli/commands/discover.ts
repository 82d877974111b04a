/**
 * `discover`: Kubecost installations, the sites holding cloud keys, their consumers, credentials
 * grouped by identity, warnings and problems, across the selected clusters.
 */
import { discover } from '../../kubecost/discover.js';
import type { Inventory } from '../../kubecost/inventory.js';
import { selectClusters } from '../../kube/kubeconfig.js';
import { ExitCode } from '../../shared/errors.js';
import type { CommandContext } from '../context.js';
import { checkNamespace, parseDuration } from '../flags.js';
import type { GlobalOptions } from '../options.js';
import { parseOutputFormat, renderDocument, renderTable } from '../render/table.js';

export async function discoverCommand(ctx: CommandContext, options: GlobalOptions): Promise<number> {
  const format = parseOutputFormat(options.output);
  checkNamespace(options.namespace);
  const targets = selectClusters({
    env: ctx.io.env,
    ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}),
    contexts: options.context ?? [],
    allContexts: options.allContexts === true,
  });
  const inventory = await discover(targets, {
    clock: ctx.clock,
    ...(options.requestTimeout ? { timeoutMs: parseDuration(options.requestTimeout, '--request-timeout') } : {}),
    ...(options.namespace ? { namespace: options.namespace } : {}),
  });
  ctx.io.stdout.write(
    format === 'table'
      ? renderInventoryTable(inventory, targets.length, options.verbose === true)
      : renderDocument(format, inventory),
  );
  // Exit 1 says discovery is partial: some cluster, namespace or Secret could not be read.
  return inventory.problems.length > 0 ? ExitCode.Failed : ExitCode.Ok;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function renderInventoryTable(inventory: Inventory, clusterCount: number, verbose: boolean): string {
  const out: string[] = [];
  const roles = new Map<string, number>();
  for (const i of inventory.installations) roles.set(i.role, (roles.get(i.role) ?? 0) + 1);
  const roleText = [...roles].map(([role, n]) => `${n} ${role}`).join(', ');
  out.push(
    `${plural(inventory.installations.length, 'Kubecost installation')} on ${plural(clusterCount, 'cluster')}${roleText ? ` (${roleText})` : ''}; ${plural(inventory.sites.length, 'site')} holding ${plural(inventory.credentials.length, 'credential')}.\n`,
  );
  if (verbose && inventory.installations.length > 0) {
    out.push('\n');
    out.push(
      renderTable(
        ['cluster', 'namespace', 'release', 'layout', 'role', 'chart'],
        inventory.installations.map((i) => [
          i.cluster,
          i.namespace,
          i.release,
          i.layout,
          i.role,
          i.chartVersion ?? '-',
        ]),
      ),
    );
  }
  if (inventory.credentials.length > 0) {
    out.push('\n');
    const warningsOf = (id: string) =>
      inventory.warnings.filter(
        (w) =>
          w.credential === id ||
          inventory.sites.some(
            (s) =>
              s.credential === id &&
              s.cluster === w.cluster &&
              s.namespace === w.namespace &&
              s.secret === w.secret &&
              !w.credential,
          ),
      ).length;
    out.push(
      renderTable(
        ['credential', 'provider', 'principal', 'fingerprint', 'sites', 'clusters', 'warnings'],
        inventory.credentials.map((c) => [
          c.id,
          c.provider,
          c.principal ?? '-',
          c.fingerprint,
          String(c.sites.length),
          String(c.clusters.length),
          String(warningsOf(c.id)),
        ]),
      ),
    );
  }
  if (verbose) {
    for (const c of inventory.credentials) {
      out.push(`\n${c.id}\n`);
      for (const s of inventory.sites.filter((x) => x.credential === c.id)) {
        out.push(`  ${s.cluster}  ${s.namespace}/${s.secret}  ${s.dataKey}  ${s.path}  (${s.format})\n`);
        for (const consumer of s.consumers)
          out.push(
            `    ${consumer.kind}/${consumer.name}  container ${consumer.container}  ${consumer.mount} ${consumer.path}  [${consumer.role}]\n`,
          );
        if (s.consumers.length === 0) out.push('    no workload reads this Secret\n');
      }
    }
  }
  if (inventory.warnings.length > 0) {
    out.push('\n');
    if (verbose) {
      out.push(`WARNINGS (${inventory.warnings.length})\n`);
      for (const w of inventory.warnings) out.push(`  ${w.code}: ${w.message}\n`);
    } else {
      const byCode = new Map<string, number>();
      for (const w of inventory.warnings) byCode.set(w.code, (byCode.get(w.code) ?? 0) + 1);
      out.push(
        `${plural(inventory.warnings.length, 'warning')}: ${[...byCode].map(([code, n]) => `${code} ×${n}`).join(', ')} (-v lists them)\n`,
      );
    }
  }
  if (inventory.problems.length > 0) {
    out.push(`\nPROBLEMS (${inventory.problems.length}): discovery is incomplete\n`);
    for (const p of inventory.problems) out.push(`  ${p.reason}: ${p.message}\n`);
  }
  return out.join('');
}
