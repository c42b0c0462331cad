// sharp (libvips), loaded on the first call: same function, same types, no start-up cost where unused.
import type Sharp from 'sharp';
import { lazyRequire } from './lazy-require.ts';

const load = lazyRequire<typeof Sharp>('sharp');

export const sharp = ((...args: Parameters<typeof Sharp>) => load()(...args)) as typeof Sharp;
