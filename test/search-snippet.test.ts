// The ASCII fast path of findMatches must find exactly what the Unicode word regex finds: random ASCII
// texts (letters, digits, _, apostrophes, punctuation, case) against word and prefix queries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findMatches, makeSnippet } from '../src/search/snippet.ts';
import { parseQuery, queryWords, type ParsedQuery } from '../src/search/query.ts';

const WORD_RE = /[\p{L}\p{N}][\p{L}\p{N}\p{M}_']*/gu;

function reference(text: string, q: ParsedQuery, max = 50) {
  const { words, prefixes } = queryWords(q);
  const ws = new Set(words);
  const out: { start: number; end: number }[] = [];
  for (const m of text.matchAll(WORD_RE)) {
    if (out.length >= max) break;
    const w = m[0].normalize('NFKC').toLowerCase().replace(/'+$/, '');
    if (ws.has(w) || prefixes.some((p) => w.startsWith(p))) out.push({ start: m.index, end: m.index + m[0].replace(/'+$/, '').length });
  }
  return out;
}

test('ASCII fast path = Unicode regex on 20,000 random texts', () => {
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const alphabet = "abcAB Z_'  09x-.,\n'";
  const terms = ['ab', 'a', "b'", 'x', 'z_', '09', 'ab*', 'c*', 'b', 'AB'];
  let compared = 0;
  for (let t = 0; t < 20_000; t++) {
    let text = '';
    for (let i = Math.floor(rnd() * 60); i > 0; i--) text += alphabet[Math.floor(rnd() * alphabet.length)];
    let q: ParsedQuery;
    try {
      q = parseQuery(`${terms[Math.floor(rnd() * terms.length)]} ${terms[Math.floor(rnd() * terms.length)]}`);
    } catch {
      continue;
    }
    const max = 1 + Math.floor(rnd() * 5);
    assert.deepEqual(findMatches(text, q, max), reference(text, q, max), JSON.stringify(text));
    compared++;
  }
  assert.ok(compared > 15_000);
});

test('non-ASCII text keeps the Unicode path: accents, ligatures, offsets in UTF-16 units', () => {
  const text = 'Le ﬁchier «Öl» – café Köln, l’été';
  const q = parseQuery('fichier öl köln');
  const hl = findMatches(text, q);
  assert.deepEqual(hl.map((h) => text.slice(h.start, h.end)), ['ﬁchier', 'Öl', 'Köln']);
  assert.equal(makeSnippet(text, hl), 'Le «ﬁchier» ««Öl»» – café «Köln», l’été');
});
