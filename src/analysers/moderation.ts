// `moderation` analyser: nsfwjs labels (drawing, hentai, neutral, porn, sexy) with scores. Labels at or
// above MODERATION_TEXT_MIN become searchable text `moderation:<label>`, so they work as search filters.
import type { Analyser } from './types.ts';
import { classifyModeration, type ModerationLabel } from '../engines/nsfw.ts';

export { classifyModeration };

export interface ModerationResult { labels: ModerationLabel[] }

/** A label is indexed when the model gives it at least this probability (the 5 scores sum to 1). */
export const MODERATION_TEXT_MIN = 0.5;

export function moderationTextEntries(labels: ModerationLabel[]) {
  return labels.filter((l) => l.score >= MODERATION_TEXT_MIN).map((l) => ({ text: `moderation:${l.label}` }));
}

export const moderationAnalyser: Analyser<ModerationResult> = {
  id: 'moderation',
  version: 1,
  heavy: true,
  accepts: (t) => t.type === 'image',
  async run(input) {
    const labels = await classifyModeration(input.path);
    return { result: { labels }, text: moderationTextEntries(labels) };
  },
};

export default moderationAnalyser;
