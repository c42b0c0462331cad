// Which extractor reads which document type (by sniffed mime). The document-text analyser looks here;
// formats from the documents issue add their entries to EXTRACTORS.
import { extractHtml, extractPlain } from './text.ts';
import type { Extracted, Extractor } from './types.ts';
import { extractPdf } from './pdf.ts';
import { extractDocx, extractOdf, extractWithLibreOffice } from './office.ts';
import { extractEmail } from './email.ts';

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
  // documents issue (pdf.ts, office.ts, email.ts)
  'application/pdf': extractPdf,
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': extractDocx,
  'application/vnd.oasis.opendocument.text': extractOdf,
  'application/vnd.oasis.opendocument.spreadsheet': extractOdf,
  'application/vnd.oasis.opendocument.presentation': extractOdf,
  'application/rtf': extractWithLibreOffice,
  'text/rtf': extractWithLibreOffice,
  'application/msword': extractWithLibreOffice,
  'message/rfc822': extractEmail,
};

export function extractorFor(mime: string): Extractor | undefined {
  return EXTRACTORS[mime];
}
