// Hostile and unusual images: each gives a clear permanent error code (or is handled: CMYK, 16-bit,
// animated), memory stays bounded (pixel floods are refused from the header), SVG never loads external
// references, and the PaddleOCR worker survives both bad images and a crash of its own.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { deflateSync, crc32 } from 'node:zlib';
import { createServer } from 'node:http';
import { prepareImage } from '../src/engines/image-prep.ts';
import { ocrAnalyser, ocrImageFile } from '../src/analysers/ocr.ts';
import { closePaddle, paddleRestarts, simulatePaddleCrash } from '../src/engines/ocr-paddle.ts';
import { detectFaces } from '../src/engines/human.ts';
import { objectsAnalyser } from '../src/analysers/objects.ts';
import { moderationAnalyser } from '../src/analysers/moderation.ts';
import { redactImage } from '../src/engines/redact-image.ts';

let dir = '';
const f = (n: string) => join(dir, n);

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td) >>> 0);
  return Buffer.concat([len, td, crc]);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vitrine-vision-bad-'));
  execFileSync('convert', ['-size', '600x200', 'xc:white', '-font', 'DejaVu-Sans', '-pointsize', '40', '-fill', 'black',
    '-annotate', '+20+110', 'evidence locker', f('text.png')]);
  execFileSync('convert', [f('text.png'), '-quality', '92', f('text.jpg')]);
  const jpg = await readFile(f('text.jpg'));
  await writeFile(f('truncated.jpg'), jpg.subarray(0, Math.floor(jpg.length / 3)));
  await writeFile(f('corrupt.png'), Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), Buffer.alloc(500, 0x5a)]));
  await writeFile(f('empty.jpg'), Buffer.alloc(0));
  await writeFile(f('notimage.jpg'), 'just some text pretending to be a JPEG\n');
  // Pixel flood: a 100-byte PNG whose header claims 100000 × 100000 pixels.
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(100000, 0);
  ihdr.writeUInt32BE(100000, 4);
  ihdr[8] = 8; ihdr[9] = 2;
  await writeFile(f('flood.png'), Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(1000))), pngChunk('IEND', Buffer.alloc(0))]));
  execFileSync('convert', [f('text.png'), '-colorspace', 'CMYK', '-quality', '95', f('cmyk.jpg')]);
  execFileSync('convert', [f('text.png'), '-depth', '16', f('deep16.png')]);
  // Animated GIF: the first frame has the text, later frames are blank.
  execFileSync('convert', ['-delay', '20', f('text.png'), '-size', '600x200', 'xc:white', 'xc:black', f('anim.gif')]);
});

after(async () => {
  await closePaddle();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function rejectsWith(p: Promise<unknown>, code: string) {
  await assert.rejects(p, (e: { code?: string; kind?: string; message?: string }) => {
    assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
    assert.equal(e.kind, 'permanent');
    assert.ok(e.message && e.message.length > 10);
    return true;
  });
}

test('corrupt, truncated, empty, non-image and pixel-flood files give clear permanent errors', async () => {
  await rejectsWith(prepareImage(f('truncated.jpg')), 'E_IMAGE_CORRUPT');
  await rejectsWith(prepareImage(f('empty.jpg')), 'E_IMAGE_CORRUPT');
  await rejectsWith(prepareImage(f('notimage.jpg')), 'E_IMAGE_UNSUPPORTED');
  await assert.rejects(prepareImage(f('corrupt.png')), (e: { code?: string; kind?: string }) =>
    ['E_IMAGE_CORRUPT', 'E_IMAGE_UNSUPPORTED'].includes(e.code!) && e.kind === 'permanent');
  const rss0 = process.memoryUsage().rss;
  await rejectsWith(prepareImage(f('flood.png')), 'E_PIXEL_LIMIT');
  await rejectsWith(redactImage(f('flood.png'), f('out.png'), []), 'E_PIXEL_LIMIT');
  assert.ok(process.memoryUsage().rss - rss0 < 200 * 1024 ** 2, 'pixel flood must not allocate the claimed image');
  // A lower limit applies to ordinary images too.
  await rejectsWith(prepareImage(f('text.png'), { maxPixels: 1000 }), 'E_PIXEL_LIMIT');
});

test('every analyser turns a bad image into a permanent error (status skipped) and carries on', async () => {
  const input = (name: string) => ({ sha256: 'x', type: 'image' as const, mime: 'image/jpeg', size: 1, name, path: f(name), deps: {}, options: {} });
  const ctx = { tmpDir: dir, signal: new AbortController().signal, log: console as never };
  for (const a of [ocrAnalyser, objectsAnalyser, moderationAnalyser]) {
    await rejectsWith(a.run(input('truncated.jpg'), ctx) as Promise<unknown>, 'E_IMAGE_CORRUPT');
    await rejectsWith(a.run(input('flood.png'), ctx) as Promise<unknown>, 'E_PIXEL_LIMIT');
  }
  await rejectsWith(detectFaces(f('truncated.jpg')), 'E_IMAGE_CORRUPT');
  // …and the next good image works in the same process.
  const r = await ocrImageFile(f('text.png'));
  assert.match(r.text.toLowerCase(), /evidence/);
});

test('CMYK JPEG, 16-bit PNG and animated GIF (first frame) are converted and read', async () => {
  for (const name of ['cmyk.jpg', 'deep16.png', 'anim.gif']) {
    const img = await prepareImage(f(name));
    assert.equal(img.channels, 3);
    assert.equal(img.data.length, img.width * img.height * 3, `${name}: 8-bit samples`);
    assert.equal(img.width, 600);
    assert.equal(img.height, 200, `${name}: one frame only`);
    // White background stays white after colour conversion.
    assert.ok(img.data[0]! > 240 && img.data[1]! > 240 && img.data[2]! > 240, `${name}: ${img.data.subarray(0, 3).join(',')}`);
    const r = await ocrImageFile(f(name));
    assert.match(r.text.toLowerCase(), /evidence/, `${name}: ${r.text}`);
  }
  assert.equal((await prepareImage(f('anim.gif'))).pages, 3);
});

test('SVG with external references is never rendered; a self-contained SVG is', async () => {
  // A local server to prove no request is made for the http reference.
  let hits = 0;
  const server = createServer((_req, res) => { hits++; res.end(''); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const svgs: Record<string, string> = {
      'file.svg': `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="200" height="100"><image xlink:href="file:///etc/passwd" width="100" height="100"/></svg>`,
      'http.svg': `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><image href="http://127.0.0.1:${port}/x.png" width="100" height="100"/></svg>`,
      'css.svg': `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><style>@import "http://127.0.0.1:${port}/a.css";</style><rect width="10" height="10" style="fill:url(http://127.0.0.1:${port}/p#x)"/></svg>`,
      'entity.svg': `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><text y="50">&x;</text></svg>`,
      'relative.svg': `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><image href="text.png" width="100" height="100"/></svg>`,
    };
    for (const [name, body] of Object.entries(svgs)) {
      await writeFile(f(name), body);
      await rejectsWith(prepareImage(f(name)), 'E_SVG_EXTERNAL_REF');
    }
    assert.equal(hits, 0, 'no network request was made');

    await writeFile(f('ok.svg'), `<svg xmlns="http://www.w3.org/2000/svg" width="600" height="150"><defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient></defs><rect width="600" height="150" fill="url(#g)"/><text x="20" y="90" font-size="48" font-family="DejaVu Sans">archive index</text></svg>`);
    const r = await ocrImageFile(f('ok.svg'));
    assert.match(r.text.toLowerCase(), /archive/);
  } finally {
    server.close();
  }
});

test('the PaddleOCR worker survives a crash: the call fails clearly, the next image is read by a new worker', async () => {
  await ocrImageFile(f('text.png'));
  const before = paddleRestarts();
  await assert.rejects(simulatePaddleCrash(), (e: { code?: string; kind?: string }) => e.code === 'E_OCR_CRASHED' && e.kind === 'permanent');
  assert.equal(paddleRestarts(), before + 1);
  const r = await ocrImageFile(f('text.png'));
  assert.match(r.text.toLowerCase(), /evidence/);
});
