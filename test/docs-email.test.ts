// E-mail: .eml fields and body (plain and HTML), attachments as container children, mbox splitting.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { makeEml, makePdf, makeZip } from './docs-fixtures.ts';
import { extractEmail, splitMbox } from '../src/extractors/email.ts';
import { resolveLimits } from '../src/extractors/limits.ts';
import { containerAnalyser } from '../src/analysers/container.ts';

let dir: string;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'vitrine-docs-email-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });
async function file(name: string, data: Buffer | string): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, data);
  return p;
}
const log = pino({ level: 'silent' });

test('eml: fields, body text and attachment names are searchable text', async () => {
  const pdf = makePdf([{ lines: ['Invoice number 4711 for turbines'] }]);
  const p = await file('mail.eml', makeEml({
    from: 'Alice Example <alice@example.org>', to: 'bob@example.com', cc: 'Carol <carol@example.net>',
    subject: 'Turbine invoice', text: 'Please find the invoice for the flux capacitor attached.',
    attachments: [{ name: 'invoice.pdf', type: 'application/pdf', data: pdf }, { name: '../../etc/evil.txt', type: 'text/plain', data: Buffer.from('evil') }],
  }));
  const r = await extractEmail(p, { tmpDir: dir, limits: resolveLimits() });
  assert.equal(r.fields!.from, 'Alice Example <alice@example.org>');
  assert.equal(r.fields!.to, 'bob@example.com');
  assert.equal(r.fields!.cc, 'Carol <carol@example.net>');
  assert.equal(r.fields!.subject, 'Turbine invoice');
  assert.equal(r.fields!.date, '2024-03-05T10:00:00.000Z');
  assert.equal(r.title, 'Turbine invoice');
  assert.equal(r.created, '2024-03-05T10:00:00.000Z');
  assert.match(r.text, /flux capacitor/);
  assert.match(r.text, /^From: Alice Example <alice@example.org>$/m);
  assert.match(r.text, /Attachments: invoice\.pdf/);
});

test('eml with an HTML-only body: scripts and styles are not text', async () => {
  const p = await file('html.eml', makeEml({ from: 'a@b.org', to: 'c@d.org', subject: 'html',
    html: '<html><head><style>.x{color:red}</style><script>var secretScript=1</script></head><body><p>Hello <b>heliotrope</b> world</p></body></html>' }));
  const r = await extractEmail(p, { tmpDir: dir, limits: resolveLimits() });
  assert.match(r.text, /Hello heliotrope world/i);
  assert.doesNotMatch(r.text, /secretScript|color:red/);
});

test('container: attachments become children with their names as metadata only', async () => {
  const pdf = makePdf([{ lines: ['Invoice number 4711'] }]);
  const zip = makeZip([{ name: 'inner.txt', data: 'zipped words' }]);
  const p = await file('att.eml', makeEml({ from: 'a@b.org', to: 'c@d.org', subject: 'files', text: 'see attached',
    attachments: [
      { name: 'invoice.pdf', type: 'application/pdf', data: pdf },
      { name: '../../etc/evil.txt', type: 'text/plain', data: Buffer.from('evil') },
      { name: 'bundle.zip', type: 'application/zip', data: zip },
    ] }));
  const t = await mkdtemp(join(dir, 'run-'));
  const target = { sha256: 'x', type: 'email' as const, mime: 'message/rfc822', size: 1, name: 'att.eml' };
  assert.ok(containerAnalyser.accepts(target));
  const out = await containerAnalyser.run({ ...target, path: p, deps: {}, options: {} }, { log, tmpDir: t, signal: new AbortController().signal });
  const res = out.result as any;
  assert.equal(res.format, 'email');
  assert.deepEqual(res.entries, [{ name: 'invoice.pdf', size: pdf.length }, { name: '../../etc/evil.txt', size: 4 }, { name: 'bundle.zip', size: zip.length }]);
  assert.deepEqual(out.children!.map((c) => c.name), ['invoice.pdf', '../../etc/evil.txt', 'bundle.zip']);
  for (const c of out.children!) assert.ok(resolve(c.tmpPath).startsWith(resolve(t) + '/'));
  assert.deepEqual(await readFile(out.children![0]!.tmpPath), pdf);
  assert.equal(await readFile(out.children![1]!.tmpPath, 'utf8'), 'evil');
});

test('mbox: split into one message per "From " line, each a child', async () => {
  const m1 = makeEml({ from: 'one@x.org', to: 'y@x.org', subject: 'First message', text: 'body of the first, about apricots' });
  const m2 = makeEml({ from: 'two@x.org', to: 'y@x.org', subject: 'Second message', text: 'body of the second, about bananas\r\n>From the quoted line' });
  const m3 = makeEml({ from: 'three@x.org', to: 'y@x.org', subject: 'Third', text: 'cherries' });
  const mbox = [m1, m2, m3].map((m) => 'From sender@x.org Tue Mar  5 10:00:00 2024\n' + m.replace(/\r\n/g, '\n') + '\n').join('');
  const p = await file('box.mbox', mbox);
  const msgs = await splitMbox(p, { tmpDir: dir, limits: resolveLimits() });
  assert.equal(msgs.length, 3);
  const second = await extractEmail(msgs[1]!.tmpPath, { tmpDir: dir, limits: resolveLimits() });
  assert.equal(second.fields!.subject, 'Second message');
  assert.match(second.text, /bananas/);
  assert.doesNotMatch(second.text, /apricots|cherries/);
  const t = await mkdtemp(join(dir, 'run-'));
  const out = await containerAnalyser.run({ sha256: 'x', type: 'email', mime: 'application/mbox', size: 1, name: 'box.mbox', path: p, deps: {}, options: {} },
    { log, tmpDir: t, signal: new AbortController().signal });
  assert.equal((out.result as any).format, 'mbox');
  assert.deepEqual(out.children!.map((c) => c.name), ['message-1.eml', 'message-2.eml', 'message-3.eml']);
  await assert.rejects(splitMbox(p, { tmpDir: dir, limits: resolveLimits({ maxEntries: 2 }) }), (e: any) => e.code === 'E_ARCHIVE_LIMIT');
});
