// PDF: born-digital text per page, metadata, scanned pages OCR'd, thumbnails, encrypted and damaged files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePdf } from './docs-fixtures.ts';
import { extractPdf, dpiFor, hasNonBlank, MIN_PAGE_CHARS } from '../src/extractors/pdf.ts';
import { resolveLimits } from '../src/extractors/limits.ts';
import { run } from '../src/util/proc.ts';

let dir: string;
let scanJpeg: Buffer;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vitrine-docs-pdf-'));
  const jpg = join(dir, 'scan.jpg');
  await run('convert', ['-size', '1240x1754', 'xc:white', '-font', 'DejaVu-Sans', '-pointsize', '44', '-fill', 'black',
    '-annotate', '+100+200', 'The quick zebra jumps', '-annotate', '+100+320', 'Scanned page WOMBAT', '-colorspace', 'Gray', '-quality', '85', jpg]);
  scanJpeg = await readFile(jpg);
});
after(async () => { await rm(dir, { recursive: true, force: true }); });
const ctx = async (extra: object = {}) => ({ tmpDir: await mkdtemp(join(dir, 'run-')), limits: resolveLimits(), ...extra });
async function file(name: string, data: Buffer): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, data);
  return p;
}

test('born-digital: known words on known pages, metadata, thumbnails', async () => {
  const p = await file('a.pdf', makePdf([
    { lines: ['Alpha page mentions pelican', 'and (brackets) too'] },
    { lines: ['Bravo page mentions walrus'] },
    { lines: ['Charlie page mentions narwhal'] },
  ], { title: 'Annual Report Q&A <draft>', author: 'Jane Roe', created: 'D:20240102030405Z' }));
  const r = await extractPdf(p, await ctx());
  assert.equal(r.pages!.length, 3);
  assert.match(r.pages![0]!.text, /pelican/);
  assert.match(r.pages![0]!.text, /\(brackets\)/);
  assert.match(r.pages![1]!.text, /walrus/);
  assert.doesNotMatch(r.pages![1]!.text, /pelican|narwhal/);
  assert.match(r.pages![2]!.text, /narwhal/);
  assert.equal(r.text, r.pages!.map((x) => x.text).join('\n\n'));
  assert.equal(r.title, 'Annual Report Q&A <draft>');
  assert.equal(r.author, 'Jane Roe');
  assert.equal(r.created, '2024-01-02T03:04:05.000Z');
  assert.equal(r.ocrPages, undefined);
  assert.deepEqual(r.images!.map((i) => i.page), [1, 2, 3]);
  const png = await readFile(r.images![0]!.path);
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  assert.equal(png.readUInt32BE(20), 320); // height = longest side of a portrait page
});

test('scanned page is rendered and OCR\'d; blank page without images is not', async () => {
  const p = await file('scan.pdf', makePdf([
    { lines: ['Typed first page about llamas'] },
    { jpeg: { data: scanJpeg, width: 1240, height: 1754 } },
    {},
  ]));
  const r = await extractPdf(p, await ctx({ thumbnails: 0 }));
  assert.match(r.pages![0]!.text, /llamas/);
  assert.match(r.pages![1]!.text, /zebra/i);
  assert.match(r.pages![1]!.text, /WOMBAT/);
  assert.equal(r.pages![2]!.text, '');
  assert.deepEqual(r.ocrPages, [2]);
  assert.equal(r.images, undefined);
});

test('a page is an OCR candidate when it has fewer than MIN_PAGE_CHARS non-blank characters', () => {
  assert.equal(hasNonBlank(' a\tb\n\fc\u00a0 ', 3), true);
  assert.equal(hasNonBlank(' a\tb\n\fc\u00a0 ', 4), false);
  assert.equal(hasNonBlank('x'.repeat(MIN_PAGE_CHARS - 1) + ' \u3000', MIN_PAGE_CHARS), false);
  assert.equal(hasNonBlank('', 0), true);
});

test('pixel limit: a huge page is rendered at a lower resolution, or not at all', () => {
  assert.equal(dpiFor([595, 842], 100e6), 200);
  const poster = dpiFor([14400, 14400], 100e6); // 200 × 200 inch page
  assert.ok(poster * 200 * poster * 200 <= 100e6 && poster < 200, String(poster));
  assert.ok(dpiFor([14400, 14400], 1e6) < 50);
});

test('encrypted PDF (user password) → skipped: encrypted', async () => {
  const plain = await file('plain.pdf', makePdf([{ lines: ['secret words'] }]));
  const enc = join(dir, 'enc.pdf');
  await run('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-sDEVICE=pdfwrite', '-sOwnerPassword=owner', '-sUserPassword=user',
    '-dEncryptionR=3', '-dKeyLength=128', '-sOutputFile=' + enc, plain]);
  assert.ok((await stat(enc)).size > 0);
  await assert.rejects(extractPdf(enc, await ctx()), (e: any) => e.code === 'E_ENCRYPTED' && e.message === 'skipped: encrypted' && e.kind === 'permanent');
});

test('garbage after the header and non-PDFs get a clear permanent error', async () => {
  const garbage = await file('garbage.pdf', Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7919) % 251))]));
  await assert.rejects(extractPdf(garbage, await ctx()), (e: any) => e.code === 'E_PDF_INVALID' && /damaged PDF/.test(e.message) && e.kind === 'permanent');
  const notPdf = await file('fake.pdf', Buffer.from('PK\x03\x04 a zip pretending to be a pdf'));
  await assert.rejects(extractPdf(notPdf, await ctx()), (e: any) => e.code === 'E_NOT_PDF');
});

test('every pdftotext run is under the memory limit, and hitting it is a clear per-file reason', async () => {
  const p = await file('limited.pdf', makePdf([{ lines: ['fits in any sane limit'] }]));
  // 8 MB of address space is too little for poppler's own libraries: the limit must really reach the tool.
  await assert.rejects(extractPdf(p, await ctx({ limits: resolveLimits({ toolMemoryBytes: 8e6 }) })), (e: any) =>
    e.code === 'E_TOOL_LIMIT' && e.kind === 'permanent' && /^skipped: pdftotext ran out of its memory limit \(8 MiB\)/.test(e.message)
    && e.message.includes('VITRINE_LIMIT_TOOL_MEMORY_BYTES'));
  assert.match((await extractPdf(p, await ctx({ limits: resolveLimits({ toolMemoryBytes: 256e6 }), thumbnails: 0 }))).text, /sane limit/);
  // A tool that starts fine but allocates past the limit mid-run gets the same code from run().
  await assert.rejects(run('python3', ['-c', 'b = bytearray(256 * 1024 * 1024)'], { memoryBytes: 128 * 1024 ** 2 }),
    (e: any) => e.code === 'E_TOOL_LIMIT' && /python3 ran out of its memory limit \(128 MiB\)/.test(e.message));
});
