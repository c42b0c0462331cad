// ffprobe of one local file. Only the `file` protocol is allowed, so a playlist or concat script
// inside a hostile file can never make ffmpeg open another file, a URL or a device.
import { run } from '../util/proc.ts';
import { PermanentError } from '../errors.ts';

export interface MediaStream {
  index: number;
  kind: 'video' | 'audio' | 'subtitle' | 'data' | 'attachment' | 'unknown';
  codec?: string;
  width?: number;
  height?: number;
  fps?: number;
  sampleRate?: number;
  channels?: number;
  durationSeconds?: number;
}

export interface MediaProbe {
  format?: string;
  duration?: number;
  bitRate?: number;
  streams: MediaStream[];
  tags: Record<string, string>;
  createdAt?: string;
  gps?: { latitude: number; longitude: number; altitude?: number };
}

export const SAFE_INPUT_ARGS = ['-protocol_whitelist', 'file', '-safe', '1'];

function ratio(r: string | undefined): number | undefined {
  if (!r) return undefined;
  const [a, b] = r.split('/').map(Number);
  if (!a || !b) return undefined;
  return Math.round((a / b) * 1000) / 1000;
}

// ISO 6709, e.g. "+48.8577+002.2950+035.000/" (QuickTime/MP4 location tag).
export function parseIso6709(s: string): MediaProbe['gps'] | undefined {
  const m = /^([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)?/.exec(s.trim());
  if (!m) return undefined;
  const gps: NonNullable<MediaProbe['gps']> = { latitude: Number(m[1]), longitude: Number(m[2]) };
  if (m[3]) gps.altitude = Number(m[3]);
  return gps;
}

export async function probeMedia(path: string, timeoutMs = 60_000): Promise<MediaProbe> {
  let out;
  try {
    out = await run('ffprobe', [
      '-v', 'error', '-protocol_whitelist', 'file', '-print_format', 'json', '-show_format', '-show_streams', 'file:' + path,
    ], { timeoutMs, memoryBytes: 1024 ** 3, maxStdoutBytes: 16 * 1024 * 1024 });
  } catch (e) {
    throw new PermanentError('E_MEDIA_UNREADABLE', `ffprobe could not read the media: ${(e as Error).message}`, e);
  }
  const j = JSON.parse(out.stdout.toString('utf8')) as {
    format?: { format_name?: string; duration?: string; bit_rate?: string; tags?: Record<string, string> };
    streams?: Array<Record<string, unknown>>;
  };
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(j.format?.tags ?? {})) tags[k.toLowerCase()] = String(v);
  const streams: MediaStream[] = (j.streams ?? []).map((s) => {
    const kind = (['video', 'audio', 'subtitle', 'data', 'attachment'].includes(String(s.codec_type))
      ? s.codec_type : 'unknown') as MediaStream['kind'];
    const st: MediaStream = { index: Number(s.index), kind };
    if (s.codec_name) st.codec = String(s.codec_name);
    if (s.width) st.width = Number(s.width);
    if (s.height) st.height = Number(s.height);
    const fps = ratio(s.avg_frame_rate as string) ?? ratio(s.r_frame_rate as string);
    if (kind === 'video' && fps) st.fps = fps;
    if (s.sample_rate) st.sampleRate = Number(s.sample_rate);
    if (s.channels) st.channels = Number(s.channels);
    if (s.duration && Number.isFinite(Number(s.duration))) st.durationSeconds = Number(s.duration);
    return st;
  });
  const probe: MediaProbe = { streams, tags };
  if (j.format?.format_name) probe.format = j.format.format_name;
  const d = Number(j.format?.duration);
  if (Number.isFinite(d) && d > 0) probe.duration = d;
  const br = Number(j.format?.bit_rate);
  if (Number.isFinite(br) && br > 0) probe.bitRate = br;
  const created = tags['creation_time'] ?? tags['com.apple.quicktime.creationdate'];
  if (created && !Number.isNaN(Date.parse(created))) probe.createdAt = new Date(created).toISOString();
  const loc = tags['location'] ?? tags['com.apple.quicktime.location.iso6709'];
  if (loc) {
    const gps = parseIso6709(loc);
    if (gps) probe.gps = gps;
  }
  return probe;
}
