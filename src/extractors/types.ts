// The extractor contract: a local file in, its text (per page when the format has pages) and a few
// document fields out. Extractors never see an asset's owner; they only read the path they are given.
import type { SafetyLimits } from './limits.ts';

export interface Extracted {
  text: string;
  /** Pages count from 1. When present, `text` is the pages joined with "\n\n". */
  pages?: { page: number; text: string }[];
  title?: string;
  author?: string;
  /** ISO 8601 UTC. */
  created?: string;
  /** Searchable fields (e.g. from/to/cc/date/subject of an e-mail). */
  fields?: Record<string, string>;
  /** Page images written into ctx.tmpDir (PDF thumbnails) → DerivedFile {kind:'page', page}. */
  images?: { page: number; path: string; ext: string }[];
  /** Pages whose text came from OCR rather than the document's own text layer. */
  ocrPages?: number[];
}

export interface ExtractContext {
  /** Private temp directory for this run (removed by the caller). */
  tmpDir: string;
  limits: SafetyLimits;
  signal?: AbortSignal;
  /** Tesseract languages for scanned pages (e.g. ['eng', 'deu']); default ['eng']. */
  ocrLang?: string[];
  /** How many leading pages get a thumbnail (default limits.thumbnailPages). 0 = none. */
  thumbnails?: number;
}

export type Extractor = (path: string, ctx: ExtractContext) => Promise<Extracted>;

/** Join page texts the one way every extractor does it, so offsets can be mapped back to pages. */
export const PAGE_SEPARATOR = '\n\n';

export function joinPages(pages: { page: number; text: string }[]): string {
  return pages.map((p) => p.text).join(PAGE_SEPARATOR);
}
