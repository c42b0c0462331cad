// Archives, including hostile ones: zip bombs, zip slip names, nested archives, encrypted members,
// symlinks, lying headers, fake extensions, tar and tar.gz.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile, readdir, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import tarStream from 'tar-stream';
import { makeZip, makeEml } from './docs-fixtures.ts';
import { unpackArchive } from '../src/extractors/archive.ts';
import { resolveLimits } from '../src/extractors/limits.ts';
import { containerAnalyser } from '../src/analysers/container.ts';
import pino from 'pino';

let dir: string;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'vitrine-docs-archive-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

async function file(name: string, data: Buffer): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, data);
  return p;
}
async function tmp(): Promise<string> { return mkdtemp(join(dir, 'run-')); }

async function tarOf(entries: { name: string; data?: string; type?: 'file' | 'symlink' | 'directory'; linkname?: string }[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((r) => pack.on('end', r));
  for (const e of entries) {
    if (e.type === 'symlink' || e.type === 'directory') pack.entry({ name: e.name, type: e.type, linkname: e.linkname });
    else pack.entry({ name: e.name }, e.data ?? '');
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

test('zip: members become numbered temp files, names kept as metadata', async () => {
  const p = await file('plain.zip', makeZip([
    { name: 'docs/a.txt', data: 'alpha member text' },
    { name: 'docs/', data: '', mode: 0o40755 },
    { name: 'b.csv', data: 'x,y\n1,2\n', method: 0 },
  ]));
  const t = await tmp();
  const r = await unpackArchive(p, { tmpDir: t, limits: resolveLimits() });
  assert.equal(r.format, 'zip');
  assert.deepEqual(r.children.map((c) => [c.name, c.size]), [['docs/a.txt', 17], ['b.csv', 8]]);
  assert.equal(await readFile(r.children[0]!.tmpPath, 'utf8'), 'alpha member text');
  for (const c of r.children) assert.equal(dirname(c.tmpPath), dirname(r.children[0]!.tmpPath));
  assert.match(r.children[0]!.tmpPath, /\/000001\.txt$/);
});

test('zip slip: hostile names are never used as paths', async () => {
  const names = ['../../evil.txt', '/etc/evil-abs.txt', 'C:\\Windows\\evil.txt', '..\\..\\evil2.txt', Buffer.from('nul\0name.txt')];
  const p = await file('slip.zip', makeZip(names.map((name, i) => ({ name, data: `payload ${i}` }))));
  const t = await tmp();
  const r = await unpackArchive(p, { tmpDir: t, limits: resolveLimits() });
  assert.equal(r.children.length, 5);
  assert.deepEqual(r.children.map((c) => c.name), ['../../evil.txt', '/etc/evil-abs.txt', 'C:/Windows/evil.txt', '../../evil2.txt', 'nul\uFFFDname.txt']);
  for (const c of r.children) {
    assert.ok(resolve(c.tmpPath).startsWith(resolve(t) + '/'), c.tmpPath);
    assert.match(c.tmpPath, /\/\d{6}\.txt$/);
  }
  // nothing escaped the temp folder
  await assert.rejects(readFile(join(dir, 'evil.txt')));
  await assert.rejects(readFile(join(t, '..', 'evil.txt')));
  await assert.rejects(readFile('/etc/evil-abs.txt'));
});

test('zip bomb: 10 MB of zeros per member is stopped while inflating', async () => {
  const zeros = Buffer.alloc(10 * 1024 * 1024);
  // one bomb member among real content: that member is skipped, the rest is kept
  const rnd = randomBytes(2 * 1024 * 1024);
  const p = await file('one-bomb.zip', makeZip([
    { name: 'ok.txt', data: 'a normal member' },
    { name: 'zeros.bin', data: zeros },
    { name: 'random.bin', data: rnd, method: 0 },
  ]));
  const t = await tmp();
  const r = await unpackArchive(p, { tmpDir: t, limits: resolveLimits() });
  assert.deepEqual(r.children.map((c) => c.name), ['ok.txt', 'random.bin']);
  assert.equal(r.skipped.length, 1);
  assert.match(r.skipped[0]!.reason, /expands more than 100:1/);
  // the bomb member stopped just past the 1 MiB grace, not after 10 MB
  assert.ok(r.unpackedBytes < 2 * 1024 * 1024 + 15 + 2 * 1024 * 1024, `inflated ${r.unpackedBytes}`);
  const left = await readdir(join(t, (await readdir(t))[0]!));
  assert.equal(left.length, 2);
  // an archive made of such members is refused as a whole, quickly, and leaves nothing behind
  const q = await file('bomb.zip', makeZip([
    { name: 'ok.txt', data: 'a normal member' },
    ...Array.from({ length: 20 }, (_, i) => ({ name: `zeros${i}.bin`, data: zeros })),
  ]));
  const t2 = await tmp();
  const started = Date.now();
  await assert.rejects(unpackArchive(q, { tmpDir: t2, limits: resolveLimits() }),
    (e: any) => e.code === 'E_ARCHIVE_LIMIT' && /possible zip bomb/.test(e.message));
  assert.ok(Date.now() - started < 3000);
  assert.deepEqual(await readdir(join(t2, (await readdir(t2))[0]!)), []);
});

test('zip bomb: lying headers do not help (declared size is tiny)', async () => {
  const p = await file('liar.zip', makeZip([{ name: 'liar.bin', data: Buffer.alloc(20 * 1024 * 1024), declaredSize: 100 }]));
  const r = await unpackArchive(p, { tmpDir: await tmp(), limits: resolveLimits() });
  assert.equal(r.children.length, 0);
  assert.equal(r.skipped.length, 1);
  assert.ok(r.unpackedBytes < 2 * 1024 * 1024);
});

test('limits: total bytes, overall ratio and member count stop the whole archive', async () => {
  const rnd = randomBytes(300 * 1024);
  const p = await file('big.zip', makeZip(Array.from({ length: 8 }, (_, i) => ({ name: `r${i}.bin`, data: rnd, method: 0 as const }))));
  await assert.rejects(unpackArchive(p, { tmpDir: await tmp(), limits: resolveLimits({ maxTotalBytes: 1024 * 1024 }) }),
    (e: any) => e.code === 'E_ARCHIVE_LIMIT' && /more than 1 MiB/.test(e.message) && e.kind === 'permanent');
  await assert.rejects(unpackArchive(p, { tmpDir: await tmp(), limits: resolveLimits({ maxEntries: 5 }) }),
    (e: any) => e.code === 'E_ARCHIVE_LIMIT' && /more than 5 members/.test(e.message));
  // many members each just under the per-member ratio, together over the overall ratio
  const text = Buffer.from('lorem ipsum dolor sit amet '.repeat(40000)); // ~1 MB, compresses ~300:1
  const q = await file('overall.zip', makeZip(Array.from({ length: 6 }, (_, i) => ({ name: `t${i}.txt`, data: text }))));
  await assert.rejects(unpackArchive(q, { tmpDir: await tmp(), limits: resolveLimits({ maxRatio: 100, ratioGraceBytes: 2 * 1024 * 1024 }) }),
    (e: any) => e.code === 'E_ARCHIVE_LIMIT' && /expands more than 100:1/.test(e.message));
  // and every temp file of a refused archive is removed
  const t = await tmp();
  await assert.rejects(unpackArchive(p, { tmpDir: t, limits: resolveLimits({ maxTotalBytes: 1024 * 1024 }) }));
  const sub = await readdir(t);
  for (const s of sub) assert.deepEqual(await readdir(join(t, s)), []);
});

test('encrypted members are skipped; an all-encrypted archive is skipped: encrypted', async () => {
  const mixed = await file('mixed.zip', makeZip([{ name: 'secret.txt', data: 'xx', encrypted: true }, { name: 'open.txt', data: 'open words' }]));
  const r = await unpackArchive(mixed, { tmpDir: await tmp(), limits: resolveLimits() });
  assert.deepEqual(r.skipped, [{ name: 'secret.txt', reason: 'encrypted' }]);
  assert.deepEqual(r.children.map((c) => c.name), ['open.txt']);
  const all = await file('enc.zip', makeZip([{ name: 'a.txt', data: 'x', encrypted: true }, { name: 'b.txt', data: 'y', encrypted: true }]));
  await assert.rejects(unpackArchive(all, { tmpDir: await tmp(), limits: resolveLimits() }),
    (e: any) => e.code === 'E_ENCRYPTED' && e.message === 'skipped: encrypted');
});

test('symlink members are skipped (zip and tar)', async () => {
  const z = await file('link.zip', makeZip([{ name: 'passwd', data: '/etc/passwd', mode: 0o120777 }, { name: 'f.txt', data: 'file' }]));
  const r = await unpackArchive(z, { tmpDir: await tmp(), limits: resolveLimits() });
  assert.deepEqual(r.skipped, [{ name: 'passwd', reason: 'symlink' }]);
  assert.deepEqual(r.children.map((c) => c.name), ['f.txt']);
  const tr = await file('link.tar', await tarOf([{ name: 'l', type: 'symlink', linkname: '/etc/passwd' }, { name: 'd', type: 'directory' }, { name: 'd/x.txt', data: 'tar words' }]));
  const r2 = await unpackArchive(tr, { tmpDir: await tmp(), limits: resolveLimits() });
  assert.equal(r2.format, 'tar');
  assert.deepEqual(r2.skipped, [{ name: 'l', reason: 'symlink' }]);
  assert.deepEqual(r2.children.map((c) => [c.name, c.size]), [['d/x.txt', 9]]);
});

test('tar.gz: members extracted; gzip bomb stopped while inflating', async () => {
  const tarBuf = await tarOf([{ name: 'a/one.txt', data: 'first tar member' }, { name: '../../escape.txt', data: 'second' }]);
  const p = await file('t.tgz', zlib.gzipSync(tarBuf));
  const t = await tmp();
  const r = await unpackArchive(p, { tmpDir: t, limits: resolveLimits() });
  assert.equal(r.format, 'tar.gz');
  assert.deepEqual(r.children.map((c) => c.name), ['a/one.txt', '../../escape.txt']);
  assert.equal(await readFile(r.children[1]!.tmpPath, 'utf8'), 'second');
  assert.ok(resolve(r.children[1]!.tmpPath).startsWith(resolve(t) + '/'));
  // 200 MB of zeros as one tar member, gzipped to ~200 KB
  const pack = tarStream.pack();
  const gz = zlib.createGzip();
  const out: Buffer[] = [];
  gz.on('data', (c: Buffer) => out.push(c));
  const done = new Promise((res) => gz.on('end', res));
  pack.pipe(gz);
  const size = 200 * 1024 * 1024;
  const w = pack.entry({ name: 'zeros.bin', size });
  const chunk = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < 200; i++) if (!w.write(chunk)) await new Promise((res) => w.once('drain', res));
  w.end();
  pack.finalize();
  await done;
  const bomb = await file('bomb.tgz', Buffer.concat(out));
  const started = Date.now();
  await assert.rejects(unpackArchive(bomb, { tmpDir: await tmp(), limits: resolveLimits() }),
    (e: any) => e.code === 'E_ARCHIVE_LIMIT' && /possible zip bomb/.test(e.message));
  assert.ok(Date.now() - started < 5000);
});

test('fake extensions: type comes from the content', async () => {
  const z = await file('report.pdf', makeZip([{ name: 'inside.txt', data: 'hidden zip' }]));
  const r = await unpackArchive(z, { tmpDir: await tmp(), limits: resolveLimits() });
  assert.equal(r.format, 'zip');
  const notZip = await file('fake.zip', Buffer.from('just some text pretending to be a zip'));
  await assert.rejects(unpackArchive(notZip, { tmpDir: await tmp(), limits: resolveLimits() }), (e: any) => e.code === 'E_NOT_ARCHIVE');
  const damaged = await file('damaged.zip', Buffer.concat([Buffer.from('PK\x03\x04'), randomBytes(2000)]));
  await assert.rejects(unpackArchive(damaged, { tmpDir: await tmp(), limits: resolveLimits() }), (e: any) => e.code === 'E_ARCHIVE_INVALID');
});

test('container analyser: children, entries, skipped, depth limit in the result; nested archive is a child', async () => {
  const inner = makeZip([{ name: 'deep.txt', data: 'deep words' }]);
  const p = await file('outer.zip', makeZip([{ name: 'inner.zip', data: inner }, { name: 'x.txt', data: 'x', encrypted: true }, { name: 'ok.txt', data: 'ok!' }]));
  const t = await tmp();
  const ctx = { log: pino({ level: 'silent' }), tmpDir: t, signal: new AbortController().signal };
  const target = { sha256: 'x', type: 'archive' as const, mime: 'application/zip', size: 1, name: 'outer.zip' };
  assert.equal(containerAnalyser.accepts(target), true);
  assert.equal(containerAnalyser.accepts({ ...target, type: 'document', mime: 'application/pdf' }), false);
  const out = await containerAnalyser.run({ ...target, path: p, deps: {}, options: {} }, ctx);
  const res = out.result as any;
  assert.deepEqual(res.entries, [{ name: 'inner.zip', size: inner.length }, { name: 'ok.txt', size: 3 }]);
  assert.deepEqual(res.skipped, [{ name: 'x.txt', reason: 'encrypted' }]);
  assert.equal(res.maxDepth, 3);
  assert.deepEqual(out.children!.map((c) => c.name), ['inner.zip', 'ok.txt']);
  // the nested archive unpacks in its own run (the runner ingests it as a child asset at depth+1)
  const out2 = await containerAnalyser.run({ ...target, path: out.children![0]!.tmpPath, deps: {}, options: {} }, { ...ctx, tmpDir: await tmp() });
  assert.equal(await readFile(out2.children![0]!.tmpPath, 'utf8'), 'deep words');
  void mkdir; void makeEml;
});
