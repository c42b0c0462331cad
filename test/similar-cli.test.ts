// `vitrine similar`: resized (50 %), re-encoded (JPEG quality 40) and lightly cropped (5 %) copies of a
// generated image are found, nearest first; an unrelated image is not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { runCli, describe } from './helpers/cli.ts';

test('similar finds resized, re-encoded and cropped copies, not an unrelated image', { timeout: 180_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vitrine-similar-'));
  try {
    const src = join(dir, 'in');
    await mkdir(src);
    const f = (n: string) => join(src, n);
    const im = (...args: string[]) => execFileSync('convert', args);
    im('-seed', '7', '-size', '640x480', 'plasma:fractal', '-blur', '0x3', f('orig.png'));
    im(f('orig.png'), '-resize', '50%', f('half.png'));
    im(f('orig.png'), '-quality', '40', f('q40.jpg'));
    im(f('orig.png'), '-gravity', 'center', '-crop', '95%x95%+0+0', '+repage', f('crop.png'));
    im('-seed', '99', '-size', '640x480', 'plasma:fractal', '-blur', '0x3', f('other.png'));
    const data = join(dir, 'data');
    const ing = await runCli(['ingest', src, '--analysers', 'phash', '--json'], { data });
    assert.equal(ing.code, 0, describe(ing));
    const byName = Object.fromEntries(ing.json.assets.map((a: { path: string; id: string }) => [a.path.split('/').pop(), a.id]));

    const r = await runCli(['similar', byName['orig.png'], '--json'], { data });
    assert.equal(r.code, 0, describe(r));
    assert.equal(r.json.assetId, byName['orig.png']);
    const found = r.json.similar as Array<{ assetId: string; path: string; distance: number }>;
    assert.deepEqual(new Set(found.map((s) => s.assetId)), new Set([byName['half.png'], byName['q40.jpg'], byName['crop.png']]), describe(r));
    for (const s of found) assert.ok(s.distance <= 10 && typeof s.path === 'string');
    assert.deepEqual(found.map((s) => s.distance), [...found.map((s) => s.distance)].sort((a, b) => a - b), 'nearest first');

    // A stricter distance keeps only the closest copies (the crop moves a few bits).
    const strict = await runCli(['similar', byName['orig.png'], '--max-distance', '2', '--json'], { data });
    assert.ok(strict.json.similar.length < found.length && strict.json.similar.every((s: { distance: number }) => s.distance <= 2), describe(strict));
    assert.equal((await runCli(['similar', 'nope', '--json'], { data })).code, 3);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
