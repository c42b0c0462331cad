// The query language (words, "phrases", prefix*, -exclusions, OR) and its two compilations, then the same
// small corpus searched through the embedded FTS5 index and through PostgreSQL full-text search (on
// PGlite, and on a PostgreSQL server when one is reachable): same hits, same best asset.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseQuery, toFts5, toTsquery, tokenize, queryWords } from '../src/search/query.ts';
import { findMatches, makeSnippet } from '../src/search/snippet.ts';
import { createDb, type Db } from '../src/db/create-db.ts';
import { AssetsRepo } from '../src/repositories/assets.ts';
import { SearchEntriesRepo } from '../src/repositories/search-entries.ts';
import { Fts5Index } from '../src/search/fts5-index.ts';
import { PgIndex } from '../src/search/pg-index.ts';
import type { SearchIndex } from '../src/search/search-index.ts';
import { AppError } from '../src/errors.ts';

const T = (w: string | string[], o: { prefix?: boolean; negate?: boolean } = {}) =>
  ({ words: Array.isArray(w) ? w : [w], prefix: !!o.prefix, negate: !!o.negate });

test('parseQuery: words, phrases, prefixes, exclusions, OR', () => {
  assert.deepEqual(parseQuery('Alpha beta'), [[T('alpha'), T('beta')]]);
  assert.deepEqual(parseQuery('"Exact  Phrase" tail'), [[T(['exact', 'phrase']), T('tail')]]);
  assert.deepEqual(parseQuery('archiv*'), [[T('archiv', { prefix: true })]]);
  assert.deepEqual(parseQuery('ocean -whale'), [[T('ocean'), T('whale', { negate: true })]]);
  assert.deepEqual(parseQuery('ocean -"blue whale"'), [[T('ocean'), T(['blue', 'whale'], { negate: true })]]);
  assert.deepEqual(parseQuery('krill OR plankton sea'), [[T('krill')], [T('plankton'), T('sea')]]);
  assert.deepEqual(parseQuery('or and not'), [[T('or'), T('and'), T('not')]], 'only upper-case OR is an operator');
  assert.deepEqual(parseQuery('OR whale OR'), [[T('whale')]], 'stray ORs are ignored');
  assert.deepEqual(parseQuery('Café ÉTÉ'), [[T('café'), T('été')]]);
  assert.deepEqual(parseQuery('ﬁle'), [[T('file')]], 'NFKC folds ligatures');
  assert.deepEqual(parseQuery("O'Brien's"), [[T("o'brien's")]]);
  assert.deepEqual(parseQuery('e-mail'), [[T('e'), T('mail')]]);
  assert.deepEqual(parseQuery('x -y OR -z'), [[T('x'), T('y', { negate: true })]], 'a group with only exclusions is dropped');
  for (const bad of ['', '   ', '-only', '"" ***', 'OR', '-"a b"', '!!!'])
    assert.throws(() => parseQuery(bad), (e: unknown) => e instanceof AppError && e.code === 'E_USAGE', JSON.stringify(bad));
  assert.deepEqual(tokenize('Hello, World! 42x'), ['hello', 'world', '42x']);
  assert.deepEqual(queryWords(parseQuery('a b* -c "d e"')), { words: ['a', 'd', 'e'], prefixes: ['b'] });
});

test('toFts5 and toTsquery compile the same meaning', () => {
  const cases: [string, string, string][] = [
    ['alpha', '"alpha"', "('alpha')"],
    ['alpha beta', '("alpha" AND "beta")', "('alpha' & 'beta')"],
    ['"blue whale"', '"blue whale"', "(('blue' <-> 'whale'))"],
    ['whal*', '"whal"*', "('whal':*)"],
    ['ocean -whale', '("ocean" NOT "whale")', "('ocean' & !'whale')"],
    ['krill OR plankton', '"krill" OR "plankton"', "('krill') | ('plankton')"],
    ["o'brien", '"o\'brien"', "('o''brien')"],
    ['NOT near AND', '("not" AND "near" AND "and")', "('not' & 'near' & 'and')"],
  ];
  for (const [q, fts, ts] of cases) {
    assert.equal(toFts5(parseQuery(q)), fts, q);
    assert.equal(toTsquery(parseQuery(q)), ts, q);
  }
});

test('snippets and offsets are UTF-16 offsets of the matched words', () => {
  const text = 'Ünïcode 👍 first, then the Whale and whales and a whaler.';
  const q = parseQuery('whale whal*');
  const hl = findMatches(text, q);
  assert.deepEqual(hl.map((h) => text.slice(h.start, h.end)), ['Whale', 'whales', 'whaler']);
  assert.match(makeSnippet(text, hl), /«Whale»/);
  const long = 'word '.repeat(200) + 'needle ' + 'word '.repeat(200);
  const s = makeSnippet(long, findMatches(long, parseQuery('needle')));
  assert.ok(s.startsWith('…') && s.endsWith('…') && s.includes('«needle»') && s.length < 200, s);
});

// A corpus where each query has one clearly best document.
const DOCS: [string, string, string][] = [
  // [asset id, type, text]
  ['doc-whale', 'document', 'The blue whale is the largest animal. A blue whale eats krill; whales sing. Blue whale, blue whale.'],
  ['doc-ocean', 'document', 'The ocean is deep and cold. Ocean currents carry plankton across the ocean floor.'],
  ['doc-mixed', 'document', 'A whale was seen near the blue boat on the ocean, far from the whale watchers.'],
  ['doc-krill', 'document', 'Krill swarms feed on plankton. Krill krill krill: the krill economy of the southern ocean.'],
  ['doc-cafe', 'document', 'Le café du port sert un café noir et un thé vert aux marins.'],
  ['doc-archive', 'document', 'The archivist archived the archives in the archive room.'],
  ['img-boat', 'image', 'BLUE BOAT ocean sign'],
  ['doc-noise', 'document', 'Nothing relevant: tables, chairs, lamps and a window.'],
];

const QUERIES = ['whale', 'blue whale', '"blue whale"', 'whal*', 'ocean -whale', 'krill OR plankton', 'archiv*', 'café', 'boat', 'lamps window', 'zebra'];

interface Engine {
  name: string;
  index: SearchIndex;
  db: Db;
  cleanup: () => Promise<void>;
}

async function load(db: Db): Promise<SearchEntriesRepo> {
  const assets = new AssetsRepo(db);
  const entries = new SearchEntriesRepo(db);
  await assets.insertMany(DOCS.map(([id, type], i) => ({
    id, sha256: String(i).padStart(64, '0'), collection: 'default', path: `/corpus/${id}`, name: id, type, mime: 'text/plain',
    size: 1, parentId: null, ingestedBy: 'test', options: null,
  })));
  for (const [id, type, text] of DOCS) await entries.replace([{ assetId: id, type, collection: 'default' }], 'document-text', [{ text }]);
  return entries;
}

let root: string;
const engines: Engine[] = [];
let pgServer: string | null = null;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'vitrine-core-search-'));
  const lite = await createDb({ dataDir: join(root, 'lite') });
  const entries = await load(lite);
  const fts = await Fts5Index.open(join(root, 'lite', 'search.sqlite'), entries);
  engines.push({ name: 'fts5', index: fts, db: lite, cleanup: async () => fts.close() });
  engines.push({ name: 'pglite', index: new PgIndex(entries), db: lite, cleanup: async () => lite.close() });

  // A PostgreSQL server, if one is reachable: a throw-away database.
  const pg = (await import('pg')).default;
  const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres', connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
    const name = `vitrine_test_${randomBytes(6).toString('hex')}`;
    await admin.query(`CREATE DATABASE ${name}`);
    pgServer = name;
    const db = await createDb({ dataDir: join(root, 'unused'), databaseUrl: `postgres://postgres@127.0.0.1:5432/${name}` });
    const e = await load(db);
    engines.push({
      name: 'postgres', index: new PgIndex(e), db,
      cleanup: async () => {
        await db.close();
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end();
      },
    });
  } catch {
    await admin.end().catch(() => {});
  }
});

after(async () => {
  for (const e of engines.reverse()) await e.cleanup().catch(() => {});
  if (root) await rm(root, { recursive: true, force: true });
});

async function run(e: Engine, q: string, o: { types?: string[] } = {}) {
  const r = await e.index.query(parseQuery(q), { limit: 10, collections: null, ...o });
  return { total: r.total, ids: r.hits.map((h) => h.assetId) };
}

test('every compiled query is accepted by FTS5 and by PostgreSQL, whatever the user typed', async () => {
  const nasty = ['a:b', 'x AND', 'NEAR(a b)', '"unclosed', 'back\\slash', "it's", 'dollar$ $1', '(paren) [br]', 'col:val*', '^caret', 'ü* ß', '1e10', '&&& || !x y'];
  for (const e of engines) {
    for (const q of nasty) {
      let parsed;
      try {
        parsed = parseQuery(q);
      } catch {
        continue; // no searchable words: a usage error, fine
      }
      await assert.doesNotReject(e.index.query(parsed, { limit: 5, collections: null }), `${e.name}: ${q}`);
    }
  }
  for (const e of engines.filter((x) => x.name !== 'fts5'))
    for (const q of nasty.concat(QUERIES)) {
      try {
        await e.db.executeSql("SELECT to_tsquery('simple', $1)", [toTsquery(parseQuery(q))]);
      } catch (err) {
        if (!(err instanceof AppError)) throw new Error(`${e.name} rejects the tsquery of ${q}: ${(err as Error).message}`);
      }
    }
});

test('FTS5, PostgreSQL on PGlite (and a PostgreSQL server) agree on hits and on the best asset', async (t) => {
  if (!pgServer) t.diagnostic('no PostgreSQL server at 127.0.0.1:5432: compared FTS5 with PGlite only');
  const expectTop: Record<string, string | null> = {
    whale: 'doc-whale', 'blue whale': 'doc-whale', '"blue whale"': 'doc-whale', 'whal*': 'doc-whale', 'ocean -whale': 'doc-ocean',
    'krill OR plankton': 'doc-krill', 'archiv*': 'doc-archive', café: 'doc-cafe', boat: null, 'lamps window': 'doc-noise', zebra: null,
  };
  for (const q of QUERIES) {
    const results = await Promise.all(engines.map((e) => run(e, q)));
    const [ref, ...others] = results;
    for (let i = 0; i < others.length; i++) {
      assert.deepEqual([...others[i]!.ids].sort(), [...ref!.ids].sort(), `${engines[i + 1]!.name} vs fts5 hits for ${q}`);
      assert.equal(others[i]!.total, ref!.total, `${engines[i + 1]!.name} total for ${q}`);
      if (expectTop[q]) assert.equal(others[i]!.ids[0], expectTop[q], `${engines[i + 1]!.name} best for ${q}`);
    }
    if (expectTop[q]) assert.equal(ref!.ids[0], expectTop[q], `fts5 best for ${q}: ${ref!.ids.join(',')}`);
  }
  // Exact expectations on a few.
  for (const e of engines) {
    assert.deepEqual((await run(e, '"blue whale"')).ids, ['doc-whale'], `${e.name}: the phrase is only in one document`);
    assert.deepEqual((await run(e, 'ocean -whale')).ids.sort(), ['doc-krill', 'doc-ocean', 'img-boat'], e.name);
    assert.deepEqual((await run(e, 'boat')).ids.sort(), ['doc-mixed', 'img-boat'], e.name);
    assert.deepEqual((await run(e, 'boat', { types: ['image'] })).ids, ['img-boat'], `${e.name}: type filter`);
    assert.deepEqual((await run(e, 'zebra')), { total: 0, ids: [] }, e.name);
  }
  t.diagnostic(`engines compared: ${engines.map((e) => e.name).join(', ')}`);
});

test('topAssets (facet samples) names the same assets as the hits, best first, on every engine', async () => {
  for (const e of engines) {
    for (const q of QUERIES) {
      const hits = (await run(e, q)).ids;
      const top = await e.index.topAssets(parseQuery(q), { limit: 10, collections: null });
      assert.deepEqual([...top].sort(), [...hits].sort(), `${e.name}: ${q}`);
      if (hits.length) assert.equal(top[0], hits[0], `${e.name}: best for ${q}`);
    }
    assert.deepEqual(await e.index.topAssets(parseQuery('boat'), { limit: 10, collections: null, types: ['image'] }), ['img-boat'], e.name);
    assert.deepEqual(await e.index.topAssets(parseQuery('boat'), { limit: 10, collections: [] }), [], e.name);
    assert.equal((await e.index.topAssets(parseQuery('ocean'), { limit: 1, collections: null })).length, 1, e.name);
  }
});

test('an unaccented query finds accented text on every engine', async () => {
  for (const e of engines) assert.deepEqual((await run(e, 'cafe')).ids, ['doc-cafe'], e.name);
});
