import type { Container } from '../../container.ts';
import { usageError } from '../../errors.ts';
import { listFlag, type Parsed } from '../args.ts';
import type { Out } from '../output.ts';
import { runUntilIdle } from '../wait.ts';
import type { Actor } from '../../services/audit.ts';

export const flags = { collection: 'string', purpose: 'string', 'ocr-lang': 'string', analysers: 'string', wait: 'boolean' } as const;

export async function ingestCommand(c: Container, a: Parsed, out: Out, actor: Actor): Promise<number> {
  if (!a.positionals.length) throw usageError('ingest needs at least one file or folder: vitrine ingest PATH…');
  const collection = (a.flags.collection as string | undefined) ?? 'default';
  await c.access.check(actor, 'ingest', collection, (a.flags.purpose as string) ?? null, null);
  let last = 0;
  const res = await c.ingest.ingest(a.positionals, {
    collection, actor, purpose: (a.flags.purpose as string | undefined) ?? null,
    analysers: listFlag(a.flags.analysers) ?? null, ocrLang: listFlag(a.flags['ocr-lang']) ?? null,
    onFile: (done, failed) => {
      if (Date.now() - last > 200) {
        last = Date.now();
        out.progress(`stored ${done} file(s)${failed ? `, ${failed} failed` : ''}`);
      }
    },
  });
  out.endProgress();
  await c.db.checkpoint();
  if (a.flags.wait !== false && res.assets.length) {
    await runUntilIdle(c, out, [...new Set(res.assets.map((x) => x.sha256))]);
  }
  const { assets, ...rest } = res;
  const failedOut = res.failed.map(({ path, error }) => ({ path, error }));
  out.result({ ...rest, failed: failedOut, assets }, () => {
    const lines = [`ingested ${res.ingested}, duplicates ${res.duplicates}, failed ${res.failed.length}`];
    for (const f of res.failed) lines.push(`  failed: ${JSON.stringify(f.path)}: ${f.error}`);
    if (assets.length <= 50) for (const x of assets) lines.push(`  ${x.id}  ${x.type.padEnd(8)} ${x.duplicate ? '(duplicate) ' : ''}${x.path}`);
    return lines.join('\n');
  });
  return res.failed.length ? 1 : 0;
}
