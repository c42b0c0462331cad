// Per-image time through the analysers vs the raw engines called directly on the same images
// (OCR: @gutenye/ocr-node as its README uses it, in this process; objects/faces/moderation: Human /
// nsfwjs on a decoded tensor), images per minute per analyser, peak RSS. Prints a markdown table.
// Run: node bench/vision.bench.ts  (≈1–2 min on 2 cores)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { ocrAnalyser } from '../src/analysers/ocr.ts';
import { objectsAnalyser } from '../src/analysers/objects.ts';
import { facesAnalyser } from '../src/analysers/faces.ts';
import { moderationAnalyser } from '../src/analysers/moderation.ts';
import { closePaddle } from '../src/engines/ocr-paddle.ts';
import { getHuman, tfCore, detectFaces } from '../src/engines/human.ts';
import type { Analyser } from '../src/analysers/types.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const dir = await mkdtemp(join(tmpdir(), 'vitrine-vision-bench-'));
let peak = 0;
const sample = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);

// Text images (OCR) and photos (objects, faces, moderation).
const textImgs: string[] = [];
for (let i = 0; i < 4; i++) {
  const f = join(dir, `text${i}.png`);
  execFileSync('convert', ['-size', '1200x500', 'xc:white', '-font', ['DejaVu-Sans', 'DejaVu-Serif'][i % 2]!, '-pointsize', String(28 + i * 6),
    '-fill', 'black', '-annotate', '+30+80', `Quarterly report ${2020 + i}\nbudget harbour station\nmeeting council evidence ${i}`, f]);
  textImgs.push(f);
}
const photos = [
  resolve('node_modules/@vladmandic/human/assets/screenshot-facedetect.jpg'),
  resolve('node_modules/@vladmandic/human/assets/samples.jpg'),
  resolve('node_modules/autocannon/test/j5.jpeg'),
  resolve('node_modules/@vladmandic/human/assets/screenshot-faceid.jpg'),
];

const ctx = { tmpDir: dir, signal: new AbortController().signal, log: console as never };
async function viaAnalyser(a: Analyser<unknown>, path: string) {
  await a.run({ sha256: 'x', type: 'image', mime: 'image/*', size: 1, name: path, path, deps: {}, options: {} }, ctx);
}

// Interleaved (analyser, raw, analyser, raw …) so load from other processes hits both alike.
async function pair(a: (p: string) => Promise<unknown>, b: (p: string) => Promise<unknown>, files: string[]): Promise<[number, number]> {
  await a(files[0]!); // warm-up: model load is not per-image cost
  await b(files[0]!);
  let ta = 0;
  let tb = 0;
  for (let r = 0; r < ROUNDS; r++)
    for (const f of files) {
      let t0 = performance.now();
      await a(f);
      ta += performance.now() - t0;
      t0 = performance.now();
      await b(f);
      tb += performance.now() - t0;
    }
  return [ta / (ROUNDS * files.length), tb / (ROUNDS * files.length)];
}

// Raw engines, used the way their own docs show.
const { default: Ocr } = await import('@gutenye/ocr-node');
const rawOcr = await Ocr.create({ onnxOptions: { intraOpNumThreads: 2, interOpNumThreads: 1 } } as never);
const human = await getHuman();
const tf = tfCore();
async function rawHuman(path: string, cfg: unknown) {
  const { data, info } = await sharp(path).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const t = tf.tensor4d(Int32Array.from(data), [1, info.height, info.width, 3], 'int32');
  try { return await human.detect(t, cfg); } finally { t.dispose(); }
}
const nsfwjs = (await import('nsfwjs')) as unknown as { load(n: string, o?: unknown): Promise<{ classify(t: unknown): Promise<unknown> }> };
const nsfw = await nsfwjs.load('MobileNetV2', { size: 224 });
async function rawNsfw(path: string) {
  const { data, info } = await sharp(path).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const t = tf.tensor3d(Int32Array.from(data), [info.height, info.width, 3], 'int32');
  try { return await nsfw.classify(t); } finally { t.dispose(); }
}

const rows: Array<[string, number, number, string]> = [];
const faceCfg = { face: { enabled: true }, object: { enabled: false } };
rows.push(['ocr (PaddleOCR)', ...await pair((p) => viaAnalyser(ocrAnalyser as never, p), (p) => rawOcr.detect(p), textImgs), 'raw: @gutenye/ocr-node in-process, file path; analyser: worker thread']);
rows.push(['objects (CenterNet)', ...await pair((p) => viaAnalyser(objectsAnalyser as never, p), (p) => rawHuman(p, { face: { enabled: false }, object: { enabled: true } }), photos), 'raw: human.detect on full-size tensor']);
rows.push(['faces, whole-image pass only', ...await pair((p) => detectFaces(p, { tiles: false }), (p) => rawHuman(p, faceCfg), photos), 'same work as raw: one BlazeFace pass']);
rows.push(['faces (analyser, with tiles)', ...await pair((p) => viaAnalyser(facesAnalyser as never, p), (p) => rawHuman(p, faceCfg), photos), 'analyser adds 640 px tiles on images > 800 px (small faces)']);
rows.push(['moderation (nsfwjs)', ...await pair((p) => viaAnalyser(moderationAnalyser as never, p), rawNsfw, photos), 'raw: classify on full-size tensor']);
clearInterval(sample);

console.log(`\nVision bench — ${cpus().length}× ${cpus()[0]?.model ?? '?'}, node ${process.version}, ${ROUNDS} rounds, ${textImgs.length} text images (1200×500), ${photos.length} photos (0.8–2.2 MP)\n`);
console.log('| analyser | via Vitrine ms/image | raw engine ms/image | ratio | images/min (1 worker) | note |');
console.log('|---|---:|---:|---:|---:|---|');
for (const [name, a, r, note] of rows)
  console.log(`| ${name} | ${a.toFixed(0)} | ${r.toFixed(0)} | ${(a / r).toFixed(2)} | ${(60000 / a).toFixed(0)} | ${note} |`);
console.log(`\nPeak RSS of the process (all models loaded, incl. the raw baselines): ${(peak / 1024 ** 2).toFixed(0)} MiB`);

await closePaddle();
await rm(dir, { recursive: true, force: true });
