// Which extractor reads which document type (by sniffed mime). The document-text analyser looks here;
// formats from the documents issue add their entries to EXTRACTORS.
import { extractHtml, extractPlain } from './text.ts';
import type { Extracted, Extractor } from './types.ts';

const plain: Extractor = async (path) => {
  const d = await extractPlain(path);
  const out: Extracted = { text: d.text };
  if (d.truncated) out.fields = { truncated: 'true' };
  return out;
};

const html: Extractor = async (path) => {
  const d = await extractHtml(path);
  const out: Extracted = { text: d.text };
  if (d.title) out.title = d.title;
  return out;
};

export const EXTRACTORS: Record<string, Extractor> = {
  'text/plain': plain,
  'text/markdown': plain,
  'text/csv': plain,
  'text/html': html,
};

export function extractorFor(mime: string): Extractor | undefined {
  return EXTRACTORS[mime];
}
