// Audit overhead on ingest (issue 7 target: ≤ 5%): 5,000 small files through the in-process IngestService
// with no analysis, once with the audit log (hash chain + Merkle frontier + automatic checkpoints) and once
// with `audit.disabled = true` (a no-op sink), alternately, ROUNDS rounds each, each run on a fresh data dir.
// Run: node bench/audit-overhead.bench.ts   (env: FILES=5000, ROUNDS=3)
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../src/config.ts';
import { createContainer } from '../src/container.ts';
import { machine } from './common.ts';

const FILES = Number(process.env.FILES ?? 5000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const dir = await mkdtemp(join(tmpdir(), 'vitrine-audit-overhead-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const src = join(dir, 'src');
mkdirSync(src);
for (let i = 0; i < FILES; i++) writeFileSync(join(src, `f${i}.txt`), `small file ${i} ${'x'.repeat(200 + (i % 300))}\n`);

let n = 0;
async function run(audit: boolean): Promise<{ ms: number; cpuMs: number; inAuditMs: number; events: number; checkpoints: number }> {
  const data = join(dir, `d${n++}`);
  const c = await createContainer(loadConfig({ dataDir: data, logLevel: 'silent' }, {}));
  c.audit.disabled = !audit;
  // Time spent inside audit.record (append + frontier + automatic checkpoint), measured directly: on a
  // loaded machine this is steadier than the difference of two wall times.
  let inAuditMs = 0;
  const record = c.audit.record.bind(c.audit);
  c.audit.record = async (e) => {
    const t = performance.now();
    try {
      return await record(e);
    } finally {
      inAuditMs += performance.now() - t;
    }
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await c.ingest.ingest([src], { collection: 'default', actor: c.localActor, analysers: [] as string[] });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  if (r.ingested !== FILES) throw new Error(`ingested ${r.ingested}`);
  const events = await c.repos.audit.count();
  const checkpoints = c.governance.auditAdmin.lastCheckpoint()?.treeSize ?? 0;
  await c.close();
  rmSync(data, { recursive: true, force: true });
  return { ms, cpuMs, inAuditMs, events, checkpoints };
}

console.log(`# audit overhead\n\n${machine()}\n`);
await run(true); // warm-up: module loading, PGlite compile
const on: number[] = [];
const off: number[] = [];
const onCpu: number[] = [];
const offCpu: number[] = [];
const share: number[] = [];
let info = { events: 0, checkpoints: 0 };
for (let i = 0; i < ROUNDS; i++) {
  const a = i % 2 === 0 ? await run(true) : null;
  const o = await run(false);
  off.push(o.ms);
  offCpu.push(o.cpuMs);
  const b = a ?? (await run(true));
  on.push(b.ms);
  onCpu.push(b.cpuMs);
  share.push((b.inAuditMs / b.ms) * 100);
  info = b;
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const overhead = (med(on) / med(off) - 1) * 100;
console.log(`| run | ${on.map((_, i) => `#${i + 1}`).join(' | ')} | median |`);
console.log(`|---|${on.map(() => '---').join('|')}|---|`);
console.log(`| with audit log (ms) | ${on.map((x) => x.toFixed(0)).join(' | ')} | ${med(on).toFixed(0)} |`);
console.log(`| no-op sink (ms) | ${off.map((x) => x.toFixed(0)).join(' | ')} | ${med(off).toFixed(0)} |`);
console.log(`| with audit log, process CPU (ms) | ${onCpu.map((x) => x.toFixed(0)).join(' | ')} | ${med(onCpu).toFixed(0)} |`);
console.log(`| no-op sink, process CPU (ms) | ${offCpu.map((x) => x.toFixed(0)).join(' | ')} | ${med(offCpu).toFixed(0)} |`);
console.log(`| time inside audit.record, share of the audited ingest (%) | ${share.map((x) => x.toFixed(2)).join(' | ')} | ${med(share).toFixed(2)} |`);
console.log(`\ncpu overhead (median vs median): ${((med(onCpu) / med(offCpu) - 1) * 100).toFixed(1)}%`);
console.log(`\n${FILES} files; audited run wrote ${info.events} events, last automatic checkpoint at ${info.checkpoints}.`);
console.log(`overhead (median vs median): ${overhead.toFixed(1)}% — target ≤ 5%: ${overhead <= 5 ? 'met' : 'NOT met'}`);
