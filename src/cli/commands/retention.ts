// vitrine retention set C DURATION | retention apply
import type { Container } from '../../container.ts';
import { usageError } from '../../errors.ts';
import type { Parsed } from '../args.ts';
import type { Out } from '../output.ts';
import type { Actor } from '../../services/audit.ts';

export const flags = {} as const;
export const help = 'retention set C DURATION (0d = now, 30d, 2w, 6m, 7y, off) | retention apply';

export async function retentionCommand(c: Container, a: Parsed, out: Out, actor: Actor): Promise<number> {
  const r = c.governance.retention;
  const [sub, ...rest] = a.positionals;
  if (sub === 'set' && rest.length === 2) {
    const res = await r.set(rest[0]!, rest[1]!, actor);
    out.result(res, () => `collection ${res.collection}: ${res.retention ? `kept ${res.retention} after ingest` : 'kept indefinitely'}`);
    return 0;
  }
  if (sub === 'apply' && !rest.length) {
    const res = await r.apply(actor);
    out.result(res, () => `erased ${res.erased.length} asset(s)${res.held.length ? `; ${res.held.length} expired but on legal hold: ${res.held.join(' ')}` : ''}`);
    return 0;
  }
  throw usageError('usage: vitrine ' + help);
}
