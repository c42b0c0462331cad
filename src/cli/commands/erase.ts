// vitrine erase ASSET --reason R
import type { Container } from '../../container.ts';
import { usageError } from '../../errors.ts';
import type { Parsed } from '../args.ts';
import type { Out } from '../output.ts';
import type { Actor } from '../../services/audit.ts';

export const flags = { reason: 'string' } as const;
export const help = 'erase ASSET --reason R';

export async function eraseCommand(c: Container, a: Parsed, out: Out, actor: Actor): Promise<number> {
  const id = a.positionals[0];
  if (!id || a.positionals.length > 1) throw usageError('usage: vitrine erase ASSET --reason R');
  if (typeof a.flags.reason !== 'string') throw usageError('erase needs --reason R (the request or rule it fulfils)');
  const r = await c.governance.erase.erase(id, a.flags.reason, actor);
  out.result(r, () => `erased ${r.erased.length} asset(s): ${r.erased.join(' ')}${r.blobRemoved ? '' : ' (the content stays: another asset has the same file)'}`);
  return 0;
}
