// Shots on a generated video with known cuts (0, 4, 8 black, 10, 16 static 12 s), and the dHash helpers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, mkdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import pino from 'pino';
import { shots } from '../src/analysers/shots.ts';
import { dhash64, hamming } from '../src/engines/frames.ts';

const ff = (args: string[]) => execFileSync('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args]);

test('shots: boundaries within 1 s, black segment, one keyframe per shot, static scene sampled once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vitrine-shots-'));
  try {
    const v = join(dir, 'v.mp4');
    // testsrc (moving) 0–4, red with text 4–8, black 8–10, smptebars static 10–22, testsrc2 22–26 + a tone.
    ff(['-f', 'lavfi', '-i', 'testsrc=d=4:s=640x360:r=25',
      '-f', 'lavfi', '-i', "color=c=red:d=4:s=640x360:r=25,drawtext=text='SCENE TWO':fontsize=48:x=40:y=40:fontcolor=white",
      '-f', 'lavfi', '-i', 'color=c=black:d=2:s=640x360:r=25',
      '-f', 'lavfi', '-i', 'smptebars=d=12:s=640x360:r=25',
      '-f', 'lavfi', '-i', 'testsrc2=d=4:s=640x360:r=25',
      '-filter_complex', '[0][1][2][3][4]concat=n=5:v=1:a=0,format=yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', v]);
    const tmp = join(dir, 'run');
    await mkdir(tmp);
    const out = await shots.run(
      { sha256: 'x', type: 'video', mime: 'video/mp4', size: 1, name: 'v.mp4', path: v, deps: {}, options: {} },
      { log: pino({ level: 'silent' }), tmpDir: tmp, signal: new AbortController().signal },
    );
    const truth = [0, 4, 8, 10, 22];
    const starts = out.result.shots.map((s) => s.start);
    assert.equal(starts.length, truth.length, `shots ${JSON.stringify(starts)}`);
    truth.forEach((t, i) => assert.ok(Math.abs(starts[i]! - t) <= 1, `cut ${t} found at ${starts[i]}`));
    assert.ok(Math.abs(out.result.shots.at(-1)!.end - 26) <= 0.5);
    assert.equal(out.result.black.length, 1);
    assert.ok(Math.abs(out.result.black[0]!.start - 8) <= 0.5 && Math.abs(out.result.black[0]!.end - 10) <= 0.5, JSON.stringify(out.result.black));
    const keyframes = out.derived!.filter((d) => d.kind === 'keyframe');
    assert.equal(keyframes.length, truth.length);
    for (const k of keyframes) assert.ok((await stat(k.tmpPath)).size > 500);
    assert.deepEqual(out.result.shots.map((s) => s.keyframe), keyframes.map((k) => k.time));
    // The 12 s static shot (10–22) is sampled every 5 s, but its samples are duplicates of its keyframe.
    const inStatic = out.derived!.filter((d) => d.time! > 10.5 && d.time! < 22);
    assert.equal(inStatic.length, 0, `static samples kept: ${JSON.stringify(inStatic.map((d) => d.time))}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('dhash64 and hamming: same picture close, different pictures far', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vitrine-dhash-'));
  try {
    ff(['-f', 'lavfi', '-i', 'testsrc=s=320x240', '-frames:v', '1', join(dir, 'a.png')]);
    ff(['-i', join(dir, 'a.png'), '-q:v', '8', join(dir, 'a.jpg')]);
    ff(['-f', 'lavfi', '-i', 'smptebars=s=320x240', '-frames:v', '1', join(dir, 'b.png')]);
    const [a, a2, b] = await Promise.all([dhash64(join(dir, 'a.png')), dhash64(join(dir, 'a.jpg')), dhash64(join(dir, 'b.png'))]);
    assert.match(a, /^[0-9a-f]{16}$/);
    assert.ok(hamming(a, a2) <= 4, `re-encoded: ${hamming(a, a2)}`);
    assert.ok(hamming(a, b) >= 16, `different: ${hamming(a, b)}`);
    assert.equal(hamming('ffffffffffffffff', '0000000000000000'), 64);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('shots: a long static scene is still sampled every minute, so a changed caption gets read', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vitrine-shots-long-'));
  try {
    const v = join(dir, 'v.mp4');
    // 130 s of one static picture whose caption changes at 70 s: too small a change for the perceptual hash.
    ff(['-f', 'lavfi', '-i', "smptebars=d=130:s=320x240:r=5,drawtext=text='PART %{eif\\:1+gte(t\\,70)\\:d}':fontsize=14:x=10:y=220:fontcolor=white",
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', v]);
    const tmp = join(dir, 'run');
    await mkdir(tmp);
    const out = await shots.run(
      { sha256: 'x', type: 'video', mime: 'video/mp4', size: 1, name: 'v.mp4', path: v, deps: {}, options: {} },
      { log: pino({ level: 'silent' }), tmpDir: tmp, signal: new AbortController().signal },
    );
    assert.equal(out.result.shots.length, 1, JSON.stringify(out.result.shots));
    const times = out.result.samples.map((s: { time: number }) => s.time);
    assert.ok(times.some((t: number) => t >= 70), `a frame after the caption change is kept: ${JSON.stringify(times)}`);
    assert.ok(times.length <= 4, `still de-duplicated, not every 5 s: ${JSON.stringify(times)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
