import type { Container } from '../../container.ts';
import type { Parsed } from '../args.ts';
import { fmtBytes, type Out } from '../output.ts';
import { runUntilIdle } from '../wait.ts';

export const fsckFlags = {} as const;
export const reanalyseFlags = { analyser: 'string', all: 'boolean', wait: 'boolean' } as const;

export async function fsckCommand(c: Container, _a: Parsed, out: Out): Promise<number> {
  const r = await c.maintenance.fsck((n) => out.progress(`checked ${n} blob(s)`));
  out.endProgress();
  out.result(r, () => {
    const lines = [`${r.ok ? 'ok' : 'PROBLEMS'}: ${r.blobs} blob(s), ${fmtBytes(r.bytes)}, ${r.orphans} unreferenced`];
    for (const m of r.mismatches) lines.push(`  mismatch ${m.sha256}: ${m.actual ? `content hashes to ${m.actual}` : m.error}`);
    for (const m of r.missing) lines.push(`  missing blob ${m.sha256} for asset(s) ${m.assets.join(' ')}`);
    return lines.join('\n');
  });
  return r.ok ? 0 : 1;
}

export async function reanalyseCommand(c: Container, a: Parsed, out: Out): Promise<number> {
  const r = await c.maintenance.reanalyse({ ...(a.flags.analyser ? { analyser: a.flags.analyser as string } : {}), all: !!a.flags.all });
  if (a.flags.wait !== false) await runUntilIdle(c, out);
  out.result(r, () => `queued ${r.queued} analysis job(s)`);
  return 0;
}
