// `ocr` analyser: text in images with a box and confidence per line.
// Engine choice: PaddleOCR (PP-OCRv4, Chinese+English) unless the requested languages (tesseract codes
// from the collection or `--ocr-lang`) include one it does not read; then Tesseract with exactly those
// languages. Unset → PaddleOCR only (no Tesseract fallback: it would double the cost on every photo
// without text, and PaddleOCR already reads Latin script).
import type { Analyser, TextEntry } from './types.ts';
import { PermanentError } from '../errors.ts';
import { paddleOcrFile, type OcrLine } from '../engines/ocr-paddle.ts';
import { tesseractOcrFile } from '../engines/ocr-tesseract.ts';

export interface OcrResult {
  text: string;
  /** ISO 639-1, when a single language was requested. */
  language?: string;
  engine: 'paddle' | 'tesseract';
  lines: OcrLine[];
}

export interface OcrOptions {
  ocrLang?: string[];
  maxPixels?: number;
}

// What PaddleOCR's bundled models read (Chinese dictionary includes Latin letters and digits).
const PADDLE_LANGS = new Set(['eng', 'en', 'chi_sim', 'chi_tra', 'zho', 'zh', 'chi']);

const ISO1: Record<string, string> = {
  eng: 'en', deu: 'de', fra: 'fr', spa: 'es', ita: 'it', por: 'pt', nld: 'nl', rus: 'ru', ara: 'ar',
  chi_sim: 'zh', chi_tra: 'zh', jpn: 'ja', kor: 'ko', pol: 'pl', tur: 'tr', ukr: 'uk', swe: 'sv', dan: 'da',
  nor: 'no', fin: 'fi', ces: 'cs', ell: 'el', heb: 'he', hin: 'hi',
};

export function chooseOcrEngine(langs: string[] | undefined): 'paddle' | 'tesseract' {
  if (!langs || langs.length === 0) return 'paddle';
  return langs.every((l) => PADDLE_LANGS.has(l)) ? 'paddle' : 'tesseract';
}

function normaliseLangs(langs: string[] | undefined): string[] | undefined {
  if (!langs) return undefined;
  const out = langs.flatMap((l) => l.split(/[+,\s]+/)).map((l) => l.trim()).filter(Boolean);
  for (const l of out)
    if (!/^[a-z]{2,3}(_[a-z]{3,4})?$/i.test(l)) throw new PermanentError('E_OCR_LANG', `not an OCR language code: ${l}`);
  return out.length ? out : undefined;
}

/** Raw engine call used by the analyser and by the video helper on frames. */
export async function ocrImageFile(path: string, opts: OcrOptions = {}): Promise<OcrResult> {
  const langs = normaliseLangs(opts.ocrLang);
  const engine = chooseOcrEngine(langs);
  const lines = engine === 'paddle'
    ? await paddleOcrFile(path, { maxPixels: opts.maxPixels })
    : await tesseractOcrFile(path, { langs: langs!, maxPixels: opts.maxPixels });
  const result: OcrResult = { text: lines.map((l) => l.text).join('\n'), engine, lines };
  const single = langs && langs.length === 1 ? ISO1[langs[0]!] : undefined;
  if (single) result.language = single;
  return result;
}

export function ocrTextEntries(r: OcrResult): TextEntry[] {
  return r.lines.map((l) => ({ text: l.text, box: l.box }));
}

export const ocrAnalyser: Analyser<OcrResult> = {
  id: 'ocr',
  version: 1,
  heavy: true,
  accepts: (t) => t.type === 'image',
  async run(input) {
    const result = await ocrImageFile(input.path, { ocrLang: input.options.ocrLang });
    return { result, text: ocrTextEntries(result) };
  },
};

export default ocrAnalyser;
