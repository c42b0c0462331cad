// language: ISO 639-1 code of the asset's main text (document text, transcript, or on-screen text).
import { PermanentError } from '../errors.ts';
import type { Analyser } from './types.ts';

export interface LanguageResult {
  language: string;
  confidence: number;
  source: string;
}

type Detector = { detect(text: string): { language: string; getScores(): Record<string, number>; isReliable(): boolean } };
let detector: Promise<Detector> | null = null;
function getDetector(): Promise<Detector> {
  detector ??= import('eld/medium').then((m) => m.eld as unknown as Detector);
  return detector;
}

const SOURCES = ['document-text', 'transcript', 'ocr'] as const;

export async function detectLanguage(text: string): Promise<{ language: string; confidence: number } | null> {
  const sample = text.slice(0, 20_000);
  if (sample.replace(/[^\p{L}]/gu, '').length < 12) return null;
  const d = await getDetector();
  const r = d.detect(sample);
  if (!r.language) return null;
  const scores = r.getScores();
  const values = Object.values(scores).sort((a, b) => b - a);
  const top = scores[r.language] ?? values[0] ?? 0;
  const second = values[1] ?? 0;
  // eld's scores are not probabilities: report the margin over the runner-up, capped to [0, 1].
  const confidence = Math.max(0, Math.min(1, r.isReliable() ? 0.5 + (top - second) : (top - second)));
  return { language: r.language, confidence: Math.round(confidence * 1000) / 1000 };
}

export const language: Analyser<LanguageResult> = {
  id: 'language',
  version: 1,
  needs: [...SOURCES],
  accepts: (t) => ['document', 'email', 'video', 'audio', 'image'].includes(t.type),
  async run(input) {
    for (const source of SOURCES) {
      const dep = input.deps[source] as { text?: string } | undefined;
      if (!dep?.text) continue;
      const r = await detectLanguage(dep.text);
      if (r) return { result: { ...r, source } };
    }
    throw new PermanentError('E_NO_TEXT', 'not enough text to identify a language');
  },
};
