// export of documents and media text, in-process on a real PGlite: --redact pii writes a plain-text copy
// with personal data replaced (text file, and a PDF's text page by page) or, for a PDF to .pdf, a PDF of page
// images with the personal data blacked out; a .pdf name for a text file is refused;
// --captions vtt|srt from the transcript, translated on demand with --lang es, an unsupported language
// is a clear failure (exit 1).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { createContainer, type Container } from '../src/container.ts';
import { createOut } from '../src/cli/output.ts';
import { runUntilIdle } from '../src/cli/wait.ts';
import { AppError } from '../src/errors.ts';
import { makePdf } from './docs-fixtures.ts';

let root = '';
let c: Container;
const id: Record<string, string> = {};

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'vitrine-export-docs-'));
  const dir = join(root, 'in');
  await mkdir(dir);
  await writeFile(join(dir, 'letter.txt'), 'Dear team,\nplease write to john.doe@example.com or transfer to DE89 3704 0044 0532 0130 00.\nRegards, the archive\n');
  await writeFile(join(dir, 'report.pdf'), makePdf([
    { lines: ['Quarterly report', 'Contact: alice@corp.example'] },
    { lines: ['Second page', 'Server at 192.168.10.20 is fine'] },
  ]));
  execFileSync('flite', ['-voice', 'slt', '-t', 'The city council will meet on Monday to discuss the new budget.', '-o', join(root, 's.wav')]);
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'anoisesrc=c=pink:a=0.003:r=16000:d=1', '-i', join(root, 's.wav'),
    '-filter_complex', '[0][1]concat=n=2:v=0:a=1[a]', '-map', '[a]', '-c:a', 'pcm_s16le', '-y', join(dir, 'talk.wav')]);
  c = await createContainer(loadConfig({ dataDir: join(root, 'data'), concurrency: 2, logLevel: 'silent' }));
  const r = await c.ingest.ingest([dir], { collection: 'docs', actor: c.localActor, analysers: ['document-text', 'transcript'] });
  await runUntilIdle(c, createOut(true, true), r.assets.map((a) => a.sha256), 2);
  for (const a of r.assets) id[a.path.split('/').pop()!] = a.id;
});

after(async () => {
  await c?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

test('--redact pii on a text file: e-mail and IBAN replaced, the rest kept', async () => {
  const out = join(root, 'letter-redacted.txt');
  const r = await c.exporter.export(id['letter.txt']!, c.localActor, { out, redact: 'pii' });
  assert.equal(r.redacted.pii, 2, JSON.stringify(r));
  const text = await readFile(out, 'utf8');
  assert.ok(!text.includes('john.doe') && !text.includes('3704'), text);
  assert.match(text, /\[email\]/);
  assert.match(text, /\[iban\]/);
  assert.match(text, /Dear team,/);
  assert.equal(r.bytes, Buffer.byteLength(text));
});

test('--redact pii on a PDF: the text, page by page, redacted; a .pdf name is refused', async () => {
  const out = join(root, 'report.txt');
  const r = await c.exporter.export(id['report.pdf']!, c.localActor, { out, redact: 'all' });
  assert.equal(r.redacted.pii, 2, JSON.stringify(r));
  const text = await readFile(out, 'utf8');
  assert.ok(!text.includes('alice@') && !text.includes('192.168'), text);
  assert.match(text, /Quarterly report/);
  assert.equal(text.split('\f').length, 2, 'pages separated by form feeds');
  await assert.rejects(c.exporter.export(id['letter.txt']!, c.localActor, { out: join(root, 'r.pdf'), redact: 'pii' }), (e: AppError) => e.exitCode === 2 && /\.txt/.test(e.message));
  await assert.rejects(c.exporter.export(id['report.pdf']!, c.localActor, { out: join(root, 'r.txt'), redact: 'faces' }), (e: AppError) => e.exitCode === 2);
});

test('--redact pii on a PDF to .pdf: pages rasterised, personal data blacked out, no text left to copy', async () => {
  const out = join(root, 'report-redacted.pdf');
  const r = await c.exporter.export(id['report.pdf']!, c.localActor, { out, redact: 'pii' });
  assert.equal(r.redacted.pii, 2, JSON.stringify(r));
  const info = execFileSync('pdfinfo', [out], { encoding: 'utf8' });
  assert.match(info, /Pages:\s+2/);
  assert.equal(execFileSync('pdftotext', [out, '-'], { encoding: 'utf8' }).trim(), '', 'no text layer');
  // OCR of the rendered copy: the heading survives, the e-mail address does not.
  const png = join(root, 'redacted-p1');
  execFileSync('pdftoppm', ['-r', '150', '-f', '1', '-l', '1', '-png', out, png]);
  const ocr = execFileSync('tesseract', [`${png}-1.png`, '-'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  assert.match(ocr, /Quarterly report/);
  assert.ok(!/alice|corp\.example/.test(ocr), ocr);
});

test('--captions vtt and srt from the transcript; --lang es translated on demand; --lang de unsupported', async () => {
  const vtt = join(root, 'talk.vtt');
  const r = await c.exporter.export(id['talk.wav']!, c.localActor, { out: vtt, captions: 'vtt' });
  const text = await readFile(vtt, 'utf8');
  assert.match(text, /^WEBVTT\n/);
  assert.match(text, /00:00:0\d\.\d{3} --> 00:00:0\d\.\d{3}/);
  assert.match(text.toLowerCase(), /council|budget|monday/);
  assert.equal(r.bytes, Buffer.byteLength(text));

  const srt = join(root, 'talk.es.srt');
  await c.exporter.export(id['talk.wav']!, c.localActor, { out: srt, captions: 'srt', lang: 'es' });
  const es = await readFile(srt, 'utf8');
  assert.match(es, /^1\n00:00:\d\d,\d{3} --> /);
  assert.match(es.toLowerCase(), /consejo|presupuesto|lunes|ciudad/, es);

  await assert.rejects(c.exporter.export(id['talk.wav']!, c.localActor, { out: join(root, 'talk.de.vtt'), captions: 'vtt', lang: 'de' }),
    (e: AppError) => e.code === 'E_UNSUPPORTED_LANGUAGE' && e.exitCode === 1 && /en to de/.test(e.message));
  await assert.rejects(c.exporter.export(id['letter.txt']!, c.localActor, { out: join(root, 'x.vtt'), captions: 'vtt' }), (e: AppError) => e.exitCode === 2);
});
