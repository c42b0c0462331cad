// Shots, black segments and representative frames of a video in ONE decode pass:
//   scale (≤1280 px wide) → blackdetect → select(first frame | scene cut | every N s since the last pick)
// with metadata=print writing black starts/ends and the scene score of each picked frame to files (not
// stderr, whose capture is bounded). Picked frames are written as JPEGs; inside a shot, a sample whose dHash
// is within SAME_FRAME_DISTANCE of the last kept frame is dropped, so a static scene yields one frame.
import { readFile, unlink, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ffmpeg, parseMetadataPrint, timeoutFor } from './ffmpeg.ts';
import { dhash64, hamming, SAME_FRAME_DISTANCE } from './frames.ts';

export interface ShotOptions {
  /** ffmpeg scene score above which a frame starts a new shot (0..1). */
  sceneThreshold?: number;
  /** Seconds between samples inside a long shot. */
  sampleEvery?: number;
  /** Keep a sample at least this often (seconds) even when the scene looks unchanged. */
  keepEvery?: number;
  /** Frames are scaled down to at most this width. */
  maxWidth?: number;
  /** Minimum black run, seconds. */
  blackMin?: number;
  /** Shots shorter than this are merged into the previous one (flashes, glitches). */
  minShot?: number;
  /** Known duration (from ffprobe), used for the last shot's end and the timeout. */
  duration?: number;
  timeoutMs?: number;
}

export interface FrameSample {
  time: number;
  path: string;
  /** dHash, 16 hex digits. */
  hash: string;
  /** Index of the shot the frame belongs to. */
  shot: number;
  /** True for the first frame of a shot (its keyframe). */
  keyframe: boolean;
}

export interface ShotDetection {
  shots: Array<{ start: number; end: number }>;
  black: Array<{ start: number; end: number }>;
  /** Kept frames in time order; the files live in outDir. */
  frames: FrameSample[];
  duration: number;
}

const r3 = (n: number) => Math.round(n * 1000) / 1000;

export async function detectShots(input: string, outDir: string, opts: ShotOptions = {}): Promise<ShotDetection> {
  const threshold = opts.sceneThreshold ?? 0.3;
  const every = opts.sampleEvery ?? 5;
  const keepEvery = opts.keepEvery ?? 60;
  const maxW = opts.maxWidth ?? 1280;
  const blackMin = opts.blackMin ?? 0.3;
  const minShot = opts.minShot ?? 0.5;
  // Filter arguments are fixed numbers and relative file names (cwd = outDir): nothing from the input
  // reaches the filter graph.
  const vf = [
    `scale=w='min(${maxW},iw)':h=-2:flags=fast_bilinear`,
    `blackdetect=d=${blackMin}:pix_th=0.10`,
    'metadata=mode=print:key=lavfi.black_start:file=black_start.txt',
    'metadata=mode=print:key=lavfi.black_end:file=black_end.txt',
    `select='eq(n\\,0)+gt(scene\\,${threshold})+gte(t-prev_selected_t\\,${every})'`,
    'metadata=mode=print:file=picked.txt',
  ].join(',');
  await ffmpeg(input, ['-map', '0:v:0', '-an', '-sn', '-dn', '-vf', vf, '-fps_mode', 'vfr', '-q:v', '3', '-f', 'image2', 'f_%06d.jpg'], {
    cwd: outDir,
    timeoutMs: opts.timeoutMs ?? timeoutFor(opts.duration, 1000),
  });
  const read = async (f: string) => readFile(join(outDir, f), 'utf8').catch(() => '');
  const picked = parseMetadataPrint(await read('picked.txt'));
  const files = (await readdir(outDir)).filter((f) => /^f_\d{6}\.jpg$/.test(f)).sort();
  const t0 = picked[0]?.time ?? 0;
  const lastPicked = picked.length ? picked[picked.length - 1]!.time - t0 : 0;
  const duration = opts.duration && opts.duration > 0 ? opts.duration : lastPicked;

  const blackStarts = parseMetadataPrint(await read('black_start.txt')).map((f) => Number(f.values['lavfi.black_start']) - t0);
  const blackEnds = parseMetadataPrint(await read('black_end.txt')).map((f) => Number(f.values['lavfi.black_end']) - t0);
  const black = blackStarts.map((start, i) => ({ start: r3(Math.max(0, start)), end: r3(blackEnds.find((e) => e > start) ?? blackEnds[i] ?? duration) }));

  // Shot starts: frame 0 and every picked frame whose scene score crosses the threshold.
  const shots: Array<{ start: number; end: number }> = [];
  const frames: FrameSample[] = [];
  let lastKeptHash: string | null = null;
  const n = Math.min(picked.length, files.length);
  for (let i = 0; i < n; i++) {
    const p = picked[i]!;
    const time = r3(Math.max(0, p.time - t0));
    const path = join(outDir, files[i]!);
    const score = Number(p.values['lavfi.scene_score'] ?? 0);
    let cut = i === 0 || score > threshold;
    if (cut && shots.length && time - shots[shots.length - 1]!.start < minShot) cut = false;
    if (cut) {
      if (shots.length) shots[shots.length - 1]!.end = time;
      shots.push({ start: time, end: duration });
    }
    const hash = await dhash64(path);
    // A static scene is read once, but at least every `keepEvery` seconds: a small change such as a new
    // caption does not move the perceptual hash enough to be seen.
    const overdue = frames.length > 0 && time - frames[frames.length - 1]!.time >= keepEvery;
    if (!cut && !overdue && lastKeptHash && hamming(hash, lastKeptHash) <= SAME_FRAME_DISTANCE) {
      await unlink(path);
      continue;
    }
    lastKeptHash = hash;
    frames.push({ time, path, hash, shot: shots.length - 1, keyframe: cut });
  }
  for (let i = n; i < files.length; i++) await unlink(join(outDir, files[i]!)).catch(() => {});
  if (shots.length) shots[shots.length - 1]!.end = r3(Math.max(duration, shots[shots.length - 1]!.start));
  return { shots, black, frames, duration: r3(duration) };
}
