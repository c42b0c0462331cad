// Faults on a PostgreSQL server. Restarting the shared server is not possible here, so every session of
// the test database is terminated (what clients see when the server restarts): mid-ingest, a re-run
// completes the ingest with nothing lost or doubled; mid-analysis, the workers carry on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe as show, runCli, spawnCli } from './helpers/cli.ts';
import { adminQuery, NO_PG, pgFixture } from './helpers/pg.ts';
import { settled, sleep, startWorker, summary, waitFor, workerReady } from './helpers/workers.ts';

const FILES = 1000;

const fx = pgFixture('vitrine-pgf-');

const count = async (sql: string) => Number((await adminQuery(sql, [], fx.db!.url)).rows[0].n);

test('sessions terminated mid-ingest: a re-run completes, nothing lost or doubled', async (t) => {
  if (!fx.db) return t.skip(NO_PG);
  const input = join(fx.dir, 'in');
  await mkdir(input);
  for (let i = 0; i < FILES; i++) await writeFile(join(input, `f${String(i).padStart(3, '0')}.txt`), `Fault test record ${i} zebra${i}\n`);
  const env = { VITRINE_DATABASE_URL: fx.db.url };
  const data = join(fx.dir, 'data');

  // 1. Ingest, and terminate every session of the database once assets start to arrive.
  const child = spawnCli(['ingest', input, '--no-wait', '--analysers', 'document-text', '--json'], { data, env });
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => (out += b));
  child.stderr!.on('data', (b: Buffer) => (err += b));
  const exited = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  child.stdin!.end();
  // Cut every session repeatedly once assets start to arrive, so a statement in flight is hit.
  let terminated = 0;
  for (let i = 0; i < 1200 && child.exitCode === null; i++) {
    const n = await count('SELECT count(*)::int AS n FROM assets').catch(() => 0);
    if (n > 0) terminated += await fx.db.terminateBackends();
    await sleep(n > 0 ? 150 : 50);
  }
  const code = await exited;
  assert.ok(terminated > 0, `sessions were terminated mid-ingest (exit ${code}): ${err}`);
  const before = await count('SELECT count(*)::int AS n FROM assets');
  t.diagnostic(`first run: ${terminated} sessions cut; exit ${code}, ${before}/${FILES} assets recorded; stderr: ${err.trim().slice(0, 200)}`);
  if (code === 0) {
    // Only idle sessions were hit (the pool replaces them): then the run must really be complete.
    assert.equal(JSON.parse(out).ingested, FILES);
  } else {
    assert.match(err, /^vitrine: E_\w+ .*terminat/m, 'one clear error line');
    assert.ok(before < FILES, 'a failed run did not record everything');
  }

  // 2. The same command again completes the ingest; files recorded the first time are duplicates now.
  const again = await runCli(['ingest', input, '--no-wait', '--analysers', 'document-text', '--json'], { data, env });
  assert.equal(again.code, 0, show(again));
  assert.equal(again.json.failed.length, 0);
  assert.equal(again.json.ingested + again.json.duplicates, FILES);
  assert.equal(await count('SELECT count(*)::int AS n FROM assets'), FILES, 'every file recorded once');
  assert.equal(await count('SELECT count(DISTINCT sha256)::int AS n FROM analyses'), FILES, 'every file has its analyses');
});

// An analysis whose result write is cut off stays `running`; the job's retry finds it claimed and returns.
// The workers' lost-work sweep (AnalysesRepo.unsettledShas) puts it back to `queued` once stale.
test('sessions terminated while workers run: every analysis still completes', async (t) => {
  if (!fx.db) return t.skip(NO_PG);
  const env = { VITRINE_DATABASE_URL: fx.db.url };
  const data = join(fx.dir, 'data');
  assert.equal(await count('SELECT count(*)::int AS n FROM assets'), FILES, 'runs after the ingest test');
  // Work cut off between claim and result is found stale and re-run after the expiry (30 s, the minimum).
  const w = startWorker(data, { ...env, VITRINE_JOB_EXPIRE_SECONDS: '30' }, ['--concurrency', '2']);
  try {
    await workerReady(w);
    await waitFor(fx.db.url, (rows) => rows.some((r) => r.status === 'done'), 60_000, 'analysis to start');
    assert.ok((await fx.db.terminateBackends()) > 0);
    await sleep(1500);
    await fx.db.terminateBackends();
    const rows = await waitFor(fx.db.url, settled, 75_000, 'every analysis to settle after the cuts');
    assert.deepEqual(rows.filter((r) => r.status !== 'done').map((r) => [r.analyser, r.status]), [], 'nothing failed');
    t.diagnostic(`after the cuts: ${summary(rows)}`);
    w.child.kill('SIGTERM');
    assert.equal((await w.exited).code, 0, w.stderr());
  } finally {
    if (w.child.exitCode === null) w.child.kill('SIGKILL');
  }
  assert.equal(await count("SELECT count(DISTINCT asset_id)::int AS n FROM search_entries WHERE analyser = 'document-text'"), FILES, 'every text indexed');
  const s = await runCli(['search', 'zebra123', '--json'], { data, env });
  assert.equal(s.code, 0, show(s));
  assert.equal(s.json.total, 1);
});
