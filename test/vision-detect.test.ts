// Objects, faces and moderation on real photos shipped inside npm packages (MIT-licensed sample
// images of @vladmandic/human and autocannon), and redaction: the face region loses its detail, every
// pixel outside the expanded boxes stays the same.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { detectFaces, facesAnalyser } from '../src/analysers/faces.ts';
import { detectObjects, objectsAnalyser } from '../src/analysers/objects.ts';
import { classifyModeration, moderationAnalyser } from '../src/analysers/moderation.ts';
import { redactImage, parseRedactionBoxes, mergeRedactionBoxes, type Box } from '../src/engines/redact-image.ts';

const ASSETS = resolve('node_modules/@vladmandic/human/assets');
const FACES5 = join(ASSETS, 'screenshot-facedetect.jpg'); // five people side by side, faces ~130 px
const GROUP = join(ASSETS, 'samples.jpg'); // strip of small photos above a group photo
const STREET = resolve('node_modules/autocannon/test/j5.jpeg'); // street scene with a robot, people blurred

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vitrine-vision-detect-'));
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const target = { sha256: 'x', type: 'image' as const, mime: 'image/jpeg', size: 1, name: 'a.jpg' };
const ctx = () => ({ tmpDir: dir, signal: new AbortController().signal, log: console as never });

test('faces: the five people in a row are found with high scores; small faces found by tiling', async () => {
  const faces = await detectFaces(FACES5);
  const strong = faces.filter((f) => f.score >= 0.75 && f.box[1] > 300 && f.box[1] < 400);
  assert.ok(strong.length >= 5, `expected 5 strong faces, got ${JSON.stringify(faces)}`);
  for (const f of strong) assert.ok(f.box[2] > 100 && f.box[2] < 180 && f.box[3] > 100 && f.box[3] < 180, `box ${f.box}`);

  // samples.jpg is 1280 px wide: the 50 px faces in its top strip need the tiled pass.
  const g = await detectFaces(GROUP);
  const topStrip = g.filter((f) => f.box[1] < 120 && f.score >= 0.5);
  assert.ok(topStrip.length >= 2, `faces in the top strip: ${JSON.stringify(topStrip)}`);

  const out = await facesAnalyser.run({ ...target, path: FACES5, deps: {}, options: {} }, ctx());
  assert.deepEqual(Object.keys(out.result), ['faces']);
  assert.ok(out.result.faces.every((f) => Object.keys(f).sort().join() === 'box,score'), 'boxes and scores only');
  assert.equal(out.text, undefined, 'faces are not made searchable');
  assert.equal(facesAnalyser.accepts({ ...target, type: 'audio' }), false);
});

test('objects: people are labelled with boxes, labels become searchable text', async () => {
  const objs = await detectObjects(FACES5);
  const people = objs.filter((o) => o.label === 'person');
  assert.ok(people.length >= 4, JSON.stringify(objs));
  assert.ok(objs.every((o) => o.score >= 0.3 && o.box[2] > 0 && o.box[3] > 0));

  const out = await objectsAnalyser.run({ ...target, path: STREET, deps: {}, options: {} }, ctx());
  assert.ok(out.result.objects.some((o) => o.label === 'person'), JSON.stringify(out.result));
  assert.ok(out.text && out.text.length === out.result.objects.length);
  assert.ok(out.text.every((t) => t.box && typeof t.text === 'string'));
});

test('moderation: five labels whose scores sum to 1; high ones are indexed as moderation:<label>', async () => {
  const labels = await classifyModeration(STREET);
  assert.deepEqual(labels.map((l) => l.label).sort(), ['drawing', 'hentai', 'neutral', 'porn', 'sexy']);
  const sum = labels.reduce((a, l) => a + l.score, 0);
  assert.ok(Math.abs(sum - 1) < 0.01, `sum ${sum}`);
  assert.ok(['neutral', 'drawing'].includes(labels[0]!.label), `street photo classified ${JSON.stringify(labels)}`);
  assert.ok(labels.find((l) => l.label === 'porn')!.score < 0.1);

  const out = await moderationAnalyser.run({ ...target, path: STREET, deps: {}, options: {} }, ctx());
  assert.ok(out.text!.every((t) => /^moderation:(drawing|hentai|neutral|porn|sexy)$/.test(t.text)));
  assert.ok(out.text!.length >= 1);
});

// High-frequency energy: mean absolute discrete Laplacian (4 neighbours). Smooth gradients score ~0,
// edges and texture (eyes, mouth, hair) score high.
function detail(data: Buffer, W: number, C: number, [x, y, w, h]: Box): number {
  let sum = 0;
  let n = 0;
  const px = (r: number, c: number, k: number) => data[(r * W + c) * C + k]!;
  for (let r = y + 1; r < y + h - 1; r++)
    for (let c = x + 1; c < x + w - 1; c++)
      for (let k = 0; k < 3; k++) {
        sum += Math.abs(4 * px(r, c, k) - px(r - 1, c, k) - px(r + 1, c, k) - px(r, c - 1, k) - px(r, c + 1, k));
        n++;
      }
  return sum / n;
}

test('redaction: face regions lose their detail, every pixel outside the expanded boxes is unchanged (PNG)', async () => {
  const png = join(dir, 'people.png');
  await sharp(FACES5).png().toFile(png);
  const faces = await detectFaces(png);
  const boxes = faces.filter((f) => f.score >= 0.75).map((f) => f.box);
  assert.ok(boxes.length >= 5);
  const out = join(dir, 'people-redacted.png');
  const res = await redactImage(png, out, boxes, { margin: 0.2, mode: 'blur' });
  assert.equal(res.format, 'png');
  assert.equal(res.regions.length, boxes.length);

  const a = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  const b = await sharp(out).raw().toBuffer({ resolveWithObject: true });
  assert.equal(b.info.width, a.info.width);
  assert.equal(b.info.height, a.info.height);
  const { width: W, height: H, channels: C } = a.info;

  for (const box of boxes) {
    const before = detail(a.data, W, C, box);
    const after = detail(b.data, W, C, box);
    assert.ok(after < before * 0.2, `detail in ${box}: ${before.toFixed(2)} → ${after.toFixed(2)}`);
  }

  const inside = (x: number, y: number) => res.regions.some(([rx, ry, rw, rh]) => x >= rx && x < rx + rw && y >= ry && y < ry + rh);
  let changedOutside = 0;
  let changedInside = 0;
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * C;
      const same = a.data[i] === b.data[i] && a.data[i + 1] === b.data[i + 1] && a.data[i + 2] === b.data[i + 2];
      if (!same) {
        if (inside(x, y)) changedInside++;
        else changedOutside++;
      }
    }
  assert.equal(changedOutside, 0, 'pixels outside the redacted regions changed');
  assert.ok(changedInside > 0);

  // Re-running the detector on the redacted copy finds none of those faces any more.
  const again = await detectFaces(out);
  const still = again.filter((f) => f.score >= 0.75 && boxes.some((bx) => Math.abs(bx[0] - f.box[0]) < 40 && Math.abs(bx[1] - f.box[1]) < 40));
  assert.equal(still.length, 0, `faces still detected after redaction: ${JSON.stringify(still)}`);
});

test('redaction: JPEG stays JPEG; pixelate mode; user boxes merged with detections', async () => {
  const out = join(dir, 'street-redacted.jpg');
  const res = await redactImage(STREET, out, [[100, 100, 200, 150]], { mode: 'blur', margin: 0 });
  assert.equal(res.format, 'jpeg');
  assert.deepEqual(res.regions, [[100, 100, 200, 150]]);
  const meta = await sharp(out).metadata();
  assert.equal(meta.format, 'jpeg');
  const a = await sharp(STREET).raw().toBuffer({ resolveWithObject: true });
  const b = await sharp(out).raw().toBuffer({ resolveWithObject: true });
  const W = a.info.width;
  // A lossy format is re-encoded (quality 95): outside the box only tiny differences.
  let diff = 0;
  let n = 0;
  for (let y = 300; y < 500; y++) for (let x = 400; x < 1100; x++) { diff += Math.abs(a.data[(y * W + x) * 3]! - b.data[(y * W + x) * 3]!); n++; }
  assert.ok(diff / n < 2, `mean abs diff outside ${diff / n}`);
  assert.ok(detail(b.data, W, 3, [100, 100, 200, 150]) < detail(a.data, W, 3, [100, 100, 200, 150]) * 0.3);

  // Pixelate: the region becomes a mosaic of at most 8 cells across (a few dozen colours), losslessly written.
  const src = join(dir, 'street.png');
  await sharp(STREET).png().toFile(src);
  const pix = join(dir, 'street-pix.png');
  await redactImage(src, pix, [[100, 100, 200, 150]], { mode: 'pixelate', margin: 0 });
  const p = await sharp(pix).raw().toBuffer({ resolveWithObject: true });
  const colours = new Set<number>();
  for (let y = 100; y < 250; y++) for (let x = 100; x < 300; x++) { const i = (y * W + x) * 3; colours.add((p.data[i]! << 16) | (p.data[i + 1]! << 8) | p.data[i + 2]!); }
  assert.ok(colours.size <= 64, `${colours.size} colours left in the pixelated region`);

  const spec = parseRedactionBoxes([{ box: [5, 5, 10, 10] }, { box: [50, 50, 20, 20], start: 1, end: 2 }, { remove: [[100, 100, 40, 40]] }]);
  assert.equal(spec.add.length, 2);
  const merged = mergeRedactionBoxes([{ box: [102, 98, 40, 42] as Box, score: 0.9 }, { box: [300, 300, 40, 40] as Box, score: 0.5 }], spec);
  assert.deepEqual(merged.map((m) => m.box), [[300, 300, 40, 40], [5, 5, 10, 10], [50, 50, 20, 20]]);
  assert.deepEqual(parseRedactionBoxes({ boxes: [{ box: [1, 2, 3, 4] }], remove: [] }).add, [{ box: [1, 2, 3, 4] }]);
  assert.throws(() => parseRedactionBoxes([{ box: [1, 2] }]), /entry 0/);
  assert.throws(() => parseRedactionBoxes('nope'), /entry 0/);
  await writeFile(join(dir, 'unused.json'), '[]');
});
