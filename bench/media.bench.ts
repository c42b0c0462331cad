// Media bench: a 45 s 720p H.264 clip with flite speech and drawtext on-screen text, 3 cuts.
// Measures wall time of shots and transcript (their real-time factor = wall / duration) and peak RSS of
// this process and its children (getrusage maxrss of children = largest child). Then transcript word
// accuracy (1 − WER): per flite voice on a news script, on a two-voice video, and on a real recording
// (LibriVox clips read by a person, with their transcript, from Debian's pocketsphinx-testdata).
// The decoder was tuned on other sentences (none of these), so these figures are held out.
// Writes bench/RESULTS-media.md. Run: node bench/media.bench.ts   (ACCURACY_ONLY=1: skip the timed clip)
import { mkdtemp, rm, mkdir, writeFile, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir, cpus, totalmem, loadavg } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import pino from 'pino';
import { shots } from '../src/analysers/shots.ts';
import { transcript } from '../src/analysers/transcript.ts';
import { wordAccuracy } from '../src/engines/speech.ts';
import type { Analyser } from '../src/analysers/types.ts';

const ff = (args: string[]) => execFileSync('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args]);
const dir = await mkdtemp(join(tmpdir(), 'vitrine-mbench-'));
const log = pino({ level: 'silent' });
const LINES = [
  'Good evening. Here is the news for today.',
  'The city council will meet on Monday to discuss the new budget for schools and roads.',
  'Police said the main road will be closed for two hours after an accident this morning.',
  'Farmers expect a good harvest this year after the heavy rain in spring.',
  'The weather tomorrow will be sunny with light winds from the north.',
  'Scientists have discovered a new species of frog in the rain forest.',
  'That is all for tonight. Thank you for watching.',
];
// Same sentences as test/media-transcript.test.ts's two-voice video.
const S1 = 'The weather today is sunny with light winds from the north. The city council will meet on Monday to discuss the new budget.';
const S2 = 'Police said the road will be closed for two hours. Farmers expect a good harvest this year after the heavy rain in spring.';
/** Quiet pink room tone with a fixed seed, so figures repeat from run to run. */
const roomTone = (seconds: number, seed: number) => ['-f', 'lavfi', '-i', `anoisesrc=c=pink:a=0.003:r=16000:d=${seconds}:seed=${seed}`];

async function runAnalyser<T>(a: Analyser<T>, path: string, type: 'video' | 'audio', name: string): Promise<{ result: T; seconds: number }> {
  const tmp = await mkdtemp(join(dir, `${a.id}-`));
  const t = performance.now();
  const out = await a.run({ sha256: 'x', type, mime: `${type}/x`, size: 1, name, path, deps: {}, options: {} }, { log, tmpDir: tmp, signal: new AbortController().signal });
  return { result: out.result, seconds: (performance.now() - t) / 1000 };
}

async function timedClip(): Promise<string[]> {
  execFileSync('flite', ['-voice', 'rms', '-t', LINES.join(' '), '-o', join(dir, 'speech.wav')]);
  const font = 'fontsize=40:fontcolor=white:box=1:boxcolor=black@0.6:x=60:y=600';
  ff(['-f', 'lavfi', '-i', 'testsrc2=s=1280x720:r=25:d=15', '-f', 'lavfi', '-i', 'smptebars=s=1280x720:r=25:d=15', '-f', 'lavfi', '-i', 'mandelbrot=s=1280x720:r=25',
    '-i', join(dir, 'speech.wav'), ...roomTone(45, 1),
    '-filter_complex', `[0]drawtext=text='CITY COUNCIL BUDGET':${font}[a];[1]drawtext=text='ROAD CLOSED':${font}[b];[2]trim=duration=15,setpts=PTS-STARTPTS,drawtext=text='WEATHER':${font}[c];[a][b][c]concat=n=3:v=1:a=0,format=yuv420p[v];[3][4]amix=inputs=2:duration=longest:normalize=0,apad,atrim=duration=45[au]`,
    '-map', '[v]', '-map', '[au]', '-t', '45', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-c:a', 'aac', '-b:a', '128k', join(dir, 'clip.mp4')]);
  const clip = join(dir, 'clip.mp4');
  const duration = 45;
  const rows: string[] = [];
  const results: Record<string, unknown> = {};
  let total = 0;
  for (const a of [shots, transcript] as Array<Analyser<unknown>>) {
    const { result, seconds } = await runAnalyser(a, clip, 'video', 'clip.mp4');
    total += seconds;
    results[a.id] = result;
    rows.push(`| ${a.id} | ${seconds.toFixed(2)} | ${(seconds / duration).toFixed(3)} |`);
  }
  const ru = process.resourceUsage();
  const sh = results.shots as { shots: unknown[]; samples: unknown[] };
  const tr = results.transcript as { text: string; engine: string };
  return [
    `Clip: 45 s, 1280×720 H.264 25 fps, 3 shots with drawtext captions, flite speech (rms voice) over pink room tone, AAC.`, '',
    '| analyser | wall s | real-time factor |', '|---|---|---|', ...rows,
    `| **shots + transcript** | ${total.toFixed(2)} | ${(total / duration).toFixed(3)} |`, '',
    `Peak RSS: node ${(ru.maxRSS / 1024).toFixed(0)} MB (children are separate processes: ffmpeg, pocketsphinx, each under a 1–2 GB address-space limit).`,
    `Shots found: ${sh.shots.length}, frames kept (keyframes + deduplicated samples): ${sh.samples.length}.`,
    `Transcript (${tr.engine}): "${tr.text.replace(/\n/g, ' ')}" — 1 − WER ${wordAccuracy(LINES.join(' '), tr.text).toFixed(3)}`, '',
    'Frame OCR / objects / faces are not included: the vision engines run on the keyframes and samples listed above.', '',
  ];
}

interface AccRow { name: string; words: number; acc: number; seconds: number; audio: number; text: string }

async function accuracyOf(name: string, path: string, type: 'video' | 'audio', ref: string): Promise<AccRow> {
  const { result, seconds } = await runAnalyser(transcript, path, type, name);
  const words = ref.split(/\s+/).filter(Boolean).length;
  return { name, words, acc: wordAccuracy(ref, result.text), seconds, audio: result.duration, text: result.text.replace(/\n/g, ' ') };
}

/** Every flite voice except the limited-domain awb_time (it can only say the time). */
function fliteVoices(): string[] {
  const out = execFileSync('flite', ['-lv'], { encoding: 'utf8' });
  return out.replace(/^.*?:/, '').trim().split(/\s+/).filter((v) => v && !v.endsWith('_time'));
}

async function voiceRows(): Promise<AccRow[]> {
  const rows: AccRow[] = [];
  for (const v of fliteVoices()) {
    const raw = join(dir, `voice-${v}.wav`);
    execFileSync('flite', ['-voice', v, '-t', LINES.join(' '), '-o', raw]);
    const rate = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=sample_rate', '-of', 'csv=p=0', raw], { encoding: 'utf8' }).trim();
    // 1 s of room tone before, speech mixed over room tone, as a microphone would record it; kept at the voice's own rate.
    const mixed = join(dir, `voice-${v}.m4a`);
    ff(['-i', raw, ...roomTone(60, 2), '-filter_complex', `[0]adelay=1000,aresample=${rate}[s];[1]aresample=${rate}[n];[s][n]amix=inputs=2:duration=first:normalize=0[a]`, '-map', '[a]', '-c:a', 'aac', '-b:a', '96k', mixed]);
    rows.push(await accuracyOf(`${v} (${Number(rate) / 1000} kHz)`, mixed, 'audio', LINES.join(' ')));
  }
  // The test's two-voice video: 2 s room tone, rms says S1, 1.5 s room tone, slt says S2; H.264 + AAC.
  execFileSync('flite', ['-voice', 'rms', '-t', S1, '-o', join(dir, 's1.wav')]);
  execFileSync('flite', ['-voice', 'slt', '-t', S2, '-o', join(dir, 's2.wav')]);
  ff([...roomTone(2, 3), '-i', join(dir, 's1.wav'), ...roomTone(1.5, 4), '-i', join(dir, 's2.wav'), '-f', 'lavfi', '-i', 'testsrc=s=320x240:r=10',
    '-filter_complex', '[0][1][2][3]concat=n=4:v=0:a=1,aresample=48000[a]', '-map', '4:v', '-map', '[a]', '-shortest',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '128k', join(dir, 'two.mp4')]);
  rows.push(await accuracyOf('two voices (rms, slt) in an MP4', join(dir, 'two.mp4'), 'video', S1 + ' ' + S2));
  return rows;
}

const LIBRIVOX = '/usr/share/pocketsphinx/test/data/librivox';

/** The five LibriVox clips one after the other in one file, and the reference words in the same order. */
async function realRows(): Promise<AccRow[]> {
  if (!existsSync(join(LIBRIVOX, 'transcription'))) return [];
  const refs: string[] = [];
  const inputs: string[] = [];
  for (const line of (await readFile(join(LIBRIVOX, 'transcription'), 'utf8')).trim().split('\n')) {
    const m = /^<s> (.*) <\/s> \((.+)\)$/.exec(line.trim());
    if (!m) continue;
    refs.push(m[1]!);
    inputs.push('-i', join(LIBRIVOX, `${m[2]}.wav`));
  }
  const n = refs.length;
  const wide = join(dir, 'librivox.wav');
  ff([...inputs, '-filter_complex', `${Array.from({ length: n }, (_, i) => `[${i}]`).join('')}concat=n=${n}:v=0:a=1[a]`, '-map', '[a]', wide]);
  // The same reading as narrow-band (8 kHz, telephone-like) audio, to check the band-limited path on a person.
  const narrow = join(dir, 'librivox-8k.wav');
  ff(['-i', wide, '-ar', '8000', narrow]);
  return [
    await accuracyOf('LibriVox, 16 kHz (person reading)', wide, 'audio', refs.join(' ')),
    await accuracyOf('same, resampled to 8 kHz', narrow, 'audio', refs.join(' ')),
  ];
}

const table = (rows: AccRow[]) => [
  '| recording | words | 1 − WER | transcript wall s | audio s |', '|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.name} | ${r.words} | **${r.acc.toFixed(3)}** | ${r.seconds.toFixed(2)} | ${r.audio.toFixed(1)} |`),
];

try {
  const head = [
    '# Media bench', '',
    `Date: ${new Date().toISOString()}. Machine: ${cpus().length} × ${cpus()[0]?.model}, ${(totalmem() / 1024 ** 3).toFixed(1)} GB RAM, load average at start ${loadavg()[0]!.toFixed(2)} (machine shared with other jobs).`,
  ];
  const clip = process.env.ACCURACY_ONLY ? [] : await timedClip();
  const voices = await voiceRows();
  const real = await realRows();
  const acc = [
    '## Transcript word accuracy (pocketsphinx, en-us)', '',
    'Synthetic: the 7-sentence news script (86 words) said by each flite voice, 1 s of pink room tone before it and',
    'under it, AAC in M4A at the voice\'s own sample rate; and the test\'s two-voice video. Real: the five LibriVox clips',
    '(Jane Austen, *Sense and Sensibility*, read by a person; public domain) that Debian\'s `pocketsphinx-testdata` ships',
    'with their transcript, joined into one file. Scoring: lower-cased words, punctuation dropped, Levenshtein over words.', '',
    ...table([...voices, ...real]), '',
    ...[...voices, ...real].map((r) => `- ${r.name}: "${r.text}"`), '',
  ];
  const md = [...head, ...clip, ...acc].join('\n');
  if (!process.env.NO_WRITE) await writeFile(new URL('./RESULTS-media.md', import.meta.url), md);
  console.log(md);
} finally {
  await rm(dir, { recursive: true, force: true });
}
