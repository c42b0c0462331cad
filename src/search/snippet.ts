// Snippets and match offsets computed in JavaScript over the entry text, the same way for every index,
// so offsets are UTF-16 code units as the contract says.
import { queryWords, type ParsedQuery } from './query.ts';

const WORD_RE = /[\p{L}\p{N}][\p{L}\p{N}\p{M}_']*/gu;

export interface Highlight {
  start: number;
  end: number;
}

export function findMatches(text: string, q: ParsedQuery, max = 50): Highlight[] {
  const { words, prefixes } = queryWords(q);
  const ws = new Set(words);
  if (!ws.size && !prefixes.length) return [];
  if (ASCII_RE.test(text)) return asciiMatches(text, ws, prefixes, max);
  const out: Highlight[] = [];
  WORD_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = WORD_RE.exec(text)) && out.length < max) {
    const w = m[0].normalize('NFKC').toLowerCase().replace(/'+$/, '');
    if (ws.has(w) || prefixes.some((p) => w.startsWith(p))) out.push({ start: m.index, end: m.index + m[0].replace(/'+$/, '').length });
  }
  return out;
}

const ASCII_RE = /^[\x00-\x7f]*$/;

/**
 * The same tokens as WORD_RE for ASCII text (most text, and a third of a search's time when done with the
 * Unicode regex): a letter or digit starts a word, which goes on through letters, digits, _ and '.
 */
function asciiMatches(text: string, ws: Set<string>, prefixes: string[], max: number): Highlight[] {
  const out: Highlight[] = [];
  const lower = text.toLowerCase(); // same length as text for ASCII
  const n = lower.length;
  let i = 0;
  while (i < n && out.length < max) {
    if (!isAlnum(lower.charCodeAt(i))) {
      i++;
      continue;
    }
    let e = i + 1;
    for (let c = lower.charCodeAt(e); e < n && (isAlnum(c) || c === 95 || c === 39); c = lower.charCodeAt(++e));
    let end = e;
    while (lower.charCodeAt(end - 1) === 39) end--;
    const w = lower.slice(i, end);
    if (ws.has(w) || prefixes.some((p) => w.startsWith(p))) out.push({ start: i, end });
    i = e;
  }
  return out;
}

function isAlnum(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
}

/** About `width` characters around the first match, matches wrapped in «». */
export function makeSnippet(text: string, hl: Highlight[], width = 160): string {
  const flat = (s: string) => s.replace(/\s+/g, ' ');
  if (!hl.length) return flat(text.slice(0, width)).trim() + (text.length > width ? '…' : '');
  const first = hl[0]!;
  let from = Math.max(0, first.start - Math.floor(width / 3));
  const ws = text.lastIndexOf(' ', from);
  if (from > 0 && ws > from - 20) from = ws + 1;
  const to = Math.min(text.length, from + width);
  let s = '';
  let pos = from;
  for (const h of hl) {
    if (h.start < from || h.end > to) continue;
    s += text.slice(pos, h.start) + '«' + text.slice(h.start, h.end) + '»';
    pos = h.end;
  }
  s += text.slice(pos, to);
  return (from > 0 ? '…' : '') + flat(s).trim() + (to < text.length ? '…' : '');
}
