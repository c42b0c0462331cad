// video-vision: on-screen text over time. A generated video shows "HELLO WORLD" for 0–4 s and
// "GOODBYE MOON" for 4–8 s on different backgrounds; after ingest, search finds each text with the
// time range it was on screen. Also the pure parts: frame spans and merging over consecutive frames.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { runCli, describe } from './helpers/cli.ts';
import { frameSpans, mergeOverTime } from '../src/analysers/video-vision.ts';

test('frameSpans: a keyframe covers its shot from the start; a sample until the next kept frame of its shot', () => {
  const spans = frameSpans({
    duration: 20, black: [],
    shots: [{ start: 0, end: 12, keyframe: 0.1 }, { start: 12, end: 20, keyframe: 12.1 }],
    samples: [
      { time: 0.1, shot: 0, hash: '', keyframe: true }, { time: 5.1, shot: 0, hash: '', keyframe: false },
      { time: 12.1, shot: 1, hash: '', keyframe: true },
    ],
  });
  assert.deepEqual(spans.map((s) => [s.start, s.end]), [[0, 5.1], [5.1, 12], [12, 20]]);
});

test('mergeOverTime: the same item on consecutive frames becomes one span; a gap or a change splits it', () => {
  const f = (start: number, end: number, items: string[]) => ({ start, end, items: items.map((text) => ({ text, score: text.length })) });
  const out = mergeOverTime([f(0, 2, ['A', 'B']), f(2, 4, ['A']), f(4, 6, ['B', 'A']), f(6, 8, [])],
    (a, b) => a.text === b.text, (a, b) => a.score > b.score);
  assert.deepEqual(out.map((x) => [x.text, x.start, x.end]), [['B', 0, 2], ['A', 0, 6], ['B', 4, 6]]);
});

test('video-vision: search finds each on-screen text with its start/end', { timeout: 240_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vitrine-vv-'));
  try {
    const video = join(dir, 'captions.mp4');
    const seg = (colour: string, text: string) =>
      `color=c=${colour}:d=4:s=640x360:r=25,drawtext=text='${text}':fontsize=56:x=60:y=150:fontcolor=white`;
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', seg('navy', 'HELLO WORLD'),
      '-f', 'lavfi', '-i', seg('darkgreen', 'GOODBYE MOON'), '-filter_complex', '[0:v][1:v]concat=n=2:v=1:a=0[v]',
      '-map', '[v]', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-y', video]);
    const data = join(dir, 'data');
    const ing = await runCli(['ingest', video, '--analysers', 'video-vision', '--json'], { data });
    assert.equal(ing.code, 0, describe(ing));
    const id = ing.json.assets[0].id;
    const show = await runCli(['show', id, '--json'], { data });
    const vv = show.json.analyses['video-vision'];
    assert.equal(vv?.status, 'done', describe(show));
    const lines = vv.result.ocr.lines as Array<{ text: string; start: number; end: number; box: number[] }>;
    assert.equal(lines.length, 2, JSON.stringify(lines));

    // One process for both queries (each CLI start opens the database).
    const r = await runCli(['search', '--batch', '-'], { data, input: 'hello\ngoodbye\n' });
    assert.equal(r.code, 0, describe(r));
    const answers = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    for (const [i, [word, start, end]] of ([['hello', 0, 4], ['goodbye', 4, 8]] as const).entries()) {
      const a = answers[i];
      assert.equal(a.query, word);
      assert.equal(a.total, 1, JSON.stringify(a));
      const m = a.hits[0].matches.find((x: { analyser: string }) => x.analyser === 'video-vision');
      assert.ok(m, JSON.stringify(a));
      assert.ok(Math.abs(m.start - start) <= 0.5, `${word}: start ${m.start}, expected ${start}`);
      assert.ok(Math.abs(m.end - end) <= 0.5, `${word}: end ${m.end}, expected ${end}`);
      assert.ok(Array.isArray(m.box) && m.box[0] >= 30 && m.box[0] < 200 && m.box[1] > 100 && m.box[1] < 250, `${word}: box ${m.box}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
