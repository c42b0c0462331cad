// ffprobe of one local file. Only the `file` protocol and single-file demuxers are allowed (see ffmpeg.ts),
// so a playlist or concat script inside a hostile file can never make ffmpeg open another file, a URL or a device.
import { run } from '../util/proc.ts';
import { PermanentError } from '../errors.ts';
import { PROTOCOL_ARGS, assertRegularFile } from './ffmpeg.ts';

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
  bitRate?: number;
  language?: string;
  /** Display rotation in degrees (phone videos), from the display matrix or the `rotate` tag. */
  rotation?: number;
  /** True when the stream is a still picture (cover art), not a video track. */
  attachedPic?: boolean;
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

/** Input options every ffmpeg/ffprobe call on untrusted media must carry (protocols and demuxers restricted). */
export const SAFE_INPUT_ARGS: string[] = [...PROTOCOL_ARGS];

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

type RawStream = Record<string, unknown> & {
  tags?: Record<string, string>;
  disposition?: Record<string, number>;
  side_data_list?: Array<Record<string, unknown>>;
};

export async function probeMedia(path: string, timeoutMs = 60_000): Promise<MediaProbe> {
  await assertRegularFile(path);
  let out;
  try {
    out = await run('ffprobe', [
      '-v', 'error', ...PROTOCOL_ARGS, '-print_format', 'json', '-show_format', '-show_streams', 'file:' + path,
    ], { timeoutMs, memoryBytes: 1024 ** 3, maxStdoutBytes: 16 * 1024 * 1024 });
  } catch (e) {
    if ((e as { code?: string }).code === 'E_TOOL_MISSING') throw e;
    throw new PermanentError('E_MEDIA_UNREADABLE', `ffprobe could not read the media: ${(e as Error).message}`, e);
  }
  let j: { format?: { format_name?: string; duration?: string; bit_rate?: string; tags?: Record<string, string> }; streams?: RawStream[] };
  try {
    j = JSON.parse(out.stdout.toString('utf8'));
  } catch (e) {
    throw new PermanentError('E_MEDIA_UNREADABLE', 'ffprobe output was not JSON', e);
  }
  if (!j.format && !(j.streams ?? []).length) throw new PermanentError('E_MEDIA_UNREADABLE', 'no media streams found');
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
    const br = Number(s.bit_rate);
    if (Number.isFinite(br) && br > 0) st.bitRate = br;
    const lang = s.tags?.language;
    if (lang && lang !== 'und') st.language = lang;
    const rot = rotationOf(s);
    if (rot) st.rotation = rot;
    if (s.disposition?.attached_pic) st.attachedPic = true;
    return st;
  });
  const probe: MediaProbe = { streams, tags };
  if (j.format?.format_name) probe.format = j.format.format_name;
  const d = Number(j.format?.duration);
  if (Number.isFinite(d) && d > 0) probe.duration = d;
  const br = Number(j.format?.bit_rate);
  if (Number.isFinite(br) && br > 0) probe.bitRate = br;
  // Phones write the local capture time in com.apple.quicktime.creationdate; creation_time is the muxing
  // time in UTC (sometimes on the streams only).
  const streamCreated = (j.streams ?? []).map((s) => s.tags?.creation_time).find(Boolean);
  const created = tags['com.apple.quicktime.creationdate'] ?? tags['creation_time'] ?? tags['date'] ?? streamCreated;
  if (created && !Number.isNaN(Date.parse(created)) && !created.startsWith('1904-01-01') && !created.startsWith('1970-01-01'))
    probe.createdAt = new Date(created).toISOString();
  const loc = tags['com.apple.quicktime.location.iso6709'] ?? tags['location'] ?? firstTagStarting(tags, 'location-');
  if (loc) {
    const gps = parseIso6709(loc);
    if (gps && Math.abs(gps.latitude) <= 90 && Math.abs(gps.longitude) <= 180) probe.gps = gps;
  }
  return probe;
}

function firstTagStarting(tags: Record<string, string>, prefix: string): string | undefined {
  for (const [k, v] of Object.entries(tags)) if (k.startsWith(prefix)) return v;
  return undefined;
}

function rotationOf(s: RawStream): number | undefined {
  for (const sd of s.side_data_list ?? []) if (typeof sd.rotation === 'number') return Number(sd.rotation);
  const r = Number(s.tags?.rotate);
  return Number.isFinite(r) && r !== 0 ? r : undefined;
}

/** Convenience for analysers: the first real video stream / audio stream. */
export function videoStream(p: MediaProbe): MediaStream | undefined {
  return p.streams.find((s) => s.kind === 'video' && !s.attachedPic);
}
export function audioStream(p: MediaProbe): MediaStream | undefined {
  return p.streams.find((s) => s.kind === 'audio');
}
