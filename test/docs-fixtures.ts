// Writers for the documents the docs-* tests need, built from scratch so each test knows exactly
// which words are on which page / in which member: a tiny PDF writer, a tiny zip writer, e-mails.
import { deflateRawSync, crc32 } from 'node:zlib';

// ---------- PDF ----------

export interface PdfPage {
  /** Lines of text drawn in Helvetica (ASCII). */
  lines?: string[];
  /** A JPEG drawn over the whole page (a "scanned" page). */
  jpeg?: { data: Buffer; width: number; height: number };
  /** Page size in points (default A4). */
  size?: [number, number];
}

const esc = (s: string) => s.replace(/[\\()]/g, (c) => '\\' + c);

export function makePdf(pages: PdfPage[], info: { title?: string; author?: string; created?: string } = {}): Buffer {
  const objs: Buffer[] = [];
  const add = (b: Buffer | string) => { objs.push(Buffer.isBuffer(b) ? b : Buffer.from(b, 'latin1')); return objs.length; };
  const catalog = add(''); // placeholders, filled below
  const pagesObj = add('');
  const font = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  const kids: number[] = [];
  for (const p of pages) {
    const [w, h] = p.size ?? [595, 842];
    let content = '';
    let xobj = '';
    if (p.jpeg) {
      const head = `<< /Type /XObject /Subtype /Image /Width ${p.jpeg.width} /Height ${p.jpeg.height} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode /Length ${p.jpeg.data.length} >>\nstream\n`;
      const img = add(Buffer.concat([Buffer.from(head, 'latin1'), p.jpeg.data, Buffer.from('\nendstream', 'latin1')]));
      xobj = ` /XObject << /Im1 ${img} 0 R >>`;
      content += `q ${w} 0 0 ${h} 0 0 cm /Im1 Do Q\n`;
    }
    if (p.lines?.length) {
      content += 'BT /F1 14 Tf 16 TL 50 ' + (h - 60) + ' Td\n';
      for (const l of p.lines) content += `(${esc(l)}) Tj T*\n`;
      content += 'ET\n';
    }
    const stream = add(`<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}endstream`);
    kids.push(add(`<< /Type /Page /Parent ${pagesObj} 0 R /MediaBox [0 0 ${w} ${h}] /Contents ${stream} 0 R /Resources << /Font << /F1 ${font} 0 R >>${xobj} >> >>`));
  }
  objs[catalog - 1] = Buffer.from(`<< /Type /Catalog /Pages ${pagesObj} 0 R >>`, 'latin1');
  objs[pagesObj - 1] = Buffer.from(`<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${kids.length} >>`, 'latin1');
  let infoRef = '';
  if (info.title || info.author || info.created) {
    const parts: string[] = [];
    if (info.title) parts.push(`/Title (${esc(info.title)})`);
    if (info.author) parts.push(`/Author (${esc(info.author)})`);
    if (info.created) parts.push(`/CreationDate (${info.created})`);
    infoRef = ` /Info ${add(`<< ${parts.join(' ')} >>`)} 0 R`;
  }
  const chunks: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let off = chunks[0]!.length;
  const offsets: number[] = [];
  objs.forEach((o, i) => {
    offsets.push(off);
    const b = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`, 'latin1'), o, Buffer.from('\nendobj\n', 'latin1')]);
    chunks.push(b);
    off += b.length;
  });
  let xref = `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) xref += `${String(o).padStart(10, '0')} 00000 n \n`;
  xref += `trailer\n<< /Size ${objs.length + 1} /Root ${catalog} 0 R${infoRef} >>\nstartxref\n${off}\n%%EOF\n`;
  chunks.push(Buffer.from(xref, 'latin1'));
  return Buffer.concat(chunks);
}

// ---------- ZIP ----------

export interface ZipEntry {
  name: string | Buffer;
  data?: Buffer | string;
  /** 0 = stored, 8 = deflate (default). */
  method?: 0 | 8;
  /** Sets the "encrypted" flag (data is not actually encrypted). */
  encrypted?: boolean;
  /** Unix mode (e.g. 0o120777 for a symlink, 0o40755 for a directory). */
  mode?: number;
  /** Lie about the uncompressed size in the headers. */
  declaredSize?: number;
}

export function makeZip(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.isBuffer(e.name) ? e.name : Buffer.from(e.name, 'utf8');
    const raw = Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data ?? '', 'utf8');
    const method = e.method ?? 8;
    const body = method === 8 ? deflateRawSync(raw) : raw;
    const crc = crc32(raw);
    const size = e.declaredSize ?? raw.length;
    const flags = (e.encrypted ? 1 : 0) | 0x800; // bit 11: UTF-8 names
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0); lh.writeUInt16LE(20, 4); lh.writeUInt16LE(flags, 6); lh.writeUInt16LE(method, 8);
    lh.writeUInt32LE(0, 10); lh.writeUInt32LE(crc, 14); lh.writeUInt32LE(body.length, 18); lh.writeUInt32LE(size, 22);
    lh.writeUInt16LE(name.length, 26); lh.writeUInt16LE(0, 28);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0); ch.writeUInt16LE((3 << 8) | 20, 4); ch.writeUInt16LE(20, 6); ch.writeUInt16LE(flags, 8);
    ch.writeUInt16LE(method, 10); ch.writeUInt32LE(0, 12); ch.writeUInt32LE(crc, 16); ch.writeUInt32LE(body.length, 20);
    ch.writeUInt32LE(size, 24); ch.writeUInt16LE(name.length, 28); ch.writeUInt16LE(0, 30); ch.writeUInt16LE(0, 32);
    ch.writeUInt16LE(0, 34); ch.writeUInt16LE(0, 36); ch.writeUInt32LE(((e.mode ?? 0o100644) << 16) >>> 0, 38);
    ch.writeUInt32LE(offset, 42);
    locals.push(lh, name, body);
    centrals.push(ch, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(entries.length, 8); end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

// ---------- DOCX ----------

export function makeDocx(paragraphs: string[], opts: { doctype?: string; rawBody?: string } = {}): Buffer {
  const xmlEsc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const body = opts.rawBody ?? paragraphs.map((p) => `<w:p><w:r><w:t xml:space="preserve">${xmlEsc(p)}</w:t></w:r></w:p>`).join('');
  const doc = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n${opts.doctype ?? ''}<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}</w:body></w:document>`;
  return makeZip([
    { name: '[Content_Types].xml', data: '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>' },
    { name: '_rels/.rels', data: '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>' },
    { name: 'word/document.xml', data: doc },
  ]);
}

// ---------- E-mail ----------

export function makeEml(o: { from: string; to: string; cc?: string; subject: string; date?: string; text?: string; html?: string;
  attachments?: { name: string; type: string; data: Buffer }[] }): string {
  const b = 'BOUNDARY-vitrine-42';
  const head = [`From: ${o.from}`, `To: ${o.to}`, ...(o.cc ? [`Cc: ${o.cc}`] : []), `Subject: ${o.subject}`,
    `Date: ${o.date ?? 'Tue, 05 Mar 2024 10:00:00 +0000'}`, 'MIME-Version: 1.0', `Content-Type: multipart/mixed; boundary="${b}"`, ''];
  const parts: string[] = [];
  if (o.text !== undefined) parts.push(`--${b}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${o.text}\r\n`);
  if (o.html !== undefined) parts.push(`--${b}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${o.html}\r\n`);
  for (const a of o.attachments ?? []) {
    const b64 = a.data.toString('base64').replace(/.{76}/g, '$&\r\n');
    parts.push(`--${b}\r\nContent-Type: ${a.type}; name="${a.name}"\r\nContent-Disposition: attachment; filename="${a.name}"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n`);
  }
  return head.join('\r\n') + '\r\n' + parts.join('') + `--${b}--\r\n`;
}
