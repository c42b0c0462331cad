#!/usr/bin/env node
// Runs the TypeScript sources directly (Node >= 22.18 strips types); `npx vitrine` puts the Node 22 from
// node_modules/.bin first on PATH. Experimental-feature warnings (node:sqlite) are not for users.
const emit = process.emitWarning;
process.emitWarning = (w, ...rest) => {
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type;
  if (type === 'ExperimentalWarning' || (w && w.name === 'ExperimentalWarning')) return;
  return emit.call(process, w, ...rest);
};
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(`vitrine: E_NODE_VERSION Node ${process.versions.node} is too old; run "make setup" and use "npx vitrine" (it brings Node 22)\n`);
  process.exit(2);
}
// Long-lived commands re-execute themselves once (same pid: service managers and `kill` see no difference)
// with settings that keep resident memory down, measured in bench/RESULTS-http.md:
// - MALLOC_ARENA_MAX=2: glibc otherwise gives each thread (libuv's pool writing and hashing uploads, libvips)
//   its own arena, and freed upload buffers stay resident in them: ~50 MB during a 1 GiB upload;
// - VITRINE_NODE_FLAGS: extra V8 flags for `serve` (none by default: smaller semi-spaces saved ~20 MB of RSS
//   but more scavenges per request cost search p95 here).
const LONG_LIVED = new Set(['serve', 'work']);
if (LONG_LIVED.has(process.argv[2]) && !process.env.VITRINE_REEXEC && typeof process.execve === 'function') {
  const flags = process.argv[2] === 'serve' ? (process.env.VITRINE_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean) : [];
  process.execve(process.execPath, [process.execPath, ...flags, ...process.execArgv, ...process.argv.slice(1)],
    { MALLOC_ARENA_MAX: '2', ...process.env, VITRINE_REEXEC: '1' });
}
// V8's compile cache (node_modules/.cache) makes later starts skip parsing the sources again.
const { enableCompileCache } = await import('node:module');
try {
  enableCompileCache?.(new URL('../node_modules/.cache/vitrine-compile', import.meta.url).pathname);
} catch {}
const { main } = await import('../src/main.ts');
const code = await main(process.argv.slice(2));
// Exit once stdout is flushed: idle handles (WASM database, timers) must not keep the CLI alive.
process.stdout.write('', () => process.exit(code));
