// The audit log's Merkle frontier (table audit_tree, one row). Advanced inside the append transaction, under
// the chain lock, so the stored frontier always covers exactly the committed events.
import { sql, type Kysely, type Transaction } from 'kysely';
import { MerkleBuilder } from '../audit/merkle.ts';
import type { Database } from '../db/schema.ts';
import { AppError } from '../errors.ts';

type Exec = Kysely<Database> | Transaction<Database>;

export interface Frontier {
  size: number;
  nodes: string[];
}

export async function readFrontier(x: Exec): Promise<Frontier> {
  const r = await sql<{ size: string | number; nodes: unknown }>`SELECT size, nodes FROM audit_tree WHERE id = 1`.execute(x);
  return toFrontier(r.rows[0]);
}

/** A row's (size, nodes) columns as a frontier; no row = the empty tree. */
export function toFrontier(row: { size?: unknown; nodes?: unknown } | undefined): Frontier {
  if (!row || row.size === null || row.size === undefined) return { size: 0, nodes: [] };
  const nodes = typeof row.nodes === 'string' ? JSON.parse(row.nodes) : row.nodes;
  return { size: Number(row.size), nodes: nodes as string[] };
}

async function writeFrontier(x: Exec, f: Frontier): Promise<void> {
  await sql`UPDATE audit_tree SET size = ${f.size}, nodes = ${JSON.stringify(f.nodes)}::jsonb WHERE id = 1`.execute(x);
}

/**
 * Pushes the hashes of the events just inserted (seq headBefore+1 …) onto the stored frontier. A frontier
 * behind the log (a log older than this table) first catches up from the stored hashes; one AHEAD of the
 * log means events were deleted from the tail — appending would silently paper over that, so it is refused.
 */
export async function advanceFrontier(x: Exec, headBefore: number, newHashes: string[]): Promise<Frontier> {
  const next = await nextFrontier(x, await readFrontier(x), headBefore, newHashes);
  await writeFrontier(x, next);
  return next;
}

/** The frontier `f` (stored, covering up to headBefore or less) with newHashes pushed; nothing is written. */
export async function nextFrontier(x: Exec, f: Frontier, headBefore: number, newHashes: string[]): Promise<Frontier> {
  if (f.size > headBefore) {
    throw new AppError('E_AUDIT_TRUNCATED', `the audit log has ${headBefore} events but its Merkle tree covers ${f.size}: events were removed from the end. Run "vitrine audit verify" and restore the log before continuing`);
  }
  const b = MerkleBuilder.fromState(f);
  if (f.size < headBefore) {
    const r = await sql<{ hash: string }>`SELECT hash FROM audit_events WHERE seq > ${f.size} AND seq <= ${headBefore} ORDER BY seq`.execute(x);
    for (const row of r.rows) b.push(Buffer.from(row.hash, 'hex'));
    if (b.size !== headBefore) throw new AppError('E_AUDIT_GAP', `the audit log has gaps below event ${headBefore}; run "vitrine audit verify"`);
  }
  for (const h of newHashes) b.push(Buffer.from(h, 'hex'));
  return b.state();
}

/** The root over the first `size` events according to the stored frontier. */
export function frontierRoot(f: Frontier): string {
  return MerkleBuilder.fromState(f).root().toString('hex');
}
