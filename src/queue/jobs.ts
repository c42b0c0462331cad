// Job names and payloads. One job = some analysers of one content hash; light and heavy work have
// separate queues so OCR and speech cannot starve metadata and thumbnails.
export const QUEUES = {
  light: 'analyse',
  heavy: 'analyse-heavy',
} as const;

export type QueueClass = keyof typeof QUEUES;

export interface AnalyseJob {
  sha256: string;
  analysers: string[];
}
