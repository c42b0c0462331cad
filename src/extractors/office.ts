// Office documents. DOCX with mammoth (raw text), ODT/ODS/ODP read natively from content.xml, and
// RTF/DOC/other legacy formats through LibreOffice headless when `soffice` is installed.
// XML is never given a chance to resolve external entities: mammoth's xmldom does not fetch them,
// and our own ODT reader strips markup with plain string scanning (no DTD processing at all).
// Every zip-based file is first streamed through the archive limits (bombs, part sizes) before a
// parser that holds parts in memory sees it. Embedded images are never decoded, so they cannot
// blow up memory (the pixel limit applies to pages we render, see pdf.ts).
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PermanentError } from '../errors.ts';
import { hasTool, run } from '../util/proc.ts';
import { readZipParts } from './archive.ts';
import type { Extracted, ExtractContext } from './types.ts';

/** Decode the five predefined XML entities and numeric references; anything else is left as written. */
export function decodeXmlText(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (m, e: string) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
    }
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[e]!;
  });
}

function xmlField(xml: string | undefined, tag: string): string | undefined {
  if (!xml) return undefined;
  const m = new RegExp(`<${tag}(?:\\s[^>]*)?>([^<]*)</${tag}>`).exec(xml);
  const v = m ? decodeXmlText(m[1]!).trim() : '';
  return v || undefined;
}

function isoDate(s: string | undefined): string | undefined {
  if (!s || Number.isNaN(Date.parse(s))) return undefined;
  return new Date(s).toISOString();
}

function withMeta(out: Extracted, meta: { title?: string; author?: string; created?: string }): Extracted {
  if (meta.title) out.title = meta.title;
  if (meta.author) out.author = meta.author;
  if (meta.created) out.created = meta.created;
  return out;
}

export async function extractDocx(path: string, ctx: ExtractContext): Promise<Extracted> {
  const parts = await readZipParts(path, (n) => n === 'docProps/core.xml' || n === 'word/document.xml', ctx.limits);
  if (!parts.has('word/document.xml')) throw new PermanentError('E_DOC_INVALID', 'skipped: not a Word document (no word/document.xml)');
  let text: string;
  try {
    const mammoth = (await import('mammoth')).default; // loaded only for DOCX
    text = (await mammoth.extractRawText({ path })).value;
  } catch (e) {
    throw new PermanentError('E_DOC_INVALID', `skipped: damaged Word document (${(e as Error).message.slice(0, 200)})`, e);
  }
  const core = parts.get('docProps/core.xml')?.toString('utf8');
  return withMeta({ text: text.replace(/\n{3,}/g, '\n\n').trim() }, {
    title: xmlField(core, 'dc:title'), author: xmlField(core, 'dc:creator'), created: isoDate(xmlField(core, 'dcterms:created')),
  });
}

/** Text of an OpenDocument content.xml: paragraphs/headings/cells become lines, markup is dropped. */
export function odfXmlToText(xml: string): string {
  const body = xml.replace(/<!DOCTYPE[^[>]*(?:\[[\s\S]*?\]\s*)?>/g, '') // never processed, just removed
    .replace(/<office:annotation[\s\S]*?<\/office:annotation>/g, '')
    .replace(/<text:tab\s*\/>/g, '\t')
    .replace(/<text:line-break\s*\/>/g, '\n')
    .replace(/<text:s(?:\s+text:c="(\d+)")?\s*\/>/g, (_m, n?: string) => ' '.repeat(Math.min(Number(n ?? 1), 100)))
    .replace(/<\/(?:text:p|text:h|table:table-row|text:list-item)>/g, '\n')
    .replace(/<\/table:table-cell>/g, '\t')
    .replace(/<[^>]*>/g, '');
  return decodeXmlText(body).replace(/[ \t]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim();
}

export async function extractOdf(path: string, ctx: ExtractContext): Promise<Extracted> {
  const parts = await readZipParts(path, (n) => n === 'content.xml' || n === 'meta.xml', ctx.limits);
  const content = parts.get('content.xml');
  if (!content) throw new PermanentError('E_DOC_INVALID', 'skipped: not an OpenDocument file (no content.xml)');
  const meta = parts.get('meta.xml')?.toString('utf8');
  return withMeta({ text: odfXmlToText(content.toString('utf8')) }, {
    title: xmlField(meta, 'dc:title'), author: xmlField(meta, 'meta:initial-creator') ?? xmlField(meta, 'dc:creator'),
    created: isoDate(xmlField(meta, 'meta:creation-date')),
  });
}

let sofficeAvailable: Promise<boolean> | null = null;

/** RTF, DOC and other formats LibreOffice reads, converted to plain text. Needs `soffice` on PATH. */
export async function extractWithLibreOffice(path: string, ctx: ExtractContext): Promise<Extracted> {
  sofficeAvailable ??= hasTool('soffice');
  if (!(await sofficeAvailable))
    throw new PermanentError('E_TOOL_MISSING', 'skipped: install libreoffice to index .doc/.odt/.rtf files (soffice not found)');
  const out = await mkdtemp(join(ctx.tmpDir, 'soffice-'));
  await run('soffice', [
    `-env:UserInstallation=file://${join(out, 'profile')}`, '--headless', '--norestore', '--nolockcheck',
    '--convert-to', 'txt:Text (encoded):UTF8', '--outdir', out, path,
  ], { timeoutMs: ctx.limits.toolTimeoutMs, memoryBytes: Math.max(ctx.limits.toolMemoryBytes, 2 * 1024 ** 3) });
  const txt = (await readdir(out)).find((f) => f.endsWith('.txt'));
  if (!txt) throw new PermanentError('E_DOC_INVALID', 'skipped: LibreOffice could not read this document');
  return { text: (await readFile(join(out, txt), 'utf8')).replace(/^\uFEFF/, '').trim() };
}
