// Perceptual difference hash (dHash) of an image: grey 9x8, one bit per horizontally adjacent pair
// (left brighter than right). Two frames of the same static scene differ by a few bits, so sampling a long
// shot and dropping near-duplicates lets a static scene be analysed once.
import { sharp } from '../util/sharp.ts';

/** 64-bit dHash as 16 hex digits. */
export async function dhash64(path: string): Promise<string> {
  const px = await sharp(path, { failOn: 'none', limitInputPixels: 100_000_000 })
    .greyscale()
    .resize(9, 8, { fit: 'fill', kernel: 'cubic' })
    .raw()
    .toBuffer();
  let hex = '';
  for (let row = 0; row < 8; row++) {
    let byte = 0;
    for (let col = 0; col < 8; col++) {
      const i = row * 9 + col;
      byte = (byte << 1) | (px[i]! > px[i + 1]! ? 1 : 0);
    }
    hex += byte.toString(16).padStart(2, '0');
  }
  return hex;
}

const POP = Array.from({ length: 16 }, (_, n) => (n & 1) + ((n >> 1) & 1) + ((n >> 2) & 1) + ((n >> 3) & 1));

/** Number of differing bits between two hex hashes of equal length. */
export function hamming(a: string, b: string): number {
  if (a.length !== b.length) throw new Error('hashes differ in length');
  let d = 0;
  for (let i = 0; i < a.length; i++) d += POP[parseInt(a[i]!, 16) ^ parseInt(b[i]!, 16)]!;
  return d;
}

/** Distance at or below which two frames count as the same picture (of 64 bits). */
export const SAME_FRAME_DISTANCE = 6;
