// vitrine user add|list|remove|password
import type { Container } from '../../container.ts';
import { usageError } from '../../errors.ts';
import type { Parsed } from '../args.ts';
import type { Out } from '../output.ts';
import type { Actor } from '../../services/audit.ts';

export const flags = { role: 'string', collection: 'string' } as const;
export const help = 'user add NAME --role admin|curator|analyst|viewer|auditor [--collection C] | user list | user remove NAME | user password NAME (password on stdin)';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const ch of process.stdin) chunks.push(ch as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export async function userCommand(c: Container, a: Parsed, out: Out, actor: Actor): Promise<number> {
  const u = c.governance.users;
  const [sub, name, ...rest] = a.positionals;
  if (sub === 'add' && name && !rest.length) {
    if (typeof a.flags.role !== 'string') throw usageError('user add needs --role R');
    const r = await u.add(name, a.flags.role, typeof a.flags.collection === 'string' ? a.flags.collection : null, actor);
    out.result(r, () => `user ${r.name} (${r.role}${r.collection ? `, collection ${r.collection}` : ''}) — API token, shown only now:\n${r.token}`);
    return 0;
  }
  if (sub === 'list' && !name) {
    const users = await u.list(actor);
    out.result({ users }, () => users.map((x) => `${x.name.padEnd(20)} ${x.role.padEnd(8)} ${x.collection ?? '(all collections)'}${x.hasPassword ? ', password set' : ''}`).join('\n') || 'no users');
    return 0;
  }
  if (sub === 'remove' && name && !rest.length) {
    const r = await u.remove(name, actor);
    out.result(r, () => `user ${name} removed`);
    return 0;
  }
  if (sub === 'password' && name && !rest.length) {
    if (process.stdin.isTTY) process.stderr.write(`password for ${name} (then Enter and Ctrl-D): `);
    const r = await u.setPassword(name, await readStdin(), actor);
    out.result(r, () => `password set for ${name}`);
    return 0;
  }
  throw usageError('usage: vitrine ' + help);
}
