// Several processes appending to one audit log on PostgreSQL keep one linear hash chain: seq 1..N without
// gaps, every link verifies, the Merkle frontier kept beside the log equals a full recomputation, and the
// automatic checkpoints both processes write to the shared checkpoints.jsonl only grow and all verify.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { createContainer } from '../src/container.ts';
import { readCheckpoints } from '../src/audit/checkpoint.ts';
import { treeHead } from '../src/audit/head.ts';
import { readFrontier, frontierRoot } from '../src/repositories/audit-tree.ts';
import { createTempDb, pgAvailable, NO_PG, type TempDb } from './helpers/pg.ts';
import { REPO } from './helpers/cli.ts';

let root: string;
let db: TempDb | null = null;
const PER_WRITER = 150;

// Each writer: its own container (own pool of connections), appends one event at a time, and in batches of 5.
const WRITER = `
import { loadConfig } from '${join(REPO, 'src/config.ts')}';
import { createContainer } from '${join(REPO, 'src/container.ts')}';
const [data, url, name, n] = process.argv.slice(1);
const c = await createContainer(loadConfig({ dataDir: data, databaseUrl: url, auditCheckpointEvery: 25, logLevel: 'silent' }, {}));
// Start together: on a loaded machine one process can take longer to start than the other takes to finish.
const { writeFileSync, readdirSync } = await import('node:fs');
writeFileSync(data + '/ready-' + name, '');
for (let t = 0; readdirSync(data).filter((f) => f.startsWith('ready-')).length < 2 && t < 3000; t++) await new Promise((r) => setTimeout(r, 10));
const jobs = [];
for (let i = 0; i < Number(n); i++) {
  if (i % 10 < 5) jobs.push(c.audit.record({ actor: name, action: 'search', outcome: 'ok', detail: { i } }));
  else if (i % 10 === 5) jobs.push(c.audit.record([5, 6, 7, 8, 9].map((k) => ({ actor: name, action: 'show', target: 'a' + (i + k - 5), outcome: 'ok', detail: { i: i + k - 5 } }))));
  if (jobs.length >= 4) await Promise.all(jobs.splice(0));
}
await Promise.all(jobs);
await c.close();
`;

function runWriter(data: string, url: string, name: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', WRITER, data, url, name, String(PER_WRITER)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (b) => (stderr += b));
    p.on('close', (code) => resolve({ code, stderr }));
  });
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'vitrine-gov-conc-'));
  if (await pgAvailable()) db = await createTempDb();
});

after(async () => {
  await db?.drop().catch(() => {});
  if (root) await rm(root, { recursive: true, force: true });
});

test('two processes, one PostgreSQL audit log: one linear chain, frontier and checkpoints consistent', async (t) => {
  if (!db) return t.skip(NO_PG);
  const data = join(root, 'data');
  // Migrate once before the race (each process would otherwise also try, under the migration lock).
  const c0 = await createContainer(loadConfig({ dataDir: data, databaseUrl: db.url }, {}));
  await c0.close();
  const [a, b] = await Promise.all([runWriter(data, db.url, 'writer-a'), runWriter(data, db.url, 'writer-b')]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const c = await createContainer(loadConfig({ dataDir: data, databaseUrl: db.url }, {}));
  try {
    const events = await c.repos.audit.list({});
    assert.equal(events.length, 2 * PER_WRITER);
    assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1));
    for (let i = 1; i < events.length; i++) assert.equal(events[i]!.prevHash, events[i - 1]!.hash);
    // Both writers really interleaved.
    const switches = events.filter((e, i) => i > 0 && e.actor !== events[i - 1]!.actor).length;
    assert.ok(switches >= 4, `interleaving: ${switches} switches`);
    const f = await readFrontier(c.db.k);
    assert.equal(f.size, 2 * PER_WRITER);
    assert.equal(frontierRoot(f), (await treeHead(c.repos.audit.pages())).rootHash);
    const cps = readCheckpoints(join(data, 'audit', 'checkpoints.jsonl'));
    assert.ok(cps.length >= 5 && cps.at(-1)!.treeSize > 2 * PER_WRITER - 60, `${cps.length} checkpoints, last at ${cps.at(-1)?.treeSize}`);
    for (let i = 1; i < cps.length; i++) assert.ok(cps[i]!.treeSize > cps[i - 1]!.treeSize, 'checkpoints only grow');
    const v = await c.governance.auditAdmin.verify(c.localActor);
    assert.equal(v.ok, true, JSON.stringify(v));
    assert.equal(v.checkpoints, cps.length);
  } finally {
    await c.close();
  }
});
