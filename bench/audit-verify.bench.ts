// Target (issue 7): `audit verify` of 1,000,000 events ≤ 60 s on this machine.
// Generates a chained log of N events (default 1,000,000) with a signed checkpoint every 100,000, writes it
// as JSONL (what a DB cursor would hand over, row by row), then times a full streaming verification:
// parse each row, re-check the chain, rebuild the Merkle tree, compare every checkpoint root, check the
// signatures. Also times one inclusion proof. Writes the figures to bench/RESULTS-audit.md.
//   node bench/audit-verify.bench.ts [N]

import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { generateKeyPairSync } from 'node:crypto';
import { nextEvent, verifyChain, type AuditEvent } from '../src/audit/chain.ts';
import { signCheckpoint, rawPublicKeyBase64, type Checkpoint } from '../src/audit/checkpoint.ts';
import { MerkleBuilder } from '../src/audit/merkle.ts';
import { verifyAudit } from '../src/audit/verify.ts';
import { proveEvent, verifyEventProof } from '../src/audit/prove.ts';

const N = Number(process.argv[2] ?? 1_000_000);
const EVERY = 100_000;
const ACTIONS = ['search', 'show', 'export', 'ingest', 'auth.failed'];

// Pages of 5,000 rows, as a DB reader would fetch them (verifyAudit takes arrays: no await per event).
async function* readEvents(file: string): AsyncGenerator<AuditEvent[]> {
  const rl = createInterface({ input: createReadStream(file, { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  let page: AuditEvent[] = [];
  for await (const line of rl) {
    if (!line) continue;
    page.push(JSON.parse(line) as AuditEvent);
    if (page.length === 5000) {
      yield page;
      page = [];
    }
  }
  if (page.length) yield page;
}

const mib = (b: number) => (b / 2 ** 20).toFixed(0);
// The machine is shared: wall time depends on what else runs, so CPU time (user + sys) is recorded too.
let cpuMark = process.cpuUsage();
const cpuSince = () => {
  const d = process.cpuUsage(cpuMark);
  cpuMark = process.cpuUsage();
  return (d.user + d.system) / 1000;
};
const load = loadavg()[0]!.toFixed(1);
const dir = mkdtempSync(join(tmpdir(), 'vitrine-audit-bench-'));
try {
  const file = join(dir, 'events.jsonl');
  const key = generateKeyPairSync('ed25519').privateKey;
  const checkpoints: Checkpoint[] = [];

  // 1. Generate (the same work an append does: build, canonicalize, hash, extend the tree).
  let t = performance.now();
  cpuSince();
  const out = createWriteStream(file, { highWaterMark: 1 << 20 });
  const tree = new MerkleBuilder();
  let prev: AuditEvent | null = null;
  const base = Date.UTC(2025, 0, 1);
  for (let i = 0; i < N; i++) {
    prev = nextEvent(prev, {
      actor: `user${i % 37}`,
      action: ACTIONS[i % ACTIONS.length]!,
      target: i % 7 === 0 ? null : `asset:01J${(i * 7919).toString(36).padStart(8, '0')}`,
      purpose: i % 3 === 0 ? null : 'investigation 2025-114',
      outcome: i % 50 === 0 ? 'refused' : 'ok',
      detail: i % 5 === 0 ? { query: `word${i % 1000} "quoted" Zürich`, results: i % 97, filters: { type: 'image' } } : null,
    }, new Date(base + i * 1000));
    tree.push(Buffer.from(prev.hash, 'hex'));
    if (!out.write(JSON.stringify(prev) + '\n')) await once(out, 'drain');
    if ((i + 1) % EVERY === 0 || i + 1 === N) checkpoints.push(signCheckpoint(key, i + 1, tree.root().toString('hex'), prev.time));
  }
  out.end();
  await once(out, 'finish');
  const genMs = performance.now() - t;
  const genCpu = cpuSince();
  const bytes = statSync(file).size;

  // 2. Reading + JSON.parse alone, to separate I/O from verification.
  cpuSince();
  t = performance.now();
  let parsed = 0;
  for await (const page of readEvents(file)) parsed += page.length;
  const readMs = performance.now() - t;
  const readCpu = cpuSince();

  // 3. Chain only.
  cpuSince();
  t = performance.now();
  const chain = await verifyChain(readEvents(file));
  const chainMs = performance.now() - t;
  const chainCpu = cpuSince();

  // 4. Full verification: chain + Merkle root at every checkpoint + signatures, pinned key.
  cpuSince();
  t = performance.now();
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const full = await verifyAudit({
    events: readEvents(file),
    checkpoints,
    trustedPublicKey: rawPublicKeyBase64(key),
    onProgress: () => { rssPeak = Math.max(rssPeak, process.memoryUsage().rss); },
  });
  const fullMs = performance.now() - t;
  const fullCpu = cpuSince();

  // 5. One inclusion proof (middle event) against the last checkpoint.
  cpuSince();
  t = performance.now();
  const proof = await proveEvent({ events: readEvents(file), seq: Math.ceil(N / 2), checkpoint: checkpoints.at(-1)! });
  const proveMs = performance.now() - t;
  const proveCpu = cpuSince();

  if (parsed !== N || !chain.ok || !full.ok || full.events !== N || full.checkpoints !== checkpoints.length || !verifyEventProof(proof)) {
    console.error({ parsed, chain, full });
    throw new Error('benchmark log did not verify');
  }
  const s = (ms: number) => (ms / 1000).toFixed(1);
  const rate = (ms: number) => Math.round(N / (ms / 1000)).toLocaleString('en-US');
  const lines = [
    '# Audit verify benchmark',
    '',
    `Run: \`node bench/audit-verify.bench.ts ${N}\` on ${new Date().toISOString().slice(0, 10)} — ${cpus().length} cores ` +
      `(${cpus()[0]?.model.trim()}), ${mib(totalmem())} MiB RAM, Node ${process.version}. Target: 1,000,000 events verified in ≤ 60 s.`,
    '',
    `Log: ${N.toLocaleString('en-US')} events, ${checkpoints.length} signed checkpoints (every ${EVERY.toLocaleString('en-US')}), ` +
      `${mib(bytes)} MiB as JSONL (1 in 5 events has a detail object).`,
    '',
    `Load average when it started: ${load} (on ${cpus().length} cores, shared with other work) — see the CPU column.`,
    '',
    '| step | wall time | CPU time | events/s (wall) |',
    '|---|---:|---:|---:|',
    `| generate (nextEvent + tree + sign + write) | ${s(genMs)} s | ${s(genCpu)} s | ${rate(genMs)} |`,
    `| read + JSON.parse only | ${s(readMs)} s | ${s(readCpu)} s | ${rate(readMs)} |`,
    `| verifyChain (read + parse + chain) | ${s(chainMs)} s | ${s(chainCpu)} s | ${rate(chainMs)} |`,
    `| **verifyAudit (read + parse + chain + Merkle + ${checkpoints.length} checkpoints)** | **${s(fullMs)} s** | ${s(fullCpu)} s | ${rate(fullMs)} |`,
    `| proveEvent (seq ${proof.seq} in tree of ${proof.treeSize}, one pass) | ${s(proveMs)} s | ${s(proveCpu)} s | — |`,
    '',
    `Peak RSS during verifyAudit: ${mib(rssPeak)} MiB (${mib(rssBefore)} MiB before it started) — memory does not grow with the log.`,
    `Proof length: ${proof.proof.length} hashes.`,
    '',
    `Result: ${fullMs <= 60_000 ? 'meets' : 'MISSES'} the 60 s target (${s(fullMs)} s).`,
    '',
  ];
  console.log(lines.join('\n'));
  if (N === 1_000_000) writeFileSync(new URL('./RESULTS-audit.md', import.meta.url), lines.join('\n'));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
