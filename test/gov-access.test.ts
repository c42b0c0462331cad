// Roles, collection scope and purpose binding, in process and through the CLI (--as, exit 4): a viewer
// cannot export, an auditor cannot read content, a user scoped to collection A cannot act on B, a search,
// show or export without a required purpose is refused and the refusal is logged. Users: token shown once
// and stored hashed, scrypt passwords, admin-only management. The report: JSON shape and HTML file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { createContainer, type Container } from '../src/container.ts';
import { hashToken } from '../src/repositories/users.ts';
import { userForToken, verifyPassword } from '../src/services/governance/users.ts';
import type { Actor } from '../src/services/audit.ts';
import { runCli, describe as show } from './helpers/cli.ts';
import { runUntilIdle } from '../src/cli/wait.ts';
import { createOut } from '../src/cli/output.ts';

let root: string;
let data: string;
let c: Container;
let docA: string;
let docB: string;
const admin: Actor = { name: 'boss', role: 'admin', collection: null };
const viewer: Actor = { name: 'vic', role: 'viewer', collection: null };
const auditor: Actor = { name: 'aud', role: 'auditor', collection: null };
const analystA: Actor = { name: 'ann', role: 'analyst', collection: 'alpha' };
const curatorA: Actor = { name: 'cur', role: 'curator', collection: 'alpha' };

const isRefused = (code?: string) => (e: any) => {
  assert.equal(e.exitCode, 4, String(e));
  if (code) assert.equal(e.code, code);
  return true;
};

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'vitrine-gov-access-'));
  data = join(root, 'data');
  await mkdir(join(root, 'in'));
  await writeFile(join(root, 'in', 'a.txt'), 'Alpha document about walruses.\n');
  await writeFile(join(root, 'in', 'b.txt'), 'Beta document about walruses too.\n');
  c = await createContainer(loadConfig({ dataDir: data }, {}));
  docA = (await c.ingest.ingest([join(root, 'in', 'a.txt')], { collection: 'alpha', actor: admin, analysers: ['document-text'] })).assets[0]!.id;
  docB = (await c.ingest.ingest([join(root, 'in', 'b.txt')], { collection: 'beta', actor: admin, analysers: ['document-text'] })).assets[0]!.id;
  await runUntilIdle(c, createOut(true, true));
});

after(async () => {
  await c?.close().catch(() => {});
  if (root) await rm(root, { recursive: true, force: true });
});

test('roles: viewer cannot export, auditor cannot read content, scope A cannot touch B', async () => {
  const out = join(root, 'x.txt');
  await assert.rejects(c.exporter.export(docA, viewer, { out }), isRefused('E_FORBIDDEN'));
  await assert.rejects(c.view.show(docA, auditor, null), isRefused('E_FORBIDDEN'));
  await assert.rejects(c.search.search({ query: 'walruses' }, auditor), isRefused('E_FORBIDDEN'));
  await assert.rejects(c.governance.report.build(viewer), isRefused());
  assert.equal((await c.view.show(docA, viewer, null)).id, docA);
  assert.equal((await c.view.show(docA, analystA, null)).id, docA);
  await assert.rejects(c.view.show(docB, analystA, null), isRefused('E_FORBIDDEN'));
  await assert.rejects(c.exporter.export(docB, analystA, { out }), isRefused('E_FORBIDDEN'));
  const s = await c.search.search({ query: 'walruses' }, analystA);
  assert.deepEqual(s.hits.map((h) => h.collection), ['alpha'], 'a scoped search only sees its collection');
  await assert.rejects(c.search.search({ query: 'walruses', collection: 'beta' }, analystA), isRefused());
  await assert.rejects(c.governance.erase.erase(docB, 'x', curatorA), isRefused());
  await assert.rejects(c.governance.holds.set({ asset: docB }, 'x', curatorA), isRefused());
  await assert.rejects(c.governance.retention.set('beta', '1y', curatorA), isRefused());
  await assert.rejects(c.governance.erase.erase(docA, 'x', viewer), isRefused());
  await assert.rejects(c.governance.users.add('eve', 'admin', null, curatorA), isRefused());
  await assert.rejects(c.governance.users.add('eve', 'admin', null, { name: 'sub', role: 'admin', collection: 'alpha' }), isRefused());
  // Every refusal is in the log with the actor and outcome.
  const refused = (await c.repos.audit.list({})).filter((e) => e.outcome === 'refused');
  for (const who of ['vic', 'aud', 'ann', 'cur', 'sub']) assert.ok(refused.some((e) => e.actor === who), `refusal of ${who} logged`);
});

test('purpose binding: search, show and export without a (permitted) purpose are refused and logged', async () => {
  await c.repos.assets.updateCollection('alpha', { requirePurpose: true, purposes: ['investigation', 'legal'] });
  const before = await c.repos.audit.count();
  await assert.rejects(c.view.show(docA, admin, null), isRefused('E_PURPOSE_REQUIRED'));
  await assert.rejects(c.search.search({ query: 'walruses', collection: 'alpha' }, admin), isRefused('E_PURPOSE_REQUIRED'));
  await assert.rejects(c.exporter.export(docA, admin, { out: join(root, 'y.txt') }), isRefused('E_PURPOSE_REQUIRED'));
  await assert.rejects(c.view.show(docA, admin, 'curiosity'), isRefused('E_PURPOSE_NOT_ALLOWED'));
  // A user who can only search alpha gets a refusal, not an empty answer.
  await assert.rejects(c.search.search({ query: 'walruses' }, analystA), isRefused('E_PURPOSE_REQUIRED'));
  // Unscoped search without purpose leaves alpha out.
  assert.deepEqual((await c.search.search({ query: 'walruses' }, admin)).hits.map((h) => h.collection), ['beta']);
  const events = (await c.repos.audit.list({ afterSeq: before }));
  const refusals = events.filter((e) => e.outcome === 'refused');
  assert.deepEqual(refusals.map((e) => e.action), ['show', 'search', 'export', 'show', 'search']);
  assert.equal(refusals[3]!.purpose, 'curiosity');
  const ok = await c.view.show(docA, admin, 'legal');
  assert.equal(ok.id, docA);
  const last = (await c.repos.audit.head())!;
  assert.deepEqual([last.action, last.purpose, last.outcome, last.target], ['show', 'legal', 'ok', docA]);
  const srch = await c.search.search({ query: 'walruses', purpose: 'investigation' }, admin);
  assert.equal(srch.total, 2);
  const se = (await c.repos.audit.head())!;
  assert.equal(se.action, 'search');
  assert.equal(se.purpose, 'investigation');
  assert.equal((se.detail as any).total, 2);
  await c.repos.assets.updateCollection('alpha', { requirePurpose: false, purposes: [] });
});

test('users: token printed once and stored hashed, scrypt password, CLI --as with exit 4, report', async () => {
  const u = await c.governance.users.add('vic', 'viewer', null, admin);
  assert.match(u.token, /^vt_/);
  const row = await c.db.executeSql('SELECT token_hash, password_hash FROM users WHERE name = $1', ['vic']);
  assert.equal(row.rows[0].token_hash, hashToken(u.token));
  assert.ok(!JSON.stringify(row.rows).includes(u.token));
  assert.equal((await userForToken(c.repos.users, u.token))?.name, 'vic');
  assert.equal(await userForToken(c.repos.users, u.token + 'x'), null);
  await c.governance.users.setPassword('vic', 'correct horse battery', admin);
  const ph = await c.repos.users.passwordHash('vic');
  assert.match(ph!, /^scrypt\$/);
  assert.equal(await verifyPassword('correct horse battery', ph), true);
  assert.equal(await verifyPassword('wrong horse battery', ph), false);
  await assert.rejects(c.governance.users.setPassword('vic', 'short', admin), (e: any) => e.exitCode === 2);
  await c.governance.users.add('aud', 'auditor', null, admin);
  const ev = (await c.repos.audit.list({ action: 'user' }));
  assert.ok(ev.length >= 3 && ev.every((e) => !JSON.stringify(e).includes(u.token)));
  await c.close();

  const asAuditor = await runCli(['show', docA, '--as', 'aud', '--json'], { data });
  assert.equal(asAuditor.code, 4, show(asAuditor));
  assert.equal(asAuditor.json.error.code, 'E_FORBIDDEN');
  const asViewer = await runCli(['export', docA, '--out', join(root, 'z.txt'), '--as', 'vic', '--json'], { data });
  assert.equal(asViewer.code, 4, show(asViewer));
  const report = await runCli(['report', '--as', 'aud', '--json', '--out', join(root, 'r.html')], { data });
  assert.equal(report.code, 0, show(report));
  const r = report.json;
  for (const k of ['held', 'analyses', 'accesses', 'exports', 'erasures', 'holds', 'retention', 'audit']) assert.ok(k in r, k);
  assert.equal(r.held.count, 2);
  assert.deepEqual(Object.keys(r.held.byCollection).sort(), ['alpha', 'beta']);
  assert.equal(r.audit.ok, true);
  assert.ok(r.accesses.some((a: any) => a.action === 'show' && a.purpose === 'legal'));
  const html = await readFile(join(root, 'r.html'), 'utf8');
  assert.match(html, /<svg/);
  assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3)/, 'self-contained: no scripts, no external resources');
  c = await createContainer(loadConfig({ dataDir: data }, {}));
});
