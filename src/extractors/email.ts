// E-mail: .eml (RFC 822 / MIME) parsed with mailparser — header fields and body text for search, attachments
// for the container analyser — and mbox files split into one .eml per message, streaming.
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddressObject, ParsedMail } from 'mailparser';
import { PermanentError } from '../errors.ts';
import type { SafetyLimits } from './limits.ts';
import type { Extracted, ExtractContext } from './types.ts';
import { cleanMemberName } from './archive.ts';
import { htmlToText } from './text.ts';

function addresses(a: AddressObject | AddressObject[] | undefined): string | undefined {
  if (!a) return undefined;
  const list = Array.isArray(a) ? a : [a];
  const s = list.flatMap((x) => x.value).map((v) => (v.name ? `${v.name} <${v.address ?? ''}>` : v.address ?? '')).filter(Boolean).join(', ');
  return s || undefined;
}

async function parse(path: string): Promise<ParsedMail> {
  try {
    const { simpleParser } = await import('mailparser'); // 0.4 s to load: only for e-mail
    return await simpleParser(createReadStream(path), { skipImageLinks: true, skipTextToHtml: true, maxHtmlLengthToParse: 50 * 1024 * 1024 });
  } catch (e) {
    throw new PermanentError('E_EMAIL_INVALID', `skipped: not a readable e-mail (${(e as Error).message.slice(0, 200)})`, e);
  }
}

export function emailFields(mail: ParsedMail): Record<string, string> {
  const f: Record<string, string> = {};
  const from = addresses(mail.from);
  const to = addresses(mail.to);
  const cc = addresses(mail.cc);
  if (from) f.from = from;
  if (to) f.to = to;
  if (cc) f.cc = cc;
  if (mail.date && !Number.isNaN(mail.date.getTime())) f.date = mail.date.toISOString();
  if (mail.subject) f.subject = mail.subject;
  if (mail.messageId) f.messageId = mail.messageId;
  return f;
}

/** Extractor for message/rfc822: header block + body (HTML bodies turned into text by mailparser). */
export async function extractEmail(path: string, _ctx: ExtractContext): Promise<Extracted> {
  const mail = await parse(path);
  const fields = emailFields(mail);
  const head = (['from', 'to', 'cc', 'date', 'subject'] as const)
    .filter((k) => fields[k])
    .map((k) => `${k[0]!.toUpperCase()}${k.slice(1)}: ${fields[k]}`);
  const names = mail.attachments.map((a) => a.filename).filter(Boolean);
  if (names.length) head.push(`Attachments: ${names.join(', ')}`);
  // mailparser fills `text` from a text/plain part; an HTML-only message gets the shared HTML→text (no scripts/styles).
  const body = (mail.text?.trim() || (typeof mail.html === 'string' ? htmlToText(mail.html).text : '')).trim();
  const out: Extracted = { text: head.join('\n') + (body ? '\n\n' + body : ''), fields };
  if (mail.subject) out.title = mail.subject;
  if (fields.from) out.author = fields.from;
  if (fields.date) out.created = fields.date;
  return out;
}

export interface EmailChild { name: string; tmpPath: string; size: number }

/** Attachments of one message written as numbered files in a new folder under tmpDir. */
export async function emailAttachments(path: string, opts: { tmpDir: string; limits: SafetyLimits }):
    Promise<{ children: EmailChild[]; skipped: { name: string; reason: string }[] }> {
  const mail = await parse(path);
  const dir = await mkdtemp(join(opts.tmpDir, 'mail-'));
  const children: EmailChild[] = [];
  const skipped: { name: string; reason: string }[] = [];
  let n = 0;
  for (const a of mail.attachments) {
    const name = cleanMemberName(a.filename ?? `attachment-${n + 1}${a.contentType === 'message/rfc822' ? '.eml' : ''}`);
    if (children.length + skipped.length >= opts.limits.maxEntries) { skipped.push({ name, reason: `more than ${opts.limits.maxEntries} attachments (limit)` }); continue; }
    if (!a.content?.length) { skipped.push({ name, reason: 'empty' }); continue; }
    if (a.content.length > opts.limits.maxEntryBytes) { skipped.push({ name, reason: 'larger than the member size limit' }); continue; }
    const ext = /\.([A-Za-z0-9]{1,8})$/.exec(name)?.[1]?.toLowerCase();
    const tmpPath = join(dir, String(++n).padStart(6, '0') + (ext ? '.' + ext : ''));
    await writeFile(tmpPath, a.content, { flag: 'wx', mode: 0o600 });
    children.push({ name, tmpPath, size: a.content.length });
  }
  return { children, skipped };
}

/** True when the file starts like an mbox ("From " separator line). */
export async function looksLikeMbox(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(5);
    const { bytesRead } = await fh.read(b, 0, 5, 0);
    return bytesRead === 5 && b.toString('latin1') === 'From ';
  } finally {
    await fh.close();
  }
}

/**
 * Split an mbox into one file per message ("From " separator lines removed), streaming so a large
 * mailbox never sits in memory. Message names are "message-N.eml" (or the subject is read later).
 */
export async function splitMbox(path: string, opts: { tmpDir: string; limits: SafetyLimits }): Promise<EmailChild[]> {
  const dir = await mkdtemp(join(opts.tmpDir, 'mbox-'));
  const children: EmailChild[] = [];
  let out: WriteStream | null = null;
  let size = 0;
  let skippingSeparator = false;
  let atLineStart = true;
  const finish = async () => {
    if (!out) return;
    const o = out;
    out = null;
    await new Promise<void>((res, rej) => o.end((e?: Error | null) => (e ? rej(e) : res())));
    children[children.length - 1]!.size = size;
  };
  const write = async (b: Buffer) => {
    if (!b.length || !out) return;
    size += b.length;
    if (!out.write(b)) await new Promise<void>((r) => out!.once('drain', () => r()));
  };
  const start = async () => {
    await finish();
    if (children.length >= opts.limits.maxEntries)
      throw new PermanentError('E_ARCHIVE_LIMIT', `skipped: mailbox has more than ${opts.limits.maxEntries} messages (limit)`);
    const tmpPath = join(dir, String(children.length + 1).padStart(6, '0') + '.eml');
    out = createWriteStream(tmpPath, { flags: 'wx', mode: 0o600 });
    size = 0;
    children.push({ name: `message-${children.length + 1}.eml`, tmpPath, size: 0 });
  };
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    let buf: Buffer = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    carry = Buffer.alloc(0);
    let i = 0;
    while (i < buf.length) {
      if (skippingSeparator) {
        const nl = buf.indexOf(0x0a, i);
        if (nl < 0) { i = buf.length; break; }
        i = nl + 1;
        skippingSeparator = false;
        atLineStart = true;
        continue;
      }
      if (atLineStart) {
        if (buf.length - i < 5) { carry = buf.subarray(i); i = buf.length; break; }
        if (buf.toString('latin1', i, i + 5) === 'From ') { await start(); skippingSeparator = true; continue; }
      }
      const nl = buf.indexOf(0x0a, i);
      const end = nl < 0 ? buf.length : nl + 1;
      await write(buf.subarray(i, end));
      atLineStart = nl >= 0;
      i = end;
    }
    buf = Buffer.alloc(0);
  }
  if (carry.length) await write(carry);
  await finish();
  return children.filter((c) => c.size > 0);
}
