// `vitrine serve` as a process: it re-executes itself once under the same pid with MALLOC_ARENA_MAX=2 (unless
// set) and the VITRINE_NODE_FLAGS V8 flags, serves, and stops cleanly on SIGTERM.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { spawnCli } from './helpers/cli.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function serve(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const data = await mkdtemp(join(tmpdir(), 'vitrine-serve-'));
  dirs.push(data);
  const child = spawnCli(['serve', '--port', '0', '--no-workers', '--json'], { data, env });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /"url":\s*"([^"]+)"/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code} before listening`)));
  });
  return { child, url };
}

const environ = (pid: number) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');

for (const [title, env, arena, flag] of [
  ['defaults: MALLOC_ARENA_MAX=2, no V8 flags', {}, 'MALLOC_ARENA_MAX=2', null],
  ['the caller\'s MALLOC_ARENA_MAX and VITRINE_NODE_FLAGS win', { MALLOC_ARENA_MAX: '3', VITRINE_NODE_FLAGS: '--max-semi-space-size=4' }, 'MALLOC_ARENA_MAX=3', '--max-semi-space-size=4'],
] as const) {
  test(`serve re-executes under the same pid — ${title}`, { timeout: 60_000 }, async () => {
    const { child, url } = await serve(env);
    try {
      const pid = child.pid!;
      assert.ok(environ(pid).includes(arena), 'the running server has the allocator setting');
      assert.ok(environ(pid).includes('VITRINE_REEXEC=1'), 'it is the re-executed image');
      const args = cmdline(pid);
      if (flag) assert.ok(args.includes(flag), args.join(' '));
      else assert.ok(!args.some((a) => a.startsWith('--max-semi-space')), args.join(' '));
      assert.equal((await fetch(`${url}/api/v1/openapi.json`)).status, 200);
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', r)));
    assert.equal(code, 0);
  });
}
