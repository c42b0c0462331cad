import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { probeMedia, videoStream, audioStream, parseIso6709 } from '../src/engines/ffprobe.ts';

test('probeMedia: duration, streams, codecs, resolution, fps, creation time and ISO 6709 GPS of an MP4', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vitrine-probe-'));
  try {
    const f = join(dir, 'g.mp4');
    execFileSync('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=d=3:s=320x240:r=30',
      '-f', 'lavfi', '-i', 'sine=d=3:sample_rate=48000', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest',
      '-metadata', 'location=+48.8577+002.2950/', '-metadata', 'creation_time=2021-05-04T10:20:30Z', f]);
    const p = await probeMedia(f);
    assert.ok(Math.abs(p.duration! - 3) < 0.1);
    const v = videoStream(p)!;
    assert.deepEqual([v.codec, v.width, v.height, v.fps], ['h264', 320, 240, 30]);
    assert.deepEqual([audioStream(p)!.codec, audioStream(p)!.sampleRate], ['aac', 48000]);
    assert.equal(p.createdAt, '2021-05-04T10:20:30.000Z');
    assert.deepEqual(p.gps, { latitude: 48.8577, longitude: 2.295 });
    assert.deepEqual(parseIso6709('-33.8688+151.2093+058.000/'), { latitude: -33.8688, longitude: 151.2093, altitude: 58 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
