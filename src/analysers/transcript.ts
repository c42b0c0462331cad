// transcript: speech to text with segment times, for video with an audio stream and audio files.
// Engine: whisper.cpp when VITRINE_WHISPER_BIN/VITRINE_WHISPER_MODEL are set and usable, else pocketsphinx
// (US English). `note` says why whisper.cpp was not used, so users see what to configure.
import { PermanentError } from '../errors.ts';
import { audioStream, probeMedia } from '../engines/ffprobe.ts';
import { transcribeFile } from '../engines/speech.ts';
import type { Analyser, TextEntry } from './types.ts';

export interface TranscriptResult {
  language: string;
  engine: string;
  text: string;
  segments: Array<{ start: number; end: number; text: string }>;
  duration: number;
  note?: string;
}

export const transcript: Analyser<TranscriptResult> = {
  id: 'transcript',
  version: 1,
  heavy: true,
  accepts: (t) => t.type === 'video' || t.type === 'audio',
  async run(input, ctx) {
    const probe = await probeMedia(input.path);
    if (!audioStream(probe)) throw new PermanentError('E_NO_AUDIO', 'the file has no audio stream');
    const r = await transcribeFile(input.path, ctx.tmpDir, { duration: probe.duration });
    const segments = r.segments.map((s) => ({ start: s.start, end: s.end, text: s.text }));
    const text: TextEntry[] = segments.map((s) => ({ text: s.text, start: s.start, end: s.end }));
    ctx.log.debug({ engine: r.engine, chunks: r.chunks, segments: segments.length }, 'transcribed');
    const result: TranscriptResult = {
      language: r.language,
      engine: r.engine,
      text: segments.map((s) => s.text).join('\n'),
      segments,
      duration: r.duration,
    };
    if (r.note) result.note = r.note;
    return { result, text };
  },
};
