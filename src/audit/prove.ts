// `vitrine audit prove SEQ`: the RFC 9162 inclusion proof of leaf SEQ−1 in the tree of a signed checkpoint,
// computed in one streaming pass over the stored event hashes (O(log n) memory).

import { AppError } from '../errors.ts';
import { forEachEvent, type EventSource } from './chain.ts';
import type { Checkpoint } from './checkpoint.ts';
import { leafHash, ProofCollector, rootFromInclusionProof, verifyInclusion } from './merkle.ts';

export type EventProof = {
  seq: number;
  /** seq − 1 */
  leafIndex: number;
  treeSize: number;
  /** The event's `hash` (the leaf data). */
  eventHash: string;
  /** SHA-256(0x00 ‖ eventHash bytes), hex. */
  leafHash: string;
  /** Audit path, nearest sibling first, hex. */
  proof: string[];
  /** The checkpoint's root, hex. */
  rootHash: string;
};

/**
 * Proof that event `seq` is in the tree signed by `checkpoint`. `events` must yield events from seq 1 in order,
 * singly or in pages (only `seq` and `hash` are read; it stops after checkpoint.treeSize). Throws when the event is beyond the
 * checkpoint or the stored hashes no longer produce the checkpoint's root (then run `audit verify`).
 */
export async function proveEvent(input: {
  events: EventSource;
  seq: number;
  checkpoint: Checkpoint;
}): Promise<EventProof> {
  const { seq, checkpoint } = input;
  const n = checkpoint.treeSize;
  if (!Number.isSafeInteger(seq) || seq < 1 || seq > n) {
    throw new AppError('E_AUDIT_PROVE', `event ${seq} is not covered by the checkpoint (tree size ${n}); make a new checkpoint first`, 'usage');
  }
  const collector = new ProofCollector(seq - 1, n);
  let eventHash = '';
  let bad = '';
  await forEachEvent(input.events, (e) => {
    const expected = collector.count + 1;
    if (e.seq !== expected || typeof e.hash !== 'string' || !/^[0-9a-f]{64}$/.test(e.hash)) {
      bad = `event ${expected} is missing or malformed; run audit verify`;
      return false;
    }
    if (e.seq === seq) eventHash = e.hash;
    return collector.push(leafHash(Buffer.from(e.hash, 'hex')));
  });
  if (bad) throw new AppError('E_AUDIT_PROVE', bad);
  let proof: Buffer[];
  try {
    proof = collector.finish();
  } catch {
    throw new AppError('E_AUDIT_PROVE', `the log has fewer than ${n} events; run audit verify`);
  }
  const lh = leafHash(Buffer.from(eventHash, 'hex'));
  // The root the proof leads to is the root of the stored hashes 1..n: it must be the signed one.
  if (rootFromInclusionProof(seq - 1, n, lh, proof)?.toString('hex') !== checkpoint.rootHash) {
    throw new AppError('E_AUDIT_PROVE', `stored events 1..${n} do not match checkpoint root ${checkpoint.rootHash}; run audit verify`);
  }
  return {
    seq,
    leafIndex: seq - 1,
    treeSize: n,
    eventHash,
    leafHash: lh.toString('hex'),
    proof: proof.map((p) => p.toString('hex')),
    rootHash: checkpoint.rootHash,
  };
}

/** Checks an EventProof from its own fields (pair it with verifyCheckpoint on the checkpoint it names). */
export function verifyEventProof(p: EventProof): boolean {
  const hex = /^[0-9a-f]{64}$/;
  if (p.leafIndex !== p.seq - 1 || !hex.test(p.eventHash) || !hex.test(p.rootHash) || !p.proof.every((x) => hex.test(x))) return false;
  return verifyInclusion(
    p.leafIndex,
    p.treeSize,
    leafHash(Buffer.from(p.eventHash, 'hex')),
    p.proof.map((x) => Buffer.from(x, 'hex')),
    Buffer.from(p.rootHash, 'hex'),
  );
}
