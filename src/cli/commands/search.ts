import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Container } from '../../container.ts';
import { toAppError, usageError } from '../../errors.ts';
import { intFlag, type Parsed } from '../args.ts';
import type { Out } from '../output.ts';
import type { Actor } from '../../services/audit.ts';
import type { SearchResponse } from '../../services/search.ts';

export const flags = { type: 'string', collection: 'string', limit: 'string', purpose: 'string', batch: 'string' } as const;

function human(r: SearchResponse): string {
  const lines = [`${r.total} result(s)`];
  for (const h of r.hits) {
    lines.push(`${h.assetId}  ${h.type.padEnd(8)} ${h.path}  (score ${h.score})`);
    lines.push(`    ${h.snippet}`);
    for (const m of h.matches.slice(0, 3)) {
      const where = [m.page !== undefined ? `page ${m.page}` : '', m.start !== undefined && m.page === undefined && m.box === undefined && ['transcript', 'shots'].includes(m.analyser) ? `${m.start.toFixed(1)}s` : '', m.box ? `box ${m.box.join(',')}` : ''].filter(Boolean).join(' ');
      lines.push(`    · ${m.analyser}${where ? ` (${where})` : ''}`);
    }
  }
  return lines.join('\n');
}

export async function searchCommand(c: Container, a: Parsed, out: Out, actor: Actor): Promise<number> {
  const common = {
    ...(a.flags.type ? { type: a.flags.type as string } : {}),
    ...(a.flags.collection ? { collection: a.flags.collection as string } : {}),
    limit: intFlag(a.flags.limit, 'limit', 1, 1000) ?? 20,
    purpose: (a.flags.purpose as string | undefined) ?? null,
  };
  if (a.flags.batch) {
    const file = a.flags.batch as string;
    const rl = createInterface({ input: file === '-' ? process.stdin : createReadStream(file), crlfDelay: Infinity });
    let failed = 0;
    for await (const line of rl) {
      const query = line.trim();
      if (!query) continue;
      const t0 = performance.now();
      try {
        const r = await c.search.search({ ...common, query }, actor);
        process.stdout.write(JSON.stringify({ query, tookMs: Math.round((performance.now() - t0) * 10) / 10, total: r.total, hits: r.hits }) + '\n');
      } catch (e) {
        failed++;
        const err = toAppError(e);
        process.stdout.write(JSON.stringify({ query, tookMs: Math.round(performance.now() - t0), total: 0, hits: [], error: { code: err.code, message: err.message } }) + '\n');
      }
    }
    return failed ? 1 : 0;
  }
  const query = a.positionals.join(' ');
  if (!query.trim()) throw usageError('search needs a query: vitrine search "words"');
  const r = await c.search.search({ ...common, query }, actor);
  out.result(r, () => human(r));
  return 0;
}
