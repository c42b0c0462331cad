// The web UI in a real browser (Debian's chromium driven by playwright-core): log in, upload a video
// with speech, wait for indexing, search, open the viewer, click a transcript line and check the player's
// time, answer a purpose prompt, and be refused a collection outside one's scope. Screenshots are kept in
// test-output/ for people to look at.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startServer, type Server } from './http-fixture.ts';

const ROOT = join(import.meta.dirname, '..');
const OUT = join(ROOT, 'test-output');
let s: Server;
let browser: Browser;
let page: Page;
const tok: Record<string, string> = {};
let legalId = '';
let video = '';

const shot = (name: string) => page.screenshot({ path: join(OUT, `e2e-${name}.png`), fullPage: true });

before(async () => {
  mkdirSync(OUT, { recursive: true });
  if (!existsSync(join(ROOT, 'web', 'dist', 'index.html')))
    execFileSync(join(ROOT, 'node_modules', '.bin', 'vite'), ['build', 'web', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
  s = await startServer();
  tok.admin = await s.user('editor', 'admin');
  tok.viewer = await s.user('vic', 'viewer', 'news');
  // Speech over a test picture with a cut in the middle: transcript and shots, nothing slower.
  const dir = join(s.dir, 'fixtures');
  mkdirSync(dir);
  // Three spoken sentences with pauses between them, so the transcript has several segments.
  const lines = ['The harbour master opened the northern gate.', 'Ships waited in the morning fog.', 'The crane lifted the heavy containers.'];
  const parts = lines.map((t, i) => {
    const f = join(dir, `s${i}.wav`);
    execFileSync('flite', ['-t', t, '-o', f]);
    return f;
  });
  const wav = join(dir, 'speech.wav');
  execFileSync('ffmpeg', ['-nostdin', '-v', 'error', ...parts.flatMap((f) => ['-i', f]), '-f', 'lavfi', '-t', '1.5', '-i', 'anullsrc=r=8000:cl=mono',
    '-filter_complex', '[0:a]aresample=16000[a0];[1:a]aresample=16000[a1];[2:a]aresample=16000[a2];[3:a]aresample=16000,asplit=3[g0][g1][g2];[g0][a0][g1][a1][g2][a2]concat=n=6:v=0:a=1[out]',
    '-map', '[out]', '-y', wav]);
  video = join(dir, 'harbour-report.webm');
  execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=15:duration=6', '-f', 'lavfi', '-i', 'smptebars=size=320x240:rate=15:duration=6',
    '-i', wav, '-filter_complex', '[0:v][1:v]concat=n=2:v=1:a=0[v]', '-map', '[v]', '-map', '2:a', '-c:v', 'libvpx', '-b:v', '300k', '-c:a', 'libopus', '-y', video]);
  for (const [col, body] of [['news', { analysers: ['metadata', 'thumbnail', 'shots', 'transcript'] }], ['legal', { analysers: ['document-text'], requirePurpose: true, purposes: ['litigation'] }]] as const) {
    const r = await s.api(`/api/v1/collections/${col}`, { token: tok.admin, method: 'PUT', body });
    assert.equal(r.status, 200);
  }
  const r = await s.api('/api/v1/assets?collection=legal&name=settlement.txt', { token: tok.admin, raw: 'Sealed settlement about the harbour gate.', headers: { 'content-type': 'application/octet-stream' } });
  legalId = ((await r.json()) as any).assets[0].id;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});

after(async () => {
  await browser?.close();
  await s?.close();
});

async function login(token: string) {
  await page.goto(s.url + '/');
  await page.getByLabel('Token (from vitrine user add)').fill(token);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

test('log in, upload, wait for indexing, search, view, seek from the transcript', { timeout: 240_000 }, async () => {
  await page.goto(s.url + '/');
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await shot('1-login');
  await page.getByLabel('Token (from vitrine user add)').fill('vt_wrong');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('alert').filter({ hasText: 'E_UNAUTHORIZED' }).waitFor();
  await login(tok.admin!);

  await page.getByRole('link', { name: 'Upload' }).click();
  await page.getByLabel('Into collection').fill('news');
  await page.setInputFiles('#files', video);
  await page.getByText(/done: stored; analysing/).waitFor({ timeout: 60_000 });
  await shot('2-upload');

  await page.getByRole('link', { name: 'Status' }).click();
  await page.getByText('Everything is analysed.').waitFor({ timeout: 180_000 });
  await shot('3-status');

  // A word the recogniser actually heard (pocketsphinx is not perfect): take it from the API.
  const assets = await (await s.api('/api/v1/assets?collection=news', { token: tok.admin })).json() as any;
  const id = assets.assets[0].id as string;
  const shown = await (await s.api(`/api/v1/assets/${id}`, { token: tok.admin })).json() as any;
  const segments = shown.analyses.transcript.result.segments as { start: number; end: number; text: string }[];
  assert.ok(segments.length >= 2, `transcript: ${JSON.stringify(shown.analyses.transcript)}`);
  const word = segments.map((x) => x.text).join(' ').split(/\W+/).filter((w) => w.length >= 5).sort((a, b) => b.length - a.length)[0]!;

  await page.getByRole('link', { name: 'Search' }).click();
  await page.getByLabel('Search text').fill(word);
  await page.getByLabel('Search text').press('Enter');
  const hit = page.getByRole('link', { name: 'harbour-report.webm' });
  await hit.waitFor();
  await page.getByRole('group', { name: 'Type' }).waitFor();
  await shot('4-search');

  await hit.click();
  await page.getByRole('heading', { name: 'harbour-report.webm' }).waitFor();
  await page.locator('#player').waitFor();
  await page.waitForFunction(() => (document.getElementById('player') as HTMLMediaElement).readyState >= 1, null, { timeout: 30_000 });
  const target = segments[segments.length - 1]!;
  const line = page.locator('.seg').nth(segments.length - 1);
  await line.click();
  await page.waitForFunction((t) => Math.abs((document.getElementById('player') as HTMLMediaElement).currentTime - t) < 0.6, target.start, { timeout: 10_000 });
  const time = await page.evaluate(() => (document.getElementById('player') as HTMLMediaElement).currentTime);
  assert.ok(Math.abs(time - target.start) < 0.6, `player at ${time}, segment starts at ${target.start}`);
  await page.locator('.transcript li[aria-current=true]').filter({ hasText: target.text.trim().split(' ')[0]! }).first().waitFor();
  await page.evaluate(() => (document.getElementById('player') as HTMLMediaElement).pause());
  // The shot timeline seeks too.
  const shots = page.getByRole('group', { name: 'Shots' }).getByRole('button');
  assert.ok((await shots.count()) >= 2, 'two shots');
  await shots.nth(1).click();
  const t2 = await page.evaluate(() => (document.getElementById('player') as HTMLMediaElement).currentTime);
  assert.ok(t2 > 4 && t2 < 7.5, `second shot starts near 6 s, player at ${t2}`);
  await page.evaluate(() => (document.getElementById('player') as HTMLMediaElement).pause());
  await shot('5-viewer');

  // A collection that needs a purpose: the prompt appears, the answer is sent, the asset opens.
  await page.goto(`${s.url}/#/asset/${legalId}`);
  const dialog = page.getByRole('dialog', { name: 'Why are you looking?' });
  await dialog.waitFor();
  await shot('6-purpose');
  await dialog.getByLabel('Purpose (recorded in the audit log)').fill('litigation');
  await dialog.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { name: 'settlement.txt' }).waitFor();
  const log = await (await s.api('/api/v1/audit/log?action=show&actor=editor', { token: tok.admin })).json() as any;
  assert.ok(log.events.some((e: any) => e.target === legalId && e.purpose === 'litigation' && e.outcome === 'ok'));
});

test('a viewer limited to "news" is refused the "legal" collection', { timeout: 60_000 }, async () => {
  await page.context().clearCookies();
  await page.evaluate(() => sessionStorage.clear());
  await login(tok.viewer!);
  await page.goto(`${s.url}/#/asset/${legalId}`);
  await page.getByRole('alert').filter({ hasText: 'E_FORBIDDEN' }).waitFor();
  await shot('7-forbidden');
  await page.goto(`${s.url}/#/search?q=harbour&collection=legal`);
  await page.getByRole('alert').filter({ hasText: 'E_FORBIDDEN' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Upload' }).count(), 0, 'a viewer has no upload page');
  assert.equal(await page.getByRole('link', { name: 'Audit' }).count(), 0);
});
