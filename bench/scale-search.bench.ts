// Search over 1,000,000 generated documents on PostgreSQL: generation and index build times, table and
// index bytes per document, and latency of the query mix (common word, rare word, two words, phrase)
// through PgIndex on the GIN path (ts_rank_cd over a candidate cap) and the rum path (top-k from the index).
// Run: node bench/scale-search.bench.ts [docs] — writes bench/RESULTS-scale.md (section search).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createDb } from '../src/db/create-db.ts';
import { SearchEntriesRepo } from '../src/repositories/search-entries.ts';
import { PgIndex } from '../src/search/pg-index.ts';
import { parseQuery } from '../src/search/query.ts';
import { machine, ms, pct, prng, table } from './common.ts';
import { updateScaleResults } from './scale-common.ts';

const N = Number(process.argv[2] ?? 1_000_000);
const VOCAB = 50_000;
const WORDS = 40; // per document
const ADMIN = process.env.VITRINE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `vitrine_b_${randomBytes(5).toString('hex')}`;
const url = ADMIN.replace(/\/[^/]*$/, `/${name}`);

async function admin(sql: string) {
  const c = new pg.Client({ connectionString: ADMIN });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

const t = () => performance.now();
const secs = (x: number) => `${(x / 1000).toFixed(1)} s`;

await admin(`CREATE DATABASE ${name}`);
const dir = await mkdtemp(join(tmpdir(), 'vitrine-bsearch-'));
const lines: string[] = [];
try {
  const db = await createDb({ dataDir: dir, databaseUrl: url, rum: false });
  await db.executeSql('DROP INDEX search_entries_tsv; DROP INDEX search_entries_asset');
  // Zipf-like vocabulary: word rank r = floor(exp(u · ln V)) has P(r) ∝ 1/r (log-uniform), like word
  // frequencies in text; "w1" is in most documents, "w40000" in about a hundred.
  const gen = async (from: number, to: number) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`INSERT INTO assets (id, sha256, collection, path, name, type, mime, size, ingested_by)
      SELECT 'a' || i, md5(i::text) || md5((-i)::text), 'default', '/gen/' || i || '.txt', i || '.txt', 'document', 'text/plain', 1000, 'bench'
      FROM generate_series(${from}, ${to}) i`);
    await c.query(`INSERT INTO search_entries (asset_id, analyser, type, collection, text)
      SELECT 'a' || i, 'document-text', 'document', 'default',
        (SELECT string_agg('w' || floor(exp(random() * ln(${VOCAB})))::int, ' ') FROM generate_series(1, ${WORDS} + (i % 1)))
      FROM generate_series(${from}, ${to}) i`);
    await c.end();
  };
  let t0 = t();
  const half = Math.floor(N / 2);
  await Promise.all([gen(1, half), gen(half + 1, N)]); // two sessions: two cores
  const genMs = t() - t0;
  await db.executeSql('SET maintenance_work_mem = \'1GB\'');
  t0 = t();
  await db.executeSql('CREATE INDEX search_entries_asset ON search_entries (asset_id)');
  const assetIdxMs = t() - t0;
  t0 = t();
  await db.withLock(1, async (exec) => {
    await exec("SET maintenance_work_mem = '1GB'");
    await exec('CREATE INDEX search_entries_tsv ON search_entries USING gin (tsv)');
  });
  const ginMs = t() - t0;
  await db.executeSql('VACUUM ANALYZE assets');
  await db.executeSql('VACUUM ANALYZE search_entries');

  const size = async (rel: string) => Number((await db.executeSql(`SELECT pg_relation_size('${rel}')::bigint AS b`)).rows[0].b);
  const total = async (rel: string) => Number((await db.executeSql(`SELECT pg_total_relation_size('${rel}')::bigint AS b`)).rows[0].b);

  const rnd = prng(42);
  const pick = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const mix: { kind: string; make: () => string }[] = [
    { kind: 'common word', make: () => `w${pick(1, 3)}` },
    { kind: 'rare word', make: () => `w${pick(20_000, 45_000)}` },
    { kind: 'two words', make: () => `w${pick(2, 60)} w${pick(61, 2000)}` },
    { kind: 'phrase', make: () => `"w${pick(1, 8)} w${pick(1, 8)}"` },
  ];
  const entries = new SearchEntriesRepo(db);
  const measure = async (rum: boolean) => {
    const idx = new PgIndex(entries, undefined, rum); // default candidate cap (10,000)
    const rows: { kind: string; lat: number[]; hits: number[]; totals: number[] }[] = [];
    for (const m of mix) {
      const r = { kind: m.kind, lat: [] as number[], hits: [] as number[], totals: [] as number[] };
      for (let i = 0; i < 3; i++) await idx.query(parseQuery(m.make()), { limit: 20 }); // warm
      for (let i = 0; i < 25; i++) {
        const q = parseQuery(m.make());
        const s = t();
        const res = await idx.query(q, { limit: 20 });
        r.lat.push(t() - s);
        r.hits.push(res.hits.length);
        r.totals.push(res.total);
      }
      rows.push(r);
    }
    return rows;
  };
  const gin = await measure(false);
  const ginBytes = await size('search_entries_tsv');
  t0 = t();
  await db.withLock(1, async (exec) => {
    await exec("SET maintenance_work_mem = '1GB'");
    await exec('CREATE EXTENSION IF NOT EXISTS rum');
    await exec('CREATE INDEX search_entries_tsv_rum ON search_entries USING rum (tsv rum_tsvector_ops)');
  });
  const rumMs = t() - t0;
  await db.executeSql('ANALYZE search_entries');
  const rum = await measure(true);
  const rumBytes = await size('search_entries_tsv_rum');
  const plan = (await db.executeSql(`EXPLAIN SELECT id FROM search_entries WHERE tsv @@ to_tsquery('simple', 'w1')
    ORDER BY tsv <=> to_tsquery('simple', 'w1') LIMIT 80`)).rows.map((r) => r['QUERY PLAN']).join(' / ');
  // Where a common-word query spends its time: the ranked rows vs the capped count.
  const exec = async (sql: string) => {
    const r = await db.executeSql(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`);
    const j = r.rows[0]['QUERY PLAN'];
    return Number((typeof j === 'string' ? JSON.parse(j) : j)[0]['Execution Time']);
  };
  const q1 = "to_tsquery('simple', 'w1')";
  const split = {
    ginRows: await exec(`WITH cand AS (SELECT id, tsv FROM search_entries WHERE tsv @@ ${q1} LIMIT 10000) SELECT id, ts_rank_cd(tsv, ${q1}, 33) s FROM cand ORDER BY s DESC LIMIT 100`),
    rumRows: await exec(`SELECT id FROM search_entries WHERE tsv @@ ${q1} ORDER BY tsv <=> ${q1} LIMIT 100`),
    count: await exec(`SELECT count(DISTINCT asset_id) FROM (SELECT asset_id FROM search_entries WHERE tsv @@ ${q1} LIMIT 10000) s`),
    count1k: await exec(`SELECT count(*) FROM (SELECT 1 FROM search_entries WHERE tsv @@ ${q1} LIMIT 1000) s`),
  };
  const heap = await size('search_entries');
  const entriesTotal = await total('search_entries');
  const assetsTotal = await total('assets');
  const avgText = Number((await db.executeSql('SELECT avg(length(text))::int AS n FROM search_entries TABLESAMPLE SYSTEM (1)')).rows[0].n);
  await db.close();

  const all = (r: typeof gin) => r.flatMap((x) => x.lat);
  const fmtRows = (label: string, r: typeof gin) => r.map((x) => [`${label}: ${x.kind}`, ms(pct(x.lat, 50)), ms(pct(x.lat, 95)), ms(Math.max(...x.lat)),
    Math.round(x.hits.reduce((a, b) => a + b, 0) / x.hits.length), Math.round(x.totals.reduce((a, b) => a + b, 0) / x.totals.length)]);
  const ginP95 = pct(all(gin), 95);
  const rumP95 = pct(all(rum), 95);
  const perDoc = (b: number) => `${(b / N).toFixed(0)} B`;
  lines.push(
    `## search: ${N.toLocaleString('en')} generated documents on PostgreSQL`,
    '',
    `Run: \`node bench/scale-search.bench.ts\` on ${new Date().toISOString().slice(0, 16)}Z. ${machine()}`,
    '',
    `Documents: one asset + one search entry each, ${WORDS} words drawn from a ${VOCAB.toLocaleString('en')}-word Zipf-like vocabulary ` +
      `(rank r with P ∝ 1/r; average text ${avgText} characters). Generated in SQL (\`INSERT … SELECT\`, two sessions); the query mix goes through ` +
      '`PgIndex.query` (the code `vitrine search` uses) with limit 20, 25 queries per kind after 3 warm-ups, words drawn at random per query.',
    '',
    table(['step', 'time'], [
      ['generate assets + entries (incl. tsvector)', secs(genMs)],
      ['btree on search_entries.asset_id', secs(assetIdxMs)],
      ['GIN index on tsv', secs(ginMs)],
      ['rum index on tsv (rum_tsvector_ops)', secs(rumMs)],
    ]),
    '',
    table(['relation', 'bytes', 'per document'], [
      ['search_entries heap (text + tsvector)', `${(heap / 1024 ** 2).toFixed(0)} MiB`, perDoc(heap)],
      ['GIN index', `${(ginBytes / 1024 ** 2).toFixed(0)} MiB`, perDoc(ginBytes)],
      ['rum index', `${(rumBytes / 1024 ** 2).toFixed(0)} MiB`, perDoc(rumBytes)],
      ['search_entries total (heap, TOAST, all indexes)', `${(entriesTotal / 1024 ** 2).toFixed(0)} MiB`, perDoc(entriesTotal)],
      ['assets total (heap + 5 indexes)', `${(assetsTotal / 1024 ** 2).toFixed(0)} MiB`, perDoc(assetsTotal)],
    ]),
    '',
    table(['path: query kind', 'p50 ms', 'p95 ms', 'max ms', 'hits returned', 'total (capped)'], [...fmtRows('GIN', gin), ...fmtRows('rum', rum)]),
    '',
    table(['target', 'GIN path', 'rum path', 'result'], [
      ['p95 ≤ 50 ms over the whole mix', `${ms(ginP95)} ms`, `${ms(rumP95)} ms`, Math.min(ginP95, rumP95) <= 50 ? `**PASS** (${rumP95 <= ginP95 ? 'rum' : 'GIN'})` : '**FAIL**'],
    ]),
    '',
    `Common word "w1", server execution time (EXPLAIN ANALYZE): ranked rows on GIN (rank 10,000 candidates) ${ms(split.ginRows)} ms, ` +
      `on rum ${ms(split.rumRows)} ms; a separate capped distinct-asset count (10,000) ${ms(split.count)} ms; a count capped at 1,000 would take ${ms(split.count1k)} ms.`,
    '',
    `Plan of a common-word rum query: \`${plan.replace(/\s+/g, ' ').slice(0, 300)}\`.`,
    '',
    'GIN path: one statement (candidates matching the query with phrases relaxed to AND, capped at 10,000 entries;',
    'the real query checked and ranked on those). rum path: ranked rows ordered by the index, then a capped count.',
    '`total` counts assets among the capped candidates, so "w1" reports 10,000 although ~90 % of the documents contain it.',
  );
  updateScaleResults('search', lines.join('\n'));
  console.log(lines.join('\n'));
} finally {
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await rm(dir, { recursive: true, force: true });
}
