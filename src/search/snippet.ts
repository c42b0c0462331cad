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
  const out: Highlight[] = [];
  WORD_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = WORD_RE.exec(text)) && out.length < max) {
    const w = m[0].normalize('NFKC').toLowerCase().replace(/'+$/, '');
    if (ws.has(w) || prefixes.some((p) => w.startsWith(p))) out.push({ start: m.index, end: m.index + m[0].replace(/'+$/, '').length });
  }
  return out;
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
