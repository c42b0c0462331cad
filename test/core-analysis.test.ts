// Analysis bookkeeping, in-process on a real PGlite: results keyed by content (identical files analysed
// once, across collections too), a poisoned input is skipped with its reason while the rest finishes,
// re-running one analyser (or a new version of it) re-runs only that one, and the embedded FTS5 index
// rebuilds itself from the database when its file is deleted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { createContainer, type Container } from '../src/container.ts';
import { createOut } from '../src/cli/output.ts';
import { runUntilIdle } from '../src/cli/wait.ts';
import type { AssetType } from '../src/analysers/types.ts';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const quiet = createOut(true, true);

let root: string;
let dataDir: string;
let c: Container;
const f: Record<string, string> = {};

async function open(): Promise<Container> {
  return createContainer(loadConfig({ dataDir, concurrency: 2, logLevel: 'silent' }));
}

async function settle(shas?: string[]): Promise<void> {
  await runUntilIdle(c, quiet, shas, 2);
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'vitrine-core-analysis-'));
  dataDir = join(root, 'data');
  const dir = join(root, 'in');
  await mkdir(dir);
  f.a = join(dir, 'a.txt');
  f.b = join(dir, 'b-copy.txt');
  f.c = join(dir, 'c-elsewhere.txt');
  const text = 'The archivist catalogued seventeen xylophones in the municipal basement.\n';
  for (const p of [f.a, f.b, f.c]) await writeFile(p, text);
  f.good = join(dir, 'good.png');
  execFileSync('convert', ['-size', '160x120', 'plasma:fractal', '-seed', '7', f.good]);
  const png = await readFile(f.good);
  // PNG signature and a valid IHDR, then garbage: a PNG by its magic bytes, undecodable.
  f.poison = join(dir, 'poison.png');
  await writeFile(f.poison, Buffer.concat([png.subarray(0, 33), Buffer.alloc(3000, 0xff)]));
  // A truncated PNG: decoders may still read part of it; it must settle either way.
  f.trunc = join(dir, 'truncated.png');
  await writeFile(f.trunc, png.subarray(0, Math.floor(png.length / 3)));
  c = await open();
});

after(async () => {
  await c?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

test('identical content in one collection is one asset; in two collections two assets analysed once', async () => {
  const one = await c.ingest.ingest([f.a, f.b], { collection: 'one', actor: c.localActor });
  assert.equal(one.ingested, 1);
  assert.equal(one.duplicates, 1);
  assert.deepEqual(one.failed, []);
  assert.equal(one.assets[0]!.id, one.assets[1]!.id);
  assert.deepEqual(one.assets.map((x) => x.duplicate).sort(), [false, true]);
  await settle([one.assets[0]!.sha256]);

  const two = await c.ingest.ingest([f.c], { collection: 'two', actor: c.localActor });
  assert.equal(two.ingested, 1, 'another collection gets its own asset');
  assert.notEqual(two.assets[0]!.id, one.assets[0]!.id);
  await settle([two.assets[0]!.sha256]);

  const h = two.assets[0]!.sha256;
  const rows = await c.repos.analyses.forSha(h);
  const meta = rows.find((r) => r.analyser === 'metadata')!;
  assert.equal(meta.status, 'done');
  assert.equal(meta.attempts, 1, 'the second asset reused the first analysis');
  assert.equal(rows.find((r) => r.analyser === 'document-text')!.attempts, 1);
  const n = (await c.db.executeSql('SELECT count(*)::int AS n FROM analyses WHERE sha256 = $1 AND analyser = $2', [h, 'metadata'])).rows[0].n;
  assert.equal(Number(n), 1);

  // Both assets are searchable, each in its own collection.
  const all = await c.search.search({ query: 'xylophones' }, c.localActor);
  assert.deepEqual(all.hits.map((x) => x.collection).sort(), ['one', 'two']);
  const onlyTwo = await c.search.search({ query: 'xylophones', collection: 'two' }, c.localActor);
  assert.deepEqual(onlyTwo.hits.map((x) => x.assetId), [two.assets[0]!.id]);
});

test('a poisoned image is skipped with its reason; a truncated one and a good one finish', async () => {
  const r = await c.ingest.ingest([f.poison, f.trunc, f.good], { collection: 'img', actor: c.localActor });
  assert.equal(r.ingested, 3);
  assert.ok(r.assets.every((x) => x.type === 'image'), JSON.stringify(r.assets));
  await settle(r.assets.map((x) => x.sha256));
  const by = (p: string) => c.repos.analyses.forSha(r.assets.find((x) => x.path === p)!.sha256);

  const poison = await by(f.poison);
  const pm = poison.find((x) => x.analyser === 'metadata')!;
  assert.equal(pm.status, 'skipped', JSON.stringify(pm));
  assert.match(pm.error ?? '', /\S{8,}/, 'a reason');
  assert.equal(pm.attempts, 1, 'a permanent error is not retried');
  for (const x of poison) assert.ok(x.status === 'skipped' || x.status === 'done', `${x.analyser}: ${x.status} ${x.error}`);
  assert.equal(poison.find((x) => x.analyser === 'phash')?.status, 'skipped');

  for (const x of await by(f.trunc)) assert.ok(['done', 'skipped'].includes(x.status), `truncated ${x.analyser}: ${x.status} ${x.error}`);
  const good = await by(f.good);
  for (const id of ['metadata', 'thumbnail', 'phash']) assert.equal(good.find((x) => x.analyser === id)?.status, 'done', id);

  const view = await c.view.show(r.assets.find((x) => x.path === f.poison)!.id, c.localActor, null);
  assert.equal(view.analyses.metadata!.status, 'skipped');
  assert.ok(view.analyses.metadata!.error);
  const st = await c.view.status();
  assert.equal(st.failures.length, 0, JSON.stringify(st.failures));
  assert.equal(await c.repos.analyses.pendingCount(), 0);
});

test('reanalyse(phash) re-runs only phash; a new phash version re-runs only phash', async () => {
  const good = sha(await readFile(f.good));
  const before = new Map((await c.repos.analyses.forSha(good)).map((x) => [x.analyser, x]));
  const r = await c.maintenance.reanalyse({ analyser: 'phash' });
  assert.ok(r.queued >= 3);
  await settle();
  const after1 = new Map((await c.repos.analyses.forSha(good)).map((x) => [x.analyser, x]));
  assert.equal(after1.get('phash')!.status, 'done');
  assert.notEqual(after1.get('phash')!.finishedAt, before.get('phash')!.finishedAt, 'phash ran again');
  assert.equal(after1.get('phash')!.result && (after1.get('phash')!.result as any).hash, (before.get('phash')!.result as any).hash);
  for (const id of ['metadata', 'thumbnail'])
    assert.equal(after1.get(id)!.finishedAt, before.get(id)!.finishedAt, `${id} untouched`);
  const text = sha(await readFile(f.a));
  const docBefore = (await c.repos.analyses.forSha(text)).find((x) => x.analyser === 'document-text')!;

  // A new version of phash: the registry is what a new release would carry.
  const ph = c.registry.get('phash') as { version: number };
  const old = ph.version;
  ph.version = old + 1;
  try {
    // `vitrine reanalyse` with no flag brings every asset up to date: only the changed version is queued.
    const r2 = await c.maintenance.reanalyse();
    assert.ok(r2.queued >= 1);
    const queued = (await c.repos.analyses.counts()).filter((x) => x.status === 'queued' || x.status === 'running');
    assert.deepEqual([...new Set(queued.map((x) => x.analyser))], ['phash'], 'only the new version is queued');
    await settle();
    const after2 = new Map((await c.repos.analyses.forSha(good)).map((x) => [x.analyser, x]));
    assert.equal(after2.get('phash')!.version, old + 1);
    assert.equal(after2.get('phash')!.status, 'done');
    assert.equal(after2.get('metadata')!.finishedAt, before.get('metadata')!.finishedAt);
    const docAfter = (await c.repos.analyses.forSha(text)).find((x) => x.analyser === 'document-text')!;
    assert.equal(docAfter.finishedAt, docBefore.finishedAt, 'documents untouched');
  } finally {
    ph.version = old;
  }
});

test('the embedded FTS5 index rebuilds itself when DATA/db/search.sqlite is deleted', async () => {
  const first = await c.search.search({ query: 'seventeen xylophones' }, c.localActor);
  assert.equal(first.total, 2);
  assert.equal(c.index.kind, 'fts5');
  await c.close();
  const file = join(dataDir, 'db', 'search.sqlite');
  assert.ok(await stat(file));
  for (const s of ['', '-wal', '-shm']) await rm(file + s, { force: true });
  c = await open();
  const again = await c.search.search({ query: 'seventeen xylophones' }, c.localActor);
  assert.deepEqual(again.hits.map((x) => x.assetId).sort(), first.hits.map((x) => x.assetId).sort());
  assert.ok(await stat(file), 'the index file is back');

  // A file that is not a database at all is replaced too.
  await c.close();
  for (const s of ['', '-wal', '-shm']) await rm(file + s, { force: true });
  await writeFile(file, 'this is not sqlite');
  c = await open();
  const third = await c.search.search({ query: 'xylophones' }, c.localActor);
  assert.equal(third.total, 2);
});
