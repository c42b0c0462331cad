// Machine translation with Debian Apertium, for the language pairs installed in /usr/share/apertium/modes.
// Apertium starts a pipeline of ~10 processes (~0.3–0.5 s), so all segments of an asset go through ONE call:
// segments are joined as blank-line-separated paragraphs, which the txt deformatter passes through as
// superblanks, and split again afterwards (checked: the count must match, else one call per segment).
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../util/proc.ts';
import { PermanentError } from '../errors.ts';

export const APERTIUM_MODES_DIR = '/usr/share/apertium/modes';

// ISO 639-3 / Apertium codes → ISO 639-1 for the languages Apertium ships pairs for.
const TO_ISO1: Record<string, string> = {
  eng: 'en', spa: 'es', cat: 'ca', fra: 'fr', fr: 'fr', es: 'es', en: 'en', ca: 'ca', por: 'pt', pt: 'pt', ita: 'it',
  it: 'it', glg: 'gl', gl: 'gl', oci: 'oc', oc: 'oc', arg: 'an', eus: 'eu', eu: 'eu', deu: 'de', nld: 'nl', afr: 'af',
  ron: 'ro', ro: 'ro', epo: 'eo', eo: 'eo', nob: 'nb', nno: 'nn', swe: 'sv', dan: 'da', isl: 'is', bre: 'br',
  cym: 'cy', gle: 'ga', kaz: 'kk', tat: 'tt', rus: 'ru', ukr: 'uk', bel: 'be', hbs: 'sh', slv: 'sl', mlt: 'mt',
  ara: 'ar', heb: 'he', urd: 'ur', hin: 'hi', ind: 'id', msa: 'ms', srd: 'sc', sme: 'se', fin: 'fi', est: 'et',
};

export interface ApertiumPair {
  from: string;
  to: string;
  /** Mode name passed to `apertium`, e.g. "eng-spa". */
  mode: string;
}

/** Installed pairs, ISO 639-1 codes; variants (eng-cat_valencia) are skipped in favour of the plain mode. */
export async function listPairs(dir = APERTIUM_MODES_DIR): Promise<ApertiumPair[]> {
  let files: string[];
  try {
    files = await readdir(dir);
  } catch {
    return [];
  }
  const pairs: ApertiumPair[] = [];
  for (const f of files.sort()) {
    const m = /^([a-z]{2,3})-([a-z]{2,3})\.mode$/.exec(f);
    if (!m) continue;
    const from = TO_ISO1[m[1]!];
    const to = TO_ISO1[m[2]!];
    if (!from || !to || pairs.some((p) => p.from === from && p.to === to)) continue;
    pairs.push({ from, to, mode: `${m[1]}-${m[2]}` });
  }
  return pairs;
}

export async function findPair(from: string, to: string): Promise<ApertiumPair | undefined> {
  return (await listPairs()).find((p) => p.from === from && p.to === to);
}

const clean = (s: string) => s.replace(/\s+/g, ' ').trim();

// The input goes through a file: apertium's script reads /dev/stdin, which cannot be opened when stdin
// is the socket Node gives children. It also exits 0 when a stage fails, so empty output is an error.
async function apertium(mode: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vitrine-apertium-'));
  try {
    const file = join(dir, 'in.txt');
    await writeFile(file, text);
    const out = await run('apertium', ['-u', '-f', 'txt', mode, file], {
      timeoutMs: 60_000 + Math.round(text.length / 10), // ~10 kB/s would already be very slow for apertium
      memoryBytes: 2 * 1024 ** 3,
      env: { LC_ALL: 'C.UTF-8', TMPDIR: dir },
    });
    const res = out.stdout.toString('utf8');
    if (text.trim() && !res.trim()) throw new PermanentError('E_TOOL_FAILED', `apertium ${mode} produced no output: ${out.stderr.trim().slice(0, 300)}`);
    return res;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Translates a list of texts in one apertium call; the output has the same length and order. */
export async function translateTexts(from: string, to: string, texts: string[]): Promise<string[]> {
  const pair = await findPair(from, to);
  if (!pair) {
    const have = (await listPairs()).map((p) => `${p.from}→${p.to}`).join(', ') || 'none';
    throw new PermanentError('E_UNSUPPORTED_PAIR', `no Apertium pair ${from}→${to} is installed (installed: ${have})`);
  }
  const idx: number[] = [];
  const parts: string[] = [];
  texts.forEach((t, i) => {
    const c = clean(t);
    if (c) {
      idx.push(i);
      parts.push(c);
    }
  });
  const result = texts.map(() => '');
  if (!parts.length) return result;
  let translated = (await apertium(pair.mode, parts.join('\n\n') + '\n')).split(/\n[ \t]*\n/).map(clean).filter((_, i, a) => i < parts.length || a[i]);
  if (translated.length !== parts.length) {
    // A paragraph break was lost or invented: fall back to one call per segment (slow but exact).
    translated = [];
    for (const p of parts) translated.push(clean(await apertium(pair.mode, p + '\n')));
  }
  idx.forEach((k, j) => (result[k] = translated[j]!));
  return result;
}

export interface TimedText {
  start: number;
  end: number;
  text: string;
}

/** Translates timed segments, keeping their times. */
export async function translateSegments(from: string, to: string, segments: TimedText[]): Promise<TimedText[]> {
  const out = await translateTexts(from, to, segments.map((s) => s.text));
  return segments.map((s, i) => ({ start: s.start, end: s.end, text: out[i]! }));
}
