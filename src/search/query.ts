// The user's query language, one parse for every index: words (all must match), "quoted phrases",
// prefix*, -excluded, and OR between alternatives. Compiled to FTS5 MATCH and to a PostgreSQL tsquery.
import { usageError } from '../errors.ts';

export interface Term {
  words: string[]; // more than one: a phrase
  prefix: boolean;
  negate: boolean;
}

/** Disjunction of conjunctions: [[a, b], [c]] = (a AND b) OR c. */
export type ParsedQuery = Term[][];

const WORD_RE = /[\p{L}\p{N}][\p{L}\p{N}\p{M}_']*/gu;

export function tokenize(s: string): string[] {
  return (s.normalize('NFKC').toLowerCase().match(WORD_RE) ?? []).map((w) => w.replace(/'+$/, '')).filter(Boolean);
}

export function parseQuery(input: string): ParsedQuery {
  const groups: ParsedQuery = [[]];
  const re = /(-?)"([^"]*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(input))) {
    if (m[3] === 'OR') {
      if (groups[groups.length - 1]!.length) groups.push([]);
      continue;
    }
    const negate = m[1] === '-' || (m[3]?.startsWith('-') ?? false);
    const raw = m[2] ?? m[3]!.replace(/^-/, '');
    const prefix = m[3] !== undefined && raw.endsWith('*');
    const words = tokenize(raw);
    if (!words.length) continue;
    const cur = groups[groups.length - 1]!;
    if (m[2] !== undefined) cur.push({ words, prefix: false, negate });
    else for (let i = 0; i < words.length; i++) cur.push({ words: [words[i]!], prefix: prefix && i === words.length - 1, negate });
  }
  const out = groups.filter((g) => g.some((t) => !t.negate));
  if (!out.length) throw usageError('the query has no searchable words');
  return out;
}

const q5 = (w: string) => `"${w.replace(/"/g, '""')}"`;

export function toFts5(q: ParsedQuery): string {
  return q.map((group) => {
    const pos = group.filter((t) => !t.negate).map((t) => (t.words.length > 1 ? q5(t.words.join(' ')) : q5(t.words[0]!) + (t.prefix ? '*' : '')));
    const neg = group.filter((t) => t.negate).map((t) => q5(t.words.join(' ')));
    let s = pos.length > 1 ? `(${pos.join(' AND ')})` : pos[0]!;
    for (const n of neg) s = `(${s} NOT ${n})`;
    return s;
  }).join(' OR ');
}

const qpg = (w: string) => `'${w.replace(/'/g, "''").replace(/\\/g, '\\\\')}'`;

export function toTsquery(q: ParsedQuery): string {
  return q.map((group) => {
    const parts = group.map((t) => {
      const core = t.words.length > 1 ? `(${t.words.map(qpg).join(' <-> ')})` : qpg(t.words[0]!) + (t.prefix ? ':*' : '');
      return t.negate ? `!${core}` : core;
    });
    return `(${parts.join(' & ')})`;
  }).join(' | ');
}

/** Every positive word, for highlighting. */
export function queryWords(q: ParsedQuery): { words: string[]; prefixes: string[] } {
  const words = new Set<string>();
  const prefixes = new Set<string>();
  for (const g of q) for (const t of g) if (!t.negate) for (const w of t.words) (t.prefix ? prefixes : words).add(w);
  return { words: [...words], prefixes: [...prefixes] };
}
