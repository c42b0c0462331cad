// Media bench: a 45 s 720p H.264 clip with flite speech and drawtext on-screen text, 3 cuts.
// Measures wall time of shots and transcript (their real-time factor = wall / duration) and peak RSS of
// this process and its children (getrusage maxrss of children = largest child). Writes bench/RESULTS-media.md.
// Run: node bench/media.bench.ts
import { mkdtemp, rm, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir, cpus, totalmem, loadavg } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import pino from 'pino';
import { shots } from '../src/analysers/shots.ts';
import { transcript } from '../src/analysers/transcript.ts';

const ff = (args: string[]) => execFileSync('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args]);
const dir = await mkdtemp(join(tmpdir(), 'vitrine-mbench-'));
try {
  const lines = [
    'Good evening. Here is the news for today.',
    'The city council will meet on Monday to discuss the new budget for schools and roads.',
    'Police said the main road will be closed for two hours after an accident this morning.',
    'Farmers expect a good harvest this year after the heavy rain in spring.',
    'The weather tomorrow will be sunny with light winds from the north.',
    'Scientists have discovered a new species of frog in the rain forest.',
    'That is all for tonight. Thank you for watching.',
  ];
  execFileSync('flite', ['-voice', 'rms', '-t', lines.join(' '), '-o', join(dir, 'speech.wav')]);
  const font = "fontsize=40:fontcolor=white:box=1:boxcolor=black@0.6:x=60:y=600";
  ff(['-f', 'lavfi', '-i', 'testsrc2=s=1280x720:r=25:d=15', '-f', 'lavfi', '-i', 'smptebars=s=1280x720:r=25:d=15', '-f', 'lavfi', '-i', 'mandelbrot=s=1280x720:r=25',
    '-i', join(dir, 'speech.wav'), '-f', 'lavfi', '-i', 'anoisesrc=c=pink:a=0.003:r=16000:d=45',
    '-filter_complex', `[0]drawtext=text='CITY COUNCIL BUDGET':${font}[a];[1]drawtext=text='ROAD CLOSED':${font}[b];[2]trim=duration=15,setpts=PTS-STARTPTS,drawtext=text='WEATHER':${font}[c];[a][b][c]concat=n=3:v=1:a=0,format=yuv420p[v];[3][4]amix=inputs=2:duration=longest:normalize=0,apad,atrim=duration=45[au]`,
    '-map', '[v]', '-map', '[au]', '-t', '45', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-c:a', 'aac', '-b:a', '128k', join(dir, 'clip.mp4')]);
  const clip = join(dir, 'clip.mp4');
  const duration = 45;
  const input = { sha256: 'x', type: 'video' as const, mime: 'video/mp4', size: 1, name: 'clip.mp4', path: clip, deps: {}, options: {} };
  const rows: string[] = [];
  const results: Record<string, unknown> = {};
  let total = 0;
  for (const a of [shots, transcript]) {
    const tmp = join(dir, a.id);
    await mkdir(tmp);
    const t = performance.now();
    const out = await a.run(input, { log: pino({ level: 'silent' }), tmpDir: tmp, signal: new AbortController().signal });
    const s = (performance.now() - t) / 1000;
    total += s;
    results[a.id] = out.result;
    rows.push(`| ${a.id} | ${s.toFixed(2)} | ${(s / duration).toFixed(3)} |`);
  }
  const ru = process.resourceUsage();
  const sh = results.shots as { shots: unknown[]; samples: unknown[] };
  const tr = results.transcript as { text: string; engine: string };
  const md = [
    '# Media bench', '',
    `Date: ${new Date().toISOString()}. Machine: ${cpus().length} × ${cpus()[0]?.model}, ${(totalmem() / 1024 ** 3).toFixed(1)} GB RAM, load average at start ${loadavg()[0]!.toFixed(2)} (machine shared with other jobs).`,
    `Clip: 45 s, 1280×720 H.264 25 fps, 3 shots with drawtext captions, flite speech (rms voice) over pink room tone, AAC.`, '',
    '| analyser | wall s | real-time factor |', '|---|---|---|', ...rows,
    `| **shots + transcript** | ${total.toFixed(2)} | ${(total / duration).toFixed(3)} |`, '',
    `Peak RSS: node ${(ru.maxRSS / 1024).toFixed(0)} MB (children are separate processes: ffmpeg, pocketsphinx, each under a 1–2 GB address-space limit).`,
    `Shots found: ${sh.shots.length}, frames kept (keyframes + deduplicated samples): ${sh.samples.length}.`,
    `Transcript (${tr.engine}): "${tr.text.replace(/\n/g, ' ')}"`, '',
    'Frame OCR / objects / faces are not included: the vision engines run on the keyframes and samples listed above.', '',
  ].join('\n');
  await writeFile(new URL('./RESULTS-media.md', import.meta.url), md);
  console.log(md);
} finally {
  await rm(dir, { recursive: true, force: true });
}
