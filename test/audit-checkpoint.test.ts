import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nextEvent, eventHash, type AuditEvent } from '../src/audit/chain.ts';
import {
  appendCheckpoint, checkpointMessage, loadOrCreateKey, readCheckpoints, signCheckpoint, verifyCheckpoint,
  rawPublicKeyBase64, type Checkpoint,
} from '../src/audit/checkpoint.ts';
import { merkleRoot } from '../src/audit/merkle.ts';
import { verifyAudit } from '../src/audit/verify.ts';
import { proveEvent, verifyEventProof } from '../src/audit/prove.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'vitrine-audit-'));

function buildChain(n: number): AuditEvent[] {
  const out: AuditEvent[] = [];
  let prev: AuditEvent | null = null;
  for (let i = 0; i < n; i++) {
    prev = nextEvent(prev, {
      actor: ['alice', 'bob', 'carol'][i % 3]!, action: i % 2 ? 'search' : 'show', target: `asset:${i}`,
      purpose: 'case 7', outcome: 'ok', detail: i % 2 ? { query: `q${i}`, results: i } : null,
    }, new Date(Date.UTC(2025, 0, 1, 0, 0, i)));
    out.push(prev);
  }
  return out;
}

const rootOf = (events: AuditEvent[]) => merkleRoot(events.map((e) => Buffer.from(e.hash, 'hex'))).toString('hex');
const T = '2025-01-02T00:00:00.000Z';

/** Checkpoints at the given sizes over `events`, signed with `key`. */
function checkpointsFor(events: AuditEvent[], sizes: number[], key: Parameters<typeof signCheckpoint>[0]): Checkpoint[] {
  return sizes.map((n) => signCheckpoint(key, n, rootOf(events.slice(0, n)), T));
}

test('key is created once with mode 0600 and a public key file, then reused', () => {
  const dir = tmp();
  try {
    const k1 = loadOrCreateKey(join(dir, 'audit'));
    assert.equal(k1.created, true);
    assert.equal(statSync(join(dir, 'audit', 'signing.key')).mode & 0o777, 0o600);
    assert.match(readFileSync(join(dir, 'audit', 'signing.key'), 'utf8'), /^-----BEGIN PRIVATE KEY-----/);
    assert.match(readFileSync(join(dir, 'audit', 'signing.pub'), 'utf8'), /^-----BEGIN PUBLIC KEY-----/);
    assert.equal(Buffer.from(k1.publicKeyBase64, 'base64').length, 32);
    assert.equal(k1.warning, undefined);
    const k2 = loadOrCreateKey(join(dir, 'audit'));
    assert.equal(k2.created, false);
    assert.equal(k2.publicKeyBase64, k1.publicKeyBase64);
    // VITRINE_AUDIT_KEY: an existing key elsewhere wins; a missing one is an error, never silently created.
    const other = join(dir, 'elsewhere.pem');
    writeFileSync(other, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o644 });
    const k3 = loadOrCreateKey(join(dir, 'audit'), other);
    assert.notEqual(k3.publicKeyBase64, k1.publicKeyBase64);
    assert.match(k3.warning ?? '', /readable by other users/);
    assert.throws(() => loadOrCreateKey(join(dir, 'audit'), join(dir, 'missing.pem')), /cannot read the audit signing key/);
    // A non-Ed25519 key is refused.
    const rsa = join(dir, 'rsa.pem');
    writeFileSync(rsa, generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    assert.throws(() => loadOrCreateKey(dir, rsa), /not Ed25519/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('two processes creating the key at once end up with the same key', async () => {
  const dir = tmp();
  try {
    const mod = fileURLToPath(new URL('../src/audit/checkpoint.ts', import.meta.url));
    const script = `import { loadOrCreateKey } from ${JSON.stringify(mod)}; console.log(loadOrCreateKey(${JSON.stringify(join(dir, 'audit'))}).publicKeyBase64);`;
    const run = () => new Promise<string>((resolve, reject) => {
      const p = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`exit ${code}`))));
    });
    const keys = await Promise.all([run(), run(), run()]);
    assert.equal(new Set(keys).size, 1);
    assert.equal(keys[0], loadOrCreateKey(join(dir, 'audit')).publicKeyBase64);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('worked example from docs/AUDIT-FORMAT.md: two events, their tree, a deterministic Ed25519 checkpoint', () => {
  const e1 = { seq: 1, time: '2025-03-01T09:30:00.000Z', actor: 'alice', action: 'search', target: null, purpose: 'investigation 12', outcome: 'ok', detail: { query: 'Zürich', results: 3 }, prevHash: '0'.repeat(64) };
  const h1 = eventHash(e1);
  const e2 = { seq: 2, time: '2025-03-01T09:31:12.500Z', actor: 'alice', action: 'export', target: 'asset:01JNV4Q3Z8', purpose: 'investigation 12', outcome: 'ok', detail: { redact: true }, prevHash: h1 };
  const h2 = eventHash(e2);
  assert.equal(h1, '549a5b0318c9c6603e83eb5f8d139e7028231c009d382f03cd3a8a6876a5700b');
  assert.equal(h2, '90aa7d26c49524f25d25797e41b857dc46b9997ecfe9e7336a77f6b00dba6d31');
  const l1 = createHash('sha256').update(Buffer.concat([Buffer.of(0), Buffer.from(h1, 'hex')])).digest();
  const l2 = createHash('sha256').update(Buffer.concat([Buffer.of(0), Buffer.from(h2, 'hex')])).digest();
  assert.equal(l1.toString('hex'), '54321c0f601f61618a90450096452399883700011b43473592765fadcb75d5f9');
  assert.equal(l2.toString('hex'), 'a8c08d5c65a835f8a5bc1ccde830b9e09fc933472df77be15177162c2e68a490');
  const root = createHash('sha256').update(Buffer.concat([Buffer.of(1), l1, l2])).digest('hex');
  assert.equal(root, 'dbc319fc2d0856a6ae153bf4b77d57932fb139be83316394d8e0f10ef4dabe39');
  assert.equal(rootOf([{ ...e1, hash: h1 }, { ...e2, hash: h2 }]), root);
  // Example key: seed = SHA-256("vitrine example key"), wrapped as PKCS8 DER.
  const seed = createHash('sha256').update('vitrine example key').digest();
  const key = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
  const time = '2025-03-01T10:00:00.000Z';
  assert.equal(checkpointMessage(2, root, time), `vitrine-checkpoint/v1\n2\n${root}\n${time}\n`);
  const cp = signCheckpoint(key, 2, root, time);
  assert.deepEqual(cp, {
    treeSize: 2,
    rootHash: root,
    time,
    publicKey: 'DZNrawU6W14B19Xey9xoCK3n7AmIcJ762nKyEuh1rBU=',
    signature: 'nu7GWVwf/+xi5mHfrkTPtSQKKWJ+/WgQkzJ2CXOZUIAQm//C6s09BStegsZw94LeQ5c051gly/ZjZo+11oYSAQ==',
  });
  assert.deepEqual(verifyCheckpoint(cp, cp.publicKey), { ok: true });
});

test('sign, append, read, verify; tampered or foreign checkpoints fail', () => {
  const dir = tmp();
  try {
    const key = loadOrCreateKey(join(dir, 'audit'));
    const file = join(dir, 'audit', 'checkpoints.jsonl');
    assert.deepEqual(readCheckpoints(file), []);
    const events = buildChain(10);
    const cps = checkpointsFor(events, [4, 10], key);
    for (const cp of cps) appendCheckpoint(file, cp);
    const back = readCheckpoints(file);
    assert.deepEqual(back, cps);
    assert.equal(readFileSync(file, 'utf8').split('\n').length, 3);
    for (const cp of back) assert.deepEqual(verifyCheckpoint(cp, key.publicKeyBase64), { ok: true });
    // Trusted key as PEM or KeyObject works too.
    assert.equal(verifyCheckpoint(back[0]!, readFileSync(join(dir, 'audit', 'signing.pub'), 'utf8')).ok, true);
    assert.equal(verifyCheckpoint(back[0]!, key.publicKey).ok, true);
    // Any signed field changed.
    assert.deepEqual(verifyCheckpoint({ ...back[0]!, treeSize: 5 }), { ok: false, reason: 'signature invalid' });
    assert.deepEqual(verifyCheckpoint({ ...back[0]!, rootHash: back[1]!.rootHash }), { ok: false, reason: 'signature invalid' });
    assert.deepEqual(verifyCheckpoint({ ...back[0]!, time: '2030-01-01T00:00:00.000Z' }), { ok: false, reason: 'signature invalid' });
    // Signed by another key: fine on its own, refused against the trusted key.
    const other = generateKeyPairSync('ed25519').privateKey;
    const forged = signCheckpoint(other, 4, back[0]!.rootHash, T);
    assert.deepEqual(verifyCheckpoint(forged), { ok: true });
    assert.deepEqual(verifyCheckpoint(forged, key.publicKeyBase64), { ok: false, reason: 'signed by an untrusted key' });
    // Someone else's signature with our public key pasted in.
    assert.deepEqual(verifyCheckpoint({ ...forged, publicKey: key.publicKeyBase64 }, key.publicKeyBase64), { ok: false, reason: 'signature invalid' });
    // A torn last line (crash mid-append) is not glued to the next checkpoint.
    appendFileSync(file, '{"treeSize":11,"ro');
    appendCheckpoint(file, cps[1]!);
    assert.throws(() => readCheckpoints(file), /line 3: not JSON/);
    assert.equal(JSON.parse(readFileSync(file, 'utf8').trim().split('\n')[3]!).treeSize, 10);
    writeFileSync(file, '{"treeSize":"4"}\n');
    assert.throws(() => readCheckpoints(file), /line 1: treeSize/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function* stream(events: AuditEvent[]): AsyncGenerator<AuditEvent> {
  for (const e of events) yield { ...e, detail: e.detail === null ? null : structuredClone(e.detail) };
}

test('verifyAudit: a clean log with checkpoints verifies (async and sync sources)', async () => {
  const key = generateKeyPairSync('ed25519').privateKey;
  const pub = rawPublicKeyBase64(key);
  const events = buildChain(40);
  const checkpoints = checkpointsFor(events, [0, 1, 16, 16, 33, 40], key);
  const r = await verifyAudit({ events: stream(events), checkpoints, trustedPublicKey: pub });
  assert.deepEqual(r, { ok: true, events: 40, checkpoints: 6, lastHash: events[39]!.hash, rootHash: rootOf(events), publicKey: pub });
  assert.equal((await verifyAudit({ events, checkpoints })).ok, true);
  assert.equal((await verifyAudit({ events: [], checkpoints: [] })).ok, true);
  // Events after the last checkpoint are covered by the chain only; deleting them is not detectable by design.
  assert.equal((await verifyAudit({ events: events.slice(0, 35), checkpoints, trustedPublicKey: pub })).ok, false);
  assert.equal((await verifyAudit({ events: events.slice(0, 40), checkpoints: checkpoints.slice(0, 5), trustedPublicKey: pub })).ok, true);
});

test('verifyAudit names the first broken event for edits, deletions, reordering and truncation', async () => {
  const key = generateKeyPairSync('ed25519').privateKey;
  const pub = rawPublicKeyBase64(key);
  const events = buildChain(30);
  const checkpoints = checkpointsFor(events, [10, 20], key);
  const run = (evs: AuditEvent[], cps = checkpoints) => verifyAudit({ events: stream(evs), checkpoints: cps, trustedPublicKey: pub });

  for (const field of ['time', 'actor', 'action', 'target', 'purpose', 'outcome'] as const) {
    const edited = events.map((e) => (e.seq === 14 ? { ...e, [field]: 'tampered' } : e));
    const r = await run(edited);
    assert.deepEqual(r.firstBroken, { seq: 14, reason: 'hash mismatch: event was edited' }, field);
    assert.equal(r.events, 13);
    assert.equal(r.checkpoints, 1);
  }
  const detail = events.map((e) => (e.seq === 2 ? { ...e, detail: { query: 'other', results: 2 } } : e));
  assert.deepEqual((await run(detail)).firstBroken, { seq: 2, reason: 'hash mismatch: event was edited' });

  assert.deepEqual((await run(events.filter((e) => e.seq !== 5))).firstBroken, { seq: 5, reason: 'sequence gap: event 5 missing' });

  const swapped = events.slice();
  [swapped[11], swapped[12]] = [{ ...swapped[12]!, seq: 12 }, { ...swapped[11]!, seq: 13 }];
  assert.deepEqual((await run(swapped)).firstBroken, { seq: 12, reason: 'hash mismatch: event was edited' });

  // Tail cut below the last checkpoint (events 18..30 deleted): named, with the first missing seq.
  const cut = await run(events.slice(0, 17));
  assert.equal(cut.ok, false);
  assert.deepEqual(cut.firstBroken, { seq: 18, checkpoint: 2, reason: 'log truncated: events 18..20 missing (checkpoint 2 covers 20 events)' });
  assert.equal(cut.events, 17);
  assert.deepEqual((await run(events.slice(0, 19))).firstBroken?.reason, 'log truncated: event 20 missing (checkpoint 2 covers 20 events)');
  assert.deepEqual((await run([])).firstBroken?.seq, 1);
});

test('verifyAudit: a rewritten (re-hashed) history is caught by the signed roots', async () => {
  const key = generateKeyPairSync('ed25519').privateKey;
  const events = buildChain(30);
  const checkpoints = checkpointsFor(events, [10, 20, 30], key);
  // The attacker edits event 15 and re-hashes everything after it: the chain alone looks fine...
  const rewritten: AuditEvent[] = [];
  let prev: AuditEvent | null = null;
  for (const e of events) {
    const body: AuditEvent = { ...e, actor: e.seq === 15 ? 'nobody' : e.actor, prevHash: prev ? prev.hash : e.prevHash };
    const next: AuditEvent = { ...body, hash: eventHash(body) };
    rewritten.push(next);
    prev = next;
  }
  const r = await verifyAudit({ events: rewritten, checkpoints, trustedPublicKey: key });
  assert.equal(r.ok, false);
  // ...but checkpoint 2's root no longer matches; checkpoint 1 still does, so the damage is in 11..20.
  assert.deepEqual(r.firstBroken, { seq: 11, checkpoint: 2, reason: 'checkpoint 2 root mismatch: events 11..20 differ from what was signed' });
  assert.equal(r.checkpoints, 1);
});

test('verifyAudit: a replaced checkpoint file or a wrong signing key fails', async () => {
  const key = generateKeyPairSync('ed25519').privateKey;
  const attacker = generateKeyPairSync('ed25519').privateKey;
  const events = buildChain(20);
  const good = checkpointsFor(events, [10, 20], key);
  // The whole file replaced by one signed with another key (e.g. over a rewritten log).
  const replaced = checkpointsFor(events, [10, 20], attacker);
  const r = await verifyAudit({ events, checkpoints: replaced, trustedPublicKey: rawPublicKeyBase64(key) });
  assert.deepEqual(r.firstBroken, { seq: null, checkpoint: 1, reason: 'checkpoint 1: signed by an untrusted key' });
  assert.equal(r.events, 0);
  // Without a pinned key, a file mixing keys still fails.
  const mixed = [good[0]!, replaced[1]!];
  assert.deepEqual((await verifyAudit({ events, checkpoints: mixed })).firstBroken,
    { seq: null, checkpoint: 2, reason: 'checkpoint 2: signed by a different key than checkpoint 1' });
  // The node configured with the wrong key: its own checkpoints do not match the trusted one.
  assert.equal((await verifyAudit({ events, checkpoints: good, trustedPublicKey: attacker })).firstBroken?.reason, 'checkpoint 1: signed by an untrusted key');
  // A checkpoint line edited by hand.
  const edited = [good[0]!, { ...good[1]!, treeSize: 19 }];
  assert.deepEqual((await verifyAudit({ events, checkpoints: edited, trustedPublicKey: key })).firstBroken,
    { seq: null, checkpoint: 2, reason: 'checkpoint 2: signature invalid' });
  // Lines reordered: sizes must only grow.
  assert.match((await verifyAudit({ events, checkpoints: [good[1]!, good[0]!], trustedPublicKey: key })).firstBroken!.reason,
    /^checkpoint 2: tree size 10 is smaller than checkpoint 1's/);
});

test('proveEvent gives an RFC 9162 inclusion proof against the latest checkpoint', async () => {
  const key = generateKeyPairSync('ed25519').privateKey;
  const events = buildChain(37);
  const [cp] = checkpointsFor(events, [33], key);
  for (const seq of [1, 2, 17, 32, 33]) {
    const p = await proveEvent({ events: stream(events), seq, checkpoint: cp! });
    assert.equal(p.leafIndex, seq - 1);
    assert.equal(p.treeSize, 33);
    assert.equal(p.eventHash, events[seq - 1]!.hash);
    assert.equal(p.rootHash, cp!.rootHash);
    assert.equal(verifyEventProof(p), true);
    assert.equal(verifyEventProof({ ...p, eventHash: events[(seq % 33)]!.hash }), false);
    assert.equal(verifyEventProof({ ...p, proof: p.proof.slice(1) }), seq === 1 && p.proof.length === 0);
  }
  await assert.rejects(proveEvent({ events: stream(events), seq: 34, checkpoint: cp! }), /not covered/);
  // A stored hash that does not match the signed tree cannot be proven.
  const edited = events.map((e) => (e.seq === 5 ? { ...e, hash: events[5]!.hash } : e));
  await assert.rejects(proveEvent({ events: stream(edited), seq: 3, checkpoint: cp! }), /do not match checkpoint root/);
  assert.ok(existsSync(fileURLToPath(import.meta.url)));
});
