// RFC 9162 §2.1 Merkle tree over the audit events' hashes (leaf data = the 32 raw bytes of `hash`).
// MTH({}) = SHA-256(), leaf = SHA-256(0x00 ‖ d), node = SHA-256(0x01 ‖ left ‖ right), split at the largest
// power of two smaller than n. Sizes and indexes are plain numbers (safe up to 2^53), so no 32-bit bit ops.

import { hash as oneShotHash } from 'node:crypto';

export type Hash = Buffer;

/** MTH of the empty tree: SHA-256 of nothing. */
export const EMPTY_ROOT: Hash = oneShotHash('sha256', Buffer.alloc(0), 'buffer');

const leafScratch = Buffer.alloc(33);
const nodeScratch = Buffer.alloc(65);
nodeScratch[0] = 0x01;

/** Leaf hash of arbitrary leaf data: SHA-256(0x00 ‖ data). */
export function leafHash(data: Uint8Array): Hash {
  if (data.length === 32) {
    // The audit log's case (one event hash per leaf): no allocation for the concatenation.
    leafScratch[0] = 0x00;
    leafScratch.set(data, 1);
    return oneShotHash('sha256', leafScratch, 'buffer');
  }
  return oneShotHash('sha256', Buffer.concat([Buffer.of(0x00), data]), 'buffer');
}

/** Interior node: SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Hash {
  if (left.length === 32 && right.length === 32) {
    nodeScratch.set(left, 1);
    nodeScratch.set(right, 33);
    return oneShotHash('sha256', nodeScratch, 'buffer');
  }
  return oneShotHash('sha256', Buffer.concat([Buffer.of(0x01), left, right]), 'buffer');
}

/** Largest power of two strictly smaller than n (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * Streaming tree builder: keeps the compact range of [0, size) — the roots of the perfect subtrees whose
 * sizes are the set bits of `size`, biggest first — so memory is O(log n) for any number of leaves.
 */
export class MerkleBuilder {
  size = 0;
  private stack: Hash[] = [];

  /** Append a leaf by its data (hashes it as a leaf). */
  push(data: Uint8Array): void {
    this.pushLeafHash(leafHash(data));
  }

  /** Append an already computed leaf hash. */
  pushLeafHash(h: Hash): void {
    this.stack.push(h);
    // Each trailing 1 bit of the old size is a completed subtree of equal size to merge with.
    let s = this.size;
    while (s % 2 === 1) {
      const right = this.stack.pop()!;
      const left = this.stack.pop()!;
      this.stack.push(nodeHash(left, right));
      s = (s - 1) / 2;
    }
    this.size++;
  }

  /** MTH of the leaves pushed so far (O(log n)). */
  root(): Hash {
    if (this.stack.length === 0) return EMPTY_ROOT;
    let r = this.stack[this.stack.length - 1]!;
    for (let i = this.stack.length - 2; i >= 0; i--) r = nodeHash(this.stack[i]!, r);
    return r;
  }

  /** Serializable frontier, e.g. to keep next to the log so a checkpoint needs no full rescan. */
  state(): { size: number; nodes: string[] } {
    return { size: this.size, nodes: this.stack.map((h) => h.toString('hex')) };
  }

  static fromState(s: { size: number; nodes: string[] }): MerkleBuilder {
    let bits = 0;
    for (let x = s.size; x > 0; x = Math.floor(x / 2)) bits += x % 2;
    if (!Number.isSafeInteger(s.size) || s.size < 0 || s.nodes.length !== bits) {
      throw new Error('merkle state: node count does not match size');
    }
    const b = new MerkleBuilder();
    b.size = s.size;
    b.stack = s.nodes.map((h) => {
      if (!/^[0-9a-f]{64}$/.test(h)) throw new Error('merkle state: bad node hash');
      return Buffer.from(h, 'hex');
    });
    return b;
  }
}

/** MTH of a list of leaf data (convenience; streams through MerkleBuilder). */
export function merkleRoot(leaves: Iterable<Uint8Array>): Hash {
  const b = new MerkleBuilder();
  for (const d of leaves) b.push(d);
  return b.root();
}

function checkIndex(leafIndex: number, treeSize: number): void {
  if (!Number.isSafeInteger(treeSize) || treeSize < 1) throw new RangeError(`tree size ${treeSize} must be ≥ 1`);
  if (!Number.isSafeInteger(leafIndex) || leafIndex < 0 || leafIndex >= treeSize) {
    throw new RangeError(`leaf index ${leafIndex} outside a tree of ${treeSize}`);
  }
}

/**
 * The subtrees whose MTHs make up PATH(m, D[n]) (RFC 9162 §2.1.3.1), as [start, end) leaf ranges in proof
 * order (the sibling nearest the leaf first). They partition [0, n) minus leaf m.
 */
export function proofRanges(leafIndex: number, treeSize: number): Array<[number, number]> {
  checkIndex(leafIndex, treeSize);
  const topDown: Array<[number, number]> = [];
  let lo = 0;
  let hi = treeSize;
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (leafIndex - lo < k) {
      topDown.push([lo + k, hi]);
      hi = lo + k;
    } else {
      topDown.push([lo, lo + k]);
      lo += k;
    }
  }
  return topDown.reverse();
}

/**
 * Inclusion proof PATH(leafIndex, D[treeSize]) with a random-access getter of leaf hashes
 * (SHA-256(0x00 ‖ d), e.g. leafHash(eventHashBytes)). Calls the getter once per leaf except leafIndex.
 */
export function inclusionProof(leafIndex: number, treeSize: number, getLeafHash: (i: number) => Uint8Array): Hash[] {
  return proofRanges(leafIndex, treeSize).map(([start, end]) => {
    const b = new MerkleBuilder();
    for (let i = start; i < end; i++) b.pushLeafHash(Buffer.from(getLeafHash(i)));
    return b.root();
  });
}

/**
 * Builds PATH(leafIndex, D[treeSize]) from the leaf hashes pushed in order, in O(log n) memory: the proof's
 * subtrees are disjoint, so one pass fills each as its last leaf arrives.
 */
export class ProofCollector {
  readonly leafIndex: number;
  readonly treeSize: number;
  /** Leaves pushed so far. */
  count = 0;
  private readonly order: Array<{ end: number; at: number }>;
  private readonly proof: Hash[];
  private cur = 0;
  private builder = new MerkleBuilder();

  constructor(leafIndex: number, treeSize: number) {
    const ranges = proofRanges(leafIndex, treeSize);
    this.leafIndex = leafIndex;
    this.treeSize = treeSize;
    this.proof = new Array(ranges.length);
    this.order = ranges.map((r, i) => ({ start: r[0], end: r[1], at: i })).sort((a, b) => a.start - b.start);
  }

  /** Adds leaf number `count`; returns false once the tree is complete (extra leaves are ignored). */
  push(h: Uint8Array): boolean {
    if (this.count >= this.treeSize) return false;
    const i = this.count++;
    if (i !== this.leafIndex) {
      this.builder.pushLeafHash(Buffer.from(h));
      if (i === this.order[this.cur]!.end - 1) {
        this.proof[this.order[this.cur]!.at] = this.builder.root();
        this.builder = new MerkleBuilder();
        this.cur++;
      }
    }
    return this.count < this.treeSize;
  }

  /** The proof; throws if fewer than treeSize leaves were pushed. */
  finish(): Hash[] {
    if (this.count < this.treeSize) throw new RangeError(`only ${this.count} leaves for a tree of ${this.treeSize}`);
    return this.proof;
  }
}

/** Same proof from a stream of (at least) the first treeSize leaf hashes in order. */
export async function inclusionProofFromStream(
  leafIndex: number,
  treeSize: number,
  leafHashes: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
): Promise<Hash[]> {
  const c = new ProofCollector(leafIndex, treeSize);
  for await (const h of leafHashes) if (!c.push(h)) break;
  return c.finish();
}

/**
 * RFC 9162 §2.1.3.2: the root implied by an inclusion proof, or null when the proof has the wrong length
 * for (leafIndex, treeSize).
 */
export function rootFromInclusionProof(
  leafIndex: number,
  treeSize: number,
  leafHashValue: Uint8Array,
  proof: readonly Uint8Array[],
): Hash | null {
  if (!Number.isSafeInteger(treeSize) || !Number.isSafeInteger(leafIndex) || leafIndex < 0 || leafIndex >= treeSize) return null;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r: Hash = Buffer.from(leafHashValue);
  for (const p of proof) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

/** True when `proof` shows leaf `leafHashValue` at `leafIndex` in the tree of `treeSize` with root `root`. */
export function verifyInclusion(
  leafIndex: number,
  treeSize: number,
  leafHashValue: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (leafHashValue.length !== 32 || root.length !== 32 || proof.some((p) => p.length !== 32)) return false;
  const r = rootFromInclusionProof(leafIndex, treeSize, leafHashValue, proof);
  return r !== null && r.equals(root);
}
