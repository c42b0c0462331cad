// Shared by the core benchmarks: machine description, percentiles, a seeded PRNG, child-process timing
// with peak RSS, and the section updater for bench/RESULTS.md (each bench owns one marked section).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

export const BENCH_DIR = new URL('.', import.meta.url).pathname;
export const ROOT = join(BENCH_DIR, '..');
export const RESULTS = join(BENCH_DIR, 'RESULTS.md');

export function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
  } catch {
    return '(unavailable)';
  }
}

/** One paragraph: cores, memory, disk of the temp directory, Node, load at the time of the run. */
export function machine(): string {
  const mem = sh('free', ['-h']).split('\n').find((l) => l.startsWith('Mem:'))?.split(/\s+/) ?? [];
  const disk = sh('df', ['-h', tmpdir()]).split('\n')[1]?.split(/\s+/) ?? [];
  const la = loadavg().map((x) => x.toFixed(1)).join(' / ');
  return `${sh('nproc', [])} cores (\`nproc\`; ${cpus()[0]?.model.trim() ?? '?'}), memory ${mem[1] ?? '?'} total / ${mem[6] ?? '?'} available (\`free -h\`), ` +
    `temp disk ${disk[0] ?? '?'} ${disk[1] ?? '?'} (${disk[3] ?? '?'} free), Node ${process.version}, load average ${la} (1/5/15 min) at the start — ` +
    'the machine is shared with other engineers, so every figure is compared with a baseline measured in the same run.';
}

export function pct(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
export const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(0)} MiB`;

/** mulberry32: small, fast, deterministic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Timed {
  ms: number;
  status: number | null;
  stdout: string;
  stderr: string;
  /** Peak resident set size of the child in bytes (from /usr/bin/time -v), or null. */
  maxRss: number | null;
}

const HAVE_TIME = existsSync('/usr/bin/time');

/** Runs a program to completion (no shell) and measures wall time and, with /usr/bin/time, its peak RSS. */
export function timed(cmd: string, args: string[], opts: { rss?: boolean; cwd?: string } = {}): Timed {
  const rssFile = join(tmpdir(), `vitrine-bench-rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const useTime = opts.rss && HAVE_TIME;
  const [c, a] = useTime ? ['/usr/bin/time', ['-v', '-o', rssFile, cmd, ...args]] : [cmd, args];
  const t0 = performance.now();
  const r = spawnSync(c, a, { encoding: 'utf8', maxBuffer: 256 * 1024 ** 2, cwd: opts.cwd ?? ROOT });
  const elapsed = performance.now() - t0;
  let maxRss: number | null = null;
  if (useTime) {
    const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(readFileSync(rssFile, 'utf8'));
    if (m) maxRss = Number(m[1]) * 1024;
    rmSync(rssFile, { force: true });
  }
  return { ms: elapsed, status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', maxRss };
}

/** The Node this process runs on (Node 22 from node_modules/.bin), for child CLI runs. */
export const NODE = process.execPath;
export const CLI = join(ROOT, 'bin', 'vitrine.js');

/**
 * Replaces (or appends) this bench's section of bench/RESULTS.md, between marker comments, and refreshes the
 * header (machine of the latest run, list of the other benches' result files).
 */
export function updateResults(id: string, body: string, summary: SummaryRow[] = []): void {
  const begin = `<!-- section:${id} -->`;
  const end = `<!-- /section:${id} -->`;
  let text = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '';
  const block = `${begin}\n<!-- summary ${JSON.stringify(summary)} -->\n${body.trim()}\n${end}`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i >= 0 && j > i) text = text.slice(0, i) + block + text.slice(j + end.length);
  else text = `${text.trimEnd()}\n\n${block}\n`;
  // Header: everything before the first section marker is regenerated.
  const first = text.indexOf('<!-- section:');
  const others = readdirSync(BENCH_DIR).filter((f) => /^RESULTS-.+\.md$/.test(f)).sort();
  const header = [
    '# Benchmark results',
    '',
    'Run all: `make bench` (= `node bench/run.ts`); one: `node bench/<name>.bench.ts`. Each core bench rewrites its own',
    'section below. Every target is compared with a baseline measured in the same run on the same data.',
    '',
    `Machine of the latest run (${new Date().toISOString().slice(0, 16)}Z, by ${id}): ${machine()}`,
    '',
    others.length ? `Other benchmarks write their own files: ${others.map((f) => `[${f}](${f})`).join(', ')}.` : '',
    '',
    '## Targets at a glance',
    '',
    table(['target', 'figure', 'baseline (same run)', 'ratio', 'result', 'run'], summaries(text).map((r) => [r.target, r.figure, r.baseline, r.ratio, r.pass ? '**pass**' : '**FAIL**', r.run])),
    '',
  ].join('\n');
  text = header + '\n' + text.slice(first).trimStart();
  writeFileSync(RESULTS, text.trimEnd() + '\n');
}

export interface SummaryRow {
  target: string;
  figure: string;
  baseline: string;
  ratio: string;
  pass: boolean;
  run?: string;
}

/** The summary rows every section carries in a comment, in section order. */
function summaries(text: string): Required<SummaryRow>[] {
  const out: Required<SummaryRow>[] = [];
  const re = /<!-- section:([\w-]+) -->\n<!-- summary (.*) -->/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    try {
      for (const r of JSON.parse(m[2]!) as SummaryRow[]) out.push({ ...r, run: r.run ?? m[1]! });
    } catch {
      // a hand-edited section: leave it out of the summary
    }
  }
  return out;
}

export function table(head: string[], rows: (string | number)[][], align?: string[]): string {
  const a = align ?? head.map((_, i) => (i === 0 ? '---' : '---:'));
  return [`| ${head.join(' | ')} |`, `|${a.join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** Wraps an async method so its time is added to `spent[label]`; returns a function that restores it. */
export function timeMethod(spent: Map<string, number>, obj: any, method: string, label: string): () => void {
  const orig = obj[method];
  obj[method] = async function (this: unknown, ...args: unknown[]) {
    const t0 = performance.now();
    try {
      return await orig.apply(this, args);
    } finally {
      spent.set(label, (spent.get(label) ?? 0) + performance.now() - t0);
    }
  };
  return () => void (obj[method] = orig);
}
