// export of a video with --redact faces: a 2 s clip of a real photo with five faces; every face is blurred
// in the output frames, a --boxes region is blurred only inside its start/end, duration is kept, the
// export is audited; an output name that cannot hold H.264 is refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { detail } from './helpers/pixels.ts';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { loadConfig } from '../src/config.ts';
import { createContainer, type Container } from '../src/container.ts';
import { probeMedia } from '../src/engines/ffprobe.ts';
import { AppError } from '../src/errors.ts';

const FACES5 = resolve('node_modules/@vladmandic/human/assets/screenshot-facedetect.jpg'); // 800×718, faces at y≈350
const ff = (args: string[]) => execFileSync('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args]);

let root = '';
let c: Container;
let id = '';

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'vitrine-export-video-'));
  const dir = join(root, 'in');
  await mkdir(dir);
  ff(['-loop', '1', '-framerate', '10', '-t', '2', '-i', FACES5, '-vf', 'scale=800:718', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '18',
    '-pix_fmt', 'yuv420p', join(dir, 'people.mp4')]);
  c = await createContainer(loadConfig({ dataDir: join(root, 'data'), concurrency: 2, logLevel: 'silent' }));
  const r = await c.ingest.ingest([dir], { collection: 'video', actor: c.localActor, analysers: ['metadata'] });
  id = r.assets[0]!.id;
});

after(async () => {
  await c?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

async function frame(video: string, t: number) {
  const png = join(root, `f-${Math.random().toString(36).slice(2)}.png`);
  ff(['-ss', String(t), '-i', video, '-frames:v', '1', png]);
  return sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
}

test('--redact faces on video: faces blurred, a timed box blurred only in its range, same duration', { timeout: 180_000 }, async () => {
  const out = join(root, 'people-redacted.mp4');
  const extra = [250, 0, 200, 100];
  const r = await c.exporter.export(id, c.localActor, { out, redact: 'faces', boxes: [{ box: extra, start: 0, end: 0.8 }] });
  assert.ok((r.redacted.faces ?? 0) >= 5, JSON.stringify(r));
  const a = await sharp(FACES5).greyscale().raw().toBuffer({ resolveWithObject: true });
  const p = await probeMedia(out);
  assert.ok(Math.abs((p.duration ?? 0) - 2) < 0.25, `duration ${p.duration}`);
  const mid = await frame(out, 1.0);
  for (const box of [[176, 351, 133, 132], [19, 352, 133, 133], [476, 347, 143, 143], [338, 360, 126, 126], [637, 355, 134, 133]]) {
    const before = detail(a.data, a.info.width, box);
    const after = detail(mid.data, mid.info.width, box);
    assert.ok(after < before * 0.4, `face ${box} at 1.0 s: detail ${before.toFixed(2)} → ${after.toFixed(2)}`);
  }
  const early = await frame(out, 0.3);
  const plain = detail(a.data, a.info.width, extra);
  assert.ok(detail(early.data, early.info.width, extra) < plain * 0.4, 'timed box blurred inside its range');
  assert.ok(detail(mid.data, mid.info.width, extra) > plain * 0.7, 'timed box left alone after its end');
  const ev = (await c.db.executeSql(`SELECT outcome, detail FROM audit_events WHERE action = 'export' ORDER BY seq DESC LIMIT 1`)).rows[0];
  assert.equal(ev.outcome, 'ok');

  await assert.rejects(c.exporter.export(id, c.localActor, { out: join(root, 'x.webm'), redact: 'faces' }), (e: AppError) => e.exitCode === 2);
  await assert.rejects(c.exporter.export(id, c.localActor, { out: join(root, 'x.mp4'), redact: 'pii' }), (e: AppError) => e.code === 'E_NOT_ANALYSED');
});
