// Tesseract over one rendered page image. Used for PDF pages without a text layer; the page is
// passed by path, languages are validated so nothing but a language list reaches the command line.
import { run } from '../util/proc.ts';
import { PermanentError } from '../errors.ts';

const LANG = /^[A-Za-z0-9_]+$/;

export function tesseractLangArg(langs: string[] | undefined): string {
  const list = (langs?.length ? langs : ['eng']).filter((l) => LANG.test(l));
  if (!list.length) throw new PermanentError('E_OCR_LANG', `no usable OCR language in ${JSON.stringify(langs)}`);
  return list.join('+');
}

export async function ocrImageFile(imagePath: string, opts: { langs?: string[]; timeoutMs: number; memoryBytes: number }): Promise<string> {
  const res = await run('tesseract', [imagePath, 'stdout', '-l', tesseractLangArg(opts.langs)], {
    timeoutMs: opts.timeoutMs,
    memoryBytes: opts.memoryBytes,
    env: { OMP_THREAD_LIMIT: '1' },
    maxStdoutBytes: 16 * 1024 * 1024,
  });
  return res.stdout.toString('utf8');
}
