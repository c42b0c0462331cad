// The pHash index: rows follow `analyses` through triggers, and the chunk-index search returns exactly
// what a full scan finds, for radii that use the index and for larger ones that scan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb, type Db } from '../src/db/create-db.ts';
import { PhashIndexRepo, chunkNeighbours, hashToBigintText } from '../src/repositories/phash-index.ts';
import { hamming } from '../src/analysers/phash.ts';

let seed = 12345;
const rnd16 = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) & 0xffff;
const randomHash = () => Array.from({ length: 4 }, () => rnd16().toString(16).padStart(4, '0')).join('');
function flip(hex: string, bits: number): string {
  let v = BigInt('0x' + hex);
  const used = new Set<number>();
  while (used.size < bits) used.add(rnd16() % 64);
  for (const b of used) v ^= 1n << BigInt(b);
  return v.toString(16).padStart(16, '0');
}

async function withDb(fn: (db: Db) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'vitrine-phash-'));
  const db = await createDb({ dataDir: dir });
  try {
    await fn(db);
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function putAnalyses(db: Db, rows: { sha: string; hash: string; status?: string }[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 2000) {
    const values = rows.slice(i, i + 2000).map((r) => `('${r.sha}', 'phash', 1, '${r.status ?? 'done'}', '{"hash":"${r.hash}"}'::jsonb)`);
    await db.executeSql(`INSERT INTO analyses (sha256, analyser, version, status, result) VALUES ${values.join(',')}`);
  }
}

test('chunk neighbours: 1, 17, 137, 697 values for radius 0..3, all distinct and within the radius', () => {
  for (const [r, n] of [[0, 1], [1, 17], [2, 137], [3, 697]] as const) {
    const xs = chunkNeighbours(0xa5c3, r);
    assert.equal(new Set(xs).size, n);
    for (const x of xs) assert.ok(popcount(x ^ 0xa5c3) <= r);
  }
  assert.equal(hashToBigintText('ffffffffffffffff'), '-1');
  assert.equal(hashToBigintText('8000000000000000'), '-9223372036854775808');
});

const popcount = (x: number) => x.toString(2).replace(/0/g, '').length;

test('phash index follows analyses: done adds, re-run and delete remove', async () => {
  await withDb(async (db) => {
    const repo = new PhashIndexRepo(db);
    await putAnalyses(db, [{ sha: 'a'.repeat(64), hash: 'ffff0000ffff0001' }, { sha: 'b'.repeat(64), hash: '0123456789abcdef', status: 'running' }]);
    assert.equal(await repo.get('a'.repeat(64)), 'ffff0000ffff0001');
    assert.equal(await repo.get('b'.repeat(64)), null);
    await db.executeSql(`UPDATE analyses SET status = 'done' WHERE sha256 = $1`, ['b'.repeat(64)]);
    assert.equal(await repo.get('b'.repeat(64)), '0123456789abcdef');
    await db.executeSql(`UPDATE analyses SET status = 'queued', result = NULL WHERE sha256 = $1`, ['a'.repeat(64)]);
    assert.equal(await repo.get('a'.repeat(64)), null);
    await db.executeSql(`DELETE FROM analyses WHERE sha256 = $1`, ['b'.repeat(64)]);
    assert.equal(await repo.count(), 0);
  });
});

test('index search equals a full scan (radius via index and via scan)', async () => {
  await withDb(async (db) => {
    const repo = new PhashIndexRepo(db);
    const rows: { sha: string; hash: string }[] = [];
    for (let i = 0; i < 5000; i++) rows.push({ sha: i.toString(16).padStart(64, '0'), hash: randomHash() });
    const queries = Array.from({ length: 6 }, randomHash);
    // Planted near-duplicates of each query at distances 0..20.
    queries.forEach((q, k) => [0, 2, 5, 8, 10, 11, 14, 20].forEach((d, j) => rows.push({ sha: `f${k}${j}`.padEnd(64, 'e'), hash: flip(q, d) })));
    await putAnalyses(db, rows);
    for (const q of queries)
      for (const d of [0, 4, 10, 15, 20]) {
        const got = (await repo.nearHashes(q, d)).map((r) => `${r.distance}:${r.sha256}`);
        const want = rows.map((r) => ({ d: hamming(q, r.hash), s: r.sha })).filter((x) => x.d <= d)
          .sort((a, b) => a.d - b.d || (a.s < b.s ? -1 : 1)).map((x) => `${x.d}:${x.s}`);
        assert.deepEqual(got, want, `query ${q} distance ${d}`);
      }
  });
});
