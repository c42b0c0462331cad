// OCR word recall on generated images: several fonts, sizes, backgrounds and slight rotations,
// rendered by ImageMagick with known words. Also checks boxes land where the text was drawn,
// the Tesseract path for languages PaddleOCR's models don't cover, and the analyser's output shape.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { ocrImageFile, ocrAnalyser, chooseOcrEngine } from '../src/analysers/ocr.ts';
import { closePaddle } from '../src/engines/ocr-paddle.ts';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vitrine-vision-ocr-'));
});
after(async () => {
  await closePaddle();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const WORDS = [
  'archive', 'quarterly', 'report', 'budget', 'harbour', 'station', 'meeting', 'evidence', 'council', 'invoice',
  'summer', 'river', 'garden', 'window', 'market', 'letter', 'museum', 'bridge', 'forest', 'ticket',
  'planet', 'signal', 'orange', 'coffee', 'mirror', 'silver', 'camera', 'winter', 'doctor', 'police',
  'hospital', 'airport', 'library', 'theatre', 'factory', 'village', 'painter', 'kitchen', 'journal', 'harvest',
];

interface Case { font: string; size: number; bg: string; fg: string; rotate: number; words: string[] }

function cases(): Case[] {
  const styles = [
    { font: 'DejaVu-Sans', size: 28, bg: 'white', fg: 'black', rotate: 0 },
    { font: 'DejaVu-Serif', size: 36, bg: '#f3ecd9', fg: '#202020', rotate: 1.5 },
    { font: 'DejaVu-Sans-Mono', size: 22, bg: '#d8d8d8', fg: '#101010', rotate: -1 },
    { font: 'DejaVu-Sans-Bold', size: 44, bg: '#1d2b53', fg: 'white', rotate: 2 },
    { font: 'DejaVu-Serif-Italic', size: 30, bg: 'gradient:#ffffff-#a0c8ff', fg: 'black', rotate: -2 },
    { font: 'DejaVu-Sans-Condensed', size: 18, bg: 'white', fg: '#333333', rotate: 0.5 },
    { font: 'Nimbus-Sans-Regular', size: 32, bg: 'plasma:#ffe0e0-#e0ffe0', fg: 'black', rotate: 0 },
    { font: 'Nimbus-Roman-Regular', size: 26, bg: '#fff8dc', fg: '#000080', rotate: -1.5 },
  ];
  return styles.map((s, i) => ({ ...s, words: WORDS.slice((i * 5) % WORDS.length, (i * 5) % WORDS.length + 5) }));
}

function render(c: Case, out: string): void {
  // Two lines of known words on a background, then rotated slightly (as a tilted photo or scan).
  const text = `${c.words.slice(0, 3).join(' ')}\n${c.words.slice(3).join(' ')}`;
  const w = Math.round(c.size * 16);
  const h = Math.round(c.size * 5);
  const bg = c.bg.includes(':') ? c.bg : `xc:${c.bg}`;
  execFileSync('convert', [
    '-size', `${w}x${h}`, '-seed', '7', bg,
    '-font', c.font, '-pointsize', String(c.size), '-fill', c.fg, '-gravity', 'west',
    '-annotate', `+${c.size}+0`, text,
    '-background', c.bg.includes(':') ? 'white' : c.bg, '-rotate', String(c.rotate), '+repage', out,
  ]);
}

function tokens(s: string): Set<string> {
  return new Set(s.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean));
}

test('PaddleOCR word recall on generated images is at least 0.85', async () => {
  let found = 0;
  let total = 0;
  const misses: string[] = [];
  for (const [i, c] of cases().entries()) {
    const f = join(dir, `case${i}.png`);
    render(c, f);
    const r = await ocrImageFile(f, {});
    assert.equal(r.engine, 'paddle');
    const got = tokens(r.text);
    for (const w of c.words) {
      total++;
      if (got.has(w)) found++;
      else misses.push(`${c.font}/${c.size}: ${w} (got "${r.text.replace(/\n/g, ' | ')}")`);
    }
  }
  const recall = found / total;
  console.log(`paddle word recall ${found}/${total} = ${recall.toFixed(3)}`);
  if (misses.length) console.log('missed:\n  ' + misses.join('\n  '));
  assert.ok(recall >= 0.85, `word recall ${recall.toFixed(3)} < 0.85`);
});

test('boxes are in displayed pixels of the original, also for small upscaled and EXIF-rotated images', async () => {
  const f = join(dir, 'small.png');
  // Word drawn at a known place in a small image (the engine upscales it internally).
  execFileSync('convert', ['-size', '400x120', 'xc:white', '-font', 'DejaVu-Sans', '-pointsize', '28', '-fill', 'black',
    '-annotate', '+200+80', 'harbour', f]);
  const r = await ocrImageFile(f, {});
  const line = r.lines.find((l) => l.text.toLowerCase().includes('harbour'));
  assert.ok(line, `harbour not found in ${JSON.stringify(r.lines)}`);
  const [x, y, w, h] = line.box;
  assert.ok(Math.abs(x - 200) < 12 && y > 50 && y < 70 && w > 90 && w < 160 && h > 15 && h < 45, `box ${line.box}`);

  // Same picture stored rotated with EXIF orientation 6 (display = rotate 90° clockwise).
  const rot = join(dir, 'rot.jpg');
  execFileSync('convert', [f, '-rotate', '-90', '-quality', '95', rot]);
  execFileSync('exiftool', ['-q', '-overwrite_original', '-Orientation#=6', rot]);
  const r2 = await ocrImageFile(rot, {});
  const l2 = r2.lines.find((l) => l.text.toLowerCase().includes('harbour'));
  assert.ok(l2, `harbour not found after EXIF rotation: ${JSON.stringify(r2.lines)}`);
  assert.ok(Math.abs(l2.box[0] - 200) < 12 && Math.abs(l2.box[1] - y) < 12, `rotated box ${l2.box} vs ${line.box}`);
});

test('engine choice by language; Tesseract reads German with umlauts', async () => {
  assert.equal(chooseOcrEngine(undefined), 'paddle');
  assert.equal(chooseOcrEngine(['eng']), 'paddle');
  assert.equal(chooseOcrEngine(['chi_sim', 'eng']), 'paddle');
  assert.equal(chooseOcrEngine(['deu']), 'tesseract');
  assert.equal(chooseOcrEngine(['eng', 'fra']), 'tesseract');

  const f = join(dir, 'de.png');
  execFileSync('convert', ['-size', '900x160', 'xc:white', '-font', 'DejaVu-Sans', '-pointsize', '36', '-fill', 'black',
    '-annotate', '+20+60', 'Größere Brücken über', '-annotate', '+20+120', 'den Fluß München', f]);
  const r = await ocrImageFile(f, { ocrLang: ['deu'] });
  assert.equal(r.engine, 'tesseract');
  assert.equal(r.language, 'de');
  const got = tokens(r.text);
  for (const w of ['größere', 'brücken', 'über', 'münchen']) assert.ok(got.has(w), `${w} missing in "${r.text}"`);
  assert.ok(r.lines.length >= 2 && r.lines.every((l) => l.box[2] > 0 && l.score > 0 && l.score <= 1));
});

test('ocr analyser: accepts images only, text entries carry boxes, unknown language is a permanent error', async () => {
  assert.equal(ocrAnalyser.id, 'ocr');
  assert.equal(ocrAnalyser.heavy, true);
  const target = { sha256: 'x', type: 'image' as const, mime: 'image/png', size: 1, name: 'a.png' };
  assert.equal(ocrAnalyser.accepts(target), true);
  assert.equal(ocrAnalyser.accepts({ ...target, type: 'video' }), false);

  const f = join(dir, 'case0.png');
  const ctx = { tmpDir: dir, signal: new AbortController().signal, log: console as never };
  const out = await ocrAnalyser.run({ ...target, path: f, deps: {}, options: {} }, ctx);
  assert.ok(out.result.lines.length >= 2);
  assert.ok(out.text && out.text.length === out.result.lines.length);
  assert.ok(out.text.every((t) => Array.isArray(t.box) && t.box.length === 4 && t.text.length > 0));

  await assert.rejects(
    ocrAnalyser.run({ ...target, path: f, deps: {}, options: { ocrLang: ['xxx_not_a_language'] } }, ctx),
    (e: { code?: string; kind?: string }) => e.code === 'E_OCR_LANG' && e.kind === 'permanent',
  );
});
