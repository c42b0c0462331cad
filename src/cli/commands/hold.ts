// vitrine hold set|release (ASSET | --collection C) --reason R; hold list
import type { Container } from '../../container.ts';
import { usageError } from '../../errors.ts';
import type { Parsed } from '../args.ts';
import type { Out } from '../output.ts';
import type { Actor } from '../../services/audit.ts';
import type { HoldTarget } from '../../services/governance/holds.ts';

export const flags = { reason: 'string', collection: 'string' } as const;
export const help = 'hold set|release (ASSET | --collection C) --reason R | hold list';

export async function holdCommand(c: Container, a: Parsed, out: Out, actor: Actor): Promise<number> {
  const h = c.governance.holds;
  const [sub, asset, ...rest] = a.positionals;
  if (sub === 'list' && !asset) {
    const holds = await h.list(actor);
    out.result({ holds }, () => holds.map((x) => `${x.kind} ${x.target}: "${x.reason}" since ${x.setAt} by ${x.setBy}`).join('\n') || 'no active holds');
    return 0;
  }
  const col = typeof a.flags.collection === 'string' ? a.flags.collection : undefined;
  if ((sub !== 'set' && sub !== 'release') || rest.length || (!asset === !col)) throw usageError('usage: vitrine ' + help);
  if (typeof a.flags.reason !== 'string') throw usageError(`hold ${sub} needs --reason R`);
  const target: HoldTarget = col ? { collection: col } : { asset: asset! };
  if (sub === 'set') {
    const r = await h.set(target, a.flags.reason, actor);
    out.result({ hold: r }, () => `legal hold ${r.id} set on ${r.kind} ${r.target}`);
  } else {
    const r = await h.release(target, a.flags.reason, actor);
    out.result({ released: r }, () => `released ${r.length} hold(s) on ${r[0]!.kind} ${r[0]!.target}`);
  }
  return 0;
}
