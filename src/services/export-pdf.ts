// A PDF with personal data removed, for `export --redact pii --out FILE.pdf`: every page is rendered to an
// image (pdftoppm), the words that make up personal data (found on the page's words from
// `pdftotext -bbox`) are painted black, and the pages are written into a new PDF that holds only those
// images. Rasterising is what makes it reliable: no text, fonts, metadata, annotations or hidden layers
// of the original survive, so nothing under a black box can be copied out. The cost: the copy has no text
// layer and is larger than the original.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sharp } from '../util/sharp.ts';
import { AppError } from '../errors.ts';
import { run } from '../util/proc.ts';
import { detectPii, type PiiPattern } from '../extractors/pii-detect.ts';

const DPI = 150;
const TOOL_MS = 5 * 60_000;
const TOOL_MEMORY = 1024 ** 3;

interface Word { text: string; x0: number; y0: number; x1: number; y1: number }
interface Page { width: number; height: number; words: Word[] }

const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

/** Pages and word boxes (PDF points, origin top left) from pdftotext -bbox's XHTML. */
export function parseBbox(html: string): Page[] {
  const pages: Page[] = [];
  const re = /<page width="([\d.]+)" height="([\d.]+)">|<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g;
  for (const m of html.matchAll(re)) {
    if (m[1]) pages.push({ width: Number(m[1]), height: Number(m[2]), words: [] });
    else pages.at(-1)?.words.push({ x0: Number(m[3]), y0: Number(m[4]), x1: Number(m[5]), y1: Number(m[6]), text: unescape(m[7]!) });
  }
  return pages;
}

/** The words of a page that overlap a personal-data finding in the page's words joined by spaces. */
export function piiWords(words: Word[], patterns?: PiiPattern[], defaultCountry?: string): { words: Word[]; findings: number } {
  let text = '';
  const starts: number[] = [];
  for (const w of words) {
    if (text) text += ' ';
    starts.push(text.length);
    text += w.text;
  }
  const findings = detectPii(text, patterns ?? [], defaultCountry ? { defaultCountry } : {});
  const hit = words.filter((w, i) => findings.some((f) => f.start < starts[i]! + w.text.length && f.end > starts[i]!));
  return { words: hit, findings: findings.length };
}

export async function redactPdf(input: string, output: string, work: string, opts: { patterns?: PiiPattern[]; defaultCountry?: string } = {}): Promise<{ pages: number; pii: number }> {
  const bbox = join(work, 'bbox.html');
  await run('pdftotext', ['-bbox', '-enc', 'UTF-8', input, bbox], { timeoutMs: TOOL_MS, memoryBytes: TOOL_MEMORY });
  const pages = parseBbox(await readFile(bbox, 'utf8'));
  if (!pages.length) throw new AppError('E_PDF_UNREADABLE', 'the PDF has no pages poppler can read', 'failure');
  await run('pdftoppm', ['-r', String(DPI), '-png', input, join(work, 'page')], { timeoutMs: TOOL_MS, memoryBytes: TOOL_MEMORY });
  const images = (await readdir(work)).filter((f) => /^page-\d+\.png$/.test(f)).sort((a, b) => Number(a.slice(5, -4)) - Number(b.slice(5, -4)));
  if (images.length !== pages.length) throw new AppError('E_PDF_UNREADABLE', `rendered ${images.length} of ${pages.length} pages`, 'failure');
  let pii = 0;
  const jpegs: Array<{ data: Buffer; w: number; h: number; pw: number; ph: number }> = [];
  for (const [i, p] of pages.entries()) {
    const file = join(work, images[i]!);
    const meta = await sharp(file).metadata();
    const W = meta.width!;
    const H = meta.height!;
    const sx = W / p.width;
    const sy = H / p.height;
    const found = piiWords(p.words, opts.patterns, opts.defaultCountry);
    pii += found.findings;
    const pad = 2;
    const rects = found.words.map((w) => {
      const left = Math.max(0, Math.floor(w.x0 * sx) - pad);
      const top = Math.max(0, Math.floor(w.y0 * sy) - pad);
      const width = Math.max(1, Math.min(W - left, Math.ceil((w.x1 - w.x0) * sx) + 2 * pad));
      const height = Math.max(1, Math.min(H - top, Math.ceil((w.y1 - w.y0) * sy) + 2 * pad));
      return { input: { create: { width, height, channels: 3 as const, background: { r: 0, g: 0, b: 0 } } }, left, top };
    });
    const data = await sharp(file).flatten({ background: '#ffffff' }).composite(rects).jpeg({ quality: 85 }).toBuffer();
    jpegs.push({ data, w: W, h: H, pw: p.width, ph: p.height });
  }
  await writeFile(output, imagePdf(jpegs));
  return { pages: pages.length, pii };
}

/** A PDF whose pages are each one JPEG drawn over the whole page. */
function imagePdf(pages: Array<{ data: Buffer; w: number; h: number; pw: number; ph: number }>): Buffer {
  const objs: Buffer[] = [];
  const add = (b: Buffer | string) => objs.push(Buffer.isBuffer(b) ? b : Buffer.from(b, 'latin1'));
  // 1 catalog, 2 pages; then per page: page, content, image.
  const kids = pages.map((_, i) => `${3 + i * 3} 0 R`).join(' ');
  add('<< /Type /Catalog /Pages 2 0 R >>');
  add(`<< /Type /Pages /Kids [${kids}] /Count ${pages.length} >>`);
  pages.forEach((p, i) => {
    const n = 3 + i * 3;
    const draw = `q ${p.pw.toFixed(2)} 0 0 ${p.ph.toFixed(2)} 0 0 cm /Im0 Do Q`;
    add(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${p.pw.toFixed(2)} ${p.ph.toFixed(2)}] /Resources << /XObject << /Im0 ${n + 2} 0 R >> >> /Contents ${n + 1} 0 R >>`);
    add(`<< /Length ${draw.length} >>\nstream\n${draw}\nendstream`);
    add(Buffer.concat([
      Buffer.from(`<< /Type /XObject /Subtype /Image /Width ${p.w} /Height ${p.h} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length ${p.data.length} >>\nstream\n`, 'latin1'),
      p.data, Buffer.from('\nendstream', 'latin1'),
    ]));
  });
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let pos = parts[0]!.length;
  const offsets: number[] = [];
  objs.forEach((o, i) => {
    offsets.push(pos);
    const b = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`, 'latin1'), o, Buffer.from('\nendobj\n', 'latin1')]);
    parts.push(b);
    pos += b.length;
  });
  const xref = [`xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`, ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`)].join('');
  parts.push(Buffer.from(`${xref}trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${pos}\n%%EOF\n`, 'latin1'));
  return Buffer.concat(parts);
}
