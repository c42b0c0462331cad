import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  EMPTY_ROOT, inclusionProof, inclusionProofFromStream, leafHash, merkleRoot, MerkleBuilder, nodeHash,
  proofRanges, rootFromInclusionProof, verifyInclusion,
} from '../src/audit/merkle.ts';

const h = (hex: string) => Buffer.from(hex, 'hex');
const sha = (...parts: Uint8Array[]) => { const c = createHash('sha256'); for (const p of parts) c.update(p); return c.digest(); };

// RFC 6962 test data as used by certificate-transparency / transparency-dev/merkle (proof/verify_test.go).
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(h);
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
// [leafIndex (0-based), treeSize, proof]
const PROOFS: Array<[number, number, string[]]> = [
  [0, 8, [
    '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
  ]],
  [5, 8, [
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  ]],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [1, 5, [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
  ]],
];

// Straight from RFC 9162 §2.1.1, recursively, to compare the streaming code against.
function naiveMth(d: Uint8Array[]): Buffer {
  if (d.length === 0) return sha();
  if (d.length === 1) return sha(Buffer.of(0), d[0]!);
  let k = 1;
  while (k * 2 < d.length) k *= 2;
  return sha(Buffer.of(1), naiveMth(d.slice(0, k)), naiveMth(d.slice(k)));
}
function naivePath(m: number, d: Uint8Array[]): Buffer[] {
  if (d.length === 1) return [];
  let k = 1;
  while (k * 2 < d.length) k *= 2;
  return m < k ? [...naivePath(m, d.slice(0, k)), naiveMth(d.slice(k))] : [...naivePath(m - k, d.slice(k)), naiveMth(d.slice(0, k))];
}

test('hash primitives follow RFC 9162 §2.1.1', () => {
  assert.equal(EMPTY_ROOT.toString('hex'), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  const d32 = sha(Buffer.from('x'));
  assert.deepEqual(leafHash(d32), sha(Buffer.of(0), d32));
  assert.deepEqual(leafHash(Buffer.from('abc')), sha(Buffer.of(0), Buffer.from('abc')));
  assert.deepEqual(nodeHash(d32, EMPTY_ROOT), sha(Buffer.of(1), d32, EMPTY_ROOT));
});

test('roots match the RFC 6962 test vectors for sizes 1..8', () => {
  for (let n = 1; n <= 8; n++) {
    assert.equal(merkleRoot(LEAVES.slice(0, n)).toString('hex'), ROOTS[n - 1], `size ${n}`);
  }
  assert.equal(merkleRoot([]).toString('hex'), EMPTY_ROOT.toString('hex'));
});

test('inclusion proofs match the RFC 6962 test vectors and verify', async () => {
  const lh = LEAVES.map((d) => leafHash(d));
  for (const [m, n, want] of PROOFS) {
    const proof = inclusionProof(m, n, (i) => lh[i]!);
    assert.deepEqual(proof.map((p) => p.toString('hex')), want, `leaf ${m} of ${n}`);
    assert.deepEqual(await inclusionProofFromStream(m, n, lh), proof);
    assert.equal(verifyInclusion(m, n, lh[m]!, proof, h(ROOTS[n - 1]!)), true);
  }
  assert.deepEqual(inclusionProof(0, 1, (i) => lh[i]!), []);
  assert.equal(verifyInclusion(0, 1, lh[0]!, [], lh[0]!), true);
});

test('streaming builder equals the recursive definition for n = 0..70, including restored state', () => {
  const data = Array.from({ length: 70 }, (_, i) => sha(Buffer.from(`event ${i}`)));
  const b = new MerkleBuilder();
  assert.deepEqual(b.root(), naiveMth([]));
  for (let n = 1; n <= 70; n++) {
    b.push(data[n - 1]!);
    assert.equal(b.size, n);
    assert.deepEqual(b.root(), naiveMth(data.slice(0, n)), `n=${n}`);
    const again = MerkleBuilder.fromState(JSON.parse(JSON.stringify(b.state())));
    assert.deepEqual(again.root(), b.root());
    if (n < 70) {
      again.push(data[n]!);
      assert.deepEqual(again.root(), naiveMth(data.slice(0, n + 1)));
    }
  }
  assert.throws(() => MerkleBuilder.fromState({ size: 3, nodes: [] }));
});

test('every leaf of every tree up to 70 has a proof equal to PATH, which verifies and fails when altered', async () => {
  const data = Array.from({ length: 70 }, (_, i) => sha(Buffer.from(`event ${i}`)));
  const lh = data.map((d) => leafHash(d));
  const other = sha(Buffer.from('not a leaf'));
  for (let n = 1; n <= 70; n++) {
    const root = naiveMth(data.slice(0, n));
    for (let m = 0; m < n; m++) {
      const proof = inclusionProof(m, n, (i) => lh[i]!);
      assert.deepEqual(proof, naivePath(m, data.slice(0, n)), `PATH(${m}, ${n})`);
      assert.equal(verifyInclusion(m, n, lh[m]!, proof, root), true, `verify ${m}/${n}`);
      // Wrong leaf, wrong root, wrong index, wrong size.
      assert.equal(verifyInclusion(m, n, other, proof, root), false);
      assert.equal(verifyInclusion(m, n, lh[m]!, proof, other), false);
      if (n > 1) assert.equal(verifyInclusion((m + 1) % n, n, lh[m]!, proof, root), false, `index ${m + 1}/${n}`);
      // (Not n + 1: the same opaque path can be well-formed for a neighbouring size, e.g. leaf 0 of 6 and of 7;
      // the size is bound by the signed checkpoint, not by the proof.)
      assert.equal(verifyInclusion(m, n * 2, lh[m]!, proof, root), false);
      assert.equal(verifyInclusion(n, n, lh[m]!, proof, root), false);
      // Each element flipped, one removed, one added.
      for (let j = 0; j < proof.length; j++) {
        const bad = proof.map((p) => Buffer.from(p));
        bad[j]![0]! ^= 8;
        assert.equal(verifyInclusion(m, n, lh[m]!, bad, root), false);
      }
      if (proof.length > 0) assert.equal(verifyInclusion(m, n, lh[m]!, proof.slice(0, -1), root), false);
      assert.equal(verifyInclusion(m, n, lh[m]!, [...proof, root], root), false);
      assert.equal(verifyInclusion(m, n, lh[m]!, [root, ...proof], root), false);
    }
    // The streaming variant, fed more leaves than the tree has, for a few leaves per size.
    for (const m of new Set([0, n - 1, Math.floor(n / 2)])) {
      assert.deepEqual(await inclusionProofFromStream(m, n, lh), naivePath(m, data.slice(0, n)), `stream ${m}/${n}`);
    }
  }
  await assert.rejects(inclusionProofFromStream(3, 10, lh.slice(0, 9)), RangeError);
});

test('proof ranges partition the tree minus the leaf', () => {
  for (const [m, n] of [[0, 1], [0, 2], [5, 8], [6, 7], [999, 1000], [123456, 1000000]] as const) {
    const ranges = proofRanges(m, n).slice().sort((a, b) => a[0] - b[0]);
    let at = 0;
    for (const [s, e] of ranges) {
      if (at === m) at++;
      assert.equal(s, at);
      at = e;
    }
    if (at === m) at++;
    assert.equal(at, n);
  }
  assert.throws(() => proofRanges(5, 5), RangeError);
  assert.equal(rootFromInclusionProof(0, 0, EMPTY_ROOT, []), null);
});

test('1,000,000 leaves stream through the builder in O(log n) memory', () => {
  const b = new MerkleBuilder();
  const leaf = Buffer.alloc(32);
  for (let i = 0; i < 1_000_000; i++) {
    leaf.writeUInt32BE(i, 0);
    b.push(leaf);
  }
  // 1,000,000 has 7 set bits: the compact range keeps 7 subtree roots, not a million leaves.
  assert.equal(b.state().nodes.length, 7);
  assert.equal(b.size, 1_000_000);
  assert.equal(b.root().length, 32);
});

test('treeHead over stored hashes equals the incremental frontier kept across appends', async () => {
  const { nextEvent, rowToEvent } = await import('../src/audit/chain.ts');
  const { treeHead } = await import('../src/audit/head.ts');
  type Ev = ReturnType<typeof nextEvent>;
  const events: Ev[] = [];
  let state: { size: number; nodes: string[] } | null = null;
  let prev: Ev | null = null;
  for (let i = 0; i < 25; i++) {
    prev = nextEvent(prev, { actor: 'a', action: 'show', outcome: 'ok' });
    events.push(prev);
    // What the append transaction does: load the frontier row, push, store it back.
    const b: MerkleBuilder = state ? MerkleBuilder.fromState(state) : new MerkleBuilder();
    b.push(Buffer.from(prev.hash, 'hex'));
    state = b.state();
  }
  const head = await treeHead([events.slice(0, 10), events.slice(10)]);
  assert.equal(head.treeSize, 25);
  assert.deepEqual(head.state, state);
  assert.equal(head.rootHash, MerkleBuilder.fromState(state!).root().toString('hex'));
  assert.equal(head.lastHash, events[24]!.hash);
  assert.equal((await treeHead(events, 7)).rootHash, merkleRoot(events.slice(0, 7).map((e) => Buffer.from(e.hash, 'hex'))).toString('hex'));
  await assert.rejects(treeHead(events, 30), /only 25 of 30/);
  await assert.rejects(treeHead(events.filter((e) => e.seq !== 3)), /expected event 3, got 4/);
  assert.equal((await treeHead([])).rootHash, EMPTY_ROOT.toString('hex'));
  // Rows as a Postgres driver returns them.
  const row = { ...events[4]!, seq: '5', prev_hash: events[4]!.prevHash, prevHash: undefined, detail: JSON.stringify({ a: 1 }), time: new Date(events[4]!.time) };
  const back = rowToEvent(row as unknown as Record<string, unknown>);
  assert.equal(back.seq, 5);
  assert.equal(back.prevHash, events[4]!.prevHash);
  assert.deepEqual(back.detail, { a: 1 });
  assert.equal(back.time, events[4]!.time);
});
