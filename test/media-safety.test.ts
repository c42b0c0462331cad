// Hostile and broken media: playlists and concat scripts are never followed (even renamed), names that look
// like protocols or devices are only file names, non-regular files are refused, corrupt/truncated media
// and missing audio are permanent errors, and a hung ffmpeg is killed by its timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile, copyFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import pino from 'pino';
import { probeMedia } from '../src/engines/ffprobe.ts';
import { ffmpeg } from '../src/engines/ffmpeg.ts';
import { detectShots } from '../src/engines/shots.ts';
import { transcript } from '../src/analysers/transcript.ts';
import { shots } from '../src/analysers/shots.ts';

const ff = (args: string[]) => execFileSync('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args]);
const ctx = (tmpDir: string) => ({ log: pino({ level: 'silent' }), tmpDir, signal: new AbortController().signal });
const input = (path: string, type: 'video' | 'audio' = 'video') => ({ sha256: 'x', type, mime: 'video/mp4', size: 1, name: 'x', path, deps: {}, options: {} });

let dir: string;
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vitrine-msafe-'));
  ff(['-f', 'lavfi', '-i', 'testsrc=d=2:s=160x120:r=25', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', join(dir, 'secret.mp4')]);
  ff(['-i', join(dir, 'secret.mp4'), '-c', 'copy', '-f', 'mpegts', join(dir, 'secret.ts')]);
});
test.after(() => rm(dir, { recursive: true, force: true }));

const refused = (e: unknown) => {
  assert.equal((e as { code?: string }).code, 'E_MEDIA_UNREADABLE', String(e));
  return true;
};

test('an HLS playlist referencing a local file is not followed (also when renamed .mp4)', async () => {
  const m3u8 = '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nsecret.ts\n#EXT-X-ENDLIST\n';
  await writeFile(join(dir, 'p.m3u8'), m3u8);
  await writeFile(join(dir, 'innocent.mp4'), m3u8);
  // Plain ffprobe with only the file protocol restricted WOULD follow it: the guard is what stops it.
  const naive = execFileSync('ffprobe', ['-v', 'error', '-protocol_whitelist', 'file', '-show_entries', 'format=duration', '-of', 'csv=p=0', 'file:' + join(dir, 'p.m3u8')]).toString();
  assert.ok(Number(naive) > 1, 'naive ffprobe follows the playlist');
  await assert.rejects(probeMedia(join(dir, 'p.m3u8')), refused);
  await assert.rejects(probeMedia(join(dir, 'innocent.mp4')), refused);
  await assert.rejects(detectShots(join(dir, 'innocent.mp4'), await mkdirp('shots1')), /failed/);
});

test('a playlist with an http URL and an ffconcat script are refused without network access', async () => {
  await writeFile(join(dir, 'remote.m3u8'), '#EXTM3U\n#EXTINF:2,\nhttp://127.0.0.1:9/x.ts\n#EXT-X-ENDLIST\n');
  await writeFile(join(dir, 'list.ffconcat'), 'ffconcat version 1.0\nfile secret.mp4\nfile /etc/passwd\n');
  await writeFile(join(dir, 'list.txt'), 'ffconcat version 1.0\nfile secret.mp4\n');
  for (const f of ['remote.m3u8', 'list.ffconcat', 'list.txt']) await assert.rejects(probeMedia(join(dir, f)), refused);
});

test('names that look like protocols or devices are just file names; device nodes are refused', async () => {
  const junk = Buffer.from('not media at all '.repeat(100));
  for (const name of ['concat:secret.mp4|secret.mp4', 'pipe:0', 'http:x', 'video4linux2']) {
    const p = join(dir, name);
    await writeFile(p, junk);
    await assert.rejects(probeMedia(p), refused);
  }
  // A copy of real media under a protocol-like name is read as that file (not as a concat of two).
  const p = join(dir, 'concat:secret.mp4|secret.mp4.mp4');
  await copyFile(join(dir, 'secret.mp4'), p);
  const probe = await probeMedia(p);
  assert.ok(Math.abs((probe.duration ?? 0) - 2) < 0.2, `duration ${probe.duration}`);
  await assert.rejects(probeMedia('/dev/zero'), (e: { code?: string }) => e.code === 'E_NOT_A_FILE');
  execFileSync('mkfifo', [join(dir, 'fifo.mp4')]);
  await assert.rejects(probeMedia(join(dir, 'fifo.mp4')), (e: { code?: string }) => e.code === 'E_NOT_A_FILE');
});

test('truncated and corrupt media are permanent errors', async () => {
  const full = await readFile(join(dir, 'secret.mp4'));
  await writeFile(join(dir, 'trunc.mp4'), full.subarray(0, Math.floor(full.length / 3)));
  await writeFile(join(dir, 'random.mp4'), Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 251)));
  for (const f of ['trunc.mp4', 'random.mp4']) {
    const tmp = await mkdirp('run-' + f);
    await assert.rejects(shots.run(input(join(dir, f)), ctx(tmp)), (e: { kind?: string }) => e.kind === 'permanent');
  }
});

test('a video without an audio track is skipped by transcript with E_NO_AUDIO', async () => {
  await assert.rejects(transcript.run(input(join(dir, 'secret.mp4')), ctx(await mkdirp('tr'))),
    (e: { code?: string; kind?: string }) => e.code === 'E_NO_AUDIO' && e.kind === 'permanent');
});

test('a hung ffmpeg is killed by its timeout', async () => {
  const t = Date.now();
  await assert.rejects(
    ffmpeg(join(dir, 'secret.mp4'), ['-f', 'null', '-'], { inputOptions: ['-stream_loop', '-1', '-re'], timeoutMs: 1500 }),
    (e: { code?: string }) => e.code === 'E_TOOL_LIMIT',
  );
  assert.ok(Date.now() - t < 5000);
});

async function mkdirp(name: string) {
  const p = join(dir, name);
  await mkdir(p, { recursive: true });
  return p;
}
