// Every analyser, by id. Order matters only for display; dependencies are declared with `needs`.
import { documentText } from './document-text.ts';
import { language } from './language.ts';
import { metadata } from './metadata.ts';
import { phash } from './phash.ts';
import { thumbnail } from './thumbnail.ts';
import { ocrAnalyser } from './ocr.ts';
import { objectsAnalyser } from './objects.ts';
import { facesAnalyser } from './faces.ts';
import { moderationAnalyser } from './moderation.ts';
import { shots } from './shots.ts';
import { transcript } from './transcript.ts';
import { translation } from './translation.ts';
import { containerAnalyser } from './container.ts';
import { videoVision } from './video-vision.ts';
import { piiAnalyser } from './pii.ts';
import { entitiesAnalyser } from './entities.ts';
import type { Analyser, AnalysisTarget } from './types.ts';
import { usageError } from '../errors.ts';

export class AnalyserRegistry {
  readonly all: Analyser[];
  private readonly byId: Map<string, Analyser>;

  constructor(analysers: Analyser[]) {
    this.all = analysers;
    this.byId = new Map(analysers.map((a) => [a.id, a]));
  }

  get(id: string): Analyser | undefined {
    return this.byId.get(id);
  }

  ids(): string[] {
    return this.all.map((a) => a.id);
  }

  /** The ids plus everything they need, transitively. Unknown ids are a usage error. */
  closure(ids: string[]): string[] {
    const out = new Set<string>();
    const visit = (id: string) => {
      const a = this.byId.get(id);
      if (!a) throw usageError(`unknown analyser "${id}"; known: ${this.ids().join(', ')}`);
      if (out.has(id)) return;
      out.add(id);
      for (const n of a.needs ?? []) if (this.byId.has(n)) visit(n);
    };
    ids.forEach(visit);
    return this.all.map((a) => a.id).filter((id) => out.has(id));
  }

  /** The analysers to run for this content, limited to `allowed` (with what they need) when given. */
  plan(target: AnalysisTarget, allowed?: string[] | null): Analyser[] {
    const ok = allowed ? new Set(this.closure(allowed)) : null;
    return this.all.filter((a) => (!ok || ok.has(a.id)) && a.accepts(target));
  }

  needsMap(): Record<string, string[]> {
    return Object.fromEntries(this.all.map((a) => [a.id, a.needs ?? []]));
  }
}

export function defaultAnalysers(): Analyser[] {
  return [
    metadata, thumbnail, phash, documentText, containerAnalyser, shots, ocrAnalyser, objectsAnalyser, facesAnalyser,
    moderationAnalyser, videoVision, transcript, language, translation, piiAnalyser, entitiesAnalyser,
  ] as Analyser[];
}
