// Cross-implementation check: scripts/verify-audit.py (independent Python, no Vitrine code) must accept what
// src/audit produces — including awkward unicode keys and numbers in `detail` — and reject tampering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nextEvent, type AuditEvent } from '../src/audit/chain.ts';
import { appendCheckpoint, loadOrCreateKey, signCheckpoint } from '../src/audit/checkpoint.ts';
import { MerkleBuilder } from '../src/audit/merkle.ts';

const script = fileURLToPath(new URL('../scripts/verify-audit.py', import.meta.url));
const hasPython = spawnSync('python3', ['--version']).status === 0;

const NUMBERS = [0, -0, 1, -1, 0.1 + 0.2, 1e21, 1e20, 1e-7, 1e-6, 123456789.123, 2 ** 53, -(2 ** 60), 5e-324, 1.7976931348623157e308, 333333333.3333333, 4.5];
const STRINGS = ['', 'é', '€', '\u0000', '\u001f', '"', '\\', '/', '\u2028', '😀', 'דּ', '\u0080', '\u007f', 'a\tb\nc', '\r'];

function py(args: string[]) {
  return spawnSync('python3', [script, ...args], { encoding: 'utf8' });
}

test('the independent Python verifier agrees with src/audit', { skip: !hasPython && 'python3 not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'vitrine-audit-py-'));
  try {
    assert.equal(py(['--self-test']).status, 0);
    const key = loadOrCreateKey(join(dir, 'audit'));
    const events: AuditEvent[] = [];
    const tree = new MerkleBuilder();
    const cpFile = join(dir, 'audit', 'checkpoints.jsonl');
    let prev: AuditEvent | null = null;
    for (let i = 0; i < 600; i++) {
      const s = STRINGS[i % STRINGS.length]!;
      prev = nextEvent(prev, {
        actor: `user${s}`, action: i % 2 ? 'search' : 'export', target: i % 3 ? `asset:${i}${s}` : null,
        purpose: i % 4 ? `purpose ${s}` : null, outcome: 'ok',
        detail: i % 5 ? { [s + 'k']: NUMBERS[i % NUMBERS.length], [STRINGS[(i + 3) % STRINGS.length]! + '😀']: [s, NUMBERS[(i * 7) % NUMBERS.length], null, true], nested: { z: 1, a: { [s]: s } } } : null,
      }, new Date(Date.UTC(2025, 5, 1) + i * 1234));
      events.push(prev);
      tree.push(Buffer.from(prev.hash, 'hex'));
      if ((i + 1) % 100 === 0) appendCheckpoint(cpFile, signCheckpoint(key, i + 1, tree.root().toString('hex'), prev.time));
    }
    const write = (evs: AuditEvent[]) => {
      const f = join(dir, 'events.jsonl');
      writeFileSync(f, evs.map((e) => JSON.stringify(e)).join('\n') + '\n');
      return f;
    };
    const pub = join(dir, 'audit', 'signing.pub');
    const ok = py([write(events), cpFile, '--key', pub]);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^OK: 600 events, 6 checkpoints, root [0-9a-f]{64}, key /);
    assert.ok(ok.stdout.includes(key.publicKeyBase64));
    assert.ok(ok.stdout.includes(tree.root().toString('hex')));

    const edited = events.map((e) => (e.seq === 250 ? { ...e, detail: { ...(e.detail ?? {}), extra: 1 } } : e));
    const bad = py([write(edited), cpFile, '--key', pub]);
    assert.equal(bad.status, 1);
    assert.match(bad.stdout, /BROKEN: event 250: hash mismatch/);

    const cut = py([write(events.slice(0, 450)), cpFile, '--key', pub]);
    assert.equal(cut.status, 1);
    assert.match(cut.stdout, /event 451: log truncated: events 451..500 missing/);

    const other = py([write(events), cpFile, '--key', Buffer.alloc(32, 7).toString('base64')]);
    assert.equal(other.status, 1);
    assert.match(other.stdout, /checkpoint 1: signed by an untrusted key/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
