// Content moderation labels from nsfwjs' bundled MobileNetV2 model (shipped inside the npm package as
// JS modules: nothing is fetched). It runs on the same tfjs-core and WASM backend that human.ts sets up.
import { TransientError } from '../errors.ts';
import { prepareImage, type PreparedImage } from './image-prep.ts';
import { getHuman, quietly, tfCore, type Tensor } from './human.ts';

export interface ModerationLabel { label: string; score: number }

interface NsfwModel {
  classify(img: Tensor, topk?: number): Promise<Array<{ className: string; probability: number }>>;
}

// The model looks at 224×224 (nsfwjs resizes the tensor itself). Only large photos are scaled down first,
// where JPEG shrink-on-load makes that cheaper than decoding every pixel and it bounds the tensor's memory;
// resampling an 800–1280 px photo in sharp costs more than the 10 ms it saves the model (bench/RESULTS-vision.md).
const NSFW_SIDE = 1280;

let modelPromise: Promise<NsfwModel> | null = null;

function getModel(): Promise<NsfwModel> {
  modelPromise ??= (async () => {
    // Human initialises tfjs with the WASM backend first; nsfwjs then uses whatever backend is active.
    await getHuman();
    return quietly(async () => {
      const nsfwjs = (await import('nsfwjs')) as unknown as { load(name: string, o?: unknown): Promise<NsfwModel> };
      return nsfwjs.load('MobileNetV2', { size: 224 });
    });
  })().catch((e: unknown) => {
    modelPromise = null;
    throw new TransientError('E_VISION_MODEL', `could not load the moderation model: ${(e as Error).message}`, e);
  });
  return modelPromise;
}

/** Scores for Drawing, Hentai, Neutral, Porn, Sexy (lower-cased), highest first. */
export async function classifyModerationPrepared(img: PreparedImage): Promise<ModerationLabel[]> {
  const model = await getModel();
  const tf = tfCore();
  const t = tf.tensor3d(Int32Array.from(img.data), [img.height, img.width, 3], 'int32');
  try {
    const preds = await model.classify(t, 5);
    return preds
      .map((p) => ({ label: p.className.toLowerCase(), score: Math.round(p.probability * 1000) / 1000 }))
      .sort((a, b) => b.score - a.score);
  } finally {
    t.dispose();
  }
}

export async function classifyModeration(path: string, opts: { maxPixels?: number } = {}): Promise<ModerationLabel[]> {
  return classifyModerationPrepared(await prepareImage(path, { channels: 3, kernel: 'linear', maxSide: NSFW_SIDE, maxPixels: opts.maxPixels }));
}
