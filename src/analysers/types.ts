// The analyser contract: {id, version, accepts(asset), run(input, ctx)}. Results are keyed by
// (sha256, id, version), so an analyser sees content, never a particular asset's name or owner.
import type { Logger } from 'pino';

export type AssetType = 'image' | 'video' | 'audio' | 'document' | 'archive' | 'email' | 'other';

export interface AnalysisTarget {
  sha256: string;
  type: AssetType;
  mime: string;
  size: number;
  /** Original file name of (one) asset with this content: only a hint (extension), never trusted. */
  name: string;
}

export interface AnalyserInput extends AnalysisTarget {
  /** Read-only local path to the content. */
  path: string;
  /** Results of the analysers listed in `needs`, by id (only those that finished `done`). */
  deps: Record<string, unknown>;
  /** Options that come from the collection or the ingest (e.g. OCR languages). */
  options: { ocrLang?: string[]; translateTo?: string; /** DATA/derived on this machine, when there is one (frames of other analysers). */ derivedDir?: string };
}

/** A unit of searchable text with where it came from. */
export interface TextEntry {
  text: string;
  page?: number;
  /** Seconds from the start of the media. */
  start?: number;
  end?: number;
  /** [x, y, width, height] in displayed pixels. */
  box?: [number, number, number, number];
}

export interface DerivedFile {
  kind: string; // 'thumbnail' | 'keyframe' | 'page' | 'poster' …
  /** Temp file written by the analyser; the runner moves it into DATA/derived. */
  tmpPath: string;
  ext: string;
  time?: number;
  page?: number;
}

export interface ChildFile {
  /** Name/path inside the container (e.g. "docs/invoice.pdf"), for display only. */
  name: string;
  /** Temp file with the child's content; the runner ingests it and deletes it. */
  tmpPath: string;
}

export interface AnalyserOutput<R = unknown> {
  result: R;
  text?: TextEntry[];
  derived?: DerivedFile[];
  children?: ChildFile[];
}

export interface AnalyserContext {
  log: Logger;
  /** A private temp directory for this run, removed afterwards. */
  tmpDir: string;
  signal: AbortSignal;
}

export interface Analyser<R = unknown> {
  id: string;
  /** Bump to re-run this analyser (and only it) over the archive. */
  version: number;
  /** Analysers whose results this one reads (run first). */
  needs?: string[];
  /** CPU-heavy (OCR, speech): scheduled on the heavy queue with its own concurrency. */
  heavy?: boolean;
  accepts(target: AnalysisTarget): boolean;
  run(input: AnalyserInput, ctx: AnalyserContext): Promise<AnalyserOutput<R>>;
}
