// Runs every bench/*.bench.ts one after another (never in parallel: they measure time on a shared
// machine) with the Node running this script, keeps going past a failing one, prints a summary and
// exits 1 if any failed. `make bench` calls this. Optional arguments filter by name: node bench/run.ts core
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const dir = new URL('.', import.meta.url).pathname;
const filters = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => !filters.length || filters.some((x) => f.includes(x)))
  .sort();
if (!files.length) {
  console.error(`no bench/*.bench.ts matches ${filters.join(' ')}`);
  process.exit(2);
}

let stopping = false;
let current: ReturnType<typeof spawn> | null = null;
process.on('SIGINT', () => {
  stopping = true;
  current?.kill('SIGINT');
});

const results: { file: string; code: number | null; signal: string | null; s: number }[] = [];
for (const file of files) {
  if (stopping) break;
  console.log(`\n=== ${file} ===`);
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(dir, file)], { stdio: 'inherit', cwd: join(dir, '..') });
  current = child;
  const [code, signal] = await new Promise<[number | null, string | null]>((res) => {
    child.on('exit', (c, s) => res([c, s]));
    child.on('error', () => res([null, 'spawn error']));
  });
  current = null;
  results.push({ file, code, signal, s: (performance.now() - t0) / 1000 });
}

console.log('\n=== summary ===');
for (const r of results)
  console.log(`${r.code === 0 ? 'ok  ' : 'FAIL'}  ${r.file.padEnd(28)} ${r.s.toFixed(0).padStart(5)} s${r.code === 0 ? '' : `  (exit ${r.code ?? r.signal})`}`);
const failed = results.filter((r) => r.code !== 0).length;
if (stopping) console.log('interrupted');
console.log(failed ? `${failed} of ${results.length} failed (a target missed or an error); see bench/RESULTS*.md` : `all ${results.length} passed`);
process.exit(failed || stopping ? 1 : 0);
