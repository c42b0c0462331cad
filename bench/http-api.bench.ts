// HTTP API benchmark (issue 8 targets), against `vitrine serve` in its own process over loopback:
//  1. search p95 over 20,000 ~1 KB documents vs SQLite FTS5 (bm25, LIMIT 20) on the same text, same
//     queries, same run — target: API p95 ≤ 2× FTS5 p95 + 5 ms;
//  2. 50 concurrent clients searching for 30 s with autocannon — zero errors, requests/s;
//  3. a 1 GiB raw upload (streamed) — peak server RSS < 300 MB (VmHWM of the server process).
// Writes bench/RESULTS-http.md.  Run: node bench/http-api.bench.ts [--quick]
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DatabaseSync } from 'node:sqlite';
import autocannon from 'autocannon';
import { BENCH_DIR, CLI, machine, ms, NODE, pct, prng, table } from './common.ts';
import { loadConfig } from '../src/config.ts';
import { createContainer } from '../src/container.ts';
import { newId } from '../src/util/ids.ts';

const QUICK = process.argv.includes('--quick');
const DOCS = 20_000;
const QUERIES = QUICK ? 100 : 400;
const CANNON_S = QUICK ? 10 : 30;
const UPLOAD_BYTES = QUICK ? 256 * 1024 ** 2 : 1024 ** 3;

// A Zipf-like vocabulary: a few very common words, a long tail of rare ones (like real archives).
const rnd = prng(8);
const syl = ['ka', 'lo', 'mi', 're', 'tan', 'vo', 'sel', 'dru', 'pen', 'ar', 'bis', 'cor', 'fen', 'gal', 'hol', 'ist', 'jor', 'mun', 'nor', 'pra'];
const vocab = Array.from({ length: 6000 }, (_, i) => {
  let w = '';
  let n = i + 1;
  do { w += syl[n % syl.length]; n = Math.floor(n / syl.length); } while (n > 0);
  return w + (i % 7 === 0 ? 'en' : '');
});
const zipf = () => vocab[Math.min(vocab.length - 1, Math.floor(Math.pow(rnd(), 2.2) * vocab.length))]!;
function doc(): string {
  const words: string[] = [];
  let len = 0;
  while (len < 1000) {
    const w = zipf();
    words.push(w);
    len += w.length + 1;
  }
  return words.join(' ');
}
const queries = Array.from({ length: QUERIES }, (_, i) => (i % 3 === 0 ? `${zipf()} ${zipf()}` : zipf()));

async function seed(data: string, texts: string[]): Promise<{ token: string; core: number[] }> {
  const c = await createContainer(loadConfig({ dataDir: data, logLevel: 'silent' }));
  try {
    await c.repos.assets.ensureCollections(['bench']);
    for (let i = 0; i < texts.length; i += 500) {
      const batch = texts.slice(i, i + 500).map((text, j) => ({ id: newId(), text, n: i + j }));
      await c.repos.assets.insertMany(batch.map((b) => ({
        id: b.id, sha256: (b.n.toString(16).padStart(8, '0')).repeat(8), collection: 'bench', path: `doc-${b.n}.txt`, name: `doc-${b.n}.txt`,
        type: 'document', mime: 'text/plain', size: b.text.length, parentId: null, ingestedBy: 'bench', options: null,
      })));
      await c.db.k.insertInto('search_entries').values(batch.map((b) => ({
        asset_id: b.id, analyser: 'document-text', type: 'document', collection: 'bench', text: b.text, page: null, start_s: null, end_s: null, box: null,
      }))).execute();
    }
    await c.index.sync();
    const token = (await c.governance.users.add('bench', 'admin', null, c.localActor)).token;
    // The same queries through the search service in-process: what the HTTP layer adds is the difference.
    for (const w of queries.slice(0, 20)) await c.search.search({ query: w, limit: 20 }, c.localActor);
    const core: number[] = [];
    for (const w of queries) {
      const t0 = performance.now();
      await c.search.search({ query: w, limit: 20 }, c.localActor);
      core.push(performance.now() - t0);
    }
    return { token, core };
  } finally {
    await c.close();
  }
}

function fts5Baseline(texts: string[]): number[] {
  const db = new DatabaseSync(':memory:');
  db.exec("CREATE VIRTUAL TABLE fts USING fts5(text, tokenize = 'unicode61 remove_diacritics 2')");
  const ins = db.prepare('INSERT INTO fts (rowid, text) VALUES (?, ?)');
  db.exec('BEGIN');
  texts.forEach((t, i) => ins.run(i + 1, t));
  db.exec('COMMIT');
  const q = db.prepare("SELECT rowid, bm25(fts) AS s, snippet(fts, 0, '«', '»', '…', 12) AS sn FROM fts WHERE fts MATCH ? ORDER BY bm25(fts) LIMIT 20");
  for (const w of queries.slice(0, 20)) q.all(w); // warm
  const times: number[] = [];
  for (const w of queries) {
    const t0 = performance.now();
    q.all(w.split(' ').map((x) => `"${x}"`).join(' '));
    times.push(performance.now() - t0);
  }
  db.close();
  return times;
}

function vmHwm(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

async function startServe(data: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(NODE, [CLI, 'serve', '--data', data, '--port', '0', '--no-workers', '--json'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VITRINE_LOG_LEVEL: 'silent' } });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /"url":\s*"([^"]+)"/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });
  return { child, url };
}

async function main(): Promise<void> {
  const data = mkdtempSync(join(tmpdir(), 'vitrine-http-bench-'));
  const started = new Date().toISOString().slice(0, 16) + 'Z';
  const mach = machine();
  try {
    const texts = Array.from({ length: DOCS }, doc);
    console.error(`seeding ${DOCS} documents (${(texts.reduce((n, t) => n + t.length, 0) / 1e6).toFixed(1)} MB of text)…`);
    const { token, core } = await seed(data, texts);
    console.error('FTS5 baseline…');
    const base = fts5Baseline(texts);
    let { child, url } = await startServe(data);
    const auth = { authorization: `Bearer ${token}` };
    try {
      console.error(`API at ${url}…`);
      // A keep-alive node:http client (as autocannon and any API client use): fetch() adds about a
      // millisecond of its own per request, which is the client's cost, not the server's.
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const get = (path: string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
        const u = new URL(url + path);
        request({ host: u.hostname, port: u.port, path: u.pathname + u.search, agent, headers: auth }, (res) => {
          let s = '';
          res.setEncoding('utf8');
          res.on('data', (d) => (s += d));
          res.on('end', () => resolve({ status: res.statusCode!, body: s }));
        }).on('error', reject).end();
      });
      for (const w of queries.slice(0, 20)) await get(`/api/v1/search?q=${encodeURIComponent(w)}`);
      const api: number[] = [];
      let hits = 0;
      for (const w of queries) {
        const t0 = performance.now();
        const r = await get(`/api/v1/search?q=${encodeURIComponent(w)}&limit=20`);
        const b = JSON.parse(r.body) as { total: number };
        api.push(performance.now() - t0);
        if (r.status !== 200) throw new Error(`search ${w}: ${r.status}`);
        hits += b.total > 0 ? 1 : 0;
      }
      agent.destroy();
      const b95 = pct(base, 95);
      const a95 = pct(api, 95);
      const target = 2 * b95 + 5;
      console.error(`search p95: API ${ms(a95)} ms, FTS5 ${ms(b95)} ms (target ≤ ${ms(target)} ms)`);

      console.error(`autocannon: 50 connections, ${CANNON_S} s…`);
      const cannon = await autocannon({
        url, connections: 50, duration: CANNON_S, headers: auth,
        requests: queries.slice(0, 50).map((w) => ({ method: 'GET', path: `/api/v1/search?q=${encodeURIComponent(w)}&limit=20` })),
      });
      const rssAfterSearch = vmHwm(child.pid!);
      console.error(`  ${cannon.requests.average} req/s, errors ${cannon.errors}, non-2xx ${cannon.non2xx}, p99 ${cannon.latency.p99} ms`);

      // The upload is measured on a fresh server: its peak is the upload's, not the search phase's.
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      ({ child, url } = await startServe(data));
      await new Promise((r) => setTimeout(r, 1000));
      const idleRss = vmHwm(child.pid!);
      console.error(`upload of ${UPLOAD_BYTES / 1024 ** 2} MiB (server idle peak ${(idleRss / 1024 ** 2).toFixed(0)} MiB)…`);
      const chunk = Buffer.alloc(1 << 20);
      for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE((rnd() * 2 ** 32) >>> 0, i);
      let sent = 0;
      const body = new Readable({
        read() {
          if (sent >= UPLOAD_BYTES) return void this.push(null);
          chunk.writeUInt32LE(sent / chunk.length, 0); // every MiB differs
          sent += chunk.length;
          this.push(Buffer.from(chunk));
        },
      });
      const t0 = performance.now();
      const up = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const u = new URL(`${url}/api/v1/assets?collection=bench&name=big.bin`);
        const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST', headers: { ...auth, 'content-type': 'application/octet-stream', 'content-length': UPLOAD_BYTES } }, (res) => {
          let s = '';
          res.on('data', (d) => (s += d));
          res.on('end', () => resolve({ status: res.statusCode!, body: s }));
        });
        req.on('error', reject);
        body.pipe(req);
      });
      const upMs = performance.now() - t0;
      const peak = vmHwm(child.pid!);
      if (up.status !== 201) throw new Error(`upload: ${up.status} ${up.body}`);
      const upRes = JSON.parse(up.body);
      console.error(`  ${up.status} in ${(upMs / 1000).toFixed(1)} s, peak server RSS ${(peak / 1024 ** 2).toFixed(0)} MiB`);

      const md = `# HTTP API benchmark

\`node bench/http-api.bench.ts\`${QUICK ? ' --quick' : ''} — ${started}. ${mach}

The server is \`vitrine serve --no-workers\` in its own process (PGlite + the FTS5 index, as in the embedded
deployment); the bench process is the client, over loopback. ${DOCS.toLocaleString('en')} documents of ~1 KB
(a Zipf-distributed synthetic vocabulary, seeded PRNG) are written straight into the assets and search tables, so
the bench measures search and serving, not ingest.

## Search latency (${QUERIES} queries, one at a time; 1/3 of them two words)

${table(['', 'p50 ms', 'p95 ms', 'p99 ms'], [
  ['SQLite FTS5 alone (node:sqlite, in memory, bm25 + snippet, LIMIT 20)', ms(pct(base, 50)), ms(b95), ms(pct(base, 99))],
  ['SearchService.search in-process (the core: access rules, FTS5 query, asset rows, snippets, audit event)', ms(pct(core, 50)), ms(pct(core, 95)), ms(pct(core, 99))],
  ['GET /api/v1/search?limit=20 (auth, purpose rules, FTS5, asset rows, snippets, facets, audit event, JSON)', ms(pct(api, 50)), ms(a95), ms(pct(api, 99))],
])}

Target: API p95 ≤ 2 × FTS5 p95 + 5 ms = ${ms(target)} ms — **${a95 <= target ? 'met' : 'not met'}** (${ms(a95)} ms). ${hits}/${QUERIES} queries had hits.
Every API search also appends one event to the hash-chained audit log (a PGlite transaction); that write is part of
the figure.

## 50 concurrent clients, ${CANNON_S} s (autocannon, 50 different queries in rotation)

${table(['requests/s (mean)', 'total', 'errors', 'timeouts', 'non-2xx', 'latency p50 ms', 'p99 ms', 'server peak RSS'], [[
  cannon.requests.average, cannon.requests.total, cannon.errors, cannon.timeouts, cannon.non2xx, cannon.latency.p50, cannon.latency.p99, `${(rssAfterSearch / 1024 ** 2).toFixed(0)} MiB`,
]])}

Zero errors: **${cannon.errors === 0 && cannon.non2xx === 0 && cannon.timeouts === 0 ? 'met' : 'not met'}**. One Node process on a shared 2-core machine; every
request is authenticated, audited and answered with facets.

## Upload of ${(UPLOAD_BYTES / 1024 ** 3).toFixed(2)} GiB (raw body, POST /api/v1/assets)

${table(['bytes', 'seconds', 'MiB/s', 'server peak RSS before (started, idle)', 'server peak RSS after the upload (VmHWM)', 'result'], [[
  UPLOAD_BYTES.toLocaleString('en'), (upMs / 1000).toFixed(1), (UPLOAD_BYTES / 1024 ** 2 / (upMs / 1000)).toFixed(0), `${(idleRss / 1024 ** 2).toFixed(0)} MiB`, `${(peak / 1024 ** 2).toFixed(0)} MiB`, `${upRes.assets[0].type}, sha256 ${upRes.assets[0].sha256.slice(0, 12)}…`,
]])}

Target: peak server RSS < 300 MB — **${peak < 300e6 ? 'met' : 'not met'}**. The body is never buffered: it streams through a hashing
transform into \`DATA/tmp\`, is fsynced and renamed into the blob store. The upload runs on a freshly started server;
most of its resident memory is the embedded database (PGlite's WebAssembly heap) and the FTS5 index, present before
the first byte arrives — compare the two RSS columns.
`;
      writeFileSync(join(BENCH_DIR, 'RESULTS-http.md'), md);
      console.log(md);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}

await main();
