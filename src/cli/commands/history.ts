/** `history`: rotations and their phases, from the journals on the selected clusters (default: all contexts). */
import { ExitCode } from '../../shared/errors.js';
import { rotationService, type CommandContext } from '../context.js';
import { selectionOf } from '../flags.js';
import type { GlobalOptions } from '../options.js';
import { parseOutputFormat, renderDocument, renderTable } from '../render/table.js';

export async function historyCommand(ctx: CommandContext, flags: GlobalOptions): Promise<number> {
  const format = parseOutputFormat(flags.output);
  const { rotations, problems } = await rotationService(ctx, flags).history(selectionOf(ctx.io, flags, true));
  const { stdout, stderr } = ctx.io;
  if (format !== 'table') {
    stdout.write(
      renderDocument(format, {
        rotations: rotations.map((d) => ({
          id: d.id,
          phase: d.phase,
          cluster: d.cluster,
          credential: d.plan.credential,
          newKey: d.plan.newKey,
          sites: d.plan.sites.length,
          createdAt: d.createdAt,
          updatedAt: d.updatedAt,
          reason: d.reason,
          // Until when the old data is kept for rollback --force, or when and why it was dropped.
          retention: d.retention,
          timeline: d.timeline,
          verdicts: d.verdicts,
        })),
        problems,
      }),
    );
  } else {
    stdout.write(
      rotations.length === 0
        ? 'No rotations found.\n'
        : renderTable(
            ['rotation', 'phase', 'credential', 'old key', 'new key', 'sites', 'started', 'updated'],
            rotations.map((d) => [
              d.id,
              d.phase,
              d.plan.credential.id,
              d.plan.credential.keyId ?? d.plan.credential.fingerprint,
              d.plan.newKey.keyId ?? d.plan.newKey.fingerprint,
              String(d.plan.sites.length),
              d.createdAt.slice(0, 19) + 'Z',
              d.updatedAt.slice(0, 19) + 'Z',
            ]),
          ),
    );
    for (const p of problems) stderr.write(`warning: could not read rotations on ${p}\n`);
  }
  return problems.length > 0 ? ExitCode.Failed : ExitCode.Ok;
}
