// Tesseract (Debian tesseract-ocr + language packs) for the languages PaddleOCR's bundled
// Chinese+English models do not cover. The image is decoded by image-prep (oriented, first frame,
// size-normalised) and handed over as PNG on stdin; TSV output gives words with boxes.
import { run } from '../util/proc.ts';
import { PermanentError } from '../errors.ts';
import { preparePng, toDisplayBox } from './image-prep.ts';
import type { Box, OcrLine } from './ocr-paddle.ts';

// Tesseract reads best with x-height ≥ ~20 px: upscale small images, cap big ones.
export const TESSERACT_MIN_LONG_SIDE = 1600;
export const TESSERACT_MAX_SIDE = 4000;
/** Words below this confidence (0–100) are dropped: mostly noise from photos and textures. */
export const TESSERACT_MIN_WORD_CONF = 30;

let langsCache: Promise<Set<string>> | null = null;

/** Language packs installed (`tesseract --list-langs`), cached per process. */
export function tesseractLanguages(): Promise<Set<string>> {
  langsCache ??= run('tesseract', ['--list-langs'], { timeoutMs: 15_000, memoryBytes: 512 * 1024 ** 2 })
    .then((r) => new Set((r.stdout.toString('utf8') + '\n').split('\n').slice(1).map((s) => s.trim()).filter(Boolean)))
    .catch((e) => {
      langsCache = null;
      throw e;
    });
  return langsCache;
}

export interface TesseractOptions {
  langs: string[];
  maxPixels?: number;
  timeoutMs?: number;
}

/** Parse `tesseract … tsv` into lines (words grouped by block/paragraph/line), boxes in TSV pixels. */
export function parseTesseractTsv(tsv: string): Array<{ text: string; box: Box; score: number }> {
  const lines = new Map<string, { words: string[]; confs: number[]; x0: number; y0: number; x1: number; y1: number }>();
  for (const row of tsv.split('\n').slice(1)) {
    const c = row.split('\t');
    if (c.length < 12 || c[0] !== '5') continue;
    const conf = Number(c[10]);
    const text = (c[11] ?? '').trim();
    if (!text || !(conf >= TESSERACT_MIN_WORD_CONF)) continue;
    const [left, top, width, height] = [Number(c[6]), Number(c[7]), Number(c[8]), Number(c[9])];
    const key = `${c[1]}.${c[2]}.${c[3]}.${c[4]}`;
    let l = lines.get(key);
    if (!l) lines.set(key, (l = { words: [], confs: [], x0: left, y0: top, x1: left + width, y1: top + height }));
    l.words.push(text);
    l.confs.push(conf);
    l.x0 = Math.min(l.x0, left);
    l.y0 = Math.min(l.y0, top);
    l.x1 = Math.max(l.x1, left + width);
    l.y1 = Math.max(l.y1, top + height);
  }
  return [...lines.values()].map((l) => ({
    text: l.words.join(' '),
    box: [l.x0, l.y0, l.x1 - l.x0, l.y1 - l.y0] as Box,
    score: Math.round((l.confs.reduce((a, b) => a + b, 0) / l.confs.length) * 10) / 1000,
  }));
}

export async function tesseractOcrFile(path: string, opts: TesseractOptions): Promise<OcrLine[]> {
  const installed = await tesseractLanguages();
  const missing = opts.langs.filter((l) => !installed.has(l));
  if (missing.length)
    throw new PermanentError('E_OCR_LANG',
      `OCR language(s) not installed: ${missing.join(', ')} (installed: ${[...installed].filter((l) => l !== 'osd').join(', ')})`);
  const { png, image } = await preparePng(path, {
    maxPixels: opts.maxPixels, channels: 3, minLongSide: TESSERACT_MIN_LONG_SIDE, maxUpscale: 3, maxSide: TESSERACT_MAX_SIDE,
  });
  const r = await run('tesseract', ['stdin', 'stdout', '-l', opts.langs.join('+'), '--psm', '3', 'tsv'], {
    input: png,
    timeoutMs: opts.timeoutMs ?? 180_000,
    memoryBytes: 2 * 1024 ** 3,
    env: { OMP_THREAD_LIMIT: '1' },
    maxStdoutBytes: 64 * 1024 * 1024,
  });
  return parseTesseractTsv(r.stdout.toString('utf8')).map((l) => ({ ...l, box: toDisplayBox(l.box, image) }));
}
