// Documents benchmark, same-run baselines:
//  - born-digital PDFs: pages/s through extractPdf vs plain `pdftotext` on the same files (target ≥ 0.9×);
//  - scanned pages: time per page through extractPdf (render + OCR) vs raw tesseract on the same page
//    images (target ≤ 1.1×).
// Run: node bench/docs.bench.ts  → prints figures and writes bench/RESULTS-docs.md.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm, writeFile, readFile, readdir } from 'node:fs/promises';
import { tmpdir, cpus, totalmem, release, loadavg } from 'node:os';
import { join } from 'node:path';
import { makePdf } from '../test/docs-fixtures.ts';
import { extractPdf } from '../src/extractors/pdf.ts';
import { resolveLimits } from '../src/extractors/limits.ts';

const sh = promisify(execFile);
const FILES = 40;
const PAGES = 20;
const SCANNED = 4;
const ROUNDS = 3;

const words = 'archive ledger minutes council budget invoice harbour railway treaty census tariff cable'.split(' ');
const line = (i: number) => Array.from({ length: 12 }, (_, k) => words[(i * 7 + k * 3) % words.length]).join(' ');

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'vitrine-bench-docs-'));
  try {
    const files: string[] = [];
    for (let f = 0; f < FILES; f++) {
      const pages = Array.from({ length: PAGES }, (_, p) => ({ lines: Array.from({ length: 45 }, (_, l) => `${line(f + p + l)} p${p + 1}`) }));
      const path = join(dir, `born-${f}.pdf`);
      await writeFile(path, makePdf(pages, { title: `Doc ${f}` }));
      files.push(path);
    }
    const limits = resolveLimits();
    const best = async (fn: () => Promise<void>) => {
      let b = Infinity;
      for (let r = 0; r < ROUNDS; r++) { const t = performance.now(); await fn(); b = Math.min(b, performance.now() - t); }
      return b;
    };
    const totalPages = FILES * PAGES;
    const baseMs = await best(async () => { for (const f of files) await sh('pdftotext', ['-enc', 'UTF-8', f, '-'], { maxBuffer: 64 << 20 }); });
    const oursMs = await best(async () => {
      for (const f of files) {
        const t = await mkdtemp(join(dir, 'x-'));
        const r = await extractPdf(f, { tmpDir: t, limits, thumbnails: 0 });
        if (r.pages!.length !== PAGES) throw new Error('page count');
        await rm(t, { recursive: true });
      }
    });
    const thumbsMs = await best(async () => {
      for (const f of files) {
        const t = await mkdtemp(join(dir, 'x-'));
        await extractPdf(f, { tmpDir: t, limits });
        await rm(t, { recursive: true });
      }
    });
    const basePps = totalPages / (baseMs / 1000);
    const oursPps = totalPages / (oursMs / 1000);
    const thumbsPps = totalPages / (thumbsMs / 1000);

    // scanned pages
    const jpgs: Buffer[] = [];
    for (let i = 0; i < SCANNED; i++) {
      const jpg = join(dir, `scan-${i}.jpg`);
      const args = ['-size', '1654x2339', 'xc:white', '-font', 'DejaVu-Sans', '-pointsize', '36', '-fill', 'black'];
      for (let l = 0; l < 30; l++) args.push('-annotate', `+120+${160 + l * 70}`, line(i + l));
      await sh('convert', [...args, '-colorspace', 'Gray', '-quality', '85', jpg]);
      jpgs.push(await readFile(jpg));
    }
    const scanned = join(dir, 'scanned.pdf');
    await writeFile(scanned, makePdf(jpgs.map((data) => ({ jpeg: { data, width: 1654, height: 2339 } }))));
    // raw engine: tesseract on the same page images extractPdf renders (200 dpi gray), rendering not timed
    await sh('pdftoppm', ['-r', '200', '-gray', scanned, join(dir, 'raw')]);
    const imgs = (await readdir(dir)).filter((f) => /^raw-\d+\.pgm$/.test(f)).sort().map((f) => join(dir, f));
    const rawT = performance.now();
    for (const img of imgs) await sh('tesseract', [img, 'stdout', '-l', 'eng'], { env: { ...process.env, OMP_THREAD_LIMIT: '1' } });
    const rawPerPage = (performance.now() - rawT) / imgs.length;
    const t = await mkdtemp(join(dir, 'x-'));
    const ourT = performance.now();
    const r = await extractPdf(scanned, { tmpDir: t, limits, thumbnails: 0 });
    const ourPerPage = (performance.now() - ourT) / SCANNED;
    if (r.ocrPages?.length !== SCANNED) throw new Error(`OCR'd ${r.ocrPages?.length} pages`);
    const hit = r.pages!.filter((p) => p.text.includes('ledger') || p.text.includes('council')).length;

    const ver = async (cmd: string, args: string[]) => {
      try { const o = await sh(cmd, args); return (o.stdout + o.stderr).split('\n')[0]!.trim(); } catch { return '?'; }
    };
    const md = `# Documents benchmark

Machine: ${cpus()[0]?.model} × ${cpus().length} cores, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, Linux ${release()}, Node ${process.version};
${await ver('pdftotext', ['-v'])}; ${await ver('tesseract', ['--version'])}. Date: ${new Date().toISOString().slice(0, 10)}.
Run: \`node bench/docs.bench.ts\` (best of ${ROUNDS} rounds, sequential, shared 2-core machine; load average at the end ${loadavg()[0]!.toFixed(1)}).

## Born-digital PDFs (${FILES} files × ${PAGES} pages, ~45 lines per page)

| path | pages/s | × pdftotext |
|---|---:|---:|
| plain \`pdftotext file -\` | ${basePps.toFixed(0)} | 1.00 |
| extractPdf (text per page + metadata from one \`pdftotext -htmlmeta\`, thumbnails off) | ${oursPps.toFixed(0)} | ${(oursPps / basePps).toFixed(2)} |
| extractPdf with the default 3 page thumbnails | ${thumbsPps.toFixed(0)} | ${(thumbsPps / basePps).toFixed(2)} |

Target ≥ 0.9× pdftotext: **${oursPps / basePps >= 0.9 ? 'met' : 'not met'}** (thumbnails off; thumbnails are extra work the baseline does not do).

## Scanned pages (${SCANNED} A4 pages, 30 lines each, OCR at 200 dpi, eng)

| path | s/page | × raw tesseract |
|---|---:|---:|
| raw \`tesseract page.pgm stdout\` (page images pre-rendered, rendering not timed) | ${(rawPerPage / 1000).toFixed(2)} | 1.00 |
| extractPdf (pdftotext + pdfimages + pdfinfo + render + OCR, render of page n+1 overlaps OCR of page n) | ${(ourPerPage / 1000).toFixed(2)} | ${(ourPerPage / rawPerPage).toFixed(2)} |

Target ≤ 1.1× raw OCR time per page: **${ourPerPage / rawPerPage <= 1.1 ? 'met' : 'not met'}**. Pages with expected words found: ${hit}/${SCANNED}.
`;
    console.log(md);
    await writeFile(new URL('./RESULTS-docs.md', import.meta.url), md);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
