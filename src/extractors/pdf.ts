// PDF → text per page with poppler (pdftotext splits pages with \f; -htmlmeta adds title/author/date), page
// sizes from pdfinfo only for OCR, scanned pages rendered with pdftoppm and OCR'd with tesseract, thumbnails of the first pages.
// Every tool runs through run(): no shell, time and memory limits; the file is only ever an argument.
import { open, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../util/proc.ts';
import { AppError, PermanentError } from '../errors.ts';
import { ocrImageFile } from './ocr-page.ts';
import { LIMIT_ENV_VARS } from './limits.ts';
import { joinPages, type Extracted, type ExtractContext } from './types.ts';

/** Pages with fewer non-blank characters than this are candidates for OCR. */
export const MIN_PAGE_CHARS = 20;
const OCR_DPI = 200;

export interface PdfInfo {
  pages: number;
  title?: string;
  author?: string;
  created?: string;
  encrypted: boolean;
}

async function assertPdfHeader(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(1024);
    const { bytesRead } = await fh.read(buf, 0, 1024, 0);
    if (!buf.subarray(0, bytesRead).includes('%PDF-')) throw new PermanentError('E_NOT_PDF', 'skipped: not a PDF (no %PDF- header)');
  } finally {
    await fh.close();
  }
}

function toolError(e: unknown): AppError {
  const msg = e instanceof Error ? e.message : String(e);
  if (/Incorrect password|encrypted/i.test(msg)) return new PermanentError('E_ENCRYPTED', 'skipped: encrypted');
  // A timeout or the memory limit: the file is too heavy for the limits set, say which one.
  if (e instanceof AppError && e.code === 'E_TOOL_LIMIT') {
    const knob = /memory limit/.test(msg) ? LIMIT_ENV_VARS.toolMemoryBytes : /timed out/.test(msg) ? LIMIT_ENV_VARS.toolTimeoutMs : undefined;
    return new PermanentError('E_TOOL_LIMIT', `skipped: ${msg.slice(0, 300)}${knob ? ` (raise ${knob} if this file is trusted)` : ''}`, e);
  }
  if (e instanceof AppError && e.code === 'E_TOOL_FAILED')
    return new PermanentError('E_PDF_INVALID', `skipped: damaged PDF, poppler could not read it (${msg.replace(/^.*?: /, '').slice(0, 200)})`, e);
  return e instanceof AppError ? e : new PermanentError('E_PDF_INVALID', msg, e);
}

export async function pdfInfo(path: string, ctx: ExtractContext): Promise<PdfInfo> {
  let out: string;
  try {
    const r = await run('pdfinfo', ['-isodates', '-enc', 'UTF-8', path], {
      timeoutMs: ctx.limits.toolTimeoutMs, memoryBytes: ctx.limits.toolMemoryBytes, maxStdoutBytes: 4 * 1024 * 1024,
    });
    out = r.stdout.toString('utf8');
  } catch (e) {
    throw toolError(e);
  }
  const field = (k: string) => {
    const m = new RegExp(`^${k}:[ \\t]*(.*)$`, 'm').exec(out);
    return m?.[1]?.trim() || undefined;
  };
  const info: PdfInfo = { pages: Number(field('Pages') ?? 0), encrypted: /^yes/.test(field('Encrypted') ?? '') };
  const title = field('Title');
  const author = field('Author');
  const created = field('CreationDate');
  if (title) info.title = title;
  if (author) info.author = author;
  if (created && !Number.isNaN(Date.parse(created))) info.created = new Date(created).toISOString();
  return info;
}

/** Page sizes in points for pages first..last. */
async function pageSizes(path: string, first: number, last: number, ctx: ExtractContext): Promise<Map<number, [number, number]>> {
  const r = await run('pdfinfo', ['-f', String(first), '-l', String(last), path], {
    timeoutMs: ctx.limits.toolTimeoutMs, memoryBytes: ctx.limits.toolMemoryBytes,
  });
  const sizes = new Map<number, [number, number]>();
  for (const m of r.stdout.toString('utf8').matchAll(/^Page\s+(\d+) size:\s+([\d.]+) x ([\d.]+) pts/gm))
    sizes.set(Number(m[1]), [Number(m[2]), Number(m[3])]);
  return sizes;
}

/** Pages that carry at least one image (so a page with no text is worth OCR'ing). */
async function pagesWithImages(path: string, first: number, last: number, ctx: ExtractContext): Promise<Set<number> | null> {
  try {
    const r = await run('pdfimages', ['-list', '-f', String(first), '-l', String(last), path], {
      timeoutMs: ctx.limits.toolTimeoutMs, memoryBytes: ctx.limits.toolMemoryBytes,
    });
    const set = new Set<number>();
    for (const m of r.stdout.toString('utf8').matchAll(/^\s*(\d+)\s+\d+\s+(?:image|smask|stencil)\b/gm)) set.add(Number(m[1]));
    return set;
  } catch {
    return null; // unknown: OCR every near-empty page
  }
}

/** Largest DPI ≤ 200 whose render stays under the pixel limit (a 5 m poster must not become 1.5 GP). */
export function dpiFor(sizePts: [number, number] | undefined, maxPixels: number): number {
  const [w, h] = sizePts ?? [612, 792];
  const inches = (w / 72) * (h / 72);
  if (inches <= 0) return OCR_DPI;
  return Math.min(OCR_DPI, Math.floor(Math.sqrt(maxPixels / inches)));
}

async function renderPage(path: string, page: number, dpi: number, prefix: string, ctx: ExtractContext): Promise<string> {
  await run('pdftoppm', ['-r', String(dpi), '-gray', '-f', String(page), '-l', String(page), '-singlefile', path, prefix], {
    timeoutMs: ctx.limits.toolTimeoutMs, memoryBytes: ctx.limits.toolMemoryBytes,
  });
  return prefix + '.pgm';
}

/** OCR the given pages; rendering of page n+1 overlaps OCR of page n. */
async function ocrPages(path: string, pages: number[], ctx: ExtractContext): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  if (!pages.length) return out;
  const sizes = await pageSizes(path, Math.min(...pages), Math.max(...pages), ctx).catch(() => new Map<number, [number, number]>());
  const todo = pages.filter((p) => dpiFor(sizes.get(p), ctx.limits.maxPixels) >= 50); // else: too large to render safely
  const render = (i: number) => {
    const p = todo[i]!;
    const pr = renderPage(path, p, dpiFor(sizes.get(p), ctx.limits.maxPixels), join(ctx.tmpDir, `ocr-page-${p}`), ctx);
    pr.catch(() => {});
    return pr;
  };
  let next: Promise<string> | null = todo.length ? render(0) : null;
  for (let i = 0; i < todo.length; i++) {
    const img = await next!;
    next = i + 1 < todo.length ? render(i + 1) : null;
    ctx.signal?.throwIfAborted();
    try {
      out.set(todo[i]!, await ocrImageFile(img, { langs: ctx.ocrLang, timeoutMs: ctx.limits.toolTimeoutMs, memoryBytes: ctx.limits.toolMemoryBytes }));
    } finally {
      await unlink(img).catch(() => {});
    }
  }
  return out;
}

/** PNG thumbnails (longest side 320 px) of the first `count` pages. */
export async function pdfThumbnails(path: string, count: number, ctx: ExtractContext): Promise<{ page: number; path: string; ext: string }[]> {
  if (count <= 0) return [];
  const prefix = join(ctx.tmpDir, 'pdf-thumb');
  await run('pdftoppm', ['-png', '-scale-to', '320', '-f', '1', '-l', String(count), path, prefix], {
    timeoutMs: ctx.limits.toolTimeoutMs, memoryBytes: ctx.limits.toolMemoryBytes,
  });
  const files = (await readdir(ctx.tmpDir)).filter((f) => /^pdf-thumb-\d+\.png$/.test(f));
  return files
    .map((f) => ({ page: Number(/(\d+)\.png$/.exec(f)![1]), path: join(ctx.tmpDir, f), ext: 'png' }))
    .sort((a, b) => a.page - b.page);
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'", '#x27': "'" };
// Most page text has no entity at all; skipping the regex then saves a pass over the whole text.
const unescapeHtml = (s: string) => s.includes('&') ? s.replace(/&(amp|lt|gt|quot|apos|#39|#x27);/g, (_m, e: string) => ENTITIES[e]!) : s;

/** True when `s` has at least `n` non-blank characters; stops at the n-th, so a full page costs a few steps. */
export function hasNonBlank(s: string, n: number): boolean {
  const re = /\S/g;
  for (let i = 0; i < n; i++) if (!re.test(s)) return false;
  return true;
}

/** Text and metadata from `pdftotext -htmlmeta` output. */
export function parseHtmlMeta(html: string): { raw: string; info: Omit<PdfInfo, 'pages' | 'encrypted'> } {
  const head = html.slice(0, Math.max(0, html.indexOf('<pre>')));
  const start = html.indexOf('<pre>\n');
  const end = html.lastIndexOf('</pre>');
  const raw = start >= 0 && end > start ? unescapeHtml(html.slice(start + 6, end)) : '';
  const meta = (name: string) => {
    const m = new RegExp(`<meta name="${name}" content="([^"]*)"`).exec(head);
    return m ? unescapeHtml(m[1]!).trim() || undefined : undefined;
  };
  const info: Omit<PdfInfo, 'pages' | 'encrypted'> = {};
  const title = /<title>([\s\S]*?)<\/title>/.exec(head)?.[1];
  if (title && unescapeHtml(title).trim()) info.title = unescapeHtml(title).trim();
  const author = meta('Author');
  if (author) info.author = author;
  const created = meta('CreationDate');
  if (created && !Number.isNaN(Date.parse(created))) info.created = new Date(created).toISOString();
  return { raw, info };
}

export async function extractPdf(path: string, ctx: ExtractContext): Promise<Extracted> {
  const thumbs = ctx.thumbnails ?? ctx.limits.thumbnailPages;
  // One process for text and metadata: `pdftotext -htmlmeta` wraps the text (pages still split by \f)
  // in HTML whose head carries title, author and creation date. pdfinfo is only needed for OCR.
  // The header check runs while pdftotext does: its three thread-pool round trips cost ~2 ms per file on a
  // loaded 2-core machine when awaited first (measured). poppler is under the same limits whatever the bytes
  // are, and a non-PDF still ends as E_NOT_PDF (never as text) once the tool has exited.
  const header = assertPdfHeader(path);
  const textRun = run('pdftotext', ['-htmlmeta', '-enc', 'UTF-8', path, '-'], {
    timeoutMs: ctx.limits.toolTimeoutMs, memoryBytes: ctx.limits.toolMemoryBytes,
  });
  textRun.catch(() => {}); // awaited below; this only keeps an early failure from counting as unhandled
  try {
    await header;
  } catch (e) {
    await textRun.catch(() => {});
    throw e;
  }
  let html: string;
  try {
    html = (await textRun).stdout.toString('utf8');
  } catch (e) {
    throw toolError(e);
  }
  const { raw, info } = parseHtmlMeta(html);
  const parts = raw.split('\f');
  const count = parts.length > 1 ? parts.length - 1 : (parts[0]?.trim() ? 1 : 0);
  const pages: { page: number; text: string }[] = [];
  // trimEnd() strips exactly what /\s+$/ does, without the regex retrying at every blank run.
  for (let i = 0; i < count; i++) pages.push({ page: i + 1, text: (parts[i] ?? '').trimEnd() });

  const thumbsP = thumbs > 0 && count > 0 ? pdfThumbnails(path, Math.min(thumbs, count), ctx) : Promise.resolve([]);
  thumbsP.catch(() => {});

  const sparse = pages.filter((p) => !hasNonBlank(p.text, MIN_PAGE_CHARS)).map((p) => p.page);
  const ocrDone: number[] = [];
  if (sparse.length) {
    const withImages = await pagesWithImages(path, sparse[0]!, sparse[sparse.length - 1]!, ctx);
    const candidates = sparse.filter((p) => !withImages || withImages.has(p)).slice(0, ctx.limits.maxOcrPages);
    const ocr = await ocrPages(path, candidates, ctx);
    for (const [p, text] of ocr) {
      const t = text.trimEnd();
      if (t.replace(/\s/g, '').length > pages[p - 1]!.text.replace(/\s/g, '').length) {
        pages[p - 1]!.text = t;
        ocrDone.push(p);
      }
    }
  }
  const out: Extracted = { text: joinPages(pages), pages };
  if (info.title) out.title = info.title;
  if (info.author) out.author = info.author;
  if (info.created) out.created = info.created;
  if (ocrDone.length) out.ocrPages = ocrDone;
  const images = await thumbsP.catch(() => []);
  if (images.length) out.images = images;
  return out;
}
