// Safety limits for hostile documents and containers. Every limit has a default and can be set from
// the environment (VITRINE_LIMIT_*), or by the caller (config) through resolveLimits().
export interface SafetyLimits {
  /** Total bytes an archive may unpack to, counted while inflating (headers are not trusted). */
  maxTotalBytes: number;
  /** Largest single member. */
  maxEntryBytes: number;
  /** Unpacked:packed ratio, per member and for the whole archive. */
  maxRatio: number;
  /** Ratios are only judged past this many unpacked bytes (small text files compress very well). */
  ratioGraceBytes: number;
  /** Members per archive / messages per mbox. */
  maxEntries: number;
  /** Nesting depth of containers (archive in archive in mail …); enforced by the runner. */
  maxDepth: number;
  /** Largest image (width × height) rendered from a document page. */
  maxPixels: number;
  /** Pages of a PDF that may be OCR'd. */
  maxOcrPages: number;
  /** Leading PDF pages that get a thumbnail. */
  thumbnailPages: number;
  /** Wall-clock limit for one external tool run. */
  toolTimeoutMs: number;
  /** Address-space limit for one external tool run. */
  toolMemoryBytes: number;
  /** Largest XML part of an office file (document.xml, content.xml) after inflating. */
  maxXmlBytes: number;
}

export const DEFAULT_LIMITS: Readonly<SafetyLimits> = Object.freeze({
  maxTotalBytes: 2 * 1024 ** 3,
  maxEntryBytes: 1024 ** 3,
  maxRatio: 100,
  ratioGraceBytes: 1024 ** 2,
  maxEntries: 10_000,
  maxDepth: 3,
  maxPixels: 100_000_000,
  maxOcrPages: 1000,
  thumbnailPages: 3,
  toolTimeoutMs: 5 * 60_000,
  toolMemoryBytes: 1024 ** 3,
  maxXmlBytes: 64 * 1024 ** 2,
});

const ENV: Record<keyof SafetyLimits, string> = {
  maxTotalBytes: 'VITRINE_LIMIT_TOTAL_BYTES',
  maxEntryBytes: 'VITRINE_LIMIT_ENTRY_BYTES',
  maxRatio: 'VITRINE_LIMIT_RATIO',
  ratioGraceBytes: 'VITRINE_LIMIT_RATIO_GRACE_BYTES',
  maxEntries: 'VITRINE_LIMIT_ENTRIES',
  maxDepth: 'VITRINE_LIMIT_DEPTH',
  maxPixels: 'VITRINE_LIMIT_PIXELS',
  maxOcrPages: 'VITRINE_LIMIT_OCR_PAGES',
  thumbnailPages: 'VITRINE_LIMIT_THUMBNAIL_PAGES',
  toolTimeoutMs: 'VITRINE_LIMIT_TOOL_TIMEOUT_MS',
  toolMemoryBytes: 'VITRINE_LIMIT_TOOL_MEMORY_BYTES',
  maxXmlBytes: 'VITRINE_LIMIT_XML_BYTES',
};

/** Defaults, then VITRINE_LIMIT_* from `env`, then `overrides` (non-negative finite numbers only). */
export function resolveLimits(overrides: Partial<SafetyLimits> = {}, env: NodeJS.ProcessEnv = process.env): SafetyLimits {
  const out: SafetyLimits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(ENV) as (keyof SafetyLimits)[]) {
    const raw = env[ENV[key]];
    if (raw !== undefined && raw !== '') {
      const n = Number(raw);
      if (!Number.isFinite(n) || n < 0) throw new Error(`${ENV[key]} must be a non-negative number, got "${raw}"`);
      out[key] = n;
    }
    const o = overrides[key];
    if (o !== undefined) {
      if (!Number.isFinite(o) || o < 0) throw new Error(`limit ${key} must be a non-negative number`);
      out[key] = o;
    }
  }
  return out;
}

export const LIMIT_ENV_VARS = ENV;
