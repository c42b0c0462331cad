// Tree heads for signing. Two ways to get the root the next checkpoint signs:
//  - incrementally: keep MerkleBuilder.state() in one DB row and push each new event's hash inside the
//    same transaction that appends the event (O(log n) per append) — what an automatic "every N events"
//    checkpoint should use;
//  - by a full scan of the stored hashes (treeHead below): for `audit checkpoint` when no frontier is stored
//    yet, or to rebuild it.

import { forEachEvent, type EventSource } from './chain.ts';
import { MerkleBuilder } from './merkle.ts';

export type TreeHead = {
  treeSize: number;
  rootHash: string;
  /** hash of event treeSize (64 zeros for an empty log). */
  lastHash: string;
  /** Frontier to store and continue from with MerkleBuilder.fromState. */
  state: { size: number; nodes: string[] };
};

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Root over the stored `hash` of events 1..treeSize (all events when treeSize is omitted). It does not
 * re-hash the events — a checkpoint commits to what is stored; `verifyAudit` checks it later.
 * Throws when seq is not 1, 2, 3… or a hash is malformed, since signing that would sign a broken log.
 */
export async function treeHead(events: EventSource, treeSize?: number): Promise<TreeHead> {
  const b = new MerkleBuilder();
  let lastHash = '0'.repeat(64);
  let problem: string | null = null;
  await forEachEvent(events, (e) => {
    if (treeSize !== undefined && b.size >= treeSize) return false;
    if (e.seq !== b.size + 1) problem = `expected event ${b.size + 1}, got ${String(e.seq)}`;
    else if (typeof e.hash !== 'string' || !HEX64.test(e.hash)) problem = `event ${e.seq} has a malformed hash`;
    if (problem) return false;
    b.push(Buffer.from(e.hash, 'hex'));
    lastHash = e.hash;
    return true;
  });
  if (problem) throw new Error(`cannot compute the audit tree head: ${problem}; run audit verify`);
  if (treeSize !== undefined && b.size < treeSize) throw new Error(`cannot compute the audit tree head: only ${b.size} of ${treeSize} events`);
  return { treeSize: b.size, rootHash: b.root().toString('hex'), lastHash, state: b.state() };
}
