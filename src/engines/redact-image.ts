// Irreversible redaction of regions of an image. Each box (displayed pixels) is grown by a margin and
// its pixels are replaced by a coarse mosaic (pixelate) or a mosaic smoothed into a blur (blur): the
// region keeps only ~8 colour samples across, so no detail survives. Pixels outside the boxes are
// copied unchanged; the file is re-encoded in the input's format (losslessly for PNG/TIFF/GIF/lossless
// WebP, so the rest is pixel-identical; JPEG/lossy WebP are re-encoded at quality 95 — a lossy format
// cannot be rewritten without touching other pixels slightly). Metadata (EXIF, GPS, XMP) is dropped.
import { sharp } from '../util/sharp.ts';
import { usageError } from '../errors.ts';
import { decoder, imageError, openImage, DEFAULT_MAX_PIXELS } from './image-prep.ts';

import { iou, type Box } from '../util/boxes.ts';

export { iou, type Box };

export interface RedactOptions {
  /** Grow each box by this fraction of its larger side on every edge (default 0.2). */
  margin?: number;
  mode?: 'blur' | 'pixelate';
  maxPixels?: number;
}

export interface RedactResult {
  format: string;
  width: number;
  height: number;
  /** The regions actually rewritten (after margin and clipping). */
  regions: Box[];
}

/** Samples across the longer side of a region: fewer = less detail left. */
const MOSAIC_CELLS = 8;

function expand(box: Box, margin: number, w: number, h: number): Box | null {
  const m = Math.round(Math.max(box[2], box[3]) * margin);
  const x0 = Math.max(0, Math.floor(box[0] - m));
  const y0 = Math.max(0, Math.floor(box[1] - m));
  const x1 = Math.min(w, Math.ceil(box[0] + box[2] + m));
  const y1 = Math.min(h, Math.ceil(box[1] + box[3] + m));
  return x1 > x0 && y1 > y0 ? [x0, y0, x1 - x0, y1 - y0] : null;
}

async function obscure(region: Buffer, w: number, h: number, ch: number, mode: 'blur' | 'pixelate'): Promise<Buffer> {
  const cell = Math.max(1, Math.ceil(Math.max(w, h) / MOSAIC_CELLS));
  const sw = Math.max(1, Math.round(w / cell));
  const sh = Math.max(1, Math.round(h / cell));
  const raw = { width: w, height: h, channels: ch as 1 | 2 | 3 | 4 };
  // Average down to a handful of samples: this is where the detail is destroyed.
  const small = await sharp(region, { raw }).resize(sw, sh, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();
  let up = sharp(small, { raw: { width: sw, height: sh, channels: ch as 1 | 2 | 3 | 4 } })
    .resize(w, h, { fit: 'fill', kernel: mode === 'pixelate' ? 'nearest' : 'cubic' });
  if (mode === 'blur') up = sharp(await up.raw().toBuffer(), { raw }).blur(Math.max(1, cell / 2));
  return up.raw().toBuffer();
}

const WRITABLE = new Set(['jpeg', 'png', 'webp', 'tiff', 'gif', 'avif']);

export async function redactImage(inPath: string, outPath: string, boxes: Box[], opts: RedactOptions = {}): Promise<RedactResult> {
  const margin = opts.margin ?? 0.2;
  const mode = opts.mode ?? 'blur';
  const src = await openImage(inPath, opts.maxPixels ?? DEFAULT_MAX_PIXELS);
  let img;
  try {
    img = await decoder(src, opts.maxPixels).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw imageError(e);
  }
  const { width: W, height: H, channels: C } = img.info;
  const data = img.data;
  const regions: Box[] = [];
  for (const b of boxes) {
    if (!Array.isArray(b) || b.length !== 4 || !b.every(Number.isFinite)) throw usageError(`not a box [x, y, w, h]: ${JSON.stringify(b)}`);
    const r = expand(b, margin, W, H);
    if (!r) continue;
    regions.push(r);
    const [x, y, w, h] = r;
    const region = Buffer.alloc(w * h * C);
    for (let row = 0; row < h; row++) data.copy(region, row * w * C, ((y + row) * W + x) * C, ((y + row) * W + x + w) * C);
    const done = await obscure(region, w, h, C, mode);
    for (let row = 0; row < h; row++) done.copy(data, ((y + row) * W + x) * C, row * w * C, (row + 1) * w * C);
  }
  const format = WRITABLE.has(src.format) ? src.format : src.format === 'jpg' ? 'jpeg' : 'png';
  let out = sharp(data, { raw: { width: W, height: H, channels: C } });
  if (format === 'jpeg') out = out.jpeg({ quality: 95, chromaSubsampling: '4:4:4' });
  else if (format === 'png') out = out.png();
  else if (format === 'webp') out = out.webp({ lossless: true });
  else if (format === 'tiff') out = out.tiff({ compression: 'lzw' });
  else if (format === 'gif') out = out.gif();
  else if (format === 'avif') out = out.avif({ quality: 80 });
  await out.toFile(outPath);
  return { format, width: W, height: H, regions };
}

export interface RedactionBox { box: Box; start?: number; end?: number }
export interface RedactionSpec { add: RedactionBox[]; remove: Box[] }

function isBox(b: unknown): b is Box {
  return Array.isArray(b) && b.length === 4 && b.every((n) => typeof n === 'number' && Number.isFinite(n)) && b[2] >= 0 && b[3] >= 0;
}

/**
 * Parse a user's boxes file: `[{box, start?, end?}, …]`, optionally with `{remove:[box, …]}` items in the
 * array, or an object `{boxes?:[{box}], remove?:[box]}`. Throws a usage error naming the bad entry.
 */
export function parseRedactionBoxes(json: unknown): RedactionSpec {
  const spec: RedactionSpec = { add: [], remove: [] };
  const items: unknown[] = Array.isArray(json) ? json
    : json && typeof json === 'object' ? [...((json as { boxes?: unknown[] }).boxes ?? []), { remove: (json as { remove?: unknown }).remove ?? [] }]
    : [null];
  for (const [i, it] of items.entries()) {
    if (it && typeof it === 'object' && 'remove' in it) {
      const rm = (it as { remove: unknown }).remove;
      if (!Array.isArray(rm) || !rm.every(isBox)) throw usageError(`boxes file: entry ${i}: "remove" must be a list of [x, y, w, h]`);
      spec.remove.push(...rm);
    } else if (it && typeof it === 'object' && isBox((it as { box?: unknown }).box)) {
      const { box, start, end } = it as RedactionBox;
      if ((start !== undefined && typeof start !== 'number') || (end !== undefined && typeof end !== 'number'))
        throw usageError(`boxes file: entry ${i}: start/end must be seconds`);
      spec.add.push({ box, ...(start !== undefined ? { start } : {}), ...(end !== undefined ? { end } : {}) });
    } else {
      throw usageError(`boxes file: entry ${i} is not {box:[x, y, w, h]} or {remove:[…]}`);
    }
  }
  return spec;
}


/** Detected boxes minus those a removal box overlaps (IoU > 0.5), plus the user's own boxes. */
export function mergeRedactionBoxes<T extends { box: Box }>(detected: T[], spec: RedactionSpec): Array<T | RedactionBox> {
  const kept = detected.filter((d) => !spec.remove.some((r) => iou(d.box, r) > 0.5));
  return [...kept, ...spec.add];
}
