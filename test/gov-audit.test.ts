// The audit log under attack: edited, deleted and reordered rows, a tail cut below a checkpoint, a
// replaced checkpoint file, the wrong signing key; automatic checkpoints; inclusion proofs; the stored
// Merkle frontier agrees with a full recomputation. Real PGlite databases, real keys, real files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { createContainer, type Container } from '../src/container.ts';
import { appendCheckpoint, readCheckpoints, signCheckpoint } from '../src/audit/checkpoint.ts';
import { treeHead } from '../src/audit/head.ts';
import { verifyEventProof } from '../src/audit/prove.ts';
import { readFrontier, frontierRoot } from '../src/repositories/audit-tree.ts';
import { runCli, describe as show } from './helpers/cli.ts';

let root: string;
let base: string; // a data directory with 40 events and checkpoints at 10, 20, 30, 40
const admin = { name: 'tester', role: 'admin', collection: null };

async function open(data: string, extra: Record<string, unknown> = {}): Promise<Container> {
  return createContainer(loadConfig({ dataDir: data, ...extra }, {}));
}

async function copyBase(name: string): Promise<string> {
  const d = join(root, name);
  await cp(base, d, { recursive: true });
  return d;
}

async function withC<T>(data: string, fn: (c: Container) => Promise<T>, extra: Record<string, unknown> = {}): Promise<T> {
  const c = await open(data, extra);
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'vitrine-gov-audit-'));
  base = join(root, 'base');
  await withC(base, async (c) => {
    // One event at a time, so the automatic checkpoint (every 10) fires between appends.
    for (let i = 1; i <= 40; i++) {
      await c.audit.record({ actor: i % 3 ? 'alice' : 'bob', action: i % 2 ? 'show' : 'search', target: `asset${i}`, purpose: 'case-7', outcome: 'ok', detail: { n: i, note: 'ünïcode ✓' } });
    }
  }, { auditCheckpointEvery: 10 });
});

after(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

test('automatic checkpoints every N events; the stored frontier equals a full recomputation; verify is ok', async () => {
  const cps = readCheckpoints(join(base, 'audit', 'checkpoints.jsonl'));
  assert.deepEqual(cps.map((c) => c.treeSize), [10, 20, 30, 40]);
  await withC(base, async (c) => {
    const f = await readFrontier(c.db.k);
    const full = await treeHead(c.repos.audit.pages(7));
    assert.equal(f.size, 40);
    assert.equal(frontierRoot(f), full.rootHash);
    assert.equal(cps[3]!.rootHash, full.rootHash);
    const v = await c.governance.auditAdmin.verify(admin);
    assert.equal(v.ok, true, JSON.stringify(v));
    assert.equal(v.events, 40);
    assert.equal(v.checkpoints, 4);
    // Inclusion proof of event 13 in the tree of the last checkpoint, checked independently.
    const p = await c.governance.auditAdmin.prove(admin, 13);
    assert.equal(p.treeSize, 40);
    assert.equal(p.rootHash, cps[3]!.rootHash);
    assert.ok(verifyEventProof(p));
    assert.equal(verifyEventProof({ ...p, eventHash: p.proof[0]! }), false);
  });
});

/** Applies `tamper` to a copy of the base log and returns what verify says. */
async function tampered(name: string, tamper: (c: Container) => Promise<void>, extra: Record<string, unknown> = {}) {
  const d = await copyBase(name);
  await withC(d, tamper);
  return withC(d, (c) => c.governance.auditAdmin.verify(admin), extra);
}

test('edited, deleted and reordered rows are each caught at that event (undone between cases)', async () => {
  const d = await copyBase('rows');
  await withC(d, async (c) => {
    const verify = () => c.governance.auditAdmin.verify(admin);
    const sqlx = (t: string) => c.db.executeSql(t);
    await sqlx(`UPDATE audit_events SET actor = 'mallory' WHERE seq = 17`);
    let v = await verify();
    assert.equal(v.ok, false);
    assert.equal(v.firstBroken?.seq, 17, JSON.stringify(v));
    assert.equal(v.events, 16);
    await sqlx(`UPDATE audit_events SET actor = 'alice' WHERE seq = 17`);
    assert.equal((await verify()).ok, true);

    await sqlx('CREATE TEMP TABLE saved AS SELECT * FROM audit_events WHERE seq = 8');
    await sqlx('DELETE FROM audit_events WHERE seq = 8');
    v = await verify();
    assert.equal(v.ok, false);
    assert.equal(v.firstBroken?.seq, 8, JSON.stringify(v));
    await sqlx('INSERT INTO audit_events SELECT * FROM saved');
    assert.equal((await verify()).ok, true);

    await sqlx('UPDATE audit_events SET seq = -1 WHERE seq = 5');
    await sqlx('UPDATE audit_events SET seq = 5 WHERE seq = 6');
    await sqlx('UPDATE audit_events SET seq = 6 WHERE seq = -1');
    v = await verify();
    assert.equal(v.ok, false);
    assert.equal(v.firstBroken?.seq, 5, JSON.stringify(v));
  });
});

test('an edited detail with a recomputed hash chain is caught by the signed checkpoint', async () => {
  const { nextEvent } = await import('../src/audit/chain.ts');
  const v = await tampered('rechain', async (c) => {
    // The attacker rewrites event 25 and every hash after it, consistently: the chain alone looks fine.
    const rows = await c.repos.audit.list({});
    let prev = rows[23]!;
    for (const e of rows.slice(24)) {
      const fields = { actor: e.actor, action: e.action, target: e.target, purpose: e.seq === 25 ? 'nothing-to-see' : e.purpose, outcome: e.outcome, detail: e.detail };
      const n = nextEvent(prev, fields, new Date(e.time));
      await c.db.executeSql('UPDATE audit_events SET purpose = $1, prev_hash = $2, hash = $3 WHERE seq = $4', [n.purpose, n.prevHash, n.hash, n.seq]);
      prev = n;
    }
  });
  assert.equal(v.ok, false);
  assert.equal(v.firstBroken?.seq, 21, 'first event not covered by the last good checkpoint (20)');
  assert.match(v.firstBroken!.reason, /root mismatch/);
});

test('a tail truncated below a checkpoint is caught, and the log refuses to grow over the hole', async () => {
  const d = await copyBase('truncate');
  await withC(d, (c) => c.db.executeSql('DELETE FROM audit_events WHERE seq > 33'));
  const v = await withC(d, (c) => c.governance.auditAdmin.verify(admin));
  assert.equal(v.ok, false);
  assert.equal(v.firstBroken?.seq, 34, JSON.stringify(v));
  assert.match(v.firstBroken!.reason, /truncated/);
  await withC(d, async (c) => {
    await assert.rejects(c.audit.record({ actor: 'x', action: 'show', outcome: 'ok' }), /E_AUDIT_TRUNCATED|removed from the end/);
  });
  // The CLI names the first broken event and exits 1.
  const r = await runCli(['audit', 'verify', '--json'], { data: d });
  assert.equal(r.code, 1, show(r));
  assert.equal(r.json.ok, false);
  assert.equal(r.json.firstBroken.seq, 34);
  assert.match(r.stderr, /event 34/);
});

test('a replaced checkpoint file (re-signed by another key over a rewritten log) is caught', async () => {
  const d = await copyBase('replace');
  const file = join(d, 'audit', 'checkpoints.jsonl');
  const attacker = generateKeyPairSync('ed25519').privateKey;
  await withC(d, async (c) => {
    await c.db.executeSql(`UPDATE audit_events SET actor = 'mallory' WHERE seq = 3`);
    // Re-chain from event 3 so the chain itself is consistent, then sign the new head with the attacker's key.
    const { nextEvent } = await import('../src/audit/chain.ts');
    const rows = await c.repos.audit.list({});
    let prev = rows[1]!;
    for (const e of rows.slice(2)) {
      const n = nextEvent(prev, { actor: e.actor, action: e.action, target: e.target, purpose: e.purpose, outcome: e.outcome, detail: e.detail }, new Date(e.time));
      await c.db.executeSql('UPDATE audit_events SET prev_hash = $1, hash = $2 WHERE seq = $3', [n.prevHash, n.hash, n.seq]);
      prev = n;
    }
    const head = await treeHead(c.repos.audit.pages());
    await writeFile(file, '');
    appendCheckpoint(file, signCheckpoint(attacker, head.treeSize, head.rootHash, new Date().toISOString()));
  });
  const v = await withC(d, (c) => c.governance.auditAdmin.verify(admin));
  assert.equal(v.ok, false);
  assert.match(v.firstBroken!.reason, /untrusted key/);
  // Without any pinned key the forged file would pass: the pin (signing.key / --public-key) is what matters.
  const pub = join(root, 'pub.pem');
  await writeFile(pub, await readFile(join(d, 'audit', 'signing.pub')));
  const v2 = await withC(d, (c) => c.governance.auditAdmin.verify(admin, { publicKeyFile: pub }));
  assert.equal(v2.ok, false);
});

test('VITRINE_AUDIT_KEY pointing at another key: the existing checkpoints do not verify', async () => {
  const other = join(root, 'other.key');
  await writeFile(other, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  const d = await copyBase('wrongkey');
  const v = await withC(d, (c) => c.governance.auditAdmin.verify(admin), { auditKey: other });
  assert.equal(v.ok, false);
  assert.equal(v.firstBroken?.seq, null);
  assert.match(v.firstBroken!.reason, /checkpoint 1: signed by an untrusted key/);
  // A checkpoint the other key signs after the first ones breaks the one-key rule too.
  await withC(d, async (c) => {
    await c.audit.record({ actor: 'x', action: 'show', outcome: 'ok' });
    await c.governance.auditAdmin.checkpoint();
  }, { auditKey: other });
  const v2 = await withC(d, (c) => c.governance.auditAdmin.verify(admin));
  assert.equal(v2.ok, false);
  assert.match(v2.firstBroken!.reason, /checkpoint 5/);
});

test('audit log filters; only auditors and admins read it (a refusal is itself logged)', async () => {
  const d = await copyBase('log');
  await withC(d, async (c) => {
    const bobs = await c.governance.auditAdmin.log(admin, { actor: 'bob', action: 'show' });
    assert.ok(bobs.length > 0 && bobs.every((e) => e.actor === 'bob' && e.action === 'show'));
    const future = await c.governance.auditAdmin.log(admin, { since: '2999-01-01' });
    assert.equal(future.length, 0);
    const auditor = { name: 'aud', role: 'auditor', collection: null };
    assert.equal((await c.governance.auditAdmin.log(auditor, {})).length, 40);
    const viewer = { name: 'vic', role: 'viewer', collection: null };
    await assert.rejects(c.governance.auditAdmin.log(viewer, {}), (e: any) => e.exitCode === 4);
    const last = (await c.repos.audit.head())!;
    assert.equal(last.actor, 'vic');
    assert.equal(last.outcome, 'refused');
    await assert.rejects(c.governance.auditAdmin.log(admin, { since: 'yesterday-ish' }), (e: any) => e.exitCode === 2);
  });
});
