import type { Container } from '../../container.ts';
import { usageError } from '../../errors.ts';
import { intFlag, type Parsed } from '../args.ts';
import type { Out } from '../output.ts';
import type { Actor } from '../../services/audit.ts';
import { DEFAULT_MAX_DISTANCE, MAX_DISTANCE } from '../../services/similar.ts';

export const flags = { 'max-distance': 'string', limit: 'string', purpose: 'string' } as const;

export const help = `similar ASSET [--max-distance D (0–${MAX_DISTANCE}, default ${DEFAULT_MAX_DISTANCE})] [--limit N] [--purpose P]`;

export async function similarCommand(c: Container, a: Parsed, out: Out, actor: Actor): Promise<number> {
  const id = a.positionals[0];
  if (!id || a.positionals.length > 1) throw usageError('similar needs one asset id: vitrine similar ASSET');
  const r = await c.similar.similar(id, actor, {
    maxDistance: intFlag(a.flags['max-distance'], 'max-distance', 0, MAX_DISTANCE) ?? DEFAULT_MAX_DISTANCE,
    limit: intFlag(a.flags.limit, 'limit', 1, 10_000) ?? 100,
    purpose: (a.flags.purpose as string | undefined) ?? null,
  });
  out.result(r, () => r.similar.length
    ? r.similar.map((s) => `${String(s.distance).padStart(2)}  ${s.assetId}  ${s.path}`).join('\n')
    : `no near-duplicates of ${r.assetId}`);
  return 0;
}
