// `entities`: people, places and organisations named in English text (compromise). Other languages are
// skipped rather than guessed at. Unique names, most frequent first, capped.
import type { Analyser } from './types.ts';
import { PermanentError } from '../errors.ts';

export interface EntitiesResult {
  people: string[];
  places: string[];
  organizations: string[];
}

const MAX_PER_KIND = 100;
/** compromise runs at a few hundred KB/s; beyond this the rest of a huge text is not read. */
const MAX_CHARS = 2_000_000;
const CHUNK = 50_000;

function tally(map: Map<string, { name: string; n: number }>, names: string[]): void {
  for (const raw of names) {
    const name = raw.replace(/[\s\u00a0]+/g, ' ').replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}.]+$/gu, '').replace(/'s$/i, '').trim();
    if (name.length < 2 || name.length > 100) continue;
    const key = name.toLowerCase();
    const e = map.get(key);
    if (e) e.n++;
    else map.set(key, { name, n: 1 });
  }
}

const top = (m: Map<string, { name: string; n: number }>) =>
  [...m.values()].sort((a, b) => b.n - a.n || a.name.localeCompare(b.name)).slice(0, MAX_PER_KIND).map((e) => e.name);

// compromise and eld take ~2 s to load: only when an English document is actually analysed.
type Nlp = typeof import('compromise').default;
let nlpP: Promise<Nlp> | null = null;
const loadNlp = () => (nlpP ??= import('compromise').then((m) => m.default));

export async function extractEntities(text: string): Promise<EntitiesResult> {
  const nlp = await loadNlp();
  const people = new Map<string, { name: string; n: number }>();
  const places = new Map<string, { name: string; n: number }>();
  const orgs = new Map<string, { name: string; n: number }>();
  const body = text.slice(0, MAX_CHARS);
  for (let i = 0; i < body.length;) {
    // cut chunks at a paragraph or sentence end so names are not split
    let end = Math.min(body.length, i + CHUNK);
    if (end < body.length) {
      const cut = Math.max(body.lastIndexOf('\n', end), body.lastIndexOf('. ', end));
      if (cut > i + CHUNK / 2) end = cut + 1;
    }
    const doc = nlp(body.slice(i, end));
    tally(people, doc.people().out('array') as string[]);
    tally(places, doc.places().out('array') as string[]);
    tally(orgs, doc.organizations().out('array') as string[]);
    i = end;
  }
  return { people: top(people), places: top(places), organizations: top(orgs) };
}

export function createEntitiesAnalyser(): Analyser<EntitiesResult> {
  return {
    id: 'entities',
    version: 1,
    needs: ['document-text'],
    accepts: (t) => t.type === 'document' || t.type === 'email',
    async run(input) {
      const text = (input.deps['document-text'] as { text?: string } | undefined)?.text ?? '';
      if (!text.trim()) throw new PermanentError('E_NO_TEXT', 'skipped: no text');
      // the language analyser's answer when it ran, else a quick guess of our own
      let lang = (input.deps['language'] as { language?: string } | undefined)?.language;
      if (!lang) lang = (await import('eld/small')).eld.detect(text.slice(0, 20_000)).language || undefined;
      if (lang && lang !== 'en') throw new PermanentError('E_LANGUAGE', `skipped: entities are extracted from English text only (text is ${lang})`);
      return { result: await extractEntities(text) };
    },
  };
}

export const entitiesAnalyser = createEntitiesAnalyser();
