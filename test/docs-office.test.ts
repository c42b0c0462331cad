// Office files: DOCX (mammoth), ODT (native), RTF/DOC (LibreOffice when installed), hostile XML.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { makeDocx, makeZip } from './docs-fixtures.ts';
import { extractDocx, extractOdf, extractWithLibreOffice, odfXmlToText } from '../src/extractors/office.ts';
import { resolveLimits } from '../src/extractors/limits.ts';
import { hasTool } from '../src/util/proc.ts';

let dir: string;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'vitrine-docs-office-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });
const ctx = () => ({ tmpDir: dir, limits: resolveLimits() });
async function file(name: string, data: Buffer | string): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, data);
  return p;
}

test('docx: paragraphs come out as text, metadata from docProps/core.xml', async () => {
  const p = await file('a.docx', makeDocx(['Quarterly report for Zanzibar', 'Second paragraph mentions octopus & squid']));
  const r = await extractDocx(p, ctx());
  assert.match(r.text, /Quarterly report for Zanzibar/);
  assert.match(r.text, /octopus & squid/);
});

test('docx with an external entity (XXE) never reads the referenced file', async () => {
  const passwd = await readFile('/etc/passwd', 'utf8');
  const firstLine = passwd.split('\n')[0]!;
  assert.ok(firstLine.length > 5);
  const doctype = '<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd"><!ENTITY local "expanded">]>';
  const body = '<w:p><w:r><w:t>before &xxe; after</w:t></w:r></w:p><w:p><w:r><w:t>visible words</w:t></w:r></w:p>';
  const p = await file('xxe.docx', makeDocx([], { doctype, rawBody: body }));
  let text = '';
  try {
    text = (await extractDocx(p, ctx())).text;
  } catch (e) {
    // refusing the file is fine too; leaking is not
    assert.doesNotMatch(String((e as Error).message), new RegExp(firstLine.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    return;
  }
  assert.ok(!text.includes(firstLine), 'passwd content leaked into the text');
  assert.ok(!text.includes('root:x:0:0'));
});

test('odt: native reader, no DTD processing, entities left undecoded', async () => {
  const content = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><office:document-content><office:body><office:text>'
    + '<text:h>Heading Kilimanjaro</text:h><text:p>Body&#32;text with<text:s text:c="2"/>spaces &amp; &xxe;</text:p>'
    + '<table:table><table:table-row><table:table-cell><text:p>cell1</text:p></table:table-cell><table:table-cell><text:p>cell2</text:p></table:table-cell></table:table-row></table:table>'
    + '</office:text></office:body></office:document-content>';
  const meta = '<office:document-meta><office:meta><dc:title>My ODT</dc:title><meta:initial-creator>Ada Lovelace</meta:initial-creator><meta:creation-date>2023-04-05T06:07:08</meta:creation-date></office:meta></office:document-meta>';
  const p = await file('a.odt', makeZip([{ name: 'mimetype', data: 'application/vnd.oasis.opendocument.text', method: 0 }, { name: 'content.xml', data: content }, { name: 'meta.xml', data: meta }]));
  const r = await extractOdf(p, ctx());
  assert.match(r.text, /Heading Kilimanjaro/);
  assert.match(r.text, /Body text with {2}spaces & &xxe;/);
  assert.match(r.text, /cell1\s+cell2/);
  assert.equal(r.title, 'My ODT');
  assert.equal(r.author, 'Ada Lovelace');
  assert.ok(r.created?.startsWith('2023-04-05'));
  assert.equal(odfXmlToText('<text:p>a&lt;b</text:p>'), 'a<b');
});

test('office zip bomb: an oversized document.xml is refused before any parser holds it', async () => {
  const huge = '<w:p><w:r><w:t>' + randomBytes(2 * 1024 * 1024).toString('base64') + '</w:t></w:r></w:p>';
  const p = await file('bomb.docx', makeDocx([], { rawBody: huge }));
  await assert.rejects(extractDocx(p, { tmpDir: dir, limits: resolveLimits({ maxXmlBytes: 1024 * 1024 }) }),
    (e: any) => e.code === 'E_ARCHIVE_LIMIT' && /word\/document\.xml is larger than/.test(e.message));
  // a repetitive one (zeros-like) trips the ratio limit instead
  const rep = await file('rep.docx', makeDocx([], { rawBody: '<w:p><w:r><w:t>' + 'a'.repeat(5 * 1024 * 1024) + '</w:t></w:r></w:p>' }));
  await assert.rejects(extractDocx(rep, ctx()), (e: any) => e.code === 'E_ARCHIVE_LIMIT' && /possible zip bomb/.test(e.message));
  const notDocx = await file('fake.docx', 'this is not a zip at all');
  await assert.rejects(extractDocx(notDocx, ctx()), (e: any) => e.kind === 'permanent');
});

test('rtf/doc: LibreOffice when installed, a clear skip reason when not', async () => {
  const p = await file('a.rtf', '{\\rtf1\\ansi{\\fonttbl\\f0\\fswiss Helvetica;}\\f0\\pard Hello from RTF marmalade.\\par}');
  if (await hasTool('soffice')) {
    const r = await extractWithLibreOffice(p, ctx());
    assert.match(r.text, /marmalade/);
  } else {
    await assert.rejects(extractWithLibreOffice(p, ctx()),
      (e: any) => e.kind === 'permanent' && /install libreoffice to index \.doc\/\.odt\/\.rtf/.test(e.message));
  }
});
