// Plain text, Markdown, CSV and HTML, in any common encoding: BOMs first, then UTF-8 validity, then
// chardet's guess decoded with iconv-lite. HTML drops scripts, styles and tags.
import { open } from 'node:fs/promises';
import chardet from 'chardet';
import iconv from 'iconv-lite';
import { PermanentError } from '../errors.ts';

/** Text documents larger than this are indexed up to the limit (the rest is noted, not silently lost). */
export const MAX_TEXT_BYTES = 32 * 1024 * 1024;

export interface DecodedText {
  text: string;
  encoding: string;
  truncated: boolean;
}

export async function readTextFile(path: string, maxBytes = MAX_TEXT_BYTES): Promise<DecodedText> {
  const fh = await open(path, 'r');
  let buf: Buffer;
  let truncated = false;
  try {
    const st = await fh.stat();
    const n = Math.min(st.size, maxBytes);
    truncated = st.size > maxBytes;
    buf = Buffer.alloc(n);
    await fh.read(buf, 0, n, 0);
  } finally {
    await fh.close();
  }
  return { ...decodeText(buf), truncated };
}

export function decodeText(buf: Buffer): { text: string; encoding: string } {
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return { text: buf.subarray(3).toString('utf8'), encoding: 'UTF-8' };
  if (buf[0] === 0xff && buf[1] === 0xfe) return { text: iconv.decode(buf.subarray(2), 'utf16le'), encoding: 'UTF-16LE' };
  if (buf[0] === 0xfe && buf[1] === 0xff) return { text: iconv.decode(buf.subarray(2), 'utf16be'), encoding: 'UTF-16BE' };
  if (isUtf8(buf)) return { text: buf.toString('utf8'), encoding: 'UTF-8' };
  const guess = chardet.detect(buf.subarray(0, 64 * 1024)) ?? 'windows-1252';
  const enc = iconv.encodingExists(guess) ? guess : 'windows-1252';
  return { text: iconv.decode(buf, enc), encoding: enc };
}

function isUtf8(buf: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf);
    return true;
  } catch {
    // A multi-byte sequence cut by a truncation at the very end is still UTF-8.
    if (buf.length > 4) {
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, buf.length - 3));
        return true;
      } catch {
        return false;
      }
    }
    return false;
  }
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

export function htmlToText(html: string): { text: string; title?: string } {
  const titleMatch = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html);
  const text = html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(script|style|noscript|template|svg|head)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<(br|p|div|li|tr|h[1-6]|section|article|header|footer|blockquote|pre|table)\b[^>]*>/gi, '\n')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
      if (e[0] === '#') {
        const cp = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return Number.isFinite(cp) && cp > 0 && cp < 0x110000 ? String.fromCodePoint(cp) : ' ';
      }
      return ENTITIES[e.toLowerCase()] ?? m;
    })
    .replace(/[ \t\f\v\u00a0]+/g, ' ')
    .replace(/ *\n[\n ]*/g, '\n')
    .trim();
  const out: { text: string; title?: string } = { text };
  if (titleMatch) out.title = htmlToText(titleMatch[1]!).text;
  return out;
}

export async function extractPlain(path: string): Promise<{ text: string; encoding: string; truncated: boolean }> {
  const d = await readTextFile(path);
  if (d.text.includes('\u0000')) throw new PermanentError('E_NOT_TEXT', 'the file contains binary data, not text');
  return d;
}

export async function extractHtml(path: string): Promise<{ text: string; title?: string; encoding: string; truncated: boolean }> {
  const d = await readTextFile(path);
  // A charset declared in the markup wins over the guess when the bytes were not UTF-8.
  const declared = /<meta[^>]+charset=["']?([\w-]+)/i.exec(d.text.slice(0, 4096))?.[1];
  let text = d.text;
  let encoding = d.encoding;
  if (declared && d.encoding !== 'UTF-8' && iconv.encodingExists(declared) && declared.toLowerCase() !== d.encoding.toLowerCase()) {
    const raw = iconv.encode(d.text, d.encoding);
    text = iconv.decode(raw, declared);
    encoding = declared;
  }
  return { ...htmlToText(text), encoding, truncated: d.truncated };
}
