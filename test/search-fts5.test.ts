// The embedded FTS5 mirror: `total` counts distinct assets (rowids clustered by asset) with and without
// filters, hits carry the search_entries ids, writes it was not told about are picked up on the next
// query (write generations), and erasure and reopening keep it equal to the source of truth.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb, type Db } from '../src/db/create-db.ts';
import { AssetsRepo } from '../src/repositories/assets.ts';
import { SearchEntriesRepo } from '../src/repositories/search-entries.ts';
import { Fts5Index } from '../src/search/fts5-index.ts';
import { parseQuery } from '../src/search/query.ts';

let root: string;
let db: Db;
let entries: SearchEntriesRepo;
let assets: AssetsRepo;
const file = () => join(root, 'search.sqlite');

async function addAssets(from: number, n: number, perAsset: number): Promise<void> {
  const ids = Array.from({ length: n }, (_, i) => `a${from + i}`);
  await assets.insertMany(ids.map((id, i) => ({
    id, sha256: String(from + i).padStart(64, '0'), collection: (from + i) % 2 ? 'odd' : 'even', path: id, name: id,
    type: (from + i) % 3 ? 'document' : 'image', mime: 'text/plain', size: 1, parentId: null, ingestedBy: 't', options: null,
  })));
  for (const id of ids) {
    const n = Number(id.slice(1));
    await entries.replace([{ assetId: id, type: n % 3 ? 'document' : 'image', collection: n % 2 ? 'odd' : 'even' }], 'ocr',
      Array.from({ length: perAsset }, (_, p) => ({ text: `common page ${p} of asset ${id} ${p === 0 ? 'firstpage' : ''}`, page: p + 1 })));
  }
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'vitrine-fts5-'));
  db = await createDb({ dataDir: root });
  assets = new AssetsRepo(db);
  entries = new SearchEntriesRepo(db);
  await assets.ensureCollections(['odd', 'even']);
  await addAssets(0, 60, 7);
});

after(async () => {
  await db?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

const q = (idx: Fts5Index, s: string, f: Partial<Parameters<Fts5Index['query']>[1]> = {}) =>
  idx.query(parseQuery(s), { limit: 5, collections: null, ...f });

test('total counts assets, not entries, with and without filters', async () => {
  const idx = await Fts5Index.open(file(), entries);
  try {
    const all = await q(idx, 'common');
    assert.equal(all.total, 60);
    assert.equal(all.hits.length, 5);
    assert.equal((await q(idx, 'common', { collections: ['odd'] })).total, 30);
    assert.equal((await q(idx, 'common', { types: ['image'] })).total, 20);
    assert.equal((await q(idx, 'common', { types: ['image'], collections: ['even'] })).total, 10);
    assert.equal((await q(idx, 'firstpage')).total, 60);
    // Hits keep the source rows' ids and fields.
    const h = all.hits[0]!;
    const src = await entries.forAssets([h.assetId]);
    for (const e of h.entries) {
      const s = src.find((x) => x.id === e.id);
      assert.ok(s, `entry ${e.id} is a search_entries row`);
      assert.equal(s.text, e.text);
      assert.equal(s.page, e.page);
    }
  } finally {
    await idx.close();
  }
});

test('writes made behind its back are seen by the next query; erasure and reopening stay exact', async () => {
  const idx = await Fts5Index.open(file(), entries);
  try {
    assert.equal((await q(idx, 'common')).total, 60);
    // Straight SQL, no sync() call: the write generation moves and the next query catches up.
    await addAssets(60, 4, 3);
    await db.executeSql(`INSERT INTO search_entries (asset_id, analyser, type, collection, text) VALUES ('a0', 'note', 'image', 'even', 'late common addition')`);
    assert.equal((await q(idx, 'common')).total, 64);
    assert.equal((await q(idx, 'late')).total, 1);
    // Erasure: the source rows go, the index drops the assets.
    await entries.deleteForAssets(['a1', 'a2']);
    await idx.removeAssets(['a1', 'a2']);
    assert.equal((await q(idx, 'common')).total, 62);
    // More entries for an existing asset after erasure elsewhere: still counted once.
    await entries.replace([{ assetId: 'a3', type: 'document', collection: 'odd' }], 'transcript', [{ text: 'common spoken' }, { text: 'common again' }]);
    assert.equal((await q(idx, 'common')).total, 62);
  } finally {
    await idx.close();
  }
  // Rows deleted while the index was closed: reopening notices and rebuilds.
  await entries.deleteForAssets(['a4']);
  const again = await Fts5Index.open(file(), entries);
  try {
    assert.equal((await q(again, 'common')).total, 61);
    assert.equal((await q(again, 'common', { collections: ['even'] })).total, 30);
  } finally {
    await again.close();
  }
});

test('hit rows carry facet values: language, and each detected object label once', async () => {
  const sha = String(5).padStart(64, '0'); // asset a5
  await db.executeSql(`INSERT INTO analyses (sha256, analyser, version, status, result) VALUES
    ($1, 'objects', 1, 'done', $2::jsonb), ($1, 'language', 1, 'done', '{"language":"de"}'::jsonb)`,
  [sha, JSON.stringify({ objects: [{ label: 'person', score: 0.9 }, { label: 'car', score: 0.7 }, { label: 'person', score: 0.6 }] })]);
  const rows = await assets.getManyWithFacets(['a5', 'a6']);
  const a5 = rows.find((r) => r.id === 'a5')!;
  assert.deepEqual([a5.language, [...a5.labels].sort()], ['de', ['car', 'person']]);
  const a6 = rows.find((r) => r.id === 'a6')!;
  assert.deepEqual([a6.language, a6.labels], [null, []]);
});
