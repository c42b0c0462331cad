// `video-vision`: OCR, objects, faces and moderation over a video's keyframes and samples (the frames the
// `shots` analyser kept), each item with start/end in seconds. A frame stands for the time from itself to
// the next kept frame of its shot (the samples in between were near-duplicates of it), so what is seen on
// consecutive frames is merged into one item spanning their times — the same on-screen text over a whole
// shot is one line, not one per frame. Boxes are in pixels of the video frame as displayed.
//
// Frames are read from DATA/derived when the runner says where that is (options.derivedDir); otherwise
// (another machine, files missing) they are decoded again from the video with ffmpeg at the same times.
import { join } from 'node:path';
import { access } from 'node:fs/promises';
import { sharp } from '../util/sharp.ts';
import { AppError, PermanentError, isPermanent } from '../errors.ts';
import { ffmpeg, timeoutFor } from '../engines/ffmpeg.ts';
import { probeMedia, videoStream } from '../engines/ffprobe.ts';
import { detectFaces, detectObjects } from '../engines/human.ts';
import { classifyModeration } from '../engines/nsfw.ts';
import { derivedRelPath } from '../util/derived-path.ts';
import { ocrImageFile } from './ocr.ts';
import { MODERATION_TEXT_MIN } from './moderation.ts';
import type { ShotsResult } from './shots.ts';
import type { Analyser, TextEntry } from './types.ts';
import { iou, type Box } from '../util/boxes.ts';

interface Timed { start: number; end: number }

export interface VideoVisionResult {
  ocr: { text: string; lines: Array<{ text: string; box: Box; score: number } & Timed> };
  objects: Array<{ label: string; score: number; box: Box } & Timed>;
  faces: Array<{ box: Box; score: number } & Timed>;
  moderation: Array<{ label: string; score: number } & Timed>;
  /** Frames looked at. */
  frames: number;
}

export interface VisionFrame extends Timed {
  path: string;
  time: number;
}

export interface VideoVisionOptions {
  ocrLang?: string[];
  /** Which engines to run (default all). */
  engines?: Array<'ocr' | 'objects' | 'faces' | 'moderation'>;
  signal?: AbortSignal;
}

const r3 = (n: number) => Math.round(n * 1000) / 1000;

/** Frames of a shots result with the time span each stands for. */
export function frameSpans(shots: ShotsResult): Array<{ time: number; keyframe: boolean } & Timed> {
  const samples = [...shots.samples].sort((a, b) => a.time - b.time);
  return samples.map((s, i) => {
    const shot = shots.shots[s.shot];
    const next = samples[i + 1];
    const shotEnd = shot?.end ?? shots.duration;
    const start = s.keyframe && shot ? Math.min(shot.start, s.time) : s.time;
    const end = next && next.shot === s.shot ? next.time : shotEnd;
    return { time: s.time, keyframe: s.keyframe, start: r3(start), end: r3(Math.max(end, s.time)) };
  });
}

/** Normalised text for comparing OCR of one caption across frames. */
const norm = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').trim();

function similarText(a: string, b: string): boolean {
  const x = norm(a);
  const y = norm(b);
  if (x === y) return true;
  if (!x || !y || Math.abs(x.length - y.length) > Math.max(x.length, y.length) * 0.2 || x.length > 300) return false;
  return 1 - levenshtein(x, y) / Math.max(x.length, y.length) >= 0.8;
}

function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}


const near = (a: Box, b: Box) =>
  iou(a, b) > 0.2 || Math.hypot(a[0] + a[2] / 2 - b[0] - b[2] / 2, a[1] + a[3] / 2 - b[1] - b[3] / 2) < Math.max(a[2], a[3], b[2], b[3]);

/**
 * Links items seen on consecutive frames into one item with the union of their spans. An item of
 * frame k continues a track of frame k−1 when `same` says so (each track continues at most once per
 * frame); the representative is the item `better` prefers. Returned in order of start.
 */
export function mergeOverTime<T>(frames: Array<Timed & { items: T[] }>, same: (a: T, b: T) => boolean, better: (a: T, b: T) => boolean): Array<T & Timed> {
  const done: Array<T & Timed> = [];
  let open: Array<{ item: T } & Timed> = [];
  for (const f of frames) {
    const next: typeof open = [];
    const free = [...open];
    for (const it of f.items) {
      const k = free.findIndex((t) => t.end >= f.start - 0.05 && same(t.item, it));
      if (k >= 0) {
        const t = free.splice(k, 1)[0]!;
        next.push({ item: better(it, t.item) ? it : t.item, start: t.start, end: Math.max(t.end, f.end) });
      } else next.push({ item: it, start: f.start, end: f.end });
    }
    for (const t of free) done.push({ ...t.item, start: t.start, end: t.end });
    open = next;
  }
  for (const t of open) done.push({ ...t.item, start: t.start, end: t.end });
  return done.sort((a, b) => a.start - b.start || a.end - b.end);
}

const scaleBox = (b: Box, s: number): Box => (s === 1 ? b : [Math.round(b[0] * s), Math.round(b[1] * s), Math.round(b[2] * s), Math.round(b[3] * s)]);

/** Runs the engines over frame files and merges their findings over time. */
export async function visionOverFrames(frames: VisionFrame[], opts: VideoVisionOptions & { displayWidth?: number } = {}): Promise<VideoVisionResult> {
  const want = new Set(opts.engines ?? ['ocr', 'objects', 'faces', 'moderation']);
  const ocrF: Array<Timed & { items: VideoVisionResult['ocr']['lines'][number][] }> = [];
  const objF: Array<Timed & { items: VideoVisionResult['objects'][number][] }> = [];
  const faceF: Array<Timed & { items: VideoVisionResult['faces'][number][] }> = [];
  const modF: Array<Timed & { items: VideoVisionResult['moderation'][number][] }> = [];
  let seen = 0;
  for (const f of frames) {
    if (opts.signal?.aborted) throw new AppError('E_ABORTED', 'analysis aborted', 'transient');
    let scale = 1;
    try {
      const m = await sharp(f.path).metadata();
      if (opts.displayWidth && m.width) scale = opts.displayWidth / m.width;
      const span = { start: f.start, end: f.end };
      if (want.has('ocr')) {
        const r = await ocrImageFile(f.path, opts.ocrLang ? { ocrLang: opts.ocrLang } : {});
        ocrF.push({ ...span, items: r.lines.filter((l) => l.text.trim()).map((l) => ({ text: l.text, box: scaleBox(l.box, scale), score: l.score, start: 0, end: 0 })) });
      }
      if (want.has('objects'))
        objF.push({ ...span, items: (await detectObjects(f.path)).map((o) => ({ ...o, box: scaleBox(o.box, scale), start: 0, end: 0 })) });
      if (want.has('faces'))
        faceF.push({ ...span, items: (await detectFaces(f.path, { tiles: false })).map((x) => ({ ...x, box: scaleBox(x.box, scale), start: 0, end: 0 })) });
      if (want.has('moderation'))
        modF.push({ ...span, items: (await classifyModeration(f.path)).filter((l) => l.score >= MODERATION_TEXT_MIN).map((l) => ({ ...l, start: 0, end: 0 })) });
      seen++;
    } catch (e) {
      if (!isPermanent(e)) throw e; // an unreadable frame is left out; engine failures are not
    }
  }
  const higher = (a: { score: number }, b: { score: number }) => a.score > b.score;
  const lines = mergeOverTime(ocrF, (a, b) => similarText(a.text, b.text), higher);
  return {
    ocr: { text: lines.map((l) => l.text).join('\n'), lines },
    objects: mergeOverTime(objF, (a, b) => a.label === b.label && near(a.box, b.box), higher),
    faces: mergeOverTime(faceF, (a, b) => near(a.box, b.box), higher),
    moderation: mergeOverTime(modF, (a, b) => a.label === b.label, higher),
    frames: seen,
  };
}

/** Searchable text: on-screen text with its box and times, object labels, moderation labels. */
export function videoVisionText(r: VideoVisionResult): TextEntry[] {
  return [
    ...r.ocr.lines.map((l) => ({ text: l.text, box: l.box, start: l.start, end: l.end })),
    ...r.objects.map((o) => ({ text: o.label, box: o.box, start: o.start, end: o.end })),
    ...r.moderation.map((m) => ({ text: `moderation:${m.label}`, start: m.start, end: m.end })),
  ];
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(() => true, () => false);
}

export const videoVision: Analyser<VideoVisionResult> = {
  id: 'video-vision',
  version: 1,
  needs: ['shots'],
  heavy: true,
  accepts: (t) => t.type === 'video',
  async run(input, ctx) {
    const shots = input.deps.shots as ShotsResult | undefined;
    if (!shots?.samples?.length) throw new PermanentError('E_NO_FRAMES', 'no keyframes: the shots analysis did not finish');
    const probe = await probeMedia(input.path);
    const vs = videoStream(probe);
    const rotated = Math.abs(vs?.rotation ?? 0) % 180 === 90;
    const displayWidth = vs?.width && vs.height ? (rotated ? vs.height : vs.width) : undefined;
    const frames: VisionFrame[] = [];
    for (const [i, s] of frameSpans(shots).entries()) {
      const rel = derivedRelPath(input.sha256, 'shots', { kind: s.keyframe ? 'keyframe' : 'sample', ext: 'jpg', time: s.time });
      let path = input.options.derivedDir ? join(input.options.derivedDir, rel) : '';
      if (!path || !(await exists(path))) {
        path = join(ctx.tmpDir, `f${String(i).padStart(5, '0')}.jpg`);
        await ffmpeg(input.path, ['-frames:v', '1', '-q:v', '3', '-y', path],
          { inputOptions: ['-ss', String(s.time)], cwd: ctx.tmpDir, timeoutMs: timeoutFor(30) });
      }
      frames.push({ path, time: s.time, start: s.start, end: s.end });
    }
    const result = await visionOverFrames(frames, {
      ...(input.options.ocrLang ? { ocrLang: input.options.ocrLang } : {}),
      ...(displayWidth ? { displayWidth } : {}),
      signal: ctx.signal,
    });
    return { result, text: videoVisionText(result) };
  },
};

export default videoVision;
