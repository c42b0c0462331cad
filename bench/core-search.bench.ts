// Core search target (issue 3): 20,000 ~1 KB documents with a Zipf vocabulary (seeded), 50 mixed queries
// (common word, rare word, two words, quoted phrase), p50/p95 in-process through
//   (i)  Vitrine's SearchService with the embedded FTS5 index (the default with PGlite),
//   (ii) SearchService with PgIndex on PGlite (reference),
//   (iii) baseline: SQLite FTS5 via node:sqlite on the same documents, bm25, LIMIT 20.
// Target: (i) p95 ≤ 2 × (iii) p95 + 5 ms. Queries run interleaved (i, ii, iii in rotating order) so load from
// other processes falls on all alike; then a breakdown of (i) shows where its time goes.
// Run: node bench/core-search.bench.ts   (env: DOCS=20000, ROUNDS=3; ≈1–2 min on 2 cores)
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DatabaseSync } from 'node:sqlite';
import { machine, ms, pct, prng, table, updateResults, type SummaryRow, timeMethod } from './common.ts';
import { loadConfig } from '../src/config.ts';
import { createContainer } from '../src/container.ts';
import type { NewAsset } from '../src/repositories/assets.ts';
import { parseQuery, toFts5 } from '../src/search/query.ts';
import { PgIndex } from '../src/search/pg-index.ts';
import { findMatches, makeSnippet } from '../src/search/snippet.ts';
import { SearchService } from '../src/services/search.ts';

// node:sqlite is "experimental" on Node 22; the warning is noise in a benchmark's output.
process.removeAllListeners('warning');

const DOCS = Number(process.env.DOCS ?? 20_000);
const VOCAB = 20_000;
const ZIPF_S = 1.1;
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const rnd = prng(20_240_611);

// ---------- corpus ----------
// Pronounceable pseudo-words, unique, shortest first (frequent words are short, as in real text).
const SYL = ['ka', 'to', 'ri', 'mo', 'ne', 'sa', 'lu', 'vi', 'de', 'po', 'ga', 'shi', 'ter', 'ban', 'dor', 'mel', 'qua', 'zen',
  'fa', 'ho', 'ju', 'ly', 'xe', 'wo', 'bre', 'cla', 'str', 'an', 'el', 'or', 'us', 'im'];
const vocabSet = new Set<string>();
while (vocabSet.size < VOCAB) {
  const n = 1 + Math.floor(rnd() * 4);
  let w = '';
  for (let i = 0; i < n; i++) w += SYL[Math.floor(rnd() * SYL.length)];
  vocabSet.add(w);
}
const vocab = [...vocabSet].sort((a, b) => a.length - b.length || (a < b ? -1 : 1));
const cdf = new Float64Array(VOCAB);
{
  let acc = 0;
  for (let r = 0; r < VOCAB; r++) cdf[r] = acc += 1 / Math.pow(r + 1, ZIPF_S);
  for (let r = 0; r < VOCAB; r++) cdf[r]! /= acc;
}
function zipfRank(): number {
  const u = rnd();
  let lo = 0;
  let hi = VOCAB - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid]! < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
const docs: string[] = [];
const df = new Uint32Array(VOCAB); // document frequency per rank
let chars = 0;
for (let d = 0; d < DOCS; d++) {
  const seen = new Set<number>();
  let s = '';
  let inSentence = 0;
  const target = 900 + Math.floor(rnd() * 200);
  while (s.length < target) {
    const r = zipfRank();
    seen.add(r);
    let w = vocab[r]!;
    if (inSentence === 0) w = w[0]!.toUpperCase() + w.slice(1);
    s += (s ? ' ' : '') + w;
    if (++inSentence >= 8 + Math.floor(rnd() * 10)) {
      s += '.';
      inSentence = 0;
    }
  }
  for (const r of seen) df[r]!++;
  docs.push(s);
  chars += s.length;
}

// ---------- queries (fixed seed): common word, rare word, two words, quoted phrase ----------
const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const ranksWhere = (f: (r: number) => boolean) => [...Array(VOCAB).keys()].filter(f);
const common = ranksWhere((r) => r < 100);
const rare = ranksWhere((r) => r >= 2000 && df[r]! >= 1 && df[r]! <= 5);
const mid = ranksWhere((r) => r >= 10 && r < 1000);
const queries: { kind: string; q: string }[] = [];
for (let i = 0; queries.length < 50; i++) {
  const kind = ['common word', 'rare word', 'two words', 'quoted phrase'][i % 4]!;
  if (kind === 'common word') queries.push({ kind, q: vocab[pick(common)]! });
  else if (kind === 'rare word') queries.push({ kind, q: vocab[pick(rare)]! });
  else if (kind === 'two words') queries.push({ kind, q: `${vocab[pick(mid)]} ${vocab[pick(mid)]}` });
  else {
    // Two adjacent words of a random document, so the phrase occurs at least once.
    const words = pick(docs).toLowerCase().replace(/\./g, '').split(' ');
    const at = Math.floor(rnd() * (words.length - 1));
    queries.push({ kind, q: `"${words[at]} ${words[at + 1]}"` });
  }
}

// ---------- load ----------
const dir = await mkdtemp(join(tmpdir(), 'vitrine-core-search-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
console.log(`# core-search\n\n${machine()}\n`);
console.log(`corpus: ${DOCS} documents, ${(chars / DOCS).toFixed(0)} chars average, vocabulary ${VOCAB} (Zipf s=${ZIPF_S}); 50 queries`);

const c = await createContainer(loadConfig({ dataDir: join(dir, 'data'), logLevel: 'error' }));
let tAssets = 0;
let tEntries = 0;
let tSync = 0;
let tBase = 0;
const ids: string[] = [];
{
  await c.repos.assets.ensureCollections(['default']);
  let t0 = performance.now();
  for (let i = 0; i < DOCS; i += 1000) {
    const rows: NewAsset[] = [];
    for (let j = i; j < Math.min(DOCS, i + 1000); j++)
      rows.push({
        id: `bench${String(j).padStart(8, '0')}`, sha256: randomBytes(32).toString('hex'), collection: 'default', path: `docs/doc-${j}.txt`,
        name: `doc-${j}.txt`, type: 'document', mime: 'text/plain', size: Buffer.byteLength(docs[j]!), parentId: null, ingestedBy: 'bench', options: null,
      });
    const saved = await c.repos.assets.insertMany(rows);
    ids.push(...saved.map((a) => a.id));
  }
  tAssets = performance.now() - t0;
  // The repository's own write path: one replace() per document (its entries are per (asset, analyser)),
  // issued in batches of 200 concurrent calls.
  t0 = performance.now();
  for (let i = 0; i < DOCS; i += 200) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(DOCS, i + 200); j++)
      batch.push(c.repos.entries.replace([{ assetId: ids[j]!, type: 'document', collection: 'default' }], 'document-text', [{ text: docs[j]! }]));
    await Promise.all(batch);
  }
  tEntries = performance.now() - t0;
  t0 = performance.now();
  await c.index.sync();
  tSync = performance.now() - t0;
  await c.db.checkpoint();
}
// Baseline: the same documents in a plain FTS5 table, same tokenizer as Vitrine's index.
const base = new DatabaseSync(join(dir, 'baseline.sqlite'));
{
  const t0 = performance.now();
  base.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
    CREATE VIRTUAL TABLE t USING fts5(body, tokenize = 'unicode61 remove_diacritics 2');`);
  const ins = base.prepare('INSERT INTO t (rowid, body) VALUES (?, ?)');
  base.exec('BEGIN');
  for (let i = 0; i < DOCS; i++) ins.run(i + 1, docs[i]!);
  base.exec('COMMIT');
  tBase = performance.now() - t0;
}
const baseStmt = base.prepare('SELECT rowid, bm25(t) FROM t WHERE t MATCH ? ORDER BY bm25(t) LIMIT 20');
console.log(`load: assets ${(tAssets / 1000).toFixed(1)} s, search_entries via replace() ${(tEntries / 1000).toFixed(1)} s, ` +
  `FTS5 mirror sync ${(tSync / 1000).toFixed(1)} s; baseline FTS5 table ${(tBase / 1000).toFixed(1)} s`);

// ---------- measure ----------
const actor = c.localActor;
const fts5Search = c.search;
if (c.index.kind !== 'fts5') throw new Error(`expected the embedded FTS5 index, got ${c.index.kind}`);
const pgSearch = new SearchService(new PgIndex(c.repos.entries), c.repos.assets, c.audit, c.access);
const matchOf = queries.map((x) => toFts5(parseQuery(x.q)));
type Engine = 'vitrine' | 'pg' | 'fts5';
const engines: Record<Engine, (i: number) => Promise<unknown>> = {
  vitrine: (i) => fts5Search.search({ query: queries[i]!.q, limit: 20 }, actor),
  pg: (i) => pgSearch.search({ query: queries[i]!.q, limit: 20 }, actor),
  fts5: async (i) => baseStmt.all(matchOf[i]!),
};
const names: Engine[] = ['vitrine', 'pg', 'fts5'];
const times: Record<Engine, number[]> = { vitrine: [], pg: [], fts5: [] };
const perKind: Record<Engine, Map<string, number[]>> = { vitrine: new Map(), pg: new Map(), fts5: new Map() };
// Warm-up: every query once through each engine.
for (let i = 0; i < queries.length; i++) for (const e of names) await engines[e](i);
for (let r = 0; r < ROUNDS; r++)
  for (let i = 0; i < queries.length; i++)
    for (let k = 0; k < names.length; k++) {
      const e = names[(i + r + k) % names.length]!;
      const t0 = performance.now();
      await engines[e](i);
      const t = performance.now() - t0;
      times[e].push(t);
      const m = perKind[e];
      m.set(queries[i]!.kind, [...(m.get(queries[i]!.kind) ?? []), t]);
    }

// Sanity: Vitrine's top 20 should be the baseline's top 20 (same bm25 over the same text; ties may differ).
let overlap = 0;
let totalsAgree = 0;
for (let i = 0; i < queries.length; i++) {
  const v = (await fts5Search.search({ query: queries[i]!.q, limit: 20 }, actor));
  const b = baseStmt.all(matchOf[i]!) as { rowid: number }[];
  const bs = new Set(b.map((x) => ids[x.rowid - 1]));
  overlap += b.length ? v.hits.filter((h) => bs.has(h.assetId)).length / b.length : 1;
  const n = Number((base.prepare('SELECT count(*) AS n FROM t WHERE t MATCH ?').get(matchOf[i]!) as { n: number }).n);
  if (n === v.total) totalsAgree++;
}

// ---------- where (i)'s time goes ----------
// The real SearchService calls, each dependency wrapped with a timer (mean ms per search over ROUNDS × 50
// searches), plus the count query for `total` by itself on a second, read-only connection to the index
// file, and snippet building alone on the hits.
const spent = new Map<string, number>();
const wrap = (obj: any, method: string, label: string) => timeMethod(spent, obj, method, label);
const unwrap = [
  wrap(c.access, 'readableCollections', 'access.readableCollections (collection policies)'),
  wrap(c.index, 'query', 'index.query (FTS5 + count for total + sync)'),
  wrap(c.index, 'sync', 'of which index.sync (catch up with search_entries)'),
  wrap(c.repos.assets, 'getMany', 'assets.getMany (hit rows)'),
  wrap(c.audit, 'record', 'audit.record (hash-chained event per search)'),
];
const side = new DatabaseSync(join(dir, 'data', 'db', 'search.sqlite'), { readOnly: true });
let tTotal = 0;
let tCount = 0;
let tSnip = 0;
for (let r = 0; r < ROUNDS; r++)
  for (let i = 0; i < queries.length; i++) {
    let t0 = performance.now();
    const res = await fts5Search.search({ query: queries[i]!.q, limit: 20 }, actor);
    tTotal += performance.now() - t0;
    t0 = performance.now();
    side.prepare('SELECT count(DISTINCT rowid >> 24) AS n FROM fts WHERE fts MATCH ?').get(matchOf[i]!);
    tCount += performance.now() - t0;
    const q = parseQuery(queries[i]!.q);
    t0 = performance.now();
    for (const h of res.hits) for (const m of h.matches) makeSnippet(m.text, findMatches(m.text, q));
    tSnip += performance.now() - t0;
  }
for (const u of unwrap) u();
const n = ROUNDS * queries.length;
const top = ['access.readableCollections (collection policies)', 'index.query (FTS5 + count for total + sync)', 'assets.getMany (hit rows)', 'audit.record (hash-chained event per search)'];
const rest = tTotal - top.reduce((s, k) => s + (spent.get(k) ?? 0), 0);
const parts: [string, number][] = [
  ['whole `SearchService.search`', tTotal / n],
  ...[top[0]!, top[1]!, 'of which index.sync (catch up with search_entries)', top[2]!, top[3]!].map((k) => [k, (spent.get(k) ?? 0) / n] as [string, number]),
  ['rest: parse, snippets and matches, JSON', rest / n],
  ['(alone) count(DISTINCT rowid >> 24) for total over all 50 queries (index.query skips it when all matches were fetched)', tCount / n],
  ['(alone) snippet building for the returned matches', tSnip / n],
];
side.close();
await c.close();
base.close();

// ---------- report ----------
const p95 = (e: Engine) => pct(times[e], 95);
const p50 = (e: Engine) => pct(times[e], 50);
const limit = 2 * p95('fts5') + 5;
const pass = p95('vitrine') <= limit;
const kinds = ['common word', 'rare word', 'two words', 'quoted phrase'];
const label: Record<Engine, string> = {
  vitrine: '**(i) Vitrine `SearchService`, FTS5 index** (default)',
  pg: '(ii) `SearchService` with `PgIndex` on PGlite (reference)',
  fts5: 'baseline (iii) SQLite FTS5, `bm25`, `LIMIT 20`',
};
const md = [
  '## core-search',
  '',
  `Run: \`node bench/core-search.bench.ts\` on ${new Date().toISOString().slice(0, 16)}Z. ${machine()}`,
  '',
  `Corpus: ${DOCS.toLocaleString('en')} documents of ${(chars / DOCS).toFixed(0)} characters on average, words drawn from a ` +
    `${VOCAB.toLocaleString('en')}-word pseudo-vocabulary with Zipf s = ${ZIPF_S} (seeded PRNG). One asset row per document ` +
    `(\`AssetsRepo.insertMany\`, random sha256), text via \`SearchEntriesRepo.replace\` (${(tEntries / 1000).toFixed(1)} s for all; ` +
    `assets ${(tAssets / 1000).toFixed(1)} s), then the FTS5 mirror caught up in ${(tSync / 1000).toFixed(1)} s ` +
    `(baseline table built in ${(tBase / 1000).toFixed(1)} s).`,
  `Queries: 50 (${kinds.map((k) => `${queries.filter((x) => x.kind === k).length} ${k}`).join(', ')}), limit 20, warmed up once, ` +
    `then ${ROUNDS} rounds interleaved → ${ROUNDS * 50} timings per engine, in-process.`,
  '',
  table(['engine', 'p50 ms', 'p95 ms', 'max ms', ...kinds.map((k) => `${k} p50`)], names.map((e) => [
    label[e], ms(p50(e)), ms(p95(e)), ms(Math.max(...times[e])), ...kinds.map((k) => ms(pct(perKind[e].get(k) ?? [], 50))),
  ])),
  '',
  table(['target', 'figure', 'baseline (same run)', 'ratio', 'result'], [
    ['Vitrine p95 ≤ 2 × FTS5 p95 + 5 ms', `${ms(p95('vitrine'))} ms`, `${ms(p95('fts5'))} ms → limit ${ms(limit)} ms`,
      `${(p95('vitrine') / p95('fts5')).toFixed(1)}×`, pass ? '**pass**' : '**FAIL**'],
    ['(info) PgIndex on PGlite p95', `${ms(p95('pg'))} ms`, `${ms(p95('fts5'))} ms`, `${(p95('pg') / p95('fts5')).toFixed(1)}×`, p95('pg') <= limit ? 'within' : 'over'],
  ]),
  '',
  `Check: Vitrine's top 20 and the baseline's agree on ${(100 * overlap / queries.length).toFixed(1)}% of hits (ties in bm25 may order ` +
    `differently); \`total\` equals the baseline's match count for ${totalsAgree}/50 queries.`,
  '',
  `Where a Vitrine search spends its time (mean per search over ${n} searches, each dependency timed inside the real call):`,
  '',
  table(['part', 'mean ms', 'share'], parts.map(([k, v]) => [k, ms(v), `${(100 * v / (tTotal / n)).toFixed(0)}%`])),
  '',
  'Design: with PGlite (the embedded default) search goes to an SQLite FTS5 index (`node:sqlite`, `DATA/db/search.sqlite`)',
  'mirrored from the `search_entries` table, which stays the source of truth (the mirror catches up by id when the',
  'table was written, and is rebuilt when it disagrees). FTS5 ranks with bm25 over its inverted index instead of',
  'PostgreSQL ranking every match. Rowids are clustered by asset (ordinal × 2^24 + entry), so the ranking selects',
  'rowid + score only, the best `limit` assets are chosen from the rowids, and text, page, time and box are read for',
  'their entries alone; `total` is `count(DISTINCT rowid >> 24)` (only when there are more matches than fetched).',
  'Type/collection filters read a narrow side table (rowid → asset, type, collection). PostgreSQL (scale-out) uses its',
  'tsvector/GIN with a candidate cap.',
].join('\n');
console.log('\n' + md);
const summary: SummaryRow[] = [{
  target: `search p95 (${DOCS.toLocaleString('en')} docs, 50 queries) ≤ 2 × FTS5 p95 + 5 ms`, figure: `${ms(p95('vitrine'))} ms (PgIndex ${ms(p95('pg'))} ms)`,
  baseline: `${ms(p95('fts5'))} ms → limit ${ms(limit)} ms`, ratio: `${(p95('vitrine') / p95('fts5')).toFixed(1)}×`, pass, run: `core-search ${new Date().toISOString().slice(0, 10)}`,
}];
updateResults('core-search', md, summary);
process.exitCode = pass ? 0 : 1;
