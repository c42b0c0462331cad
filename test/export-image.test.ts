// export of images, in-process on a real PGlite: a plain copy is byte-identical; --redact faces hides
// the five faces of a real photo (detail gone inside, rest nearly unchanged); --boxes adds and removes
// regions; personal data in on-screen text (OCR) is hidden with --redact pii; every export is audited;
// policy: viewers and missing purposes are refused, --out inside the data directory is refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { detail, stddev } from './helpers/pixels.ts';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { loadConfig } from '../src/config.ts';
import { createContainer, type Container } from '../src/container.ts';
import { createOut } from '../src/cli/output.ts';
import { runUntilIdle } from '../src/cli/wait.ts';
import { AppError } from '../src/errors.ts';

const FACES5 = resolve('node_modules/@vladmandic/human/assets/screenshot-facedetect.jpg'); // 5 faces ~130 px, y 300–400
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let root = '';
let c: Container;
let photo = '';
let card = '';

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'vitrine-export-image-'));
  const dir = join(root, 'in');
  await mkdir(dir);
  await copyFile(FACES5, join(dir, 'people.jpg'));
  // A "business card": a name line and an e-mail line, rendered as an image.
  execFileSync('convert', ['-size', '900x260', 'xc:white', '-fill', 'black', '-pointsize', '44',
    '-annotate', '+40+90', 'Contact: Jane Example', '-annotate', '+40+190', 'jane.example@mail.org', join(dir, 'card.png')]);
  c = await createContainer(loadConfig({ dataDir: join(root, 'data'), concurrency: 2, logLevel: 'silent' }));
  const r = await c.ingest.ingest([dir], { collection: 'press', actor: c.localActor, analysers: ['faces', 'ocr'] });
  await runUntilIdle(c, createOut(true, true), r.assets.map((a) => a.sha256), 2);
  photo = r.assets.find((a) => a.path.endsWith('people.jpg'))!.id;
  card = r.assets.find((a) => a.path.endsWith('card.png'))!.id;
});

after(async () => {
  await c?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

async function grey(path: string) {
  return sharp(path).greyscale().raw().toBuffer({ resolveWithObject: true });
}

test('plain export is the stored bytes; audited with bytes and format', async () => {
  const out = join(root, 'copy.jpg');
  const r = await c.exporter.export(photo, c.localActor, { out });
  assert.equal(r.out, out);
  assert.deepEqual(r.redacted, {});
  const bytes = await readFile(out);
  assert.equal(r.bytes, bytes.length);
  assert.equal(sha(bytes), sha(await readFile(FACES5)));
  const rows = (await c.db.executeSql(`SELECT target, outcome, detail FROM audit_events WHERE action = 'export' ORDER BY seq`)).rows;
  const last = rows[rows.length - 1]!;
  assert.equal(last.target, photo);
  assert.equal(last.outcome, 'ok');
  const detail = typeof last.detail === 'string' ? JSON.parse(last.detail) : last.detail;
  assert.equal(detail.bytes, bytes.length);
  assert.equal(detail.format, 'original');
});

test('--redact faces: the five faces lose their detail; --boxes removes one and adds a region', async () => {
  const out = join(root, 'people-redacted.jpg');
  const r = await c.exporter.export(photo, c.localActor, { out, redact: 'faces' });
  assert.ok((r.redacted.faces ?? 0) >= 5, JSON.stringify(r));
  const faces = ((await c.repos.analyses.results((await c.repos.assets.get(photo))!.sha256, ['faces'])).faces as { faces: { box: number[]; score: number }[] }).faces
    .filter((f) => f.score >= 0.75 && f.box[1]! > 300 && f.box[1]! < 400);
  assert.ok(faces.length >= 5);
  const a = await grey(FACES5);
  const b = await grey(out);
  for (const f of faces) {
    const before = detail(a.data, a.info.width, f.box);
    const after = detail(b.data, b.info.width, f.box);
    // JPEG output (quality 95): block noise keeps ~0.3 of the gradient; an untouched face stays at ~1.0.
    assert.ok(after < before * 0.4, `face ${f.box}: detail ${before.toFixed(1)} → ${after.toFixed(1)}`);
  }
  // Far from every detected face (top middle), pixels barely change (JPEG re-encoded at quality 95).
  let diff = 0;
  for (let y = 0; y < 100; y++) for (let x = 250; x < 450; x++) diff += Math.abs(a.data[y * a.info.width + x]! - b.data[y * b.info.width + x]!);
  assert.ok(diff / (200 * 100) < 1.5, `mean abs diff away from faces ${diff / 20000}`);

  // Keep the first face (remove it from the redaction) and add the top-left corner.
  const keep = faces[0]!.box;
  const boxes = [{ box: [250, 0, 200, 100] }, { remove: [keep] }];
  const out2 = join(root, 'people-boxes.jpg');
  const r2 = await c.exporter.export(photo, c.localActor, { out: out2, redact: 'faces', boxes });
  assert.equal(r2.redacted.faces, r.redacted.faces! - 1);
  const d = await grey(out2);
  assert.ok(detail(d.data, d.info.width, keep) > detail(a.data, a.info.width, keep) * 0.8, 'removed face kept its detail');
  const added = [250, 0, 200, 100];
  const plain = detail(a.data, a.info.width, added);
  const after = detail(d.data, d.info.width, added);
  assert.ok(after < plain * 0.4, `added box: detail ${plain.toFixed(2)} → ${after.toFixed(2)}`);
});

test('--redact pii hides the e-mail line of an image, not the name line', async () => {
  const out = join(root, 'card-redacted.png');
  const r = await c.exporter.export(card, c.localActor, { out, redact: 'pii' });
  assert.equal(r.redacted.pii, 1, JSON.stringify(r));
  const a = await grey(join(root, 'in', 'card.png'));
  const b = await grey(out);
  const nameLine = [30, 45, 600, 60];
  const mailLine = [30, 145, 600, 60];
  assert.ok(stddev(b.data, b.info.width, mailLine) < stddev(a.data, a.info.width, mailLine) * 0.5, 'e-mail line redacted');
  assert.ok(Math.abs(stddev(b.data, b.info.width, nameLine) - stddev(a.data, a.info.width, nameLine)) < 1, 'name line untouched');
});

test('policy: a viewer may not export, a required purpose is enforced, --out in the data dir is refused', async () => {
  const viewer = { name: 'vera', role: 'viewer', collection: null };
  await assert.rejects(c.exporter.export(photo, viewer, { out: join(root, 'x.jpg') }), (e: AppError) => e.exitCode === 4);
  await c.repos.assets.updateCollection('press', { requirePurpose: true, purposes: ['investigation'] });
  try {
    const analyst = { name: 'ana', role: 'analyst', collection: null };
    await assert.rejects(c.exporter.export(photo, analyst, { out: join(root, 'x.jpg') }), (e: AppError) => e.code === 'E_PURPOSE_REQUIRED');
    const ok = await c.exporter.export(photo, analyst, { out: join(root, 'x.jpg'), purpose: 'investigation' });
    assert.ok(ok.bytes > 0);
  } finally {
    await c.repos.assets.updateCollection('press', { requirePurpose: false, purposes: [] });
  }
  await assert.rejects(c.exporter.export(photo, c.localActor, { out: join(root, 'data', 'blobs', 'x.jpg') }), (e: AppError) => e.exitCode === 2);
  await assert.rejects(c.exporter.export(photo, c.localActor, { out: join(root, 'no-such-dir', 'x.jpg') }), (e: AppError) => e.exitCode === 2);
  await assert.rejects(c.exporter.export('nope', c.localActor, { out: join(root, 'x.jpg') }), (e: AppError) => e.exitCode === 3);
  const refused = (await c.db.executeSql(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'export' AND outcome = 'refused'`)).rows[0].n;
  assert.ok(refused >= 2);
});
