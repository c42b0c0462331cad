// The type of a file comes from its content (magic bytes, then text heuristics), never from its name:
// a .jpg that is really a zip is an archive. The name only refines text flavours (csv, md).
import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import { fileTypeFromBuffer } from 'file-type';
import type { AssetType } from '../analysers/types.ts';

export interface Sniffed {
  type: AssetType;
  mime: string;
}

const HEAD_BYTES = 8192;

const ARCHIVE_MIMES = new Set(['application/zip', 'application/x-tar', 'application/gzip', 'application/x-7z-compressed', 'application/x-rar-compressed', 'application/x-bzip2', 'application/x-xz']);
const DOCUMENT_MIMES = new Set([
  'application/pdf', 'application/rtf', 'application/msword', 'application/x-cfb',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.oasis.opendocument.text', 'application/epub+zip',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
]);

export function typeOfMime(mime: string): AssetType {
  if (mime === 'image/svg+xml') return 'image';
  if (mime.startsWith('image/')) return 'image';
  if (mime.startsWith('video/') || mime === 'application/mp4') return 'video';
  if (mime.startsWith('audio/')) return 'audio';
  if (mime === 'message/rfc822' || mime === 'application/mbox') return 'email';
  if (ARCHIVE_MIMES.has(mime)) return 'archive';
  if (DOCUMENT_MIMES.has(mime) || mime.startsWith('text/')) return 'document';
  return 'other';
}

const MAGIC: [Buffer, string][] = [
  [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), 'image/png'],
  [Buffer.from([0xff, 0xd8, 0xff]), 'image/jpeg'],
  [Buffer.from('GIF87a'), 'image/gif'],
  [Buffer.from('GIF89a'), 'image/gif'],
  [Buffer.from('%PDF-'), 'application/pdf'],
];

export async function sniffFile(path: string | Buffer, name: string): Promise<Sniffed> {
  const fh = await open(path, 'r');
  let head: Buffer;
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await fh.read(buf, 0, HEAD_BYTES, 0);
    head = buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  return sniffBuffer(head, name);
}

export async function sniffBuffer(head: Buffer, name: string): Promise<Sniffed> {
  const ft = await fileTypeFromBuffer(head).catch(() => undefined);
  if (ft) {
    let mime = ft.mime as string;
    // file-type calls Matroska audio-only and WebM by container; ISO media with video is video/mp4.
    if (mime === 'application/xml' || mime === 'text/xml') {
      const t = head.toString('utf8', 0, Math.min(head.length, 2048)).toLowerCase();
      if (t.includes('<svg')) mime = 'image/svg+xml';
    }
    return { type: typeOfMime(mime), mime };
  }
  // file-type gives up on a damaged file (a PNG whose chunks are garbage); its magic bytes still say what it
  // claims to be, and the analysers then skip it with the decoder's reason instead of calling it "other".
  const magic = MAGIC.find(([sig]) => head.subarray(0, sig.length).equals(sig));
  if (magic) return { type: typeOfMime(magic[1]), mime: magic[1] };
  const textMime = sniffText(head, name);
  if (textMime) return { type: typeOfMime(textMime), mime: textMime };
  return { type: 'other', mime: 'application/octet-stream' };
}

function sniffText(head: Buffer, name: string): string | null {
  if (head.length === 0) return null;
  const sample = head.subarray(0, Math.min(head.length, 4096));
  const utf16 = (sample[0] === 0xff && sample[1] === 0xfe) || (sample[0] === 0xfe && sample[1] === 0xff);
  if (!utf16) {
    let control = 0;
    for (const b of sample) {
      if (b === 0) return null;
      if (b < 9 || (b > 13 && b < 32 && b !== 27)) control++;
    }
    if (control / sample.length > 0.02) return null;
  }
  const text = (utf16 ? sample.toString('utf16le') : sample.toString('latin1')).replace(/^\ufeff/, '');
  const lower = text.trimStart().slice(0, 1024).toLowerCase();
  if (lower.startsWith('<svg') || (lower.startsWith('<?xml') && lower.includes('<svg'))) return 'image/svg+xml';
  if (lower.startsWith('<!doctype html') || lower.startsWith('<html') || /^<(head|body|meta|title)[\s>]/.test(lower)) return 'text/html';
  if (/^from \S+.*\d{4}\s*$/m.test(text.split('\n', 1)[0] ?? '') && /^(from|to|subject|date):/im.test(text)) return 'application/mbox';
  if (isEmailHeader(text)) return 'message/rfc822';
  const ext = extname(name).toLowerCase();
  if (ext === '.md' || ext === '.markdown') return 'text/markdown';
  if (ext === '.csv' || ext === '.tsv') return 'text/csv';
  if (ext === '.html' || ext === '.htm') return 'text/html';
  return 'text/plain';
}

function isEmailHeader(text: string): boolean {
  const headerBlock = text.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const lines = headerBlock.split(/\r?\n/).filter((l) => !/^\s/.test(l));
  if (lines.length < 2) return false;
  const headerish = lines.filter((l) => /^[A-Za-z][A-Za-z0-9-]*:\s?/.test(l)).length;
  const names = new Set(lines.map((l) => l.split(':', 1)[0]!.toLowerCase()));
  const core = ['from', 'to', 'subject', 'date', 'message-id', 'mime-version', 'received'].filter((n) => names.has(n)).length;
  return headerish === lines.length && core >= 2;
}
