// `container`: unpacks archives (zip, tar, tar.gz) and e-mails (attachments; mbox → one message each)
// into numbered temp files. The runner ingests them as child assets, with the inner name as metadata
// only, and stops at result.maxDepth levels of nesting (the depth is the runner's to know).
import type { Analyser, ChildFile } from './types.ts';
import { unpackArchive } from '../extractors/archive.ts';
import { emailAttachments, looksLikeMbox, splitMbox } from '../extractors/email.ts';
import { resolveLimits, type SafetyLimits } from '../extractors/limits.ts';

export interface ContainerResult {
  format: 'zip' | 'tar' | 'tar.gz' | 'email' | 'mbox';
  entries: { name: string; size: number }[];
  skipped: { name: string; reason: string }[];
  /** Nesting limit the runner enforces when ingesting children. */
  maxDepth: number;
}

const ARCHIVE_MIMES = new Set(['application/zip', 'application/x-zip-compressed', 'application/x-tar', 'application/gzip', 'application/x-gzip', 'application/x-compressed-tar']);
const EMAIL_MIMES = new Set(['message/rfc822', 'application/mbox']);

export function createContainerAnalyser(limits?: Partial<SafetyLimits>): Analyser<ContainerResult> {
  return {
    id: 'container',
    version: 1,
    accepts: (t) => t.type === 'archive' || t.type === 'email' || ARCHIVE_MIMES.has(t.mime) || EMAIL_MIMES.has(t.mime),
    async run(input, ctx) {
      const L = resolveLimits(limits);
      const opts = { tmpDir: ctx.tmpDir, limits: L, signal: ctx.signal };
      let result: ContainerResult;
      let children: ChildFile[];
      if (input.type === 'email' || EMAIL_MIMES.has(input.mime)) {
        if (input.mime === 'application/mbox' || await looksLikeMbox(input.path)) {
          const msgs = await splitMbox(input.path, opts);
          result = { format: 'mbox', entries: msgs.map((m) => ({ name: m.name, size: m.size })), skipped: [], maxDepth: L.maxDepth };
          children = msgs.map((m) => ({ name: m.name, tmpPath: m.tmpPath }));
        } else {
          const r = await emailAttachments(input.path, opts);
          result = { format: 'email', entries: r.children.map((c) => ({ name: c.name, size: c.size })), skipped: r.skipped, maxDepth: L.maxDepth };
          children = r.children.map((c) => ({ name: c.name, tmpPath: c.tmpPath }));
        }
      } else {
        const r = await unpackArchive(input.path, opts);
        result = { format: r.format, entries: r.children.map((c) => ({ name: c.name, size: c.size })), skipped: r.skipped, maxDepth: L.maxDepth };
        children = r.children.map((c) => ({ name: c.name, tmpPath: c.tmpPath }));
      }
      ctx.log.debug({ children: children.length, skipped: result.skipped.length }, 'container unpacked');
      return { result, children };
    },
  };
}

export const containerAnalyser = createContainerAnalyser();
