// vitrine audit log|verify|checkpoint|prove
import type { Container } from '../../container.ts';
import { usageError } from '../../errors.ts';
import { intFlag, type Parsed } from '../args.ts';
import type { Out } from '../output.ts';
import type { Actor } from '../../services/audit.ts';

export const flags = { since: 'string', actor: 'string', action: 'string', limit: 'string', after: 'string', 'public-key': 'string' } as const;
export const help = 'audit log [--since DATE] [--actor A] [--action X] [--limit N] [--after SEQ] | audit verify [--public-key FILE] | audit checkpoint | audit prove SEQ';

export async function auditCommand(c: Container, a: Parsed, out: Out, actor: Actor): Promise<number> {
  const g = c.governance.auditAdmin;
  const [sub, ...rest] = a.positionals;
  if (sub === 'log' && !rest.length) {
    const events = await g.log(actor, {
      ...(a.flags.since ? { since: String(a.flags.since) } : {}), ...(a.flags.actor ? { actor: String(a.flags.actor) } : {}),
      ...(a.flags.action ? { action: String(a.flags.action) } : {}),
      limit: intFlag(a.flags.limit, 'limit', 1, 10_000_000) ?? 10_000,
      ...(a.flags.after !== undefined ? { after: intFlag(a.flags.after, 'after', 0, Number.MAX_SAFE_INTEGER)! } : {}),
    });
    out.result({ events }, () => events.map((e) =>
      `${String(e.seq).padStart(6)} ${e.time} ${e.actor} ${e.action}${e.target ? ' ' + e.target : ''}${e.purpose ? ` [${e.purpose}]` : ''} ${e.outcome}${e.detail ? ' ' + JSON.stringify(e.detail) : ''}`).join('\n') || 'no events');
    return 0;
  }
  if (sub === 'verify' && !rest.length) {
    const r = await g.verify(actor, a.flags['public-key'] ? { publicKeyFile: String(a.flags['public-key']) } : {});
    const { rootHash, publicKey, ...shape } = r;
    out.result({ ...shape, rootHash, publicKey }, () => r.ok
      ? `audit log OK: ${r.events} event(s), ${r.checkpoints} signed checkpoint(s) verified`
      : `audit log BROKEN${r.firstBroken?.seq ? ` at event ${r.firstBroken.seq}` : ''}: ${r.firstBroken?.reason}\n(${r.events} event(s) verified before it, ${r.checkpoints} checkpoint(s))`);
    if (!r.ok) process.stderr.write(`vitrine: E_AUDIT_BROKEN ${r.firstBroken?.seq ? `event ${r.firstBroken.seq}: ` : ''}${r.firstBroken?.reason}\n`);
    return r.ok ? 0 : 1;
  }
  if (sub === 'checkpoint' && !rest.length) {
    await c.access.check(actor, 'audit', null, null, null);
    const r = await g.checkpoint(1);
    const cp = r.checkpoint ?? g.lastCheckpoint();
    out.result({ ...(cp ?? { treeSize: 0 }), created: r.created, file: g.checkpointsFile }, () =>
      cp ? `${r.created ? 'signed' : 'nothing new since'} checkpoint: ${cp.treeSize} event(s), root ${cp.rootHash} → ${g.checkpointsFile}` : 'the audit log is empty: nothing to sign');
    return 0;
  }
  if (sub === 'prove' && rest.length === 1) {
    const seq = Number(rest[0]);
    if (!Number.isSafeInteger(seq) || seq < 1) throw usageError('audit prove needs an event number (seq ≥ 1)');
    const p = await g.prove(actor, seq);
    out.result({ seq: p.seq, leafHash: p.leafHash, treeSize: p.treeSize, rootHash: p.rootHash, proof: p.proof, eventHash: p.eventHash, leafIndex: p.leafIndex },
      () => [`event ${p.seq} is in the signed tree of ${p.treeSize} event(s), root ${p.rootHash}`, `leaf ${p.leafHash}`, ...p.proof.map((h, i) => `  ${i}: ${h}`)].join('\n'));
    return 0;
  }
  throw usageError('usage: vitrine ' + help);
}
