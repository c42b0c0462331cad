// Near-duplicate search at a million images: the chunk index (multi-index hashing in SQL, what
// `vitrine similar` runs) against two full scans measured in the same run: a scan in SQL (bit_count over
// every row) and the naive JavaScript way (read every hash from the database, compare in JS). Also an
// in-memory JS scan over a preloaded array, the floor a single process could reach while holding every
// hash in RAM (8 bytes × N — 3.9 GB at the agency's 490 M images — and not shared between workers).
//
// N random 64-bit hashes (env N, default 1,000,000) are generated inside PGlite; Q query hashes each get
// planted near-duplicates at distances 1..10 (must all be found) and 12, 16 (must not be, at D = 10).
// Writes bench/RESULTS-similar.md.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb } from '../src/db/create-db.ts';
import { PhashIndexRepo, hashToBigintText } from '../src/repositories/phash-index.ts';
import { BENCH_DIR, machine, ms, pct, prng } from './common.ts';

const N = Number(process.env.N ?? 1_000_000);
const Q = Number(process.env.Q ?? 50);
const D = 10;
const rand = prng(42);
const hex16 = () => Math.floor(rand() * 65536).toString(16).padStart(4, '0');
const randomHash = () => hex16() + hex16() + hex16() + hex16();
function flip(hex: string, bits: number): string {
  let v = BigInt('0x' + hex);
  const used = new Set<number>();
  while (used.size < bits) used.add(Math.floor(rand() * 64));
  for (const b of used) v ^= 1n << BigInt(b);
  return v.toString(16).padStart(16, '0');
}
function popcount64(a: bigint): number {
  let hi = Number((a >> 32n) & 0xffffffffn);
  let lo = Number(a & 0xffffffffn);
  let n = 0;
  for (const x0 of [hi, lo]) {
    let x = x0 - ((x0 >>> 1) & 0x55555555);
    x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
    n += (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
  }
  hi = lo = 0;
  return n;
}

const dir = await mkdtemp(join(tmpdir(), 'vitrine-similar-bench-'));
const db = await createDb({ dataDir: dir });
const repo = new PhashIndexRepo(db);
const lines: string[] = [];
const log = (s: string) => {
  lines.push(s);
  process.stderr.write(s + '\n');
};
try {
  const started = new Date().toISOString();
  const header = machine();
  let t0 = performance.now();
  // Random rows straight into the index table (the trigger path is exercised by the tests).
  for (let done = 0; done < N; done += 250_000) {
    const n = Math.min(250_000, N - done);
    await db.executeSql(`
      INSERT INTO phash_index (sha256, hash, h0, h1, h2, h3)
      SELECT lpad(to_hex(g), 64, '0'), (c0::bigint << 48) | (c1::bigint << 32) | (c2::bigint << 16) | c3::bigint, c0, c1, c2, c3
        FROM (SELECT g, floor(random() * 65536)::int AS c0, floor(random() * 65536)::int AS c1,
                     floor(random() * 65536)::int AS c2, floor(random() * 65536)::int AS c3
                FROM generate_series(${done + 1}, ${done + n}) g) s`);
  }
  const loadS = (performance.now() - t0) / 1000;
  const queries = Array.from({ length: Q }, randomHash);
  const planted: { sha256: string; hash: string }[] = [];
  const expectIn = new Map<string, Set<string>>();
  queries.forEach((q, k) => {
    const want = new Set<string>();
    for (const d of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 16]) {
      const sha = `p${k}-${d}`.padEnd(64, 'f');
      planted.push({ sha256: sha, hash: flip(q, d) });
      if (d <= D) want.add(sha);
    }
    expectIn.set(q, want);
  });
  await repo.upsert(planted);
  await db.executeSql('ANALYZE phash_index');
  const total = await repo.count();
  log(`Loaded ${total.toLocaleString('en')} hashes (${N.toLocaleString('en')} random + ${planted.length} planted) in ${loadS.toFixed(1)} s.`);

  const plan = (await db.executeSql(`EXPLAIN SELECT sha256 FROM phash_index WHERE bit_count((hash # 1::bigint)::bit(64)) <= 10
    AND (h0 = ANY('{1,2,3}'::int[]) OR h1 = ANY('{1,2,3}'::int[]) OR h2 = ANY('{1,2,3}'::int[]) OR h3 = ANY('{1,2,3}'::int[]))`)).rows
    .map((r) => Object.values(r)[0] as string);

  // 1. The index (what `similar` runs, minus the join to assets).
  const idx: number[] = [];
  let recallOk = 0;
  let falsePos = 0;
  for (const q of queries) {
    t0 = performance.now();
    const r = await repo.nearHashes(q, D, 10_000);
    idx.push(performance.now() - t0);
    const got = new Set(r.map((x) => x.sha256));
    const want = expectIn.get(q)!;
    if ([...want].every((s) => got.has(s))) recallOk++;
    falsePos += [...got].filter((s) => s.startsWith('p') && !want.has(s)).length;
  }
  // 2. Full scan in SQL.
  const scanSql: number[] = [];
  for (const q of queries.slice(0, 10)) {
    t0 = performance.now();
    await db.executeSql('SELECT sha256 FROM phash_index WHERE bit_count((hash # $1::bigint)::bit(64)) <= $2', [hashToBigintText(q), D]);
    scanSql.push(performance.now() - t0);
  }
  // 3. Naive JS: read every hash, compare in JS (per query).
  const scanJs: number[] = [];
  let hashes: BigInt64Array | null = null;
  for (const q of queries.slice(0, 3)) {
    t0 = performance.now();
    const rows = (await db.executeSql('SELECT hash::text AS h FROM phash_index')).rows;
    const qv = BigInt.asIntN(64, BigInt('0x' + q));
    let n = 0;
    hashes = new BigInt64Array(rows.length);
    rows.forEach((r, i) => {
      const v = BigInt(r.h);
      hashes![i] = v;
      if (popcount64(BigInt.asUintN(64, v ^ qv)) <= D) n++;
    });
    scanJs.push(performance.now() - t0);
    void n;
  }
  // 4. In-memory JS scan over the preloaded array (split into 32-bit halves for speed).
  const memJs: number[] = [];
  const hi = new Int32Array(hashes!.length);
  const lo = new Int32Array(hashes!.length);
  for (let i = 0; i < hashes!.length; i++) {
    hi[i] = Number(BigInt.asIntN(32, hashes![i]! >> 32n));
    lo[i] = Number(BigInt.asIntN(32, hashes![i]!));
  }
  const pc = (x: number) => {
    x = x - ((x >>> 1) & 0x55555555);
    x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
    return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
  };
  for (const q of queries.slice(0, 20)) {
    const qv = BigInt.asIntN(64, BigInt('0x' + q));
    const qh = Number(BigInt.asIntN(32, qv >> 32n));
    const ql = Number(BigInt.asIntN(32, qv));
    t0 = performance.now();
    let n = 0;
    for (let i = 0; i < hi.length; i++) if (pc(hi[i]! ^ qh) + pc(lo[i]! ^ ql) <= D) n++;
    memJs.push(performance.now() - t0);
    void n;
  }
  const row = (name: string, xs: number[]) => `| ${name} | ${xs.length} | ${ms(pct(xs, 50))} | ${ms(pct(xs, 95))} | ${ms(pct(idx, 50) ? pct(xs, 50) / pct(idx, 50) : NaN)}× |`;
  const md = [
    '# Near-duplicate search bench (bench/similar.bench.ts)', '',
    `Run: \`node bench/similar.bench.ts\` (env N=${N}, Q=${Q}) on ${started}. ${header}`, '',
    lines[0]!, '',
    `Query: all hashes within Hamming distance ${D} of a query hash (the \`similar\` default). Each query has 10 planted`,
    'near-duplicates at distances 1–10 and two at 12 and 16.', '',
    '| method | queries | p50 ms | p95 ms | p50 vs index |', '|---|---:|---:|---:|---:|',
    row('**chunk index** (4 × 16-bit b-trees, `= ANY` per chunk, exact distance by `bit_count` in SQL)', idx),
    row('full scan in SQL (`bit_count` over every row)', scanSql),
    row('naive JS: read every hash from the database, compare in JS', scanJs),
    row('in-memory JS scan over a preloaded array (needs every hash in RAM)', memJs),
    '',
    `Recall of planted near-duplicates (d ≤ ${D}): ${recallOk}/${Q} queries found all 10; planted copies beyond ${D} returned: ${falsePos}.`, '',
    'Plan of the index query (PGlite):', '', '```', ...plan, '```', '',
    'Reading: the index looks up 4 × 137 chunk values (radius ⌊10/4⌋ = 2) — about 548 × N/65,536 candidate rows',
    'for uniformly random hashes, ≈ 8,400 at a million — and checks their exact distance in SQL. Real pHashes are not',
    'uniform (chunks cluster), so candidate counts on real archives are higher; distances above 15 fall back to the SQL',
    'scan. On PostgreSQL the same SQL runs (bit_count(bit) needs PostgreSQL ≥ 14).', '',
  ].join('\n');
  await writeFile(join(BENCH_DIR, 'RESULTS-similar.md'), md);
  process.stdout.write(md);
} finally {
  await db.close();
  await rm(dir, { recursive: true, force: true });
}
