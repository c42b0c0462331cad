// translation: the transcript (keeping segment times) or the document text, translated with Apertium into
// the collection's target language (options.translateTo, default English). Needs `language`; a pair Apertium
// does not ship, or text already in the target language, is skipped with the reason.
import { PermanentError } from '../errors.ts';
import { translateSegments, translateTexts } from '../engines/apertium.ts';
import type { Analyser, TextEntry } from './types.ts';

export interface TranslationResult {
  from: string;
  to: string;
  text: string;
  segments?: Array<{ start: number; end: number; text: string }>;
  /** Set when a very long document was translated only up to MAX_CHARS. */
  truncated?: boolean;
}

const MAX_CHARS = 500_000;

interface TranscriptDep { language?: string; text?: string; segments?: Array<{ start: number; end: number; text: string }> }
interface DocumentDep { text?: string }
interface LanguageDep { language?: string; confidence?: number; source?: string }

export const translation: Analyser<TranslationResult> = {
  id: 'translation',
  version: 1,
  needs: ['language', 'transcript', 'document-text'],
  accepts: (t) => ['video', 'audio', 'document', 'email'].includes(t.type),
  async run(input) {
    const to = (input.options.translateTo ?? 'en').toLowerCase();
    const lang = input.deps.language as LanguageDep | undefined;
    const tr = input.deps.transcript as TranscriptDep | undefined;
    const doc = input.deps['document-text'] as DocumentDep | undefined;

    if (tr?.segments?.length) {
      // The speech engine knows what language it recognised (pocketsphinx: English); else trust `language`.
      const from = tr.language && tr.language !== 'und' ? tr.language : lang?.language;
      if (!from) throw new PermanentError('E_NO_LANGUAGE', 'the language of the transcript is unknown');
      if (from === to) throw new PermanentError('E_SAME_LANGUAGE', `the transcript is already in ${to}`);
      const segments = await translateSegments(from, to, tr.segments);
      const text: TextEntry[] = segments.filter((s) => s.text).map((s) => ({ text: s.text, start: s.start, end: s.end }));
      return { result: { from, to, text: segments.map((s) => s.text).join('\n'), segments }, text };
    }
    if (doc?.text?.trim()) {
      const from = lang?.language;
      if (!from) throw new PermanentError('E_NO_LANGUAGE', 'the language of the document is unknown');
      if (from === to) throw new PermanentError('E_SAME_LANGUAGE', `the document is already in ${to}`);
      const truncated = doc.text.length > MAX_CHARS;
      const paragraphs = doc.text.slice(0, MAX_CHARS).split(/\n\s*\n/);
      const out = (await translateTexts(from, to, paragraphs)).filter(Boolean);
      const result: TranslationResult = { from, to, text: out.join('\n\n') };
      if (truncated) result.truncated = true;
      return { result, text: [{ text: result.text }] };
    }
    throw new PermanentError('E_NO_TEXT', 'no transcript or document text to translate');
  },
};
