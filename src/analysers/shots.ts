// shots: shot boundaries, black segments, a keyframe per shot and deduplicated samples inside long shots.
// `keyframe` in each shot is the time (seconds) of its derived file of kind 'keyframe'; extra samples are
// derived files of kind 'sample' and are listed in `samples` so vision analysers can run over time.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PermanentError } from '../errors.ts';
import { probeMedia, videoStream } from '../engines/ffprobe.ts';
import { detectShots } from '../engines/shots.ts';
import type { Analyser, DerivedFile } from './types.ts';

export interface ShotsResult {
  shots: Array<{ start: number; end: number; keyframe: number }>;
  black: Array<{ start: number; end: number }>;
  /** Every kept frame (keyframes and samples): time, shot index and dHash. */
  samples: Array<{ time: number; shot: number; hash: string; keyframe: boolean }>;
  duration: number;
}

export const shots: Analyser<ShotsResult> = {
  id: 'shots',
  version: 1,
  heavy: true,
  accepts: (t) => t.type === 'video',
  async run(input, ctx) {
    const probe = await probeMedia(input.path);
    if (!videoStream(probe)) throw new PermanentError('E_NO_VIDEO', 'the file has no video stream');
    const dir = join(ctx.tmpDir, 'frames');
    await mkdir(dir, { recursive: true });
    const r = await detectShots(input.path, dir, { duration: probe.duration });
    if (!r.frames.length) throw new PermanentError('E_MEDIA_UNREADABLE', 'no frame could be decoded');
    const keyOf = new Map<number, number>();
    for (const f of r.frames) if (f.keyframe) keyOf.set(f.shot, f.time);
    const derived: DerivedFile[] = r.frames.map((f) => ({ kind: f.keyframe ? 'keyframe' : 'sample', tmpPath: f.path, ext: 'jpg', time: f.time }));
    ctx.log.debug({ shots: r.shots.length, frames: r.frames.length }, 'shots detected');
    return {
      result: {
        shots: r.shots.map((s, i) => ({ ...s, keyframe: keyOf.get(i) ?? s.start })),
        black: r.black,
        samples: r.frames.map((f) => ({ time: f.time, shot: f.shot, hash: f.hash, keyframe: f.keyframe })),
        duration: r.duration,
      },
      derived,
    };
  },
};
