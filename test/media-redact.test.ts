// Redacted video: a detailed 40x40 checker patch moves across a textured background; a detector that
// reports the patch's known position stands in for the face detector. The patch must come out blurred
// (its detail gone) in output frames, the far corner must be unchanged, audio kept, same duration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stddev } from './helpers/pixels.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import sharp from 'sharp';
import { redactVideo, buildTracks, boxAt, type Box } from '../src/engines/redact-video.ts';
import { probeMedia } from '../src/engines/ffprobe.ts';

const ff = (args: string[]) => execFileSync('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args]);
// Patch position at time t (seconds): moves right 40 px/s.
const patchAt = (t: number): Box => [20 + Math.round(40 * t), 100, 40, 40];

async function frameAt(video: string, t: number, out: string) {
  ff(['-ss', String(t), '-i', video, '-frames:v', '1', '-f', 'image2', '-vcodec', 'png', out]);
  return sharp(out).greyscale().raw().toBuffer({ resolveWithObject: true });
}


function meanAbsDiff(a: Buffer, b: Buffer, width: number, [x, y, w, h]: Box): number {
  let d = 0, n = 0;
  for (let j = y; j < y + h; j++) for (let i = x; i < x + w; i++) { d += Math.abs(a[j * width + i]! - b[j * width + i]!); n++; }
  return d / n;
}

test('tracks interpolate between samples and hold one interval around them', () => {
  const tracks = buildTracks([{ t: 0, boxes: [[0, 0, 10, 10]] }, { t: 1, boxes: [[8, 0, 10, 10]] }, { t: 2, boxes: [] }], 1, 10);
  assert.equal(tracks.length, 1);
  assert.deepEqual(boxAt(tracks[0]!, 0.5), [4, 0, 10, 10]);
  assert.equal(tracks[0]!.end, 2);
  const two = buildTracks([{ t: 0, boxes: [[0, 0, 10, 10], [200, 200, 10, 10]] }, { t: 1, boxes: [[202, 200, 10, 10]] }], 1, 10);
  assert.equal(two.length, 2);
});

test('redactVideo blurs the detected moving region, keeps the rest, audio and duration', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vitrine-redact-'));
  try {
    const src = join(dir, 'in.mp4');
    const out = join(dir, 'out.mp4');
    ff(['-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=25:d=4', '-f', 'lavfi', '-i', 'color=white:s=40x40:r=25:d=4',
      '-f', 'lavfi', '-i', 'sine=f=440:d=4',
      '-filter_complex', "[1]drawgrid=w=5:h=5:t=2:c=black[p];[0][p]overlay=x='20+40*t':y=100[v]",
      '-map', '[v]', '-map', '2:a', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '12', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', src]);
    let calls = 0;
    const r = await redactVideo(src, out, {
      tmpDir: dir,
      sampleEvery: 0.5,
      detect: async (_p, t) => { calls++; return [{ box: patchAt(t), score: 0.9 }]; },
    });
    assert.ok(calls >= 7, `detector called on samples (${calls})`);
    assert.equal(r.tracks, 1);
    const pin = await probeMedia(src);
    const pout = await probeMedia(out);
    assert.ok(Math.abs((pout.duration ?? 0) - (pin.duration ?? 0)) < 0.15, `same duration ${pin.duration} vs ${pout.duration}`);
    assert.ok(pout.streams.some((s) => s.kind === 'audio'), 'audio kept');
    // Between samples too (t = 1.3, 2.7): the patch is blurred, the top-right corner is untouched.
    for (const t of [1.3, 2.7]) {
      const a = await frameAt(src, t, join(dir, `a${t}.png`));
      const b = await frameAt(out, t, join(dir, `b${t}.png`));
      const w = a.info.width;
      const box = patchAt(t);
      const inner: Box = [box[0] + 4, box[1] + 4, box[2] - 8, box[3] - 8];
      const before = stddev(a.data, w, inner);
      const after = stddev(b.data, w, inner);
      assert.ok(before > 60, `patch has detail (${before.toFixed(1)})`);
      assert.ok(after < before * 0.35, `patch blurred at ${t}s: ${before.toFixed(1)} → ${after.toFixed(1)}`);
      const corner: Box = [260, 10, 50, 50];
      assert.ok(meanAbsDiff(a.data, b.data, w, corner) < 6, 'rest of the frame unchanged');
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
