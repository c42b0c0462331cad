// Blurs faces (or any boxes) in a video: detect on samples every `sampleEvery` seconds, link detections of
// consecutive samples into tracks, interpolate each track linearly between samples and widen it by a
// margin (and hold it one sample interval before its first / after its last detection, so a face entering
// between samples is still covered). Tracks that never overlap in time share a "slot"; each slot is one
// fixed-size crop → boxblur → overlay branch whose position is moved every frame by `sendcmd` from a command
// file (no shell, nothing from the input in the filter graph). Audio is copied, timestamps pass through,
// so the output has the same duration.
import { mkdir, readFile, readdir, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PermanentError } from '../errors.ts';
import { ffmpeg, parseMetadataPrint, timeoutFor } from './ffmpeg.ts';
import { probeMedia, videoStream, audioStream } from './ffprobe.ts';

import { iou, type Box } from '../util/boxes.ts';

export type { Box };

export interface Detection {
  box: Box;
  score: number;
}

/** Face detector over one frame image; `time` is the frame's time in seconds (ignored by real detectors). */
export type DetectFn = (framePath: string, time: number) => Promise<Detection[]>;

export interface TimedBox {
  box: Box;
  start?: number;
  end?: number;
}

export interface RedactVideoOptions {
  detect?: DetectFn;
  /** Extra boxes to blur (e.g. from `--boxes`); without start/end they cover the whole video. */
  boxes?: TimedBox[];
  /** Seconds between detection samples. */
  sampleEvery?: number;
  /** Margin added around each box, as a fraction of its width/height on each side. */
  margin?: number;
  minScore?: number;
  /** Private scratch directory (removed by the caller). */
  tmpDir: string;
  timeoutMs?: number;
}

export interface RedactVideoResult {
  samples: number;
  detections: number;
  tracks: number;
  slots: number;
  duration: number;
}

interface Track {
  points: Array<{ t: number; box: Box }>;
  start: number;
  end: number;
}

const centreDist = (a: Box, b: Box) => Math.hypot(a[0] + a[2] / 2 - b[0] - b[2] / 2, a[1] + a[3] / 2 - b[1] - b[3] / 2);

/** Links detections of consecutive samples (overlap, or centre moved less than the box size). */
export function buildTracks(samples: Array<{ t: number; boxes: Box[] }>, interval: number, duration: number): Track[] {
  const done: Track[] = [];
  let open: Track[] = [];
  for (const s of samples) {
    const next: Track[] = [];
    const free = new Set(open);
    for (const box of s.boxes) {
      let best: Track | null = null;
      let bestScore = 0;
      for (const tr of free) {
        const last = tr.points[tr.points.length - 1]!.box;
        const score = Math.max(iou(last, box), centreDist(last, box) < Math.max(box[2], box[3], last[2], last[3]) ? 0.01 : 0);
        if (score > bestScore) {
          best = tr;
          bestScore = score;
        }
      }
      if (best) {
        free.delete(best);
        best.points.push({ t: s.t, box });
        next.push(best);
      } else next.push({ points: [{ t: s.t, box }], start: 0, end: 0 });
    }
    done.push(...free);
    open = next;
  }
  done.push(...open);
  for (const tr of done) {
    tr.start = Math.max(0, tr.points[0]!.t - interval);
    tr.end = Math.min(duration, tr.points[tr.points.length - 1]!.t + interval);
  }
  return done;
}

/** Box of a track at time t: held before the first / after the last point, linear in between. */
export function boxAt(tr: Track, t: number): Box {
  const p = tr.points;
  if (t <= p[0]!.t) return p[0]!.box;
  for (let i = 1; i < p.length; i++) {
    if (t <= p[i]!.t) {
      const a = p[i - 1]!;
      const b = p[i]!;
      const f = (t - a.t) / (b.t - a.t || 1);
      return a.box.map((v, k) => v + (b.box[k]! - v) * f) as Box;
    }
  }
  return p[p.length - 1]!.box;
}

/** Union of the box at t and at t±half a frame step, widened by the margin. */
function expanded(b: Box, margin: number): Box {
  const mx = b[2] * margin;
  const my = b[3] * margin;
  return [b[0] - mx, b[1] - my, b[2] + 2 * mx, b[3] + 2 * my];
}

async function sampleFrames(input: string, dir: string, every: number, duration: number, timeoutMs?: number): Promise<Array<{ t: number; path: string }>> {
  await ffmpeg(input, ['-map', '0:v:0', '-an', '-sn', '-dn', '-vf',
    // print only lists frames that carry metadata: tag each picked frame first
    `select='isnan(prev_selected_t)+gte(t-prev_selected_t\\,${every})',metadata=mode=add:key=vitrine.sample:value=1,metadata=mode=print:file=samples.txt`,
    '-fps_mode', 'vfr', '-q:v', '2', '-f', 'image2', 's_%06d.jpg'], { cwd: dir, timeoutMs: timeoutMs ?? timeoutFor(duration, 1000) });
  const meta = parseMetadataPrint(await readFile(join(dir, 'samples.txt'), 'utf8').catch(() => ''));
  const files = (await readdir(dir)).filter((f) => /^s_\d{6}\.jpg$/.test(f)).sort();
  const t0 = meta[0]?.time ?? 0;
  return files.slice(0, meta.length).map((f, i) => ({ t: meta[i]!.time - t0, path: join(dir, f) }));
}

export async function redactVideo(input: string, output: string, opts: RedactVideoOptions): Promise<RedactVideoResult> {
  const probe = await probeMedia(input);
  const vs = videoStream(probe);
  if (!vs?.width || !vs.height) throw new PermanentError('E_NO_VIDEO', 'the file has no video stream');
  const duration = probe.duration ?? vs.durationSeconds ?? 0;
  const rot = Math.abs(vs.rotation ?? 0) % 180 === 90;
  const W = rot ? vs.height : vs.width; // ffmpeg autorotates, boxes are in displayed pixels
  const H = rot ? vs.width : vs.height;
  const fps = vs.fps && vs.fps > 0 && vs.fps < 240 ? vs.fps : 25;
  const every = opts.sampleEvery ?? 0.5;
  const margin = opts.margin ?? 0.2;
  const dir = join(opts.tmpDir, 'redact');
  await mkdir(dir, { recursive: true });

  let samples: Array<{ t: number; boxes: Box[] }> = [];
  let detections = 0;
  if (opts.detect) {
    const frames = await sampleFrames(input, dir, every, duration, opts.timeoutMs);
    for (const f of frames) {
      const found = (await opts.detect(f.path, f.t)).filter((d) => d.score >= (opts.minScore ?? 0.3) && d.box[2] > 0 && d.box[3] > 0);
      detections += found.length;
      samples.push({ t: f.t, boxes: found.map((d) => d.box) });
      await rm(f.path, { force: true });
    }
  }
  const tracks = buildTracks(samples, every, duration);
  for (const b of opts.boxes ?? []) {
    const start = Math.max(0, b.start ?? 0);
    const end = Math.min(duration, b.end ?? duration);
    if (end > start) tracks.push({ points: [{ t: start, box: b.box }], start, end });
  }
  const sampleCount = samples.length;
  samples = [];

  // Assign tracks to slots (interval partitioning); a slot's crop size is the largest box it must cover.
  tracks.sort((a, b) => a.start - b.start);
  const slots: Array<{ tracks: Track[]; w: number; h: number }> = [];
  for (const tr of tracks) {
    let slot = slots.find((s) => s.tracks[s.tracks.length - 1]!.end < tr.start);
    if (!slot) slots.push((slot = { tracks: [], w: 16, h: 16 }));
    slot.tracks.push(tr);
    for (const p of tr.points) {
      const e = expanded(p.box, margin);
      slot.w = Math.max(slot.w, Math.ceil(e[2]) + 2);
      slot.h = Math.max(slot.h, Math.ceil(e[3]) + 2);
    }
  }
  for (const s of slots) {
    s.w = Math.min(W - (W % 2), s.w + (s.w % 2));
    s.h = Math.min(H - (H % 2), s.h + (s.h % 2));
  }

  const evenPad = 'pad=ceil(iw/2)*2:ceil(ih/2)*2';
  let graph: string;
  if (!slots.length) graph = `[0:v:0]${evenPad}[vout]`;
  else {
    // Per-frame positions: the slot's crop window is centred on the interpolated box, clamped to the frame.
    const lines: string[] = [];
    const step = 1 / fps;
    for (let k = 0; k * step <= duration + step; k++) {
      const t = k * step;
      const cmds: string[] = [];
      slots.forEach((s, i) => {
        const tr = s.tracks.find((x) => t >= x.start - step && t <= x.end + step);
        if (!tr) return;
        const b = boxAt(tr, t);
        const x = Math.round(Math.min(Math.max(0, b[0] + b[2] / 2 - s.w / 2), W - s.w));
        const y = Math.round(Math.min(Math.max(0, b[1] + b[3] / 2 - s.h / 2), H - s.h));
        cmds.push(`crop@c${i} x ${x}`, `crop@c${i} y ${y}`, `overlay@o${i} x ${x}`, `overlay@o${i} y ${y}`);
      });
      if (cmds.length) lines.push(`${t.toFixed(4)} ${cmds.join(', ')};`);
    }
    await writeFile(join(dir, 'cmds.txt'), lines.join('\n') + '\n');
    const n = slots.length;
    const parts = [`[0:v:0]sendcmd=f=cmds.txt,split=${n + 1}[base]${slots.map((_, i) => `[s${i}]`).join('')}`];
    let prev = 'base';
    slots.forEach((s, i) => {
      const enable = s.tracks.map((tr) => `between(t,${Math.max(0, tr.start - step).toFixed(4)},${(tr.end + step).toFixed(4)})`).join('+');
      parts.push(`[s${i}]crop@c${i}=w=${s.w}:h=${s.h}:x=0:y=0,boxblur=lr='min(w\\,h)/6':lp=3:cr='min(cw\\,ch)/6':cp=3[b${i}]`);
      parts.push(`[${prev}][b${i}]overlay@o${i}=x=0:y=0:eval=frame:enable='${enable}'[v${i}]`);
      prev = `v${i}`;
    });
    parts.push(`[${prev}]${evenPad}[vout]`);
    graph = parts.join(';');
  }
  const graphFile = join(dir, 'graph.txt');
  await writeFile(graphFile, graph);
  const args = (audioCodec: string[]) => [
    '-filter_complex_script', 'graph.txt', '-map', '[vout]', ...(audioStream(probe) ? ['-map', '0:a:0', ...audioCodec] : []),
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20', '-pix_fmt', 'yuv420p', '-threads', '2',
    '-fps_mode', 'passthrough', '-map_metadata', '-1', // a redacted copy drops GPS and device tags
    '-movflags', '+faststart', '-y', output,
  ];
  const timeoutMs = opts.timeoutMs ?? timeoutFor(duration, 4000, 120_000);
  try {
    await ffmpeg(input, args(['-c:a', 'copy']), { cwd: dir, timeoutMs });
  } catch (e) {
    if (!audioStream(probe) || (e as { code?: string }).code === 'E_TOOL_LIMIT') throw e;
    // The audio codec may not fit the output container: re-encode it.
    await ffmpeg(input, args(['-c:a', 'aac', '-b:a', '160k']), { cwd: dir, timeoutMs });
  }
  return { samples: sampleCount, detections, tracks: tracks.length, slots: slots.length, duration };
}
