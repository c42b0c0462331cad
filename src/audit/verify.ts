// `vitrine audit verify` without the database: one streaming pass that re-checks the hash chain, rebuilds
// the Merkle tree, and compares its root with every signed checkpoint as the event count reaches each
// checkpoint's treeSize. Memory is O(log n) plus the checkpoint list.

import type { KeyObject } from 'node:crypto';
import { ChainChecker, forEachEvent, type AuditEvent, type EventSource } from './chain.ts';
import { type Checkpoint, trustedKeyBase64, verifyCheckpoint } from './checkpoint.ts';
import { EMPTY_ROOT, leafHash, MerkleBuilder } from './merkle.ts';

export type AuditBroken = {
  /** First event that is (or may be) broken; null when the problem is the checkpoint file itself. */
  seq: number | null;
  reason: string;
  /** 1-based line of the checkpoint involved, when one is. */
  checkpoint?: number;
};

export type AuditVerifyResult = {
  ok: boolean;
  /** Events whose chain link verified (all of them when ok). */
  events: number;
  /** Checkpoints whose signature and root verified. */
  checkpoints: number;
  /** Hash of the last verified event (64 zeros when none). */
  lastHash: string;
  /** Merkle root (hex) over the verified events. */
  rootHash: string;
  /** The key the checkpoints were checked against (trusted key, else the first checkpoint's). */
  publicKey?: string;
  firstBroken?: AuditBroken;
};

export type VerifyAuditInput = {
  /** Every event from seq 1, in seq order; one by one or in batches (arrays) — batches are faster. */
  events: EventSource;
  /** checkpoints.jsonl lines in file order (readCheckpoints). */
  checkpoints: readonly Checkpoint[];
  /** The key checkpoints must be signed with: base64 raw, PEM or KeyObject. Strongly advised. */
  trustedPublicKey?: string | KeyObject;
  /** Called every 65,536 events with the count so far. */
  onProgress?: (events: number) => void;
};

export async function verifyAudit(input: VerifyAuditInput): Promise<AuditVerifyResult> {
  const { checkpoints } = input;
  const checker = new ChainChecker();
  const builder = new MerkleBuilder();
  let verifiedCheckpoints = 0;
  const publicKey = input.trustedPublicKey !== undefined ? trustedKeyBase64(input.trustedPublicKey) : checkpoints[0]?.publicKey;
  const result = (firstBroken?: AuditBroken): AuditVerifyResult => ({
    ok: firstBroken === undefined,
    events: builder.size,
    checkpoints: verifiedCheckpoints,
    lastHash: checker.prevHash,
    rootHash: builder.root().toString('hex'),
    ...(publicKey !== undefined ? { publicKey } : {}),
    ...(firstBroken ? { firstBroken } : {}),
  });

  // 1. The checkpoint file on its own: signatures, one key, sizes that only grow.
  for (let i = 0; i < checkpoints.length; i++) {
    const cp = checkpoints[i]!;
    const n = i + 1;
    const v = verifyCheckpoint(cp, publicKey);
    if (!v.ok) {
      const why = v.reason === 'signed by an untrusted key' && input.trustedPublicKey === undefined
        ? 'signed by a different key than checkpoint 1' : v.reason;
      return result({ seq: null, checkpoint: n, reason: `checkpoint ${n}: ${why}` });
    }
    if (i > 0 && cp.treeSize < checkpoints[i - 1]!.treeSize) {
      return result({ seq: null, checkpoint: n, reason: `checkpoint ${n}: tree size ${cp.treeSize} is smaller than checkpoint ${i}'s (a log only grows)` });
    }
  }

  // 2. One pass over the events; file order is already by treeSize (checked above).
  let next = 0;
  let lastGoodSize = 0; // treeSize of the last checkpoint whose root matched
  const checkDue = (): AuditBroken | undefined => {
    while (next < checkpoints.length && checkpoints[next]!.treeSize === builder.size) {
      const cp = checkpoints[next]!;
      const root = builder.size === 0 ? EMPTY_ROOT : builder.root();
      if (root.toString('hex') !== cp.rootHash) {
        const from = Math.min(lastGoodSize + 1, cp.treeSize);
        return {
          seq: from,
          checkpoint: next + 1,
          reason: `checkpoint ${next + 1} root mismatch: events ${from}..${cp.treeSize} differ from what was signed`,
        };
      }
      lastGoodSize = cp.treeSize;
      verifiedCheckpoints++;
      next++;
    }
    return undefined;
  };

  let broken = checkDue();
  if (broken) return result(broken);
  const onEvent = (e: AuditEvent): AuditBroken | undefined => {
    const r = checker.check(e);
    if (!Buffer.isBuffer(r)) return r;
    builder.pushLeafHash(leafHash(r));
    if (input.onProgress && builder.size % 65536 === 0) input.onProgress(builder.size);
    return next < checkpoints.length && checkpoints[next]!.treeSize === builder.size ? checkDue() : undefined;
  };
  await forEachEvent(input.events, (e) => !(broken = onEvent(e)));
  if (broken) return result(broken);

  // 3. A checkpoint that covers more events than exist: the tail was cut off.
  if (next < checkpoints.length) {
    const cp = checkpoints[next]!;
    const have = builder.size;
    return result({
      seq: have + 1,
      checkpoint: next + 1,
      reason: `log truncated: ${have + 1 === cp.treeSize ? `event ${cp.treeSize}` : `events ${have + 1}..${cp.treeSize}`} missing (checkpoint ${next + 1} covers ${cp.treeSize} events)`,
    });
  }
  return result();
}
