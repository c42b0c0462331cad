// Object detection (CenterNet, COCO labels) and face DETECTION (BlazeFace) from @vladmandic/human on
// the tfjs WASM backend, models read from the package's files on disk (no network). Everything that
// would describe a person — face mesh, iris, embeddings, emotion, age/gender, body, hands, gestures —
// is switched off and never loaded. One Human instance per process, created on first use.
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TransientError } from '../errors.ts';
import { prepareImage, toDisplayBox, type PreparedImage } from './image-prep.ts';

import { iou, overlapOfSmaller, type Box } from '../util/boxes.ts';

export type { Box };

export interface DetectedObject { label: string; score: number; box: Box }
export interface DetectedFace { box: Box; score: number }

// Thresholds, tuned on the photos shipped in node_modules/@vladmandic/human/assets (group photo
// samples.jpg, screenshot-faceid.jpg) and node_modules/autocannon/test/j5.jpeg (street scene):
// CenterNet scores are low overall — real people 0.22–0.52, the false positives seen ('tie' on a
// shirt, 'cell phone' on a hand) 0.21–0.29 — so 0.3 keeps the labels that are useful for search.
export const OBJECT_MIN_SCORE = 0.3;
// Faces are detected to hide them, so recall matters more than precision: a spurious blurred patch
// costs little, a missed face is a privacy failure. BlazeFace gave 0.24–0.78 on real faces there.
export const FACE_MIN_SCORE = 0.2;
// BlazeFace looks at a 256×256 view of its input: small faces in big photos vanish. Images longer
// than this are also scanned in overlapping tiles of this size.
export const FACE_TILE = 640;
const FACE_TILE_OVERLAP = 0.25;
const OBJECT_MAX_SIDE = 1280;
const FACE_MAX_SIDE = 2048;

const require = createRequire(import.meta.url);

function pkgDir(name: string): string {
  // Resolve a package's folder without going through its "exports" map.
  let d = dirname(require.resolve(name));
  while (!d.endsWith(join('node_modules', ...name.split('/')))) {
    const up = dirname(d);
    if (up === d) throw new Error(`cannot locate ${name}`);
    d = up;
  }
  return d;
}

// Minimal view of the tfjs-core API we use (human's bundle re-exports the real one).
export interface Tf {
  io: {
    registerLoadRouter(r: (url: unknown) => unknown): void;
    getModelArtifactsForJSON(json: unknown, load: (m: Array<{ paths: string[]; weights: unknown[] }>) => Promise<[unknown[], ArrayBuffer]>): Promise<unknown>;
  };
  tensor3d(data: Int32Array | Float32Array, shape: [number, number, number], dtype: string): Tensor;
  tensor4d(data: Int32Array | Float32Array, shape: [number, number, number, number], dtype: string): Tensor;
  slice(t: Tensor, begin: number[], size: number[]): Tensor;
  getBackend(): string;
  memory(): { numTensors: number; numBytes: number };
}
export interface Tensor { dispose(): void; shape: number[] }

interface HumanResult {
  face: Array<{ box: [number, number, number, number]; boxScore?: number; score: number }>;
  object: Array<{ label: string; score: number; box: [number, number, number, number] }>;
}
interface HumanInstance {
  load(): Promise<void>;
  init(): Promise<void>;
  detect(input: Tensor, config?: unknown): Promise<HumanResult>;
}

let routerRegistered = false;

/** tfjs-core shared by human and nsfwjs, with a loader for file:// model URLs (Node's fetch has none). */
export function tfCore(): Tf {
  const tf = require('@tensorflow/tfjs-core') as Tf;
  if (!routerRegistered) {
    routerRegistered = true;
    tf.io.registerLoadRouter((url) => {
      if (typeof url !== 'string' || !url.startsWith('file://')) return null;
      return {
        load: async () => {
          const p = fileURLToPath(url);
          const json = JSON.parse(await readFile(p, 'utf8'));
          return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
            const specs: unknown[] = [];
            const bufs: Buffer[] = [];
            for (const g of manifest) {
              specs.push(...g.weights);
              for (const f of g.paths) bufs.push(await readFile(join(dirname(p), f)));
            }
            const all = Buffer.concat(bufs);
            return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer];
          });
        },
      };
    });
  }
  return tf;
}

/** Run fn with console output muted: model loaders print banners that would corrupt `--json` stdout. */
export async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const saved = { log: console.log, info: console.info, warn: console.warn };
  console.log = console.info = console.warn = () => {};
  try {
    return await fn();
  } finally {
    Object.assign(console, saved);
  }
}

let humanPromise: Promise<HumanInstance> | null = null;

function humanConfig() {
  const humanDir = pkgDir('@vladmandic/human');
  const wasmDir = join(pkgDir('@tensorflow/tfjs-backend-wasm'), 'dist');
  const off = { enabled: false };
  return {
    backend: 'wasm',
    wasmPath: wasmDir + '/',
    modelBasePath: pathToFileURL(join(humanDir, 'models')).href + '/',
    debug: false,
    async: true,
    warmup: 'none',
    cacheModels: false,
    cacheSensitivity: 0, // every image is new: never reuse a previous result
    skipAllowed: false,
    filter: off,
    face: {
      enabled: true,
      detector: { enabled: true, modelPath: 'blazeface.json', rotation: false, maxDetected: 100, minConfidence: FACE_MIN_SCORE, iouThreshold: 0.3, return: false, skipFrames: 0 },
      mesh: off, iris: off, description: off, emotion: off, antispoof: off, liveness: off, attention: off, gear: off,
    },
    body: off,
    hand: off,
    gesture: off,
    segmentation: off,
    object: { enabled: true, modelPath: 'centernet.json', minConfidence: OBJECT_MIN_SCORE, iouThreshold: 0.4, maxDetected: 50, skipFrames: 0 },
  };
}

/** The per-process Human instance (models loaded once). */
export function getHuman(): Promise<HumanInstance> {
  humanPromise ??= quietly(async () => {
    tfCore();
    const { Human } = require(join(pkgDir('@vladmandic/human'), 'dist', 'human.node-wasm.js')) as { Human: new (c: unknown) => HumanInstance };
    const h = new Human(humanConfig());
    await h.init();
    await h.load();
    return h;
  }).catch((e: unknown) => {
    humanPromise = null;
    throw new TransientError('E_VISION_MODEL', `could not load the vision models: ${(e as Error).message}`, e);
  });
  return humanPromise;
}

function toTensor(tf: Tf, img: PreparedImage): Tensor {
  if (img.channels !== 3) throw new Error('RGB image expected');
  return tf.tensor4d(Int32Array.from(img.data), [1, img.height, img.width, 3], 'int32');
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** Objects in an already decoded RGB image; boxes in displayed pixels. */
export async function detectObjectsPrepared(img: PreparedImage): Promise<DetectedObject[]> {
  const human = await getHuman();
  const t = toTensor(tfCore(), img);
  try {
    const r = await human.detect(t, { face: { enabled: false }, object: { enabled: true } });
    return r.object
      .filter((o) => o.score >= OBJECT_MIN_SCORE)
      .map((o) => ({ label: o.label, score: round3(o.score), box: toDisplayBox(o.box, img) }))
      .sort((a, b) => b.score - a.score);
  } finally {
    t.dispose();
  }
}

export async function detectObjects(path: string, opts: { maxPixels?: number } = {}): Promise<DetectedObject[]> {
  return detectObjectsPrepared(await prepareImage(path, { channels: 3, kernel: 'linear', maxSide: OBJECT_MAX_SIDE, maxPixels: opts.maxPixels }));
}



/** Non-maximum suppression across the whole-image pass and the tiles. */
export function mergeFaces(faces: DetectedFace[]): DetectedFace[] {
  const sorted = [...faces].sort((a, b) => b.score - a.score);
  const kept: DetectedFace[] = [];
  for (const f of sorted)
    if (!kept.some((k) => iou(k.box, f.box) > 0.3 || overlapOfSmaller(k.box, f.box) > 0.7)) kept.push(f);
  return kept;
}

function tiles(w: number, h: number, size: number): Array<[number, number, number, number]> {
  const step = Math.round(size * (1 - FACE_TILE_OVERLAP));
  const xs: number[] = [];
  const ys: number[] = [];
  for (let x = 0; ; x += step) { xs.push(Math.min(x, Math.max(0, w - size))); if (x + size >= w) break; }
  for (let y = 0; ; y += step) { ys.push(Math.min(y, Math.max(0, h - size))); if (y + size >= h) break; }
  return ys.flatMap((y) => xs.map((x) => [x, y, Math.min(size, w - x), Math.min(size, h - y)] as [number, number, number, number]));
}

/** Faces (boxes and scores only) in an already decoded RGB image; boxes in displayed pixels. */
export async function detectFacesPrepared(img: PreparedImage, opts: { tiles?: boolean } = {}): Promise<DetectedFace[]> {
  const human = await getHuman();
  const tf = tfCore();
  const t = toTensor(tf, img);
  const cfg = { face: { enabled: true }, object: { enabled: false } };
  const found: DetectedFace[] = [];
  try {
    const whole = await human.detect(t, cfg);
    for (const f of whole.face) found.push({ box: f.box, score: f.boxScore ?? f.score });
    if (opts.tiles !== false && Math.max(img.width, img.height) > FACE_TILE * 1.25) {
      for (const [x, y, w, h] of tiles(img.width, img.height, FACE_TILE)) {
        const part = tf.slice(t, [0, y, x, 0], [1, h, w, 3]);
        try {
          const r = await human.detect(part, cfg);
          for (const f of r.face) found.push({ box: [f.box[0] + x, f.box[1] + y, f.box[2], f.box[3]], score: f.boxScore ?? f.score });
        } finally {
          part.dispose();
        }
      }
    }
  } finally {
    t.dispose();
  }
  return mergeFaces(found.filter((f) => f.score >= FACE_MIN_SCORE))
    .map((f) => ({ box: toDisplayBox(f.box, img), score: round3(f.score) }))
    .filter((f) => f.box[2] > 0 && f.box[3] > 0);
}

/** `tiles: false` skips the tiled pass (faster, misses small faces in big images). */
export async function detectFaces(path: string, opts: { maxPixels?: number; tiles?: boolean } = {}): Promise<DetectedFace[]> {
  return detectFacesPrepared(await prepareImage(path, { channels: 3, kernel: 'linear', maxSide: FACE_MAX_SIDE, maxPixels: opts.maxPixels }), opts);
}

/** Folder of the package's model files (for the README / status). */
export const humanModelDir = () => resolve(pkgDir('@vladmandic/human'), 'models');
