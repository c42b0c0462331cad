// `vitrine work` processes on a PostgreSQL test database, and polling the analyses table until the
// queue has drained — for the multi-worker, SIGTERM and kill -9 tests.
import type { ChildProcess } from 'node:child_process';
import { spawnCli } from './cli.ts';
import { adminQuery } from './pg.ts';

export interface WorkerProc {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startWorker(data: string, env: Record<string, string>, args: string[] = []): WorkerProc {
  const child = spawnCli(['work', ...args], { data, env });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  child.stdout!.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, stderr: () => err, exited };
}

/** Resolves once the worker printed its "running" note (its queue handlers are registered). */
export async function workerReady(w: WorkerProc, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!/vitrine work: pid/.test(w.stderr())) {
    if (w.child.exitCode !== null) throw new Error(`worker exited early: ${w.stderr()}`);
    if (Date.now() - t0 > timeoutMs) throw new Error(`worker not ready after ${timeoutMs} ms: ${w.stderr()}`);
    await sleep(200);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface AnalysisState {
  analyser: string;
  status: string;
  attempts: number;
  sha256: string;
}

export async function analyses(url: string): Promise<AnalysisState[]> {
  const r = await adminQuery('SELECT sha256, analyser, status, attempts FROM analyses ORDER BY sha256, analyser', [], url);
  return r.rows.map((x) => ({ sha256: x.sha256, analyser: x.analyser, status: x.status, attempts: Number(x.attempts) }));
}

/** Polls until fn(rows) is true. */
export async function waitFor(url: string, fn: (rows: AnalysisState[]) => boolean, timeoutMs: number, what: string): Promise<AnalysisState[]> {
  const t0 = Date.now();
  for (;;) {
    const rows = await analyses(url);
    if (rows.length && fn(rows)) return rows;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}: ${summary(rows)}`);
    await sleep(250);
  }
}

export const settled = (rows: AnalysisState[]) => rows.every((r) => ['done', 'skipped', 'failed'].includes(r.status));

/** "analyser status ×attempts: n" counts, for failure messages. */
export function summary(rows: AnalysisState[]): string {
  const m = new Map<string, number>();
  for (const r of rows) m.set(`${r.analyser} ${r.status} x${r.attempts}`, (m.get(`${r.analyser} ${r.status} x${r.attempts}`) ?? 0) + 1);
  return [...m].map(([k, n]) => `${k}: ${n}`).join(', ');
}
