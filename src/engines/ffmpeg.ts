// The one way Vitrine runs ffmpeg. Hostile media must never make ffmpeg read anything but the file given:
// - the input is `file:<path>` (a name like `concat:a|b`, `pipe:0` or `http://…` is only ever a file name),
// - `-protocol_whitelist file` (no network, no pipes, no nested protocols),
// - `-format_whitelist` of single-file demuxers: hls/dash/concat/ffconcat/image2 sequences/sdp/devices are
//   refused even when probing recognises them (a playlist renamed .mp4 still fails), because the hls and
//   concat demuxers would otherwise open other local files through the allowed `file` protocol,
// - the path must be a regular file (no /dev nodes, FIFOs or sockets),
// - `-nostdin`, bounded threads, and every call through run() with a timeout and an address-space limit.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { run, type RunResult } from '../util/proc.ts';
import { PermanentError } from '../errors.ts';

/** Demuxers that read exactly one file. Everything else (playlists, manifests, devices, sequences) is refused. */
export const SAFE_DEMUXERS = [
  'mov', 'matroska', 'avi', 'mpegts', 'mpeg', 'mpegvideo', 'flv', 'asf', 'ogg', 'wav', 'w64', 'mp3', 'aac',
  'flac', 'aiff', 'au', 'caf', 'amr', 'amrnb', 'amrwb', 'mxf', 'dv', 'h264', 'hevc', 'm4v', 'ivf', 'nut', 'wv',
  'ape', 'tta', 'ac3', 'eac3', 'dts', 'truehd', 'mlp', 'loas', 'rm', 'gif', 'wtv', 'mpc', 'mpc8', 'voc',
  'xwma', 'gsm', 'obu', 'av1', 'mjpeg', 'jpeg_pipe', 'png_pipe', 'webp_pipe', 'bmp_pipe', 'tiff_pipe',
].join(',');

export const PROTOCOL_ARGS = ['-protocol_whitelist', 'file', '-format_whitelist', SAFE_DEMUXERS];

/** Threads per ffmpeg process: the machine is shared with other workers. */
export const FFMPEG_THREADS = 2;
export const FFMPEG_MEMORY = 2 * 1024 ** 3;

/** Refuses anything that is not a regular file, so a device or FIFO is never handed to ffmpeg. */
export async function assertRegularFile(path: string): Promise<void> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    throw new PermanentError('E_MEDIA_UNREADABLE', `cannot read ${path}: ${(e as Error).message}`, e);
  }
  if (!st.isFile()) throw new PermanentError('E_NOT_A_FILE', `${path} is not a regular file; only files are analysed`);
}

/** Input options + `-i file:<path>` for one untrusted input (check it with assertRegularFile first). */
export function inputArgs(path: string, before: string[] = []): string[] {
  return [...PROTOCOL_ARGS, ...before, '-i', 'file:' + path];
}

export interface FfmpegOptions {
  timeoutMs?: number;
  memoryBytes?: number;
  cwd?: string;
  maxStdoutBytes?: number;
}

/** Timeout that grows with the media: a hung ffmpeg dies, a long film does not. */
export function timeoutFor(durationSeconds: number | undefined, perSecondMs = 2000, minMs = 60_000): number {
  const d = durationSeconds && Number.isFinite(durationSeconds) ? durationSeconds : 0;
  return Math.max(minMs, Math.round(d * perSecondMs));
}

/** Runs ffmpeg on one untrusted input. `args` comes after the input (filters, outputs). */
export async function ffmpeg(input: string, args: string[], opts: FfmpegOptions & { inputOptions?: string[] } = {}): Promise<RunResult> {
  input = resolve(input); // outputs may be relative to opts.cwd; the input never is
  await assertRegularFile(input);
  return run('ffmpeg', [
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', '-threads', String(FFMPEG_THREADS),
    ...inputArgs(input, opts.inputOptions), '-filter_threads', '1', ...args,
  ], {
    timeoutMs: opts.timeoutMs ?? 10 * 60_000,
    memoryBytes: opts.memoryBytes ?? FFMPEG_MEMORY,
    cwd: opts.cwd,
    maxStdoutBytes: opts.maxStdoutBytes ?? 64 * 1024 * 1024,
  });
}

/** Converts the audio of a file to 16 kHz mono s16 WAV (what speech engines want). */
export async function toSpeechWav(input: string, out: string, opts: FfmpegOptions = {}): Promise<void> {
  await ffmpeg(input, ['-vn', '-sn', '-dn', '-map', '0:a:0', '-ac', '1', '-ar', '16000', '-c:a', 'pcm_s16le', '-f', 'wav', '-y', out], opts);
}

/** Parses the text ffmpeg's metadata/ametadata `print` mode writes: one block per frame, `frame:N pts:P pts_time:T` then `key=value` lines. */
export function parseMetadataPrint(text: string): Array<{ time: number; values: Record<string, string> }> {
  const frames: Array<{ time: number; values: Record<string, string> }> = [];
  let cur: { time: number; values: Record<string, string> } | null = null;
  for (const line of text.split('\n')) {
    const m = /^frame:\d+\s+pts:\S+\s+pts_time:(\S+)/.exec(line);
    if (m) {
      cur = { time: Number(m[1]), values: {} };
      frames.push(cur);
      continue;
    }
    const kv = /^([^=]+)=(.*)$/.exec(line.trim());
    if (kv && cur) cur.values[kv[1]!] = kv[2]!;
  }
  return frames;
}
