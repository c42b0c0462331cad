// metadata: dimensions (as displayed, EXIF orientation applied), EXIF/XMP/GPS for images; duration,
// streams and codecs for audio/video via ffprobe; for everything the sniffed mime and size.
import { sharp } from '../util/sharp.ts';
import { probeMedia } from '../engines/ffprobe.ts';
import { PermanentError } from '../errors.ts';
import type { Analyser } from './types.ts';

export interface MetadataResult {
  mime: string;
  size: number;
  width?: number;
  height?: number;
  format?: string;
  orientation?: number;
  pages?: number;
  animated?: boolean;
  duration?: number;
  codecs?: string[];
  streams?: unknown[];
  fps?: number;
  createdAt?: string;
  exif?: Record<string, unknown>;
  gps?: { latitude: number; longitude: number; altitude?: number };
}

const MAX_PIXELS = 268_402_689; // sharp's default limit; a pixel flood is refused before decoding

// EXIF fields worth keeping; maker notes and thumbnails are binary noise.
const EXIF_KEEP = ['Make', 'Model', 'LensModel', 'Software', 'DateTimeOriginal', 'CreateDate', 'ModifyDate', 'ExposureTime',
  'FNumber', 'ISO', 'FocalLength', 'Artist', 'Copyright', 'ImageDescription', 'OffsetTimeOriginal', 'Orientation',
  'title', 'description', 'creator', 'rights', 'subject', 'Headline', 'Credit', 'City', 'Country', 'Keywords'];

function plain(v: unknown): unknown {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.toISOString();
  if (v instanceof Uint8Array || Buffer.isBuffer(v)) return undefined;
  if (Array.isArray(v)) return v.map(plain).filter((x) => x !== undefined).slice(0, 50);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const p = plain(x);
      if (p !== undefined) o[k] = p;
    }
    return o;
  }
  if (typeof v === 'string') return v.replace(/\u0000/g, '').slice(0, 2000);
  if (typeof v === 'number' && !Number.isFinite(v)) return undefined;
  return v;
}

async function imageMetadata(path: string, out: MetadataResult): Promise<void> {
  let m: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
  try {
    m = await sharp(path, { limitInputPixels: MAX_PIXELS, failOn: 'none' }).metadata();
  } catch (e) {
    throw new PermanentError('E_IMAGE_UNREADABLE', `the image cannot be decoded: ${(e as Error).message}`);
  }
  if (m.width && m.height && m.width * m.height > MAX_PIXELS)
    throw new PermanentError('E_PIXEL_LIMIT', `the image claims ${m.width}×${m.height} pixels, over the limit of ${MAX_PIXELS}`);
  const swap = (m.orientation ?? 1) >= 5;
  if (m.width) out.width = swap ? m.height! : m.width;
  if (m.height) out.height = swap ? m.width : m.height;
  if (m.format) out.format = m.format;
  if (m.orientation) out.orientation = m.orientation;
  if (m.pages && m.pages > 1) {
    out.pages = m.pages;
    out.animated = true;
  }
  if (m.format === 'svg') return; // no EXIF in SVG; never parse it further here
  try {
    const exifr = (await import('exifr')).default;
    const ex = await exifr.parse(path, { tiff: true, exif: true, gps: true, xmp: true, iptc: true, icc: false, mergeOutput: true, translateValues: true, reviveValues: true });
    if (ex) {
      const exif: Record<string, unknown> = {};
      for (const k of EXIF_KEEP) if (ex[k] !== undefined) exif[k] = plain(ex[k]);
      if (Object.keys(exif).length) out.exif = exif;
      if (typeof ex.latitude === 'number' && typeof ex.longitude === 'number' && Number.isFinite(ex.latitude)) {
        out.gps = { latitude: ex.latitude, longitude: ex.longitude };
        if (typeof ex.GPSAltitude === 'number') out.gps.altitude = ex.GPSAltitude;
      }
      const taken = ex.DateTimeOriginal ?? ex.CreateDate;
      if (taken instanceof Date && !Number.isNaN(taken.getTime())) out.createdAt = taken.toISOString();
    }
  } catch {
    // Broken EXIF never makes the image unreadable: dimensions are still known.
  }
}

async function mediaMetadata(path: string, out: MetadataResult): Promise<void> {
  const p = await probeMedia(path);
  if (p.duration !== undefined) out.duration = p.duration;
  if (p.format) out.format = p.format;
  out.codecs = [...new Set(p.streams.map((s) => s.codec).filter((c): c is string => !!c))];
  out.streams = p.streams;
  const v = p.streams.find((s) => s.kind === 'video');
  if (v?.width) out.width = v.width;
  if (v?.height) out.height = v.height;
  if (v?.fps) out.fps = v.fps;
  if (p.createdAt) out.createdAt = p.createdAt;
  if (p.gps) out.gps = p.gps;
  if (Object.keys(p.tags).length) out.exif = plain(p.tags) as Record<string, unknown>;
}

export const metadata: Analyser<MetadataResult> = {
  id: 'metadata',
  version: 1,
  accepts: () => true,
  async run(input) {
    const out: MetadataResult = { mime: input.mime, size: input.size };
    if (input.type === 'image') await imageMetadata(input.path, out);
    else if (input.type === 'video' || input.type === 'audio') await mediaMetadata(input.path, out);
    return { result: out };
  },
};
