// vitrine report [--out FILE.html] [--json]
import { writeFile } from 'node:fs/promises';
import type { Container } from '../../container.ts';
import { usageError } from '../../errors.ts';
import type { Parsed } from '../args.ts';
import { fmtBytes, type Out } from '../output.ts';
import type { Actor } from '../../services/audit.ts';
import { renderReportHtml } from '../../services/governance/report-html.ts';

export const flags = { out: 'string' } as const;
export const help = 'report [--out FILE.html] [--json]';

export async function reportCommand(c: Container, a: Parsed, out: Out, actor: Actor): Promise<number> {
  if (a.positionals.length) throw usageError('usage: vitrine ' + help);
  const r = await c.governance.report.build(actor);
  if (typeof a.flags.out === 'string') await writeFile(a.flags.out, renderReportHtml(r));
  out.result(r, () => [
    `holds ${r.held.count} asset(s), ${fmtBytes(r.held.bytes)}`,
    `accesses: ${r.accesses.reduce((n, x) => n + x.count, 0)} recorded action(s); exports ${r.exports.count}; erasures ${r.erasures.count}; active holds ${r.holds.active}`,
    `audit log ${r.audit.ok ? 'OK' : 'BROKEN: ' + r.audit.firstBroken?.reason} (${r.audit.events} events)`,
    ...(typeof a.flags.out === 'string' ? [`report written to ${a.flags.out}`] : []),
  ].join('\n'));
  return 0;
}
