import type { Container } from '../../container.ts';
import { usageError } from '../../errors.ts';
import type { Parsed } from '../args.ts';
import { fmtBytes, type Out } from '../output.ts';
import type { Actor } from '../../services/audit.ts';

export const flags = { purpose: 'string' } as const;

export async function showCommand(c: Container, a: Parsed, out: Out, actor: Actor): Promise<number> {
  const id = a.positionals[0];
  if (!id || a.positionals.length > 1) throw usageError('show needs one asset id: vitrine show ASSET');
  const r = await c.view.show(id, actor, (a.flags.purpose as string | undefined) ?? null);
  out.result(r, () => {
    const lines = [`${r.id}  ${r.path}`, `  ${r.type} ${r.mime}, ${fmtBytes(r.size)}, collection ${r.collection}, sha256 ${r.sha256}`,
      `  ingested ${r.ingestedAt} by ${r.ingestedBy}`];
    if (r.parent) lines.push(`  inside ${r.parent}`);
    if (r.children.length) lines.push(`  contains ${r.children.length}: ${r.children.join(' ')}`);
    for (const [id, an] of Object.entries(r.analyses)) {
      const brief = an.status === 'done' ? JSON.stringify(an.result).slice(0, 160) : an.error ?? '';
      lines.push(`  ${id.padEnd(14)} ${an.status.padEnd(8)} ${brief}`);
    }
    for (const d of r.derived) lines.push(`  derived ${d.kind}: ${d.path}`);
    return lines.join('\n');
  });
  return 0;
}
