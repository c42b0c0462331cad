// The CLI contract end to end, through real processes: ingest a folder of generated mixed files, then
// search (filters, phrases, batch), show, status, and the error/exit-code rules. Assertions are batched
// per process because every CLI start opens the database (seconds on a busy machine).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, describe as show, type CliResult } from './helpers/cli.ts';

let root: string;
let data: string;
let inA: string;
let inB: string;
let ingestA: CliResult;
let ingestB: CliResult;
const files: Record<string, string> = {};

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'vitrine-core-cli-'));
  data = join(root, 'data');
  inA = join(root, 'in-a');
  inB = join(root, 'in-b');
  await mkdir(join(inA, 'sub'), { recursive: true });
  await mkdir(inB);
  files.txt = join(inA, 'notes.txt');
  await writeFile(files.txt, 'The quick brown fox visits Zanzibar harbour every spring.\nSecond line about lighthouses.\n');
  files.html = join(inA, 'page.html');
  await writeFile(files.html, '<!doctype html><html><head><title>Giraffe page</title>' +
    '<script>var secretscriptword = "hiddenjavascript";</script><style>.kangaroostyle{color:red}</style></head>' +
    '<body><p>Visible paragraph about giraffes &amp; okapis.</p><script>document.write("inlinescriptword")</script></body></html>\n');
  files.csv = join(inA, 'table.csv');
  await writeFile(files.csv, 'name,city,amount\nAlice,Quokkaville,12\nBob,Wallabytown,7\n');
  files.md = join(inA, 'sub', 'readme.md');
  await writeFile(files.md, '# Heading\n\nThis markdown mentions the **platypus** twice: platypus.\n');
  files.latin1 = join(inA, 'latin1.txt');
  await writeFile(files.latin1, Buffer.from('Le café était très agréable à Genève, disait le señor naïf.\n', 'latin1'));
  files.utf16 = join(inA, 'utf16.txt');
  await writeFile(files.utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Ein Wombat namens Jürgen schläft.\n', 'utf16le')]));
  files.png = join(inA, 'picture.png');
  execFileSync('convert', ['-size', '120x80', 'gradient:red-blue', files.png]);
  files.beta = join(inB, 'other.txt');
  await writeFile(files.beta, 'A different text that also names Zanzibar, in the beta collection.\n');

  ingestA = await runCli(['ingest', inA, '--collection', 'alpha', '--json'], { data });
  ingestB = await runCli(['ingest', inB, '--collection', 'beta', '--json'], { data });
});

after(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

test('ingest --json: the contract shape, content types sniffed, hashes of the real bytes, exit 0', async () => {
  const r = ingestA;
  assert.equal(r.code, 0, show(r));
  assert.ok(r.json, 'stdout is exactly one JSON document\n' + show(r));
  assert.deepEqual(Object.keys(r.json).sort(), ['assets', 'duplicates', 'failed', 'ingested']);
  assert.equal(r.json.ingested, 7);
  assert.equal(r.json.duplicates, 0);
  assert.deepEqual(r.json.failed, []);
  assert.equal(r.json.assets.length, 7);
  const byPath = new Map<string, any>(r.json.assets.map((a: any) => [a.path, a]));
  for (const a of r.json.assets) {
    assert.deepEqual(Object.keys(a).sort(), ['duplicate', 'id', 'path', 'sha256', 'type']);
    assert.equal(a.duplicate, false);
    assert.match(a.id, /^\S+$/);
  }
  for (const [kind, p] of Object.entries(files)) {
    if (kind === 'beta') continue;
    const a = byPath.get(p);
    assert.ok(a, `asset for ${p} in ${JSON.stringify([...byPath.keys()])}`);
    assert.equal(a.sha256, sha(await readFile(p)), p);
    assert.equal(a.type, kind === 'png' ? 'image' : 'document', p);
  }
  assert.doesNotMatch(r.stderr, /\x1b\[/, 'no progress drawing when stderr is not a terminal');
  assert.equal(ingestB.code, 0, show(ingestB));
  assert.equal(ingestB.json.ingested, 1);
});

test('search --json finds words in txt, html (not its scripts), csv, markdown, latin-1 and UTF-16 text', async () => {
  const r = await runCli(['search', 'zanzibar', '--json'], { data });
  assert.equal(r.code, 0, show(r));
  assert.deepEqual(Object.keys(r.json).sort(), ['hits', 'total']);
  assert.equal(r.json.total, 2);
  const hit = r.json.hits.find((h: any) => h.path === files.txt);
  assert.ok(hit, show(r));
  assert.deepEqual(Object.keys(hit).sort(), ['assetId', 'collection', 'matches', 'path', 'score', 'snippet', 'type']);
  assert.equal(hit.assetId, ingestA.json.assets.find((a: any) => a.path === files.txt).id);
  assert.equal(hit.type, 'document');
  assert.equal(hit.collection, 'alpha');
  assert.equal(typeof hit.score, 'number');
  assert.match(hit.snippet, /Zanzibar/);
  assert.ok(hit.matches.length >= 1);
  const m = hit.matches[0];
  assert.equal(m.analyser, 'document-text');
  assert.match(m.text, /Zanzibar/);
  // Offsets, when given, are UTF-16 offsets into the text and cover the word.
  if (m.start !== undefined) assert.equal(m.text.slice(m.start, m.end).toLowerCase(), 'zanzibar');

  // Many queries in one process: JSON Lines in input order, one per non-empty line.
  const queries = ['giraffes', 'secretscriptword', 'hiddenjavascript', 'inlinescriptword', 'kangaroostyle', 'quokkaville',
    'platypus', 'agréable', 'genève', 'wombat', 'jürgen', '"quick brown fox"', '"brown quick"', 'brown quick', 'nothingmatcheshere'];
  const b = await runCli(['search', '--batch', '-'], { data, input: queries.join('\n') + '\n\n' });
  assert.equal(b.code, 0, show(b));
  const lines = b.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.query), queries);
  for (const l of lines) {
    assert.deepEqual(Object.keys(l).sort(), ['hits', 'query', 'tookMs', 'total']);
    assert.equal(typeof l.tookMs, 'number');
    assert.equal(l.total, l.hits.length, l.query);
  }
  const found = (q: string) => lines.find((l) => l.query === q)!.hits.map((h: any) => h.path);
  assert.deepEqual(found('giraffes'), [files.html]);
  for (const q of ['secretscriptword', 'hiddenjavascript', 'inlinescriptword', 'kangaroostyle'])
    assert.deepEqual(found(q), [], `script/style text must not be searchable: ${q}`);
  assert.deepEqual(found('quokkaville'), [files.csv]);
  assert.deepEqual(found('platypus'), [files.md]);
  assert.deepEqual(found('agréable'), [files.latin1], 'latin-1 decoded');
  assert.deepEqual(found('genève'), [files.latin1]);
  assert.deepEqual(found('wombat'), [files.utf16], 'UTF-16 decoded');
  assert.deepEqual(found('jürgen'), [files.utf16]);
  assert.deepEqual(found('"quick brown fox"'), [files.txt], 'phrase');
  assert.deepEqual(found('"brown quick"'), [], 'words out of order are not the phrase');
  assert.deepEqual(found('brown quick'), [files.txt], 'all words, any order');
  assert.deepEqual(found('nothingmatcheshere'), []);
  const latin = lines.find((l) => l.query === 'agréable')!.hits[0];
  assert.match(latin.snippet, /agréable/, 'snippet shows the decoded text');
});

test('search filters: --type and --collection', async () => {
  const img = await runCli(['search', 'zanzibar', '--type', 'image', '--json'], { data });
  assert.equal(img.code, 0, show(img));
  assert.deepEqual(img.json, { total: 0, hits: [] });
  const doc = await runCli(['search', 'zanzibar', '--type', 'document', '--collection', 'beta', '--json'], { data });
  assert.equal(doc.code, 0, show(doc));
  assert.equal(doc.json.total, 1);
  assert.equal(doc.json.hits[0].path, files.beta);
  assert.equal(doc.json.hits[0].collection, 'beta');
});

test('show --json: every field of the contract, metadata and thumbnail of an image', async () => {
  const id = ingestA.json.assets.find((a: any) => a.path === files.png).id;
  const r = await runCli(['show', id, '--json'], { data });
  assert.equal(r.code, 0, show(r));
  const s = r.json;
  for (const k of ['id', 'sha256', 'path', 'name', 'type', 'mime', 'size', 'collection', 'children', 'ingestedAt', 'metadata', 'analyses', 'derived'])
    assert.ok(k in s, `show has ${k}`);
  assert.equal(s.id, id);
  assert.equal(s.sha256, sha(await readFile(files.png)));
  assert.equal(s.path, files.png);
  assert.equal(s.name, 'picture.png');
  assert.equal(s.type, 'image');
  assert.equal(s.mime, 'image/png');
  assert.equal(s.size, (await stat(files.png)).size);
  assert.equal(s.collection, 'alpha');
  assert.deepEqual(s.children, []);
  assert.ok(!Number.isNaN(Date.parse(s.ingestedAt)) && s.ingestedAt.endsWith('Z'), s.ingestedAt);
  const md = s.analyses.metadata;
  assert.equal(md.status, 'done', JSON.stringify(md));
  assert.equal(typeof md.version, 'number');
  assert.equal(typeof md.ms, 'number');
  assert.equal(md.result.width, 120);
  assert.equal(md.result.height, 80);
  assert.deepEqual(s.metadata, md.result);
  assert.equal(s.analyses.phash.status, 'done');
  assert.match(s.analyses.phash.result.hash, /^[0-9a-f]{16}$/);
  assert.equal(s.analyses.thumbnail.status, 'done');
  const thumb = s.derived.find((d: any) => d.kind === 'thumbnail');
  assert.ok(thumb, JSON.stringify(s.derived));
  const bytes = await readFile(join(data, 'derived', thumb.path));
  assert.equal(bytes.subarray(8, 12).toString('latin1'), 'WEBP');

  // A text document: its text and language are known.
  const docId = ingestA.json.assets.find((a: any) => a.path === files.txt).id;
  const d = await runCli(['show', docId, '--json'], { data });
  assert.equal(d.code, 0, show(d));
  assert.match(d.json.analyses['document-text'].result.text, /Zanzibar harbour/);
  assert.equal(d.json.analyses.language.status, 'done');
  assert.equal(d.json.analyses.language.result.language, 'en');
});

test('status --json: counts per analyser, nothing pending after a waiting ingest', async () => {
  const r = await runCli(['status', '--json'], { data });
  assert.equal(r.code, 0, show(r));
  assert.deepEqual(Object.keys(r.json).sort(), ['analysers', 'etaSeconds', 'failures']);
  assert.ok(Array.isArray(r.json.failures));
  assert.equal(typeof r.json.etaSeconds, 'number');
  for (const id of ['metadata', 'thumbnail', 'phash', 'document-text', 'language']) {
    const c = r.json.analysers[id];
    assert.ok(c, `status has ${id}: ${JSON.stringify(r.json.analysers)}`);
    assert.deepEqual(Object.keys(c).sort(), ['done', 'failed', 'queued', 'running', 'skipped']);
    assert.equal(c.queued + c.running, 0, id);
  }
  assert.equal(r.json.analysers.metadata.done, 8, 'one metadata analysis per distinct content');
  assert.equal(r.json.analysers['document-text'].done, 7);
});

test('errors: usage → exit 2, not found → exit 3, JSON error document on stdout with --json', async () => {
  const unknownCmd = await runCli(['frobnicate', '--json'], { data });
  assert.equal(unknownCmd.code, 2, show(unknownCmd));
  assert.equal(unknownCmd.json?.error?.code, 'E_USAGE');
  assert.match(unknownCmd.stderr, /frobnicate/);

  const unknownFlag = await runCli(['search', 'x', '--bogus-flag', '--json'], { data });
  assert.equal(unknownFlag.code, 2, show(unknownFlag));
  assert.deepEqual(Object.keys(unknownFlag.json), ['error']);
  assert.deepEqual(Object.keys(unknownFlag.json.error).sort(), ['code', 'message']);

  const missing = await runCli(['show', 'nonexistent', '--json'], { data });
  assert.equal(missing.code, 3, show(missing));
  assert.equal(missing.json.error.code, 'E_NOT_FOUND');
  assert.match(missing.json.error.message, /nonexistent/);
  assert.equal(missing.stderr.trim().split('\n').length, 1, 'one line on stderr');

  const limit0 = await runCli(['search', 'zanzibar', '--limit', '0', '--json'], { data });
  assert.equal(limit0.code, 2, show(limit0));
  assert.match(limit0.json.error.message, /limit/);

  const badType = await runCli(['search', 'zanzibar', '--type', 'spreadsheet'], { data });
  assert.equal(badType.code, 2, show(badType));
  assert.equal(badType.stdout, '', 'without --json nothing on stdout for an error');
});
