// phash: 64-bit DCT perceptual hash (32×32 grey, low 8×8 frequencies vs their median). Resized,
// re-encoded and lightly cropped copies land within a few bits of each other.
import { sharp } from '../util/sharp.ts';
import { PermanentError } from '../errors.ts';
import type { Analyser } from './types.ts';

const N = 32;
const COS: number[][] = Array.from({ length: 8 }, (_, u) =>
  Array.from({ length: N }, (_, x) => Math.cos(((2 * x + 1) * u * Math.PI) / (2 * N))));

export function phashFromGrey(px: Uint8Array | Buffer): string {
  // Separable 2-D DCT, only the 8×8 lowest frequencies.
  const rows: number[][] = [];
  for (let y = 0; y < N; y++) {
    const r: number[] = [];
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let x = 0; x < N; x++) s += px[y * N + x]! * COS[u]![x]!;
      r.push(s);
    }
    rows.push(r);
  }
  const coeffs: number[] = [];
  for (let v = 0; v < 8; v++)
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let y = 0; y < N; y++) s += rows[y]![u]! * COS[v]![y]!;
      coeffs.push(s);
    }
  const ac = coeffs.slice(1); // the DC term only says how bright the image is
  const median = [...ac].sort((a, b) => a - b)[Math.floor(ac.length / 2)]!;
  let bits = 0n;
  for (let i = 0; i < 64; i++) bits = (bits << 1n) | (coeffs[i]! > median ? 1n : 0n);
  return bits.toString(16).padStart(16, '0');
}

export async function phashOf(input: string | Buffer): Promise<string> {
  let data: Buffer;
  try {
    data = await sharp(input, { limitInputPixels: 268_402_689, failOn: 'none', animated: false })
      .rotate().greyscale().resize(N, N, { fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer();
  } catch (e) {
    throw new PermanentError('E_IMAGE_UNREADABLE', `cannot hash the image: ${(e as Error).message}`);
  }
  return phashFromGrey(data);
}

export function hamming(a: string, b: string): number {
  let x = BigInt('0x' + a) ^ BigInt('0x' + b);
  let n = 0;
  while (x) {
    x &= x - 1n;
    n++;
  }
  return n;
}

export const phash: Analyser<{ hash: string }> = {
  id: 'phash',
  version: 1,
  needs: ['metadata'],
  accepts: (t) => t.type === 'image',
  async run(input) {
    return { result: { hash: await phashOf(input.path) } };
  },
};
