import type { Container } from '../../container.ts';
import { usageError } from '../../errors.ts';
import { listFlag, type Parsed } from '../args.ts';
import { fmtBytes, type Out } from '../output.ts';
import type { Actor } from '../../services/audit.ts';

export const flags = { 'require-purpose': 'boolean', purposes: 'string', analysers: 'string', 'ocr-lang': 'string' } as const;

export async function collectionCommand(c: Container, a: Parsed, out: Out, actor: Actor): Promise<number> {
  const [sub, name, ...rest] = a.positionals;
  if (sub === 'list') {
    const list = await c.repos.assets.listCollections();
    out.result({ collections: list }, () => list.map((x) =>
      `${x.name.padEnd(20)} ${x.assets} asset(s), ${fmtBytes(x.bytes)}${x.requirePurpose ? ', purpose required' : ''}${x.purposes.length ? ` (${x.purposes.join(', ')})` : ''}${x.analysers ? `, analysers ${x.analysers.join(',')}` : ''}${x.retention ? `, retention ${x.retention}` : ''}`).join('\n'));
    return 0;
  }
  if (sub !== 'set' || !name || rest.length) throw usageError('usage: vitrine collection set C [--require-purpose] [--purposes "a,b"] [--analysers LIST] [--ocr-lang L] | vitrine collection list');
  await c.access.check(actor, 'admin', name, null, null);
  const analysers = listFlag(a.flags.analysers);
  if (analysers) c.registry.closure(analysers);
  const patch = {
    ...(a.flags['require-purpose'] !== undefined ? { requirePurpose: a.flags['require-purpose'] as boolean } : {}),
    ...(a.flags.purposes !== undefined ? { purposes: listFlag(a.flags.purposes) ?? [] } : {}),
    ...(analysers ? { analysers } : {}),
    ...(a.flags['ocr-lang'] !== undefined ? { ocrLang: listFlag(a.flags['ocr-lang']) ?? null } : {}),
  };
  await c.repos.assets.updateCollection(name, patch);
  await c.audit.record({ actor: actor.name, action: 'config', target: `collection:${name}`, purpose: null, outcome: 'ok', detail: patch });
  const col = await c.repos.assets.getCollection(name);
  out.result(col, () => `collection ${name} updated`);
  return 0;
}
