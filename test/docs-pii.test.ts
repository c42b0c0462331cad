// Personal data detection (offsets, checksums, overlaps, custom patterns, redaction) and entities.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { detectPii, redactPiiText, ibanValid, luhnValid } from '../src/extractors/pii-detect.ts';
import { createPiiAnalyser, piiConfigFromEnv } from '../src/analysers/pii.ts';
import { entitiesAnalyser, extractEntities } from '../src/analysers/entities.ts';

const TEXT = `Mail jane.doe@example.org or call +49 30 901820 or (415) 555-2671 today.
IBAN DE89 3704 0044 0532 0130 00 and GB82WEST12345698765432. Wrong: DE89 3704 0044 0532 0130 01.
Card 4111 1111 1111 1111 and 5500-0000-0000-0004, not 1234 5678 9012 3456. Server 192.168.1.20 and 2001:db8::ff00:42:8329,
version 1.2.3.4.5, time 12:30:45, date 2024-03-05. Case AB-123456. Ünïcödé 😀 prefix then bob@example.com.`;

const spans = (t: string, f: { kind: string; start: number; end: number }[]) => f.map((x) => `${x.kind}:${t.slice(x.start, x.end)}`);

test('detectPii: kinds with UTF-16 offsets, checksums respected, no false friends', () => {
  const f = detectPii(TEXT, [{ kind: 'case', pattern: 'AB-\\d{6}' }], { defaultCountry: 'US' });
  assert.deepEqual(spans(TEXT, f), [
    'email:jane.doe@example.org', 'phone:+49 30 901820', 'phone:(415) 555-2671',
    'iban:DE89 3704 0044 0532 0130 00', 'iban:GB82WEST12345698765432',
    'card:4111 1111 1111 1111', 'card:5500-0000-0000-0004',
    'ip:192.168.1.20', 'ip:2001:db8::ff00:42:8329', 'case:AB-123456', 'email:bob@example.com',
  ]);
  for (const x of f) assert.deepEqual(Object.keys(x).sort(), ['end', 'kind', 'start']); // no copy of the text
  assert.ok(ibanValid('DE89370400440532013000'));
  assert.ok(!ibanValid('DE89370400440532013001'));
  assert.ok(luhnValid('4111111111111111'));
  assert.ok(!luhnValid('4111111111111112'));
});

test('detectPii: default region decides national numbers', () => {
  const t = 'Ruf an: 030 901820';
  assert.deepEqual(spans(t, detectPii(t, [], { defaultCountry: 'DE' })), ['phone:030 901820']);
  assert.deepEqual(detectPii(t, [], { defaultCountry: 'US' }), []);
});

test('detectPii stays fast on hostile and large input', () => {
  const hostile = 'a'.repeat(1_000_000) + ' 1'.repeat(300_000) + '.'.repeat(200_000) + '1:'.repeat(100_000);
  let t0 = Date.now();
  detectPii(hostile);
  assert.ok(Date.now() - t0 < 5000, `hostile took ${Date.now() - t0} ms`);
  const prose = 'The meeting on 2024-03-05 with Mr. Smith cost $1,234.56; call (415) 555-2671 or mail a.b@c.org. '.repeat(20_000);
  t0 = Date.now();
  const f = detectPii(prose);
  assert.equal(f.length, 40_000);
  assert.ok(Date.now() - t0 < 5000, `prose took ${Date.now() - t0} ms`);
});

test('redactPiiText: tokens or same-length masks', () => {
  const t = 'Write to jane@example.org, tel +49 30 901820.';
  const f = detectPii(t, [], { defaultCountry: 'DE' });
  assert.equal(redactPiiText(t, f), 'Write to [email], tel [phone].');
  const masked = redactPiiText(t, f, 'mask');
  assert.equal(masked.length, t.length);
  assert.equal(masked, 'Write to ████████████████, tel █████████████.');
  assert.equal(redactPiiText('abcdef', [{ kind: 'x', start: 1, end: 4 }, { kind: 'y', start: 3, end: 5 }]), 'a[x]f');
});

test('pii analyser: reads document-text (and ocr/transcript when present), counts per kind', async () => {
  const a = createPiiAnalyser({ defaultCountry: 'US', patterns: [{ kind: 'case', pattern: 'AB-\\d{6}' }] });
  assert.deepEqual(a.needs, ['document-text']);
  const ctx = { log: pino({ level: 'silent' }), tmpDir: '/nonexistent', signal: new AbortController().signal };
  const base = { sha256: 'x', type: 'document' as const, mime: 'application/pdf', size: 1, name: 'a.pdf', path: '/nonexistent', options: {} };
  const out = await a.run({ ...base, deps: { 'document-text': { text: TEXT }, ocr: { text: 'ocr says x@y.org' } } }, ctx);
  assert.equal(out.result.counts.email, 3);
  assert.equal(out.result.counts.case, 1);
  const ocrHit = out.result.findings.find((x) => x.source === 'ocr')!;
  assert.deepEqual(ocrHit, { kind: 'email', start: 9, end: 16, source: 'ocr' });
  assert.ok(!JSON.stringify(out.result).includes('jane.doe'));
  await assert.rejects(a.run({ ...base, deps: {} }, ctx), (e: any) => e.code === 'E_NO_TEXT' && e.kind === 'permanent');
  assert.deepEqual(piiConfigFromEnv({ VITRINE_PII_REGION: 'FR', VITRINE_PII_PATTERNS: '[{"kind":"nir","pattern":"\\\\d{13}"}]' }),
    { defaultCountry: 'FR', patterns: [{ kind: 'nir', pattern: '\\d{13}' }] });
  assert.throws(() => piiConfigFromEnv({ VITRINE_PII_PATTERNS: '[{"kind":"bad","pattern":"("}]' }));
});

test('entities: people, places, organisations from English; other languages skipped', async () => {
  const en = 'Barack Obama met Angela Merkel in Paris. Later Barack Obama flew to Berlin with staff from Microsoft and the United Nations. '
    + 'Obama said the talks in Paris went well.';
  const r = await extractEntities(en);
  assert.ok(r.people.some((p) => /Obama/.test(p)), JSON.stringify(r));
  assert.ok(r.people.some((p) => /Merkel/.test(p)), JSON.stringify(r));
  assert.ok(r.places.includes('Paris'), JSON.stringify(r));
  assert.ok(r.organizations.some((o) => /Microsoft|United Nations/.test(o)), JSON.stringify(r));
  const ctx = { log: pino({ level: 'silent' }), tmpDir: '/nonexistent', signal: new AbortController().signal };
  const base = { sha256: 'x', type: 'document' as const, mime: 'text/plain', size: 1, name: 'a.txt', path: '/nonexistent', options: {} };
  const out = await entitiesAnalyser.run({ ...base, deps: { 'document-text': { text: en } } }, ctx);
  assert.ok(out.result.places.includes('Paris'));
  const de = 'Die Bundeskanzlerin traf sich gestern in der Hauptstadt mit den Vertretern der Gewerkschaften, um über die Zukunft der Arbeit zu sprechen.';
  await assert.rejects(entitiesAnalyser.run({ ...base, deps: { 'document-text': { text: de } } }, ctx), (e: any) => e.code === 'E_LANGUAGE');
  await assert.rejects(entitiesAnalyser.run({ ...base, deps: { 'document-text': { text: en }, language: { language: 'fr' } } }, ctx), (e: any) => e.code === 'E_LANGUAGE');
});
