// thumbnail: a 320 px WebP — the image itself, a video's poster frame, or a PDF's first page.
import { join } from 'node:path';
import { stat } from 'node:fs/promises';
import { sharp } from '../util/sharp.ts';
import { PermanentError } from '../errors.ts';
import { run } from '../util/proc.ts';
import { derivedRelPath } from '../util/derived-path.ts';
import type { Analyser } from './types.ts';

const SIZE = 320;
const MAX_PIXELS = 268_402_689;

async function toWebp(src: string | Buffer, out: string): Promise<void> {
  try {
    await sharp(src, { limitInputPixels: MAX_PIXELS, failOn: 'none', animated: false })
      .rotate()
      .resize(SIZE, SIZE, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 78 })
      .toFile(out);
  } catch (e) {
    throw new PermanentError('E_IMAGE_UNREADABLE', `cannot make a thumbnail: ${(e as Error).message}`);
  }
}

export const thumbnail: Analyser<{ path: string }> = {
  id: 'thumbnail',
  version: 1,
  needs: ['metadata'],
  accepts: (t) => t.type === 'image' || t.type === 'video' || t.mime === 'application/pdf',
  async run(input, ctx) {
    const out = join(ctx.tmpDir, 'thumb.webp');
    if (input.type === 'image') {
      await toWebp(input.path, out);
    } else if (input.type === 'video') {
      const duration = (input.deps.metadata as { duration?: number } | undefined)?.duration ?? 0;
      const at = duration > 0 ? Math.min(duration * 0.1, 10) : 0;
      const frame = join(ctx.tmpDir, 'poster.png');
      await run('ffmpeg', ['-nostdin', '-hide_banner', '-v', 'error', '-protocol_whitelist', 'file', '-ss', at.toFixed(2),
        '-i', 'file:' + input.path, '-frames:v', '1', '-vf', `scale=${SIZE * 2}:-2`, '-y', frame], { timeoutMs: 120_000 });
      if (!(await stat(frame).catch(() => null))) throw new PermanentError('E_NO_FRAME', 'the video has no decodable frame');
      await toWebp(frame, out);
    } else {
      const prefix = join(ctx.tmpDir, 'page');
      await run('pdftoppm', ['-f', '1', '-l', '1', '-scale-to', String(SIZE * 2), '-png', '-singlefile', input.path, prefix], { timeoutMs: 120_000 });
      await toWebp(prefix + '.png', out);
    }
    const d = { kind: 'thumbnail', tmpPath: out, ext: 'webp' };
    return { result: { path: derivedRelPath(input.sha256, 'thumbnail', d) }, derived: [d] };
  },
};
