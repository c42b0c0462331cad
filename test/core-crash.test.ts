// kill -9 during `vitrine ingest --no-wait` of 400 small files, at several moments (while the database
// starts, while blobs are being written, around the first batch of records). Afterwards: no blob whose
// content differs from its name, no partial file among the blobs, every recorded asset has its blob, a
// re-run completes the rest with duplicates and no duplicate rows, DATA/tmp is emptied at start; and a
// blob corrupted on disk makes `fsck` exit 1 naming it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { runCli, spawnCli, describe as show } from './helpers/cli.ts';
import { loadConfig } from '../src/config.ts';
import { createContainer } from '../src/container.ts';

const FILES = 400;
let root: string;
let input: string;
let data: string;

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'vitrine-core-crash-'));
  input = join(root, 'in');
  data = join(root, 'data');
  for (let d = 0; d < 4; d++) await mkdir(join(input, `d${d}`), { recursive: true });
  for (let i = 0; i < FILES; i++)
    await writeFile(join(input, `d${i % 4}`, `f${String(i).padStart(4, '0')}.txt`), `file ${i} ${'lorem ipsum '.repeat(40 + (i % 50))}\n`);
});

after(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

/** Every file under DATA/blobs, relative. */
async function blobFiles(): Promise<string[]> {
  const base = join(data, 'blobs');
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(relative(base, p));
    }
  };
  await walk(base);
  return out;
}

interface Kill {
  label: string;
  afterMs?: number;
  newBlobs?: number;
  /** A path under DATA whose appearance is the moment. */
  exists?: string;
}

/** Starts an ingest and SIGKILLs it when the moment comes; returns what happened. */
async function ingestAndKill(k: Kill): Promise<{ killed: boolean; code: number | null; newBlobs: number; ms: number }> {
  const before = (await blobFiles()).length;
  const child = spawnCli(['ingest', input, '--no-wait', '--json'], { data });
  child.stdout!.resume();
  child.stderr!.resume();
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let done = false;
  let code: number | null = null;
  void exited.then((c) => {
    done = true;
    code = c;
  });
  const t0 = Date.now();
  let killed = false;
  let now = before;
  while (!done && Date.now() - t0 < 120_000) {
    now = (await blobFiles()).length;
    const appeared = k.exists !== undefined && (await stat(join(data, k.exists)).catch(() => null)) !== null;
    const due = appeared || (k.afterMs !== undefined && Date.now() - t0 >= k.afterMs) || (k.newBlobs !== undefined && now - before >= k.newBlobs);
    if (due) {
      killed = child.kill('SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 15));
  }
  if (!done && !killed) child.kill('SIGKILL');
  await exited;
  return { killed, code, newBlobs: (await blobFiles()).length - before, ms: Date.now() - t0 };
}

test('kill -9 at several moments of an ingest, then fsck, re-run and counts', async (t) => {
  const moments: Kill[] = [
    { label: 'while the fresh database is being created', exists: 'db/global' },
    { label: 'after 250 blobs (around the first batch of records)', newBlobs: 250 },
    { label: 'at the first new blob', newBlobs: 1 },
    { label: 'after 40 more blobs', newBlobs: 40 },
  ];
  for (const m of moments) {
    const r = await ingestAndKill(m);
    t.diagnostic(`${m.label}: ${r.killed ? 'killed' : `exited ${r.code}`} after ${r.ms} ms, ${r.newBlobs} new blob(s)`);
  }

  // Nothing partial or wrong under blobs/: every file is named by the hash of its content.
  const files = await blobFiles();
  for (const f of files) {
    const name = f.split('/').pop()!;
    assert.match(f, /^sha256\/[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{64}$/, `only complete blobs under blobs/: ${f}`);
    assert.equal(sha(await readFile(join(data, 'blobs', f))), name, `content of ${f}`);
  }
  t.diagnostic(`${files.length} blob(s) after the kills; tmp holds ${(await readdir(join(data, 'tmp')).catch(() => [])).length} file(s)`);

  const fsck = await runCli(['fsck', '--json'], { data });
  assert.equal(fsck.code, 0, show(fsck));
  assert.equal(fsck.json.ok, true);
  assert.deepEqual(fsck.json.mismatches, []);
  assert.deepEqual(fsck.json.missing, [], 'every recorded asset has its blob');
  assert.equal(fsck.json.blobs, files.length);

  // Straight from the database, with no process running: every recorded asset has its analyses recorded
  // too (a crash between the two would leave assets that are never analysed, and a re-run would call them
  // duplicates without repairing them).
  let recorded = 0;
  {
    const c = await createContainer(loadConfig({ dataDir: data }));
    try {
      recorded = Number((await c.db.executeSql('SELECT count(*)::int AS n FROM assets')).rows[0].n);
      const orphans = (await c.db.executeSql(
        "SELECT count(*)::int AS n FROM assets a WHERE NOT EXISTS (SELECT 1 FROM analyses x WHERE x.sha256 = a.sha256 AND x.analyser = 'metadata')")).rows[0].n;
      t.diagnostic(`${recorded} asset(s) recorded before the re-run, ${orphans} of them without analyses`);
    } finally {
      await c.close();
    }
  }

  // A stale temp file from a crash is removed at start.
  await mkdir(join(data, 'tmp'), { recursive: true });
  // Named like a temp file of a process that no longer exists (kept files of live processes are spared).
  let deadPid = 99_999;
  while ((() => { try { process.kill(deadPid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; } })()) deadPid++;
  const stale = `put-${deadPid}-deadbeef`;
  await writeFile(join(data, 'tmp', stale), 'half a blob');
  const rerun = await runCli(['ingest', input, '--no-wait', '--json'], { data });
  assert.equal(rerun.code, 0, show(rerun));
  assert.deepEqual(rerun.json.failed, []);
  assert.equal(rerun.json.ingested + rerun.json.duplicates, FILES);
  assert.equal(rerun.json.duplicates, recorded, 'what was recorded before comes back as duplicates');
  assert.equal(new Set(rerun.json.assets.map((a: any) => a.id)).size, FILES);
  assert.equal(await stat(join(data, 'tmp', stale)).catch(() => null), null, 'DATA/tmp emptied at start');

  // Straight from the database, after every process is gone: one row per file, each with its blob.
  const c = await createContainer(loadConfig({ dataDir: data }));
  try {
    const rows = (await c.db.executeSql('SELECT sha256, path FROM assets')).rows as { sha256: string; path: string }[];
    assert.equal(rows.length, FILES, 'no duplicate asset rows');
    assert.equal(new Set(rows.map((r) => r.sha256)).size, FILES);
    assert.equal(new Set(rows.map((r) => r.path)).size, FILES);
    for (const r of rows) assert.ok(await c.blobs.exists(r.sha256), `blob of ${r.path}`);
    const an = (await c.db.executeSql("SELECT count(*)::int AS n FROM analyses WHERE analyser = 'metadata'")).rows[0].n;
    assert.equal(Number(an), FILES, 'one metadata analysis per content, none lost or doubled');
  } finally {
    await c.close();
  }
});

test('a blob corrupted on disk: fsck exits 1 and names it', async () => {
  const files = await blobFiles();
  assert.ok(files.length > 0);
  const victim = files[Math.floor(files.length / 2)]!;
  const p = join(data, 'blobs', victim);
  const bytes = await readFile(p);
  bytes[0] = bytes[0]! ^ 0xff; // same size, different content
  await writeFile(p, bytes);
  const name = victim.split('/').pop()!;
  const r = await runCli(['fsck', '--json'], { data });
  assert.equal(r.code, 1, show(r));
  assert.equal(r.json.ok, false);
  assert.equal(r.json.mismatches.length, 1);
  assert.equal(r.json.mismatches[0].sha256, name);
  assert.equal(r.json.mismatches[0].actual, sha(bytes));
  const human = await runCli(['fsck'], { data });
  assert.equal(human.code, 1);
  assert.match(human.stdout, new RegExp(name));
});

test('a kill between recording an asset and queueing its analyses is repaired by re-running the ingest', async () => {
  // The state that kill -9 leaves when it lands between the two commits of an ingest batch (asset row
  // committed, analyses not yet): built directly, because an outside kill hits that window only sometimes.
  const dir = await mkdtemp(join(tmpdir(), 'vitrine-core-crash-window-'));
  try {
    const file = join(dir, 'one.txt');
    await writeFile(file, 'recorded but never queued\n');
    const cfg = loadConfig({ dataDir: join(dir, 'data') });
    let c = await createContainer(cfg);
    try {
      const { createReadStream } = await import('node:fs');
      const put = await c.blobs.put(createReadStream(file));
      await c.repos.assets.insertMany([{ id: 'crashwindow0001', sha256: put.sha256, collection: 'default', path: file, name: 'one.txt',
        type: 'document', mime: 'text/plain', size: put.size, parentId: null, ingestedBy: 'test', options: null }]);
    } finally {
      await c.close();
    }
    c = await createContainer(cfg);
    try {
      const r = await c.ingest.ingest([file], { collection: 'default', actor: c.localActor });
      assert.equal(r.duplicates, 1);
      const rows = await c.repos.analyses.forSha(sha('recorded but never queued\n'));
      const planned = c.registry.plan({ sha256: sha('recorded but never queued\n'), type: 'document', mime: 'text/plain', size: 26, name: 'one.txt' });
      assert.ok(planned.some((a) => a.id === 'metadata'));
      assert.deepEqual(rows.map((x) => x.analyser).sort(), planned.map((a) => a.id).sort(),
        're-running the ingest must queue the analyses the crash lost, or the asset is never analysed');
    } finally {
      await c.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
