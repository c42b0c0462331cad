// Several `vitrine work` processes on one PostgreSQL database share the queue and run every analysis
// exactly once; SIGTERM lets the running job finish and exits 0.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe as show, runCli } from './helpers/cli.ts';
import { createTempDb, NO_PG, pgAvailable, type TempDb } from './helpers/pg.ts';
import { analyses, settled, startWorker, waitFor, workerReady } from './helpers/workers.ts';

let dir = '';
const dbs: TempDb[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vitrine-scalew-'));
});
after(async () => {
  for (const d of dbs) await d.drop();
  await rm(dir, { recursive: true, force: true });
});

async function tempDb(): Promise<TempDb | null> {
  if (!(await pgAvailable())) return null;
  const d = await createTempDb();
  dbs.push(d);
  return d;
}

test('three worker processes share the queue; each analysis runs once', async (t) => {
  const db = await tempDb();
  if (!db) return t.skip(NO_PG);
  const input = join(dir, 'many');
  await mkdir(input);
  for (let i = 0; i < 16; i++) {
    await sharp({ create: { width: 320 + i, height: 200, channels: 3, background: { r: (i * 37) % 256, g: (i * 91) % 256, b: (i * 13) % 256 } } })
      .png().toFile(join(input, `img${i}.png`));
  }
  for (let i = 0; i < 6; i++) await writeFile(join(input, `doc${i}.txt`), `Report number ${i}: shared queue test document ${i * 7919}.\n`);
  const env = { VITRINE_DATABASE_URL: db.url };
  const data = join(dir, 'data-many');
  const ing = await runCli(['ingest', input, '--no-wait', '--analysers', 'metadata,thumbnail,phash,document-text', '--json'], { data, env });
  assert.equal(ing.code, 0, show(ing));
  assert.equal(ing.json.ingested, 22);

  const workers = [0, 1, 2].map(() => startWorker(data, env, ['--concurrency', '2']));
  try {
    await Promise.all(workers.map((w) => workerReady(w)));
    const rows = await waitFor(db.url, settled, 120_000, 'every analysis to settle');
    // 16 images × (metadata, thumbnail, phash) + 6 documents × (metadata, document-text).
    assert.equal(rows.length, 16 * 3 + 6 * 2);
    const notDone = rows.filter((r) => r.status !== 'done');
    assert.deepEqual(notDone, [], 'every analysis done');
    const twice = rows.filter((r) => r.attempts !== 1);
    assert.deepEqual(twice, [], 'no analysis ran twice');
  } finally {
    for (const w of workers) w.child.kill('SIGTERM');
  }
  const exits = await Promise.all(workers.map((w) => w.exited));
  for (let i = 0; i < workers.length; i++) assert.deepEqual(exits[i], { code: 0, signal: null }, workers[i]!.stderr());
  // Search sees the text indexed by whichever worker ran it.
  const s = await runCli(['search', '"shared queue"', '--json'], { data, env });
  assert.equal(s.code, 0, show(s));
  assert.equal(s.json.total, 6);
});

test('SIGTERM during a job: the job finishes, the worker exits 0', async (t) => {
  const db = await tempDb();
  if (!db) return t.skip(NO_PG);
  const wav = join(dir, 'speech.wav');
  // About 9 s of speech: pocketsphinx needs several seconds for it, long enough to signal mid-job.
  execFileSync('flite', ['-t', 'The committee met on Tuesday to discuss the harbour budget and the new cranes for the container terminal.', '-o', wav]);
  const env = { VITRINE_DATABASE_URL: db.url };
  const data = join(dir, 'data-term');
  const ing = await runCli(['ingest', wav, '--no-wait', '--analysers', 'transcript', '--json'], { data, env });
  assert.equal(ing.code, 0, show(ing));
  const w = startWorker(data, env);
  try {
    await waitFor(db.url, (rows) => rows.some((r) => r.analyser === 'transcript' && r.status === 'running'), 90_000, 'the transcript to start');
    w.child.kill('SIGTERM');
    const exit = await w.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, w.stderr());
    assert.match(w.stderr(), /SIGTERM: finishing 1 running job/);
  } finally {
    if (w.child.exitCode === null) w.child.kill('SIGKILL');
  }
  const rows = await analyses(db.url);
  const tr = rows.find((r) => r.analyser === 'transcript')!;
  assert.equal(tr.status, 'done', 'the running job was finished before exit, not abandoned');
  assert.equal(tr.attempts, 1);
});
