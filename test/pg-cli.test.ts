// The CLI end to end on a PostgreSQL server (VITRINE_DATABASE_URL): ingest → search → show, with the
// data really in the server's database; and bad database settings fail at start with exit 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe as show, runCli } from './helpers/cli.ts';
import { adminQuery, NO_PG, pgFixture, urlFor } from './helpers/pg.ts';


const fx = pgFixture('vitrine-pgcli-');

test('ingest, search and show through PostgreSQL', async (t) => {
  if (!fx.db) return t.skip(NO_PG);
  const input = join(fx.dir, 'in');
  await mkdir(input);
  await writeFile(join(input, 'memo.txt'), 'The quarterly shipment of turbines left Rotterdam harbour on Tuesday.\n');
  await writeFile(join(input, 'note.txt'), 'Minutes: the committee approved the harbour dredging budget.\n');
  await writeFile(join(input, 'copy.txt'), 'The quarterly shipment of turbines left Rotterdam harbour on Tuesday.\n');
  await writeFile(join(input, 'unload.txt'), 'Turbines were unloaded in Rotterdam.\n');
  const env = { VITRINE_DATABASE_URL: fx.db.url };
  const data = join(fx.dir, 'data');

  const ing = await runCli(['ingest', input, '--analysers', 'document-text', '--json'], { data, env });
  assert.equal(ing.code, 0, show(ing));
  assert.equal(ing.json.ingested, 3);
  assert.equal(ing.json.duplicates, 1);
  assert.equal(ing.json.failed.length, 0);
  assert.ok(!existsSync(join(data, 'db', 'PG_VERSION')), 'no embedded database was created');
  const rows = await adminQuery('SELECT count(*)::int AS n, count(DISTINCT sha256)::int AS c FROM assets', [], fx.db.url);
  assert.deepEqual(rows.rows[0], { n: 3, c: 3 }, 'the assets are in the server database, the copy once');

  const s = await runCli(['search', 'turbines rotterdam', '--json'], { data, env });
  assert.equal(s.code, 0, show(s));
  assert.equal(s.json.total, 2);
  // memo.txt and copy.txt are one asset (same content): whichever was walked first names it.
  const names = s.json.hits.map((h: any) => h.path.split('/').pop()).sort();
  assert.ok(names.length === 2 && names.includes('unload.txt') && /^(copy|memo)\.txt$/.test(names[0]), names.join());
  const memo = s.json.hits.find((h: any) => !h.path.endsWith('unload.txt'));
  assert.match(memo.snippet, /turbines/i);

  const phrase = await runCli(['search', '"harbour dredging"', '--json'], { data, env });
  assert.equal(phrase.code, 0, show(phrase));
  assert.deepEqual(phrase.json.hits.map((h: any) => h.path.split('/').pop()), ['note.txt']);

  const sh = await runCli(['show', memo.assetId, '--json'], { data, env });
  assert.equal(sh.code, 0, show(sh));
  assert.equal(sh.json.id, memo.assetId);
  assert.equal(sh.json.analyses['document-text'].status, 'done');
  assert.match(sh.json.analyses['document-text'].result.text, /Rotterdam/);

  const audit = await adminQuery("SELECT action FROM audit_events ORDER BY seq", [], fx.db.url);
  const actions = new Set(audit.rows.map((r) => r.action));
  for (const a of ['ingest', 'search', 'show']) assert.ok(actions.has(a), `audit has ${a}`);
});

test('wrong database settings fail at start with a clear E_DB_* error and exit 2', async (t) => {
  if (!fx.db) return t.skip(NO_PG);
  const input = join(fx.dir, 'one.txt');
  await writeFile(input, 'hello');
  const cases: [string, string, RegExp][] = [
    [new URL(fx.db.url).toString().replace('postgres@', 'no_such_role@'), 'E_DB_AUTH', /user name and password/],
    [urlFor('vitrine_t_does_not_exist'), 'E_DB_MISSING', /create the database/],
    ['postgres://postgres@127.0.0.1:1/x', 'E_DB_UNAVAILABLE', /running and reachable/],
  ];
  const runs = await Promise.all(cases.map(([url]) => runCli(['ingest', input, '--json'], { data: join(fx.dir, 'bad'), env: { VITRINE_DATABASE_URL: url } })));
  for (let i = 0; i < cases.length; i++) {
    const [, code, hint] = cases[i]!;
    const r = runs[i]!;
    assert.equal(r.code, 2, show(r));
    assert.equal(r.json?.error?.code, code, show(r));
    assert.match(r.json.error.message, hint);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line on stderr');
    assert.doesNotMatch(r.stdout, /"ingested"/, 'nothing was ingested');
  }
});
