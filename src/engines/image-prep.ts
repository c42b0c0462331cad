// Decode any image the archive may hold into raw pixels for the vision engines, safely:
// EXIF orientation applied (boxes are in displayed pixels), a pixel limit checked from the header
// before anything is decoded, first frame of animations, CMYK/16-bit converted to 8-bit sRGB,
// SVG rendered from memory only and refused when it references anything outside itself.
import { open } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { sharp } from '../util/sharp.ts';
import type { Metadata, Sharp } from 'sharp';
import { PermanentError } from '../errors.ts';

export const DEFAULT_MAX_PIXELS = 100_000_000;

export interface PrepareOptions {
  /** Refuse images whose header claims more pixels than this (default 100 MP). */
  maxPixels?: number;
  /** Downscale so the longest side is at most this. */
  maxSide?: number;
  /** Upscale (at most `maxUpscale`×) so the longest side is at least this — small text reads better. */
  minLongSide?: number;
  maxUpscale?: number;
  /** Downscale kernel: 'lanczos3' keeps text crisp (OCR); detectors resample again anyway, 'linear' is cheaper. */
  kernel?: 'lanczos3' | 'linear';
  /** 3 = RGB, 4 = RGBA with opaque alpha; transparency is always flattened on white. */
  channels?: 3 | 4;
  /** Pad right/bottom (edge colour) to a multiple of this, so a model that wants it never resizes. */
  padTo?: number;
}

export interface PreparedImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
  /** Size of the original as displayed (EXIF orientation applied). */
  displayWidth: number;
  displayHeight: number;
  /** prepared pixels = displayed pixels × scale (padding excluded). */
  scale: number;
  format: string;
  /** Frames in the file; only the first is used. */
  pages: number;
}

export interface ImageSource {
  /** Path or (for SVG) a sanitised in-memory copy. */
  input: string | Buffer;
  format: string;
  displayWidth: number;
  displayHeight: number;
  pages: number;
  orientation: number;
}

/** Box [x, y, w, h] in prepared pixels → displayed pixels of the original, clipped to the image. */
export function toDisplayBox(box: [number, number, number, number], img: Pick<PreparedImage, 'scale' | 'displayWidth' | 'displayHeight'>): [number, number, number, number] {
  const x0 = Math.max(0, Math.min(img.displayWidth, box[0] / img.scale));
  const y0 = Math.max(0, Math.min(img.displayHeight, box[1] / img.scale));
  const x1 = Math.max(0, Math.min(img.displayWidth, (box[0] + box[2]) / img.scale));
  const y1 = Math.max(0, Math.min(img.displayHeight, (box[1] + box[3]) / img.scale));
  return [Math.round(x0), Math.round(y0), Math.round(x1 - x0), Math.round(y1 - y0)];
}

async function head(path: string, bytes: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function looksLikeSvg(buf: Buffer): boolean {
  const s = buf.subarray(0, 4096).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  return (s.startsWith('<?xml') || s.startsWith('<svg') || s.startsWith('<!--') || s.startsWith('<!DOCTYPE svg')) && /<svg[\s>]/i.test(s);
}

const MAX_SVG_BYTES = 16 * 1024 * 1024;

/**
 * An SVG may only reference itself (`#id`) or inline data (`data:`). Anything else — file://, http(s)://,
 * relative paths, XML entities/DTDs, XInclude — is refused: librsvg would otherwise read local files or the network.
 */
export function checkSvg(text: string): void {
  if (/<!ENTITY|<!DOCTYPE[^>]*\[|<!DOCTYPE[^>]*(SYSTEM|PUBLIC)/i.test(text))
    throw new PermanentError('E_SVG_EXTERNAL_REF', 'SVG declares XML entities or an external DTD; refused (never rendered with external references)');
  if (/xi:include|<include[\s>]/i.test(text))
    throw new PermanentError('E_SVG_EXTERNAL_REF', 'SVG uses XInclude; refused (never rendered with external references)');
  const refs = [
    ...text.matchAll(/\b(?:xlink:)?href\s*=\s*(["'])(.*?)\1/gis),
    ...text.matchAll(/url\(\s*(["']?)([^"')]*)\1\s*\)/gi),
    ...text.matchAll(/@import\s+(["'])(.*?)\1/gi),
  ];
  for (const m of refs) {
    const ref = (m[2] ?? '').trim();
    if (ref.startsWith('#') || /^data:/i.test(ref)) continue;
    throw new PermanentError('E_SVG_EXTERNAL_REF',
      `SVG references an external resource (${ref.slice(0, 80)}); refused (never rendered with external references)`);
  }
}

/** Turn sharp/libvips failures into a permanent, readable reason. */
export function imageError(e: unknown, what = 'image'): PermanentError {
  if (e instanceof PermanentError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (/pixel limit/i.test(msg))
    return new PermanentError('E_PIXEL_LIMIT', `${what} exceeds the pixel limit (${msg})`, e);
  if (/unsupported image format|bad seek|not a known file format|heif: |Unsupported (feature|codec)|no decoder/i.test(msg))
    return new PermanentError('E_IMAGE_UNSUPPORTED', `${what} format is not supported by the image decoder (${msg.split('\n')[0]})`, e);
  if (/premature end|truncated|corrupt|VipsJpeg|pngload|gifload|webpload|tiff|read error|out of order|invalid|bad|libspng|not enough data|error/i.test(msg))
    return new PermanentError('E_IMAGE_CORRUPT', `${what} is corrupt or truncated (${msg.split('\n')[0].slice(0, 200)})`, e);
  return new PermanentError('E_IMAGE_UNREADABLE', `${what} could not be decoded (${msg.split('\n')[0].slice(0, 200)})`, e);
}

/** Read the header only: format, displayed size, frames. Refuses pixel floods before decoding. */
export async function openImage(path: string, maxPixels = DEFAULT_MAX_PIXELS): Promise<ImageSource> {
  let input: string | Buffer = path;
  const start = await head(path, 4096);
  if (start.length === 0) throw new PermanentError('E_IMAGE_CORRUPT', 'image file is empty');
  if (start[0] === 0x1f && start[1] === 0x8b) {
    // svgz: librsvg would inflate it itself; inflate here (bounded) so the reference check sees the text.
    let text: string;
    try {
      const { readFile } = await import('node:fs/promises');
      text = gunzipSync(await readFile(path), { maxOutputLength: MAX_SVG_BYTES }).toString('utf8');
    } catch (e) {
      throw new PermanentError('E_IMAGE_UNSUPPORTED', `gzip data that is not a readable SVG: ${(e as Error).message}`, e);
    }
    if (!looksLikeSvg(Buffer.from(text.slice(0, 4096)))) throw new PermanentError('E_IMAGE_UNSUPPORTED', 'gzip file is not an image');
    checkSvg(text);
    input = Buffer.from(text);
  } else if (looksLikeSvg(start)) {
    const { readFile, stat } = await import('node:fs/promises');
    if ((await stat(path)).size > MAX_SVG_BYTES) throw new PermanentError('E_IMAGE_TOO_LARGE', 'SVG larger than 16 MiB');
    const text = await readFile(path, 'utf8');
    checkSvg(text);
    // Rendered from a buffer: librsvg then has no base URL to resolve anything against.
    input = Buffer.from(text);
  }
  let meta: Metadata;
  try {
    meta = await sharp(input, { limitInputPixels: false, failOn: 'none' }).metadata();
  } catch (e) {
    throw imageError(e);
  }
  if (!meta.width || !meta.height) throw new PermanentError('E_IMAGE_CORRUPT', 'image has no dimensions');
  const pages = meta.pages ?? 1;
  // For multi-page files pageHeight is one frame; metadata.height may be all frames stacked.
  const frameH = meta.pageHeight && pages > 1 ? meta.pageHeight : meta.height;
  if (meta.width * frameH > maxPixels)
    throw new PermanentError('E_PIXEL_LIMIT',
      `image claims ${meta.width}×${frameH} pixels (${Math.round((meta.width * frameH) / 1e6)} MP), over the limit of ${Math.round(maxPixels / 1e6)} MP`);
  const orientation = meta.orientation ?? 1;
  const swap = orientation >= 5 && orientation <= 8;
  return {
    input,
    format: meta.format ?? 'unknown',
    displayWidth: swap ? frameH : meta.width,
    displayHeight: swap ? meta.width : frameH,
    pages,
    orientation,
  };
}

/** A sharp pipeline on the first frame, oriented, 8-bit sRGB, with the pixel limit enforced. */
export function decoder(src: ImageSource, maxPixels = DEFAULT_MAX_PIXELS): Sharp {
  return sharp(src.input, { limitInputPixels: maxPixels, failOn: 'truncated', pages: 1, page: 0, density: 96 })
    .rotate()
    .toColourspace('srgb');
}

export async function prepareImage(path: string, opts: PrepareOptions = {}): Promise<PreparedImage> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const src = await openImage(path, maxPixels);
  return prepareSource(src, opts);
}

export async function prepareSource(src: ImageSource, opts: PrepareOptions = {}): Promise<PreparedImage> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const channels = opts.channels ?? 3;
  const long = Math.max(src.displayWidth, src.displayHeight);
  let scale = 1;
  if (opts.maxSide && long > opts.maxSide) scale = opts.maxSide / long;
  else if (opts.minLongSide && long < opts.minLongSide) scale = Math.min(opts.maxUpscale ?? 3, opts.minLongSide / long);
  const w = Math.max(1, Math.round(src.displayWidth * scale));
  const h = Math.max(1, Math.round(src.displayHeight * scale));
  let p = decoder(src, maxPixels);
  if (w !== src.displayWidth || h !== src.displayHeight)
    p = p.resize(w, h, { fit: 'fill', kernel: scale < 1 ? opts.kernel ?? 'lanczos3' : 'cubic' });
  // Transparent areas become white (text on transparent PNGs stays readable); RGBA gets an opaque alpha.
  p = p.flatten({ background: '#ffffff' });
  if (channels === 4) p = p.ensureAlpha(1);
  if (opts.padTo && opts.padTo > 1) {
    const pw = Math.ceil(w / opts.padTo) * opts.padTo;
    const ph = Math.ceil(h / opts.padTo) * opts.padTo;
    // sharp applies extend after resize, so one pass suffices.
    if (pw !== w || ph !== h) p = p.extend({ right: pw - w, bottom: ph - h, extendWith: 'copy' });
  }
  let out;
  try {
    out = await p.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw imageError(e);
  }
  return {
    data: out.data,
    width: out.info.width,
    height: out.info.height,
    channels: out.info.channels as 3 | 4,
    displayWidth: src.displayWidth,
    displayHeight: src.displayHeight,
    scale: w / src.displayWidth,
    format: src.format,
    pages: src.pages,
  };
}

/** The first frame, oriented and converted, as PNG (for tools that read files, e.g. tesseract via stdin). */
export async function preparePng(path: string, opts: PrepareOptions = {}): Promise<{ png: Buffer; image: Omit<PreparedImage, 'data'> }> {
  const img = await prepareImage(path, opts);
  const png = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } })
    .png({ compressionLevel: 1 })
    .toBuffer();
  const { data: _data, ...image } = img;
  return { png, image };
}
