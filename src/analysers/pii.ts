// `pii`: personal data findings (kinds + UTF-16 offsets, never the matched text) over the document
// text, and over OCR/transcript text when those results are present. Searchable as facets via counts.
import type { Analyser } from './types.ts';
import { detectPii, type PiiFinding, type PiiPattern } from '../extractors/pii-detect.ts';
import { PermanentError } from '../errors.ts';

export interface PiiResult {
  /** Offsets are into deps['document-text'].text unless `source` says otherwise. */
  findings: (PiiFinding & { source?: 'ocr' | 'transcript' })[];
  counts: Record<string, number>;
  truncated?: boolean;
}

export interface PiiConfig {
  patterns?: PiiPattern[];
  defaultCountry?: string;
  maxFindings?: number;
}

/** Config from VITRINE_PII_REGION (e.g. "DE") and VITRINE_PII_PATTERNS (JSON [{kind, pattern}]). */
export function piiConfigFromEnv(env: NodeJS.ProcessEnv = process.env): PiiConfig {
  const cfg: PiiConfig = {};
  if (env.VITRINE_PII_REGION) cfg.defaultCountry = env.VITRINE_PII_REGION;
  if (env.VITRINE_PII_PATTERNS) {
    const list = JSON.parse(env.VITRINE_PII_PATTERNS) as unknown;
    if (!Array.isArray(list)) throw new Error('VITRINE_PII_PATTERNS must be a JSON array of {kind, pattern}');
    cfg.patterns = list.map((p: { kind?: unknown; pattern?: unknown }) => {
      if (typeof p?.kind !== 'string' || typeof p?.pattern !== 'string') throw new Error('VITRINE_PII_PATTERNS items need string kind and pattern');
      new RegExp(p.pattern); // fail at start-up, not per document
      return { kind: p.kind, pattern: p.pattern };
    });
  }
  return cfg;
}

const textOf = (r: unknown): string | undefined => {
  const t = (r as { text?: unknown } | undefined)?.text;
  return typeof t === 'string' && t.length ? t : undefined;
};

export function createPiiAnalyser(config: PiiConfig = {}): Analyser<PiiResult> {
  const max = config.maxFindings ?? 10_000;
  return {
    id: 'pii',
    version: 1,
    needs: ['document-text'],
    accepts: (t) => t.type === 'document' || t.type === 'email',
    async run(input) {
      const sources: [string | undefined, 'ocr' | 'transcript' | undefined][] = [
        [textOf(input.deps['document-text']), undefined],
        [textOf(input.deps['ocr']), 'ocr'],
        [textOf(input.deps['transcript']), 'transcript'],
      ];
      if (!sources.some(([t]) => t)) throw new PermanentError('E_NO_TEXT', 'skipped: no text to examine');
      const findings: PiiResult['findings'] = [];
      for (const [text, source] of sources) {
        if (!text) continue;
        for (const f of detectPii(text, config.patterns, { defaultCountry: config.defaultCountry, maxFindings: max + 1 }))
          findings.push(source ? { ...f, source } : f);
      }
      const counts: Record<string, number> = {};
      for (const f of findings) counts[f.kind] = (counts[f.kind] ?? 0) + 1;
      const result: PiiResult = { findings: findings.slice(0, max), counts };
      if (findings.length > max) result.truncated = true;
      return { result };
    },
  };
}

export const piiAnalyser = createPiiAnalyser(piiConfigFromEnv());
