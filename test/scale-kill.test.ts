// A worker killed with -9 in the middle of a job: its job comes back after the expiry
// (VITRINE_JOB_EXPIRE_SECONDS=30, the smallest allowed) and another worker runs it to completion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe as show, runCli } from './helpers/cli.ts';
import { NO_PG, pgFixture } from './helpers/pg.ts';
import { analyses, startWorker, waitFor, workerReady } from './helpers/workers.ts';


const fx = pgFixture('vitrine-scalek-');

test('kill -9 mid-job: another worker picks the job up after the expiry', async (t) => {
  if (!fx.db) return t.skip(NO_PG);
  const wav = join(fx.dir, 'speech.wav');
  execFileSync('flite', ['-t', 'The harbour cranes were inspected on Tuesday.', '-o', wav]);
  const env = { VITRINE_DATABASE_URL: fx.db.url, VITRINE_JOB_EXPIRE_SECONDS: '30' };
  const data = join(fx.dir, 'data');
  const ing = await runCli(['ingest', wav, '--no-wait', '--analysers', 'transcript', '--json'], { data, env });
  assert.equal(ing.code, 0, show(ing));

  const a = startWorker(data, env);
  let b: ReturnType<typeof startWorker> | null = null;
  try {
    await waitFor(fx.db.url, (rows) => rows.some((r) => r.analyser === 'transcript' && r.status === 'running'), 90_000, 'A to start the transcript');
    a.child.kill('SIGKILL');
    const killedAt = Date.now();
    assert.equal((await a.exited).signal, 'SIGKILL');
    b = startWorker(data, env);
    await workerReady(b);
    const rows = await waitFor(fx.db.url, (r) => r.every((x) => x.status === 'done'), 100_000, 'B to finish the abandoned job');
    const waited = (Date.now() - killedAt) / 1000;
    const tr = rows.find((r) => r.analyser === 'transcript')!;
    assert.equal(tr.attempts, 2, 'started by A, run again by B');
    assert.ok(waited >= 20, `the job came back only after the expiry (${waited.toFixed(0)} s), not while A might still be running it`);
    assert.ok(waited <= 75, `the job came back within expiry + supervisor interval + retry delay (${waited.toFixed(0)} s)`);
    t.diagnostic(`job came back and finished ${waited.toFixed(1)} s after kill -9 (expiry 30 s)`);
    b.child.kill('SIGTERM');
    assert.deepEqual(await b.exited, { code: 0, signal: null }, b.stderr());
  } finally {
    for (const w of [a, b]) if (w && w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  }
  const s = await runCli(['search', 'tuesday', '--json'], { data, env });
  assert.equal(s.code, 0, show(s));
  assert.equal(s.json.total, 1, 'the transcript was indexed once');
  assert.equal((await analyses(fx.db.url)).length, 1);
});
