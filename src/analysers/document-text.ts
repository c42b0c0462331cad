// document-text: the text of a document (per page when it has pages) via the extractor for its mime.
import { PermanentError } from '../errors.ts';
import { extractorFor } from '../extractors/index.ts';
import { DEFAULT_LIMITS } from '../extractors/limits.ts';
import type { Analyser, DerivedFile, TextEntry } from './types.ts';

export interface DocumentTextResult {
  text: string;
  pages?: { page: number; text: string }[];
  title?: string;
  author?: string;
  created?: string;
  fields?: Record<string, string>;
  ocrPages?: number[];
}

export const documentText: Analyser<DocumentTextResult> = {
  id: 'document-text',
  version: 1,
  accepts: (t) => (t.type === 'document' || t.type === 'email') && extractorFor(t.mime) !== undefined,
  async run(input, ctx) {
    const extract = extractorFor(input.mime);
    if (!extract) throw new PermanentError('E_UNSUPPORTED', `no text extractor for ${input.mime}`);
    const x = await extract(input.path, {
      tmpDir: ctx.tmpDir,
      limits: DEFAULT_LIMITS,
      signal: ctx.signal,
      ...(input.options.ocrLang ? { ocrLang: input.options.ocrLang } : {}),
    });
    const result: DocumentTextResult = { text: x.text };
    for (const k of ['pages', 'title', 'author', 'created', 'fields', 'ocrPages'] as const)
      if (x[k] !== undefined) (result as unknown as Record<string, unknown>)[k] = x[k];
    const text: TextEntry[] = x.pages?.length
      ? x.pages.filter((p) => p.text.trim()).map((p) => ({ text: p.text, page: p.page }))
      : x.text.trim() ? [{ text: x.text }] : [];
    const fieldText = [x.title, ...Object.entries(x.fields ?? {}).filter(([k]) => k !== 'truncated').map(([, v]) => v)]
      .filter(Boolean).join('\n');
    if (fieldText) text.push({ text: fieldText });
    const derived: DerivedFile[] = (x.images ?? []).map((im) => ({ kind: 'page', tmpPath: im.path, ext: im.ext, page: im.page }));
    return { result, text, derived };
  },
};
