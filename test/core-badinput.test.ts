// Hostile and odd inputs to `vitrine ingest`: each bad file gets its own clear message, everything else in
// the batch is stored, the exit code is 1 when anything failed, and running it again adds nothing new.
// The suite usually runs as root, for whom chmod 000 changes nothing: permission errors are tested by
// running the CLI as the unprivileged user "nobody" (uid 65534), which is what an ordinary user would see.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, describe as show, type CliResult } from './helpers/cli.ts';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const isRoot = process.getuid?.() === 0;

let root: string;
let input: string;
let data: string;
let first: CliResult;
let second: CliResult;
const content: Record<string, Buffer> = {};

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'vitrine-core-bad-'));
  await chmod(root, 0o755); // "nobody" must be able to walk in
  input = join(root, 'in');
  data = join(root, 'data');
  await mkdir(join(input, 'sub'), { recursive: true });
  const put = async (name: string, body: Buffer | string) => {
    const b = Buffer.isBuffer(body) ? body : Buffer.from(body);
    content[name] = b;
    await writeFile(join(input, name), b);
  };
  await put('plain.txt', 'an ordinary file among bad ones\n');
  await put('empty.txt', '');
  await put(`it's "quoted".txt`, 'quotes in the name\n');
  await put('with  two spaces .txt', 'spaces in the name\n');
  await put('new\nline.txt', 'a newline in the name\n');
  await put('locked.txt', 'mode 000 content\n');
  await chmod(join(input, 'locked.txt'), 0o000);
  // A name that is not UTF-8 (latin-1 "café.txt"), created through a Buffer path.
  content['latin1-name'] = Buffer.from('the name of this file is latin-1\n');
  await writeFile(Buffer.concat([Buffer.from(input + '/'), Buffer.from([0x63, 0x61, 0x66, 0xe9]), Buffer.from('.txt')]), content['latin1-name']);
  // Symlinks: one out of the root (refused), one inside (followed), a loop, a link to the root itself.
  await writeFile(join(root, 'outside.txt'), 'secret outside the root\n');
  await symlink(join(root, 'outside.txt'), join(input, 'out-link.txt'));
  await put('sub/target.txt', 'target of an inside link\n');
  await symlink('sub/target.txt', join(input, 'in-link.txt'));
  await symlink('loop-b', join(input, 'loop-a'));
  await symlink('loop-a', join(input, 'loop-b'));
  await symlink('.', join(input, 'self'));
  execFileSync('mkfifo', [join(input, 'pipe')]);
  // Unknown binary content, and a zip pretending to be a JPEG.
  const bin = Buffer.alloc(4096);
  for (let i = 0; i < bin.length; i++) bin[i] = (i * 7919 + 13) % 256;
  await put('mystery.bin', bin);
  await writeFile(join(root, 'z.txt'), 'inside the zip\n');
  execFileSync('zip', ['-q', '-j', join(root, 'fake.zip'), join(root, 'z.txt')]);
  await put('holiday.jpg', await readFile(join(root, 'fake.zip')));

  first = await runCli(['ingest', input, join(root, 'does-not-exist'), '--no-wait', '--json'], { data });
  second = await runCli(['ingest', input, '--no-wait', '--json'], { data });
});

after(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

const failure = (r: CliResult, suffix: string) => r.json.failed.find((f: any) => f.path.endsWith(suffix));
const assetFor = (r: CliResult, suffix: string) => r.json.assets.find((a: any) => a.path.endsWith(suffix));

test('each bad input has its own clear error; the rest of the batch is stored; exit 1', () => {
  const r = first;
  assert.equal(r.code, 1, show(r));
  assert.ok(r.json, show(r));
  for (const f of r.json.failed) {
    assert.deepEqual(Object.keys(f).sort(), ['error', 'path']);
    assert.ok(f.error.length > 10, f.error);
  }
  assert.match(failure(r, '/empty.txt')?.error ?? '', /E_EMPTY/, show(r));
  assert.match(failure(r, '/out-link.txt')?.error ?? '', /E_LINK_OUTSIDE/);
  assert.match(failure(r, '/pipe')?.error ?? '', /E_NOT_A_FILE/);
  assert.match(failure(r, '/does-not-exist')?.error ?? '', /E_NOT_FOUND/);
  for (const l of ['/loop-a', '/loop-b']) {
    const f = failure(r, l);
    assert.ok(f, `a symlink loop is reported, not followed: ${l}`);
    assert.match(f.error, /E_LINK_LOOP|loop/i, `a loop is named as a loop, not as "a link to nothing": ${f.error}`);
  }
  // The non-UTF-8 name has its own test below.
  assert.equal(r.json.failed.filter((f: any) => !f.path.includes('caf')).length, 6, JSON.stringify(r.json.failed, null, 1));
  assert.ok(!r.json.assets.some((a: any) => a.path.includes('outside')), 'nothing from outside the root');
  assert.ok(!r.json.assets.some((a: any) => a.sha256 === sha('secret outside the root\n')));
});

test('odd names are stored with their exact content', () => {
  const r = first;
  for (const name of [`it's "quoted".txt`, 'with  two spaces .txt', 'new\nline.txt', 'plain.txt']) {
    const a = assetFor(r, '/' + name);
    assert.ok(a, `${JSON.stringify(name)} ingested: ${show(r)}`);
    assert.equal(a.sha256, sha(content[name]!));
    assert.equal(a.type, 'document');
  }
  // JSON keeps the newline in the path exactly (no shell quoting games).
  assert.ok(r.json.assets.some((a: any) => a.path === join(input, 'new\nline.txt')));
});

test('a file name that is not valid UTF-8 is stored, not reported as missing', () => {
  const r = first;
  const a = r.json.assets.find((x: any) => x.sha256 === sha(content['latin1-name']!));
  const f = r.json.failed.find((x: any) => x.path.includes('caf'));
  assert.ok(a, `the latin-1-named file exists and is readable, so it must be ingested; got failure ${JSON.stringify(f)}`);
  assert.match(a.path, /caf.+\.txt$/);
});

test('symlinks: a link inside the root is followed (same content → one asset); a link to the root is not a loop', () => {
  const r = first;
  const link = assetFor(r, '/in-link.txt');
  const target = assetFor(r, '/sub/target.txt');
  assert.ok(link && target, show(r));
  assert.equal(link.sha256, sha(content['sub/target.txt']!));
  assert.equal(link.id, target.id, 'identical content in one collection is one asset');
  assert.equal([link.duplicate, target.duplicate].filter(Boolean).length, 1);
  assert.ok(!r.json.assets.some((a: any) => a.path.includes('/self/')), 'the link to "." is not walked again');
});

test('types come from content: unknown binary is "other", a zip named .jpg is an archive', () => {
  const r = first;
  const bin = assetFor(r, '/mystery.bin');
  assert.equal(bin?.type, 'other', show(r));
  assert.equal(bin.sha256, sha(content['mystery.bin']!));
  assert.equal(assetFor(r, '/holiday.jpg')?.type, 'archive');
});

test('chmod 000: root reads it anyway (stored); an ordinary user gets E_PERMISSION per file and per folder', { skip: !isRoot && 'needs root to switch to uid 65534' }, async () => {
  const locked = assetFor(first, '/locked.txt');
  assert.ok(locked, 'as root, mode 000 does not stop reading: the file is stored');
  assert.equal(locked.sha256, sha(content['locked.txt']!));

  const dir = join(root, 'as-nobody');
  const nobodyData = join(root, 'data-nobody');
  await mkdir(join(dir, 'closed'), { recursive: true });
  await mkdir(nobodyData);
  await chown(nobodyData, 65534, 65534);
  await writeFile(join(dir, 'readable.txt'), 'anyone may read this\n');
  await writeFile(join(dir, 'locked.txt'), 'nobody may read this\n');
  await writeFile(join(dir, 'closed', 'hidden.txt'), 'in a closed folder\n');
  await chmod(join(dir, 'locked.txt'), 0o000);
  await chmod(join(dir, 'closed'), 0o000);
  const r = await runCli(['ingest', dir, '--no-wait', '--json'], { data: nobodyData, uid: 65534, gid: 65534, env: { HOME: nobodyData } });
  assert.equal(r.code, 1, show(r));
  assert.equal(r.json.ingested, 1, show(r));
  assert.ok(assetFor(r, '/readable.txt'));
  assert.match(failure(r, '/locked.txt')?.error ?? '', /E_PERMISSION/, show(r));
  assert.match(failure(r, '/closed')?.error ?? '', /E_PERMISSION/, show(r));
  assert.equal(r.json.failed.length, 2);
});

test('ingesting the same folder again: duplicates only, no new assets, same failures', () => {
  const r = second;
  assert.equal(r.code, 1, show(r));
  assert.equal(r.json.ingested, 0, show(r));
  const stored = first.json.assets.length;
  assert.equal(r.json.duplicates, stored);
  assert.ok(r.json.assets.every((a: any) => a.duplicate === true));
  const ids = (x: CliResult) => new Set(x.json.assets.map((a: any) => a.id));
  assert.deepEqual(ids(r), ids(first), 'the same asset ids come back');
  assert.equal(r.json.failed.length, first.json.failed.length - 1, 'the same failures, minus the missing extra path');
});
