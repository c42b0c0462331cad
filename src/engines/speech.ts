// Speech to text with timestamps. Engines: Debian pocketsphinx (default, US English) and whisper.cpp when
// the user points VITRINE_WHISPER_BIN and VITRINE_WHISPER_MODEL at a binary and a model they supply
// (nothing is ever downloaded). Long recordings are converted once to 16 kHz mono WAV while ffmpeg's
// silencedetect marks pauses; the WAV is cut at pauses into 10–60 s chunks that two workers recognise in
// parallel, so memory stays constant and both cores are used.
import { access, constants, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
import { run } from '../util/proc.ts';
import { PermanentError } from '../errors.ts';
import { ffmpeg, parseMetadataPrint, timeoutFor } from './ffmpeg.ts';

export interface SpeechWord {
  word: string;
  start: number;
  end: number;
  /** Engine's posterior / probability, 0..1 when known. */
  confidence?: number;
}

export interface SpeechSegment {
  start: number;
  end: number;
  text: string;
  words?: SpeechWord[];
}

export interface TranscribeOptions {
  /** ISO 639-1 hint; engines that cannot identify the language ignore it. */
  language?: string;
  timeoutMs?: number;
}

export interface SpeechOutput {
  language: string;
  segments: SpeechSegment[];
}

export interface SpeechEngine {
  id: string;
  /** true, or a sentence saying why the engine cannot be used. */
  available(): Promise<true | string>;
  /** Recognises one 16 kHz mono s16 WAV; times are seconds from the start of that file. */
  transcribe(wavPath: string, opts?: TranscribeOptions): Promise<SpeechOutput>;
}

const r2 = (n: number) => Math.round(n * 100) / 100;

/**
 * 1 − word error rate of `hyp` against `ref`: lower-cased words without punctuation, Levenshtein distance over
 * words divided by the reference's word count (can be negative when the hypothesis adds many words).
 */
export function wordAccuracy(ref: string, hyp: string): number {
  const norm = (s: string) => s.toLowerCase().replace(/[^a-z' ]/g, ' ').split(/\s+/).filter(Boolean);
  const r = norm(ref);
  const h = norm(hyp);
  if (!r.length) return h.length ? 0 : 1;
  let prev = Array.from({ length: h.length + 1 }, (_, j) => j);
  for (let i = 1; i <= r.length; i++) {
    const cur = [i];
    for (let j = 1; j <= h.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (r[i - 1] === h[j - 1] ? 0 : 1));
    prev = cur;
  }
  return 1 - prev[h.length]! / r.length;
}

// ---------- segmenting words into caption-sized segments ----------

/** Groups timed words into segments at pauses, or when a segment grows past ~7 s / 14 words. */
export function wordsToSegments(words: SpeechWord[], opts: { pause?: number; maxSeconds?: number; maxWords?: number } = {}): SpeechSegment[] {
  const pause = opts.pause ?? 0.5;
  const maxS = opts.maxSeconds ?? 7;
  const maxW = opts.maxWords ?? 14;
  const segs: SpeechSegment[] = [];
  let cur: SpeechWord[] = [];
  const flush = () => {
    if (!cur.length) return;
    segs.push({ start: r2(cur[0]!.start), end: r2(cur[cur.length - 1]!.end), text: cur.map((w) => w.word).join(' '), words: cur });
    cur = [];
  };
  for (const w of words) {
    const last = cur[cur.length - 1];
    if (last && (w.start - last.end > pause || w.end - cur[0]!.start > maxS || cur.length >= maxW)) flush();
    cur.push(w);
  }
  flush();
  return segs;
}

// ---------- pocketsphinx ----------

const SPHINX_FILLER = /^(<s>|<\/s>|<sil>|\[.*\]|\+\+.*\+\+|\+.*\+)$/;

/** Parses `pocketsphinx_continuous -time yes` output: hypothesis lines, then `word start end posterior` per word. */
export function parsePocketsphinx(stdout: string): { words: SpeechWord[]; pauses: number[] } {
  const words: SpeechWord[] = [];
  const pauses: number[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^(\S+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)$/.exec(line.trim());
    if (!m) continue;
    const token = m[1]!;
    const start = Number(m[2]);
    const end = Number(m[3]);
    if (SPHINX_FILLER.test(token)) {
      if (token === '<sil>' || token === '</s>') pauses.push(start);
      continue;
    }
    words.push({ word: token.replace(/\(\d+\)$/, ''), start, end, confidence: Math.round(Number(m[4]) * 1000) / 1000 });
  }
  return { words, pauses };
}

const SPHINX_MODEL = '/usr/share/pocketsphinx/model/en-us';
const SPHINX_HMM = join(SPHINX_MODEL, 'en-us');

/**
 * The last cepstral mean that pocketsphinx's live CMN logged ("Update to < c0 c1 … >"), as the 13 numbers
 * of `-cmninit`, or null when the log has none (no speech was found).
 */
export function parseCmnFromLog(log: string): string | null {
  let last: string | null = null;
  for (const m of log.matchAll(/Update to\s+<([^>]+)>/g)) last = m[1]!.trim().split(/\s+/).join(',');
  return last && last.split(',').length === 13 && last.split(',').every((x) => Number.isFinite(Number(x))) ? last : null;
}

/**
 * Estimates the chunk's cepstral mean with a pass that decodes nothing useful (a one-word grammar, ~1–3 % of
 * the cost of real decoding; the front end and its CMN do not depend on the search). Why: live CMN starts from
 * the model's -cmninit, which is far from most recordings (c0 41 vs 50–56 here), so the first utterance of
 * each chunk was decoded with wrong features — the first sentence of a file was mostly lost.
 */
async function estimateCmn(wavPath: string, base: string, timeoutMs: number): Promise<string | null> {
  const grammar = `${base}.cmn.gram`;
  const log = `${base}.cmn.log`;
  await writeFile(grammar, '#JSGF V1.0;\ngrammar cmn;\npublic <s> = oh;\n');
  try {
    await run('pocketsphinx_continuous', ['-infile', wavPath, '-jsgf', grammar, '-logfn', log], { timeoutMs, memoryBytes: 1024 ** 3 });
    return parseCmnFromLog(await readFile(log, 'utf8'));
  } finally {
    await rm(grammar, { force: true });
    await rm(log, { force: true });
  }
}

/**
 * The model's feat.params with -cmninit replaced: pocketsphinx lets feat.params override a -cmninit given
 * on the command line, so the estimate has to go in through -featparams.
 */
async function featParamsWithCmn(base: string, cmn: string): Promise<string> {
  const params = (await readFile(join(SPHINX_HMM, 'feat.params'), 'utf8')).replace(/^-cmninit\s.*$/m, '').trimEnd();
  const path = `${base}.feat.params`;
  await writeFile(path, `${params}\n-cmninit ${cmn}\n`);
  return path;
}

export interface PocketsphinxOptions {
  /** Estimate the cepstral mean first (default true). */
  cmnPass?: boolean;
  /** Decoder arguments (default DEFAULT_SPHINX_ARGS); the bench compares settings with them. */
  args?: string[];
}

/**
 * No voice-activity cutting inside a chunk (chunks are already cut at pauses). Why: with it, a stretch of room
 * tone before the first words became an utterance of its own, and live CMN, updated at each utterance's end,
 * took the noise's cepstral mean — the first sentence after it was decoded with wrong features (tuning
 * sentences, 5 flite voices with 1 s of room tone first: 1 − WER 0.81 → 0.89 with the CMN estimate).
 */
export const DEFAULT_SPHINX_ARGS: string[] = ['-remove_silence', 'no'];

export function pocketsphinxEngine(o: PocketsphinxOptions = {}): SpeechEngine {
  const cmnPass = o.cmnPass ?? true;
  const args = o.args ?? DEFAULT_SPHINX_ARGS;
  return {
    id: 'pocketsphinx',
    async available() {
      try {
        await access(SPHINX_HMM, constants.R_OK);
      } catch {
        return 'the pocketsphinx en-us model is not installed (apt-get install pocketsphinx-en-us)';
      }
      try {
        await run('pocketsphinx_continuous', ['-h'], { timeoutMs: 10_000, okCodes: [0, 1] });
      } catch (e) {
        return `pocketsphinx_continuous cannot run: ${(e as Error).message}`;
      }
      return true;
    },
    async transcribe(wavPath, opts = {}) {
      const seconds = await wavSeconds(wavPath);
      const timeoutMs = opts.timeoutMs ?? timeoutFor(seconds, 5000, 60_000);
      const base = wavPath.replace(/\.wav$/, '');
      // The estimate keeps voice-activity detection on, so the mean is that of speech frames.
      const cmn = cmnPass ? await estimateCmn(wavPath, base, timeoutMs) : null;
      const featParams = cmn ? await featParamsWithCmn(base, cmn) : null;
      try {
        const out = await run('pocketsphinx_continuous', ['-infile', wavPath, '-time', 'yes', '-logfn', '/dev/null', ...args, ...(featParams ? ['-featparams', featParams] : [])], {
          timeoutMs,
          memoryBytes: 1024 ** 3,
        });
        const { words } = parsePocketsphinx(out.stdout.toString('utf8'));
        return { language: 'en', segments: wordsToSegments(words) };
      } finally {
        if (featParams) await rm(featParams, { force: true });
      }
    },
  };
}

export const pocketsphinx: SpeechEngine = pocketsphinxEngine();

// ---------- whisper.cpp ----------

/** `00:01:02,500` or `00:01:02.500` → 62.5 */
function hmsToSeconds(s: string): number {
  const m = /^(\d+):(\d+):(\d+)[.,](\d+)$/.exec(s.trim());
  if (!m) return NaN;
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number(`0.${m[4]}`);
}

/** Parses whisper.cpp's `-oj` JSON (transcription[].offsets in ms, or timestamps as text). */
export function parseWhisperJson(json: string): SpeechOutput {
  const j = JSON.parse(json) as {
    result?: { language?: string };
    params?: { language?: string };
    transcription?: Array<{ offsets?: { from: number; to: number }; timestamps?: { from: string; to: string }; text?: string }>;
  };
  const segments: SpeechSegment[] = [];
  for (const t of j.transcription ?? []) {
    const text = (t.text ?? '').trim();
    if (!text || /^\[.*\]$/.test(text)) continue; // [BLANK_AUDIO], [Music]
    const start = t.offsets ? t.offsets.from / 1000 : hmsToSeconds(t.timestamps?.from ?? '');
    const end = t.offsets ? t.offsets.to / 1000 : hmsToSeconds(t.timestamps?.to ?? '');
    if (!Number.isFinite(start) || !Number.isFinite(end)) continue;
    segments.push({ start: r2(start), end: r2(end), text });
  }
  const lang = j.result?.language ?? j.params?.language;
  return { language: lang && lang !== 'auto' ? lang : 'und', segments };
}

export function whisperFromEnv(env: NodeJS.ProcessEnv = process.env): SpeechEngine {
  const bin = env.VITRINE_WHISPER_BIN;
  const model = env.VITRINE_WHISPER_MODEL;
  return {
    id: 'whisper.cpp',
    async available() {
      if (!bin || !model) return 'whisper.cpp is not configured: set VITRINE_WHISPER_BIN (the whisper-cli/main binary) and VITRINE_WHISPER_MODEL (a ggml model file you supply); nothing is downloaded';
      try {
        await access(bin, constants.X_OK);
      } catch {
        return `VITRINE_WHISPER_BIN=${bin} is not an executable file`;
      }
      try {
        if (!(await stat(model)).isFile()) throw new Error();
      } catch {
        return `VITRINE_WHISPER_MODEL=${model} is not a readable model file`;
      }
      return true;
    },
    async transcribe(wavPath, opts = {}) {
      if (!bin || !model) throw new PermanentError('E_ENGINE_UNAVAILABLE', 'whisper.cpp is not configured');
      const seconds = await wavSeconds(wavPath);
      const base = wavPath.replace(/\.wav$/, '') + '.whisper';
      await run(bin, ['-m', model, '-f', wavPath, '-l', opts.language ?? 'auto', '-t', '1', '-np', '-oj', '-of', base], {
        timeoutMs: opts.timeoutMs ?? timeoutFor(seconds, 20_000, 120_000),
        memoryBytes: 6 * 1024 ** 3,
      });
      try {
        return parseWhisperJson(await readFile(base + '.json', 'utf8'));
      } finally {
        await rm(base + '.json', { force: true });
      }
    },
  };
}

/** The engine to use: whisper.cpp when configured and usable, else pocketsphinx. `note` explains the choice. */
export async function pickSpeechEngine(env: NodeJS.ProcessEnv = process.env): Promise<{ engine: SpeechEngine; note?: string }> {
  const whisper = whisperFromEnv(env);
  const w = await whisper.available();
  if (w === true) return { engine: whisper };
  const p = await pocketsphinx.available();
  if (p !== true) throw new PermanentError('E_ENGINE_UNAVAILABLE', `no speech engine: ${p}; ${w}`);
  return { engine: pocketsphinx, note: w };
}

// ---------- WAV handling and chunking ----------

interface WavInfo {
  dataOffset: number;
  dataBytes: number;
  byteRate: number;
  header: Buffer;
}

/** Finds the fmt and data chunks of a RIFF/WAVE file. */
export async function readWavInfo(path: string): Promise<WavInfo> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const b = head.subarray(0, bytesRead);
    if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') throw new PermanentError('E_MEDIA_UNREADABLE', 'not a WAV file');
    let off = 12;
    let byteRate = 0;
    let fmt: Buffer | null = null;
    while (off + 8 <= b.length) {
      const id = b.toString('ascii', off, off + 4);
      const size = b.readUInt32LE(off + 4);
      if (id === 'fmt ') {
        fmt = b.subarray(off + 8, off + 8 + 16);
        byteRate = fmt.readUInt32LE(8);
      }
      if (id === 'data') {
        const total = (await fh.stat()).size;
        const dataOffset = off + 8;
        const dataBytes = Math.min(size === 0xffffffff || size === 0 ? total - dataOffset : size, total - dataOffset);
        if (!fmt) break;
        // Canonical 44-byte header reused for chunks: RIFF + fmt(16) + data.
        const header = Buffer.alloc(44);
        header.write('RIFF', 0, 'ascii');
        header.write('WAVE', 8, 'ascii');
        header.write('fmt ', 12, 'ascii');
        header.writeUInt32LE(16, 16);
        fmt.copy(header, 20);
        header.write('data', 36, 'ascii');
        return { dataOffset, dataBytes, byteRate, header };
      }
      off += 8 + size + (size & 1);
    }
    throw new PermanentError('E_MEDIA_UNREADABLE', 'WAV without fmt/data chunks');
  } finally {
    await fh.close();
  }
}

async function wavSeconds(path: string): Promise<number> {
  const w = await readWavInfo(path);
  return w.byteRate ? w.dataBytes / w.byteRate : 0;
}

/** Writes [start, end) seconds of a PCM WAV to a new WAV, streaming. */
export async function sliceWav(src: string, info: WavInfo, start: number, end: number, out: string): Promise<void> {
  const align = 2; // s16 mono
  const from = Math.floor((start * info.byteRate) / align) * align;
  const to = Math.min(info.dataBytes, Math.floor((end * info.byteRate) / align) * align);
  const len = Math.max(0, to - from);
  const header = Buffer.from(info.header);
  header.writeUInt32LE(36 + len, 4);
  header.writeUInt32LE(len, 40);
  const ws = createWriteStream(out);
  ws.write(header);
  if (len > 0) await pipeline(createReadStream(src, { start: info.dataOffset + from, end: info.dataOffset + from + len - 1 }), ws);
  else await new Promise<void>((res, rej) => ws.end((e?: Error | null) => (e ? rej(e) : res())));
}

/** Cut points: silence midpoints chosen so chunks last between min and max seconds, close to target. */
export function planChunks(duration: number, silences: Array<{ start: number; end: number }>, opts: { min?: number; target?: number; max?: number } = {}): Array<{ start: number; end: number }> {
  const min = opts.min ?? 10;
  const target = opts.target ?? 25;
  const max = opts.max ?? 60;
  const mids = silences.map((s) => (s.start + s.end) / 2).filter((t) => t > 0 && t < duration).sort((a, b) => a - b);
  const chunks: Array<{ start: number; end: number }> = [];
  let start = 0;
  while (duration - start > max || (duration - start > 2 * min && duration - start > target * 1.5)) {
    const cands = mids.filter((t) => t >= start + min && t <= start + max && duration - t >= min / 2);
    let cut = start + Math.min(max, target);
    if (cands.length) cut = cands.reduce((a, b) => (Math.abs(b - start - target) < Math.abs(a - start - target) ? b : a));
    chunks.push({ start, end: cut });
    start = cut;
  }
  chunks.push({ start, end: duration });
  return chunks.map((c) => ({ start: r2(c.start), end: r2(c.end) }));
}

export interface FileTranscript extends SpeechOutput {
  engine: string;
  duration: number;
  chunks: number;
  note?: string;
}

/** Runs async jobs with at most `n` in flight, results in order. */
async function mapLimit<T, R>(items: T[], n: number, fn: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

/**
 * Audio of any media file → transcript. One ffmpeg pass writes the 16 kHz WAV and the silences; chunks are
 * recognised `concurrency` at a time. `tmpDir` must be private to the call.
 */
export async function transcribeFile(input: string, tmpDir: string, opts: { engine?: SpeechEngine; concurrency?: number; duration?: number; language?: string } = {}): Promise<FileTranscript> {
  let engine = opts.engine;
  let note: string | undefined;
  if (!engine) ({ engine, note } = await pickSpeechEngine());
  const wav = join(tmpDir, 'speech.wav');
  const af = [
    'aresample=16000', 'aformat=sample_fmts=s16:channel_layouts=mono',
    'silencedetect=n=-35dB:d=0.3',
    'ametadata=mode=print:key=lavfi.silence_start:file=sil_start.txt',
    'ametadata=mode=print:key=lavfi.silence_end:file=sil_end.txt',
  ].join(',');
  await ffmpeg(input, ['-map', '0:a:0', '-vn', '-sn', '-dn', '-af', af, '-c:a', 'pcm_s16le', '-map_metadata', '-1', '-bitexact', '-f', 'wav', '-y', 'speech.wav'], {
    cwd: tmpDir,
    timeoutMs: timeoutFor(opts.duration, 500),
  });
  const info = await readWavInfo(wav);
  const duration = info.byteRate ? info.dataBytes / info.byteRate : 0;
  const read = async (f: string) => readFile(join(tmpDir, f), 'utf8').catch(() => '');
  const starts = parseMetadataPrint(await read('sil_start.txt')).map((f) => Number(f.values['lavfi.silence_start']));
  const ends = parseMetadataPrint(await read('sil_end.txt')).map((f) => Number(f.values['lavfi.silence_end']));
  const silences = starts.map((s) => ({ start: Math.max(0, s), end: ends.find((e) => e > s) ?? duration }));
  const chunks = planChunks(duration, silences);
  const results = await mapLimit(chunks, opts.concurrency ?? 2, async (c, i) => {
    const part = join(tmpDir, `chunk_${i}.wav`);
    await sliceWav(wav, info, c.start, c.end, part);
    try {
      const r = await engine.transcribe(part, { language: opts.language });
      return { ...r, segments: r.segments.map((s) => shift(s, c.start)) };
    } finally {
      await rm(part, { force: true });
    }
  });
  await rm(wav, { force: true });
  const langs = results.map((r) => r.language).filter((l) => l && l !== 'und');
  return {
    engine: engine.id,
    language: mostCommon(langs) ?? 'und',
    segments: results.flatMap((r) => r.segments),
    duration: r2(duration),
    chunks: chunks.length,
    ...(note ? { note } : {}),
  };
}

function shift(s: SpeechSegment, by: number): SpeechSegment {
  const out: SpeechSegment = { start: r2(s.start + by), end: r2(s.end + by), text: s.text };
  if (s.words) out.words = s.words.map((w) => ({ ...w, start: r2(w.start + by), end: r2(w.end + by) }));
  return out;
}

function mostCommon(xs: string[]): string | undefined {
  const c = new Map<string, number>();
  for (const x of xs) c.set(x, (c.get(x) ?? 0) + 1);
  return [...c.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
}
