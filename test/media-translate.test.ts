import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { listPairs, translateSegments, translateTexts } from '../src/engines/apertium.ts';
import { translation } from '../src/analysers/translation.ts';

const ctx = { log: pino({ level: 'silent' }), tmpDir: '/nonexistent', signal: new AbortController().signal };
const input = (deps: Record<string, unknown>, translateTo?: string) => ({
  sha256: 'x', type: 'video' as const, mime: 'video/mp4', size: 1, name: 'x', path: '/nonexistent', deps, options: translateTo ? { translateTo } : {},
});

test('installed pairs are listed with ISO 639-1 codes', async () => {
  const pairs = await listPairs();
  assert.ok(pairs.some((p) => p.from === 'en' && p.to === 'es' && p.mode === 'eng-spa'));
  assert.ok(pairs.some((p) => p.from === 'es' && p.to === 'en'));
  assert.ok(pairs.some((p) => p.from === 'fr' && p.to === 'es'));
});

test('segments are translated in one call, keeping times, order and empty segments', async () => {
  const segs = [
    { start: 0, end: 2, text: 'The city council will meet on Monday.' },
    { start: 2, end: 3, text: '  ' },
    { start: 3, end: 6.5, text: 'Police said\n\nthe road will be closed.' },
    { start: 7, end: 8, text: 'The cat is black.' },
  ];
  const t = Date.now();
  const out = await translateSegments('en', 'es', segs);
  const ms = Date.now() - t;
  assert.deepEqual(out.map((s) => [s.start, s.end]), segs.map((s) => [s.start, s.end]));
  assert.match(out[0]!.text, /ayuntamiento/i);
  assert.match(out[0]!.text, /lunes/i);
  assert.equal(out[1]!.text, '');
  assert.match(out[2]!.text, /polic[ií]a.*carretera/i);
  assert.equal(out[3]!.text, 'El gato es negro.');
  assert.ok(ms < 3000, `one apertium call (${ms} ms)`);
  assert.deepEqual(await translateTexts('es', 'en', ['El perro es grande.']), ['The dog is big.']);
});

test('translation analyser: transcript es→en by default, target from options', async () => {
  const deps = { language: { language: 'es', confidence: 0.9 }, transcript: { language: 'und', text: 'x', segments: [{ start: 1, end: 2, text: 'El perro es grande.' }] } };
  const out = await translation.run(input(deps), ctx);
  assert.deepEqual(out.result, { from: 'es', to: 'en', text: 'The dog is big.', segments: [{ start: 1, end: 2, text: 'The dog is big.' }] });
  assert.deepEqual(out.text, [{ text: 'The dog is big.', start: 1, end: 2 }]);
  const doc = await translation.run(input({ language: { language: 'en', confidence: 1 }, 'document-text': { text: 'The cat is black.\n\nGood morning.' } }, 'es'), ctx);
  assert.equal(doc.result.text, 'El gato es negro.\n\nBuenos días.');
});

test('unsupported pair and same language are permanent (skipped) with the reason', async () => {
  await assert.rejects(translation.run(input({ language: { language: 'de', confidence: 1 }, 'document-text': { text: 'Der Hund ist groß.' } }), ctx),
    (e: { code?: string; kind?: string; message: string }) => e.code === 'E_UNSUPPORTED_PAIR' && e.kind === 'permanent' && /de→en/.test(e.message));
  await assert.rejects(translation.run(input({ transcript: { language: 'en', segments: [{ start: 0, end: 1, text: 'Hello' }] } }), ctx),
    (e: { code?: string }) => e.code === 'E_SAME_LANGUAGE');
  await assert.rejects(translation.run(input({}), ctx), (e: { code?: string }) => e.code === 'E_NO_TEXT');
});
