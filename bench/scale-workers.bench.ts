// One vs two `vitrine work` processes on PostgreSQL, CPU-bound light analysers (metadata, thumbnail,
// phash on generated 4K JPEGs), one job at a time per process and libvips on one thread, so a
// process uses about one core. Throughput = analyses / (last finish − first start) from the analyses
// table, so process start-up is not counted. Run: node bench/scale-workers.bench.ts [images] [WxH]
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import sharp from 'sharp';
import { CLI, machine, NODE, ROOT, table } from './common.ts';
import { updateScaleResults } from './scale-common.ts';

const IMAGES = Number(process.argv[2] ?? 60);
const [W, H] = (process.argv[3] ?? '3840x2160').split('x').map(Number) as [number, number];
const ADMIN = process.env.VITRINE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function q(url: string, sql: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

function env(url: string): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('VITRINE_')) e[k] = v;
  return { ...e, PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH}`, VITRINE_DATABASE_URL: url, VIPS_CONCURRENCY: '1', UV_THREADPOOL_SIZE: '2' };
}

function cli(args: string[], url: string): ChildProcess {
  return spawn(NODE, [CLI, ...args], { cwd: ROOT, env: env(url), stdio: ['ignore', 'pipe', 'pipe'] });
}

async function run(workers: number, input: string, dir: string) {
  const name = `vitrine_b_${randomBytes(5).toString('hex')}`;
  const url = ADMIN.replace(/\/[^/]*$/, `/${name}`);
  await q(ADMIN, `CREATE DATABASE ${name}`);
  const data = join(dir, `data-${workers}`);
  const procs: ChildProcess[] = [];
  try {
    // Ingest first (not timed, so it does not compete for the CPU), then start the workers together.
    const ing = cli(['ingest', input, '--no-wait', '--analysers', 'metadata,thumbnail,phash', '--json', '--data', data], url);
    ing.stdout!.resume();
    ing.stderr!.resume();
    await new Promise((r) => ing.on('close', r));
    for (let i = 0; i < workers; i++) {
      const p = cli(['work', '--concurrency', '1', '--heavy-concurrency', '1', '--data', data], url);
      p.stderr!.resume();
      p.stdout!.resume();
      procs.push(p);
    }
    for (;;) {
      const [r] = await q(url, "SELECT count(*) FILTER (WHERE status NOT IN ('done','skipped','failed'))::int AS open, count(*)::int AS n FROM analyses");
      if (r.n > 0 && r.open === 0) break;
      await sleep(500);
    }
    const [span] = await q(url, `SELECT count(*)::int AS n, extract(epoch FROM max(finished_at) - min(started_at))::float AS s,
      count(*) FILTER (WHERE status <> 'done')::int AS bad, max(attempts)::int AS attempts FROM analyses`);
    const per = await q(url, "SELECT analyser, count(*)::int AS n, avg(ms)::float AS ms FROM analyses WHERE status = 'done' GROUP BY 1 ORDER BY 1");
    return { workers, n: span.n, seconds: span.s, perSec: span.n / span.s, bad: span.bad, attempts: span.attempts, per };
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(null) : p.on('close', r)))));
    await q(ADMIN, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

const dir = await mkdtemp(join(tmpdir(), 'vitrine-bworkers-'));
try {
  const input = join(dir, 'images');
  await mkdir(input);
  for (let i = 0; i < IMAGES; i++) {
    await sharp({ create: { width: W, height: H, channels: 3, noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
      .jpeg({ quality: 90 }).toFile(join(input, `noise${i}.jpg`));
  }
  const la = loadavg()[0]!.toFixed(1);
  // Alternate 1, 2, 1, 2 so load from other users hits both alike.
  const runs = [];
  for (const w of [1, 2, 1, 2]) runs.push(await run(w, input, dir));
  const mean = (w: number) => {
    const rs = runs.filter((r) => r.workers === w);
    return rs.reduce((a, r) => a + r.perSec, 0) / rs.length;
  };
  const speedup = mean(2) / mean(1);
  const first = runs[0]!;
  const body = [
    `## workers: one vs two \`vitrine work\` processes (${IMAGES} images)`,
    '',
    `Run: \`node bench/scale-workers.bench.ts\` on ${new Date().toISOString().slice(0, 16)}Z. ${machine()} Load at the start of the runs: ${la}.`,
    '',
    `${IMAGES} generated ${W}×${H} JPEGs (Gaussian noise, so decoding is real work), analysers metadata, thumbnail, phash ` +
      '(3 analyses per image, on the light queue). Each worker: `--concurrency 1`, `VIPS_CONCURRENCY=1`. Fresh database per run; `ingest --no-wait` ' +
      'first, then the workers are started together; throughput = analyses / (last finished_at − first started_at), so a second worker that ' +
      'starts later than the first counts against the two-worker figure.',
    '',
    table(['run', 'workers', 'analyses', 'span', 'analyses/s', 'not done', 'max attempts'],
      runs.map((r, i) => [i + 1, r.workers, r.n, `${r.seconds.toFixed(1)} s`, r.perSec.toFixed(2), r.bad, r.attempts])),
    '',
    table(['target', 'figure', 'result'], [['two processes ≥ 1.7× one', `${speedup.toFixed(2)}× (${mean(2).toFixed(2)} vs ${mean(1).toFixed(2)} analyses/s, means of 2 runs)`, speedup >= 1.7 ? '**PASS**' : '**FAIL**']]),
    '',
    'Per-analyser wall time inside the worker (run 1, one process, `analyses.ms` mean) — the per-core rates docs/SCALING.md uses:',
    '',
    table(['analyser', 'n', 'ms per image', 'images/s per core'], first.per.map((p: any) => [p.analyser, p.n, p.ms.toFixed(0), (1000 / p.ms).toFixed(1)])),
  ].join('\n');
  updateScaleResults('workers', body);
  console.log(body);
} finally {
  await rm(dir, { recursive: true, force: true });
}
