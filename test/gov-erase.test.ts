// Erasure, legal hold and retention on a real embedded archive: after erasing a document its unique word is
// nowhere in the data directory (blobs, derived files, PGlite heap and WAL files, the FTS5 index and its
// -wal), a shared blob stays, a held asset is refused with exit 4 and the hold's reason, retention erases
// what expired except what is held.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { createContainer, type Container } from '../src/container.ts';
import { runUntilIdle } from '../src/cli/wait.ts';
import { createOut } from '../src/cli/output.ts';
import { runCli, describe as show } from './helpers/cli.ts';

let root: string;
let data: string;
let c: Container;
const WORD = `zyxquorbletrandomfjord${process.pid}`;
const ids: Record<string, string> = {};

/** Every file under `dir` whose bytes contain `word`. */
async function grepTree(dir: string, word: string): Promise<string[]> {
  const needle = Buffer.from(word);
  const hits: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && (await readFile(p)).indexOf(needle) >= 0) hits.push(relative(dir, p));
    }
  };
  await walk(dir);
  return hits;
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'vitrine-gov-erase-'));
  data = join(root, 'data');
  const src = join(root, 'in');
  await mkdir(src);
  // File names carry no secret: the audit log keeps ingest paths (see README).
  await writeFile(join(src, 'a.txt'), `Memo. The password to the basement archive is ${WORD}, tell nobody.\n` + 'Padding line.\n'.repeat(40));
  await writeFile(join(src, 'shared.txt'), 'This text is held twice, in two collections, about lighthouses.\n');
  await writeFile(join(src, 'held.txt'), 'A document under legal hold about marmalade.\n');
  await writeFile(join(src, 'old1.txt'), 'Old minutes number one about tangerines.\n');
  await writeFile(join(src, 'old2.txt'), 'Old minutes number two about tangerines.\n');
  c = await createContainer(loadConfig({ dataDir: data }, {}));
  const actor = c.localActor;
  const ing = async (name: string, collection: string) => {
    const r = await c.ingest.ingest([join(src, name)], { collection, actor, analysers: ['document-text'] });
    return r.assets[0]!.id;
  };
  ids.secret = await ing('a.txt', 'docs');
  ids.sharedA = await ing('shared.txt', 'docs');
  ids.sharedB = await ing('shared.txt', 'press');
  ids.held = await ing('held.txt', 'docs');
  ids.old1 = await ing('old1.txt', 'minutes');
  ids.old2 = await ing('old2.txt', 'minutes');
  await runUntilIdle(c, createOut(true, true));
  // A search for another word of the same document pulls its text into the FTS5 index file.
  const s = await c.search.search({ query: 'basement' }, actor);
  assert.equal(s.total, 1);
});

after(async () => {
  await c?.close().catch(() => {});
  if (root) await rm(root, { recursive: true, force: true });
});

test('erase: the unique word of an erased document is found nowhere in the data directory afterwards', async () => {
  await c.db.checkpoint();
  const before = await grepTree(data, WORD);
  // The test can fail: the word really is in the blob, the database files and the search index first.
  assert.ok(before.some((p) => p.startsWith('blobs/')), before.join('\n'));
  assert.ok(before.some((p) => p.startsWith('db/base/') || p.startsWith('db/pg_wal/')), before.join('\n'));
  assert.ok(before.some((p) => p.startsWith('db/search.sqlite')), before.join('\n'));
  const r = await c.governance.erase.erase(ids.secret!, 'subject access request 42', c.localActor);
  assert.deepEqual(r, { erased: [ids.secret], blobRemoved: true });
  assert.deepEqual(await grepTree(data, WORD), [], 'found while the database is open');
  await c.close();
  assert.deepEqual(await grepTree(data, WORD), [], 'found after close');
  c = await createContainer(loadConfig({ dataDir: data }, {}));
  assert.equal((await c.search.search({ query: WORD }, c.localActor)).total, 0);
  assert.equal(await c.repos.assets.get(ids.secret!), null);
  // The audit log keeps that it existed: id, sha256, reason — and no text.
  const ev = (await c.repos.audit.list({ action: 'erase' })).find((e) => e.target === ids.secret)!;
  assert.equal(ev.outcome, 'ok');
  assert.deepEqual(Object.keys(ev.detail!).sort(), ['blobRemoved', 'reason', 'sha256']);
  assert.equal(ev.detail!.reason, 'subject access request 42');
  assert.equal((await c.governance.auditAdmin.verify(c.localActor)).ok, true);
});

test('erase of an asset whose blob another asset shares: the blob, results and the other asset stay', async () => {
  const a = (await c.repos.assets.get(ids.sharedA!))!;
  const r = await c.governance.erase.erase(ids.sharedA!, 'duplicate', c.localActor);
  assert.deepEqual(r, { erased: [ids.sharedA], blobRemoved: false });
  assert.equal(await c.blobs.exists(a.sha256), true);
  const other = await c.view.show(ids.sharedB!, c.localActor, null);
  assert.equal(other.analyses['document-text']?.status, 'done');
  const s = await c.search.search({ query: 'lighthouses' }, c.localActor);
  assert.deepEqual(s.hits.map((h) => h.assetId), [ids.sharedB]);
});

test('a held asset (or one in a held collection) is refused with exit 4 and the reason; released, it can be erased', async () => {
  const actor = c.localActor;
  await c.governance.holds.set({ asset: ids.held! }, 'litigation Smith v. Jones', actor);
  await assert.rejects(c.governance.erase.erase(ids.held!, 'cleanup', actor), (e: any) => {
    assert.equal(e.code, 'E_LEGAL_HOLD');
    assert.equal(e.exitCode, 4);
    assert.match(e.message, /Smith v\. Jones/);
    return true;
  });
  const refusal = (await c.repos.audit.head())!;
  assert.equal(refusal.action, 'erase');
  assert.equal(refusal.outcome, 'refused');
  await c.governance.holds.release({ asset: ids.held! }, 'case settled', actor);
  await c.governance.holds.set({ collection: 'docs' }, 'regulator inquiry', actor);
  await assert.rejects(c.governance.erase.erase(ids.held!, 'cleanup', actor), /regulator inquiry/);
  await c.governance.holds.release({ collection: 'docs' }, 'inquiry closed', actor);
  assert.equal((await c.governance.erase.erase(ids.held!, 'cleanup', actor)).erased[0], ids.held);
});

test('retention 0d erases what expired except what is on hold; the CLI says why and exits 4 on a held erase', async () => {
  const actor = c.localActor;
  await c.governance.holds.set({ asset: ids.old2! }, 'keep for audit', actor);
  await c.governance.retention.set('minutes', '0d', actor);
  await assert.rejects(c.governance.retention.set('minutes', '3 weeks', actor), (e: any) => e.exitCode === 2);
  const r = await c.governance.retention.apply(actor);
  assert.deepEqual(r, { erased: [ids.old1], held: [ids.old2] });
  assert.ok(await c.repos.assets.get(ids.old2!));
  await c.close();
  const cli = await runCli(['erase', ids.old2!, '--reason', 'try', '--json'], { data });
  assert.equal(cli.code, 4, show(cli));
  assert.equal(cli.json.error.code, 'E_LEGAL_HOLD');
  assert.match(cli.stderr, /keep for audit/);
  c = await createContainer(loadConfig({ dataDir: data }, {}));
});
