// The database contract: the same suite on PGlite (embedded, temp dir) and on a PostgreSQL server (temp
// database). Migrations, asset dedup, the analysis state machine, full-text search on both ranking paths
// (rum and GIN), the audit chain under concurrent writers, and pg-boss jobs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb, type Db } from '../src/db/create-db.ts';
import { AssetsRepo, type NewAsset } from '../src/repositories/assets.ts';
import { AnalysesRepo } from '../src/repositories/analyses.ts';
import { SearchEntriesRepo } from '../src/repositories/search-entries.ts';
import { AuditEventsRepo } from '../src/repositories/audit-events.ts';
import { PgIndex } from '../src/search/pg-index.ts';
import { parseQuery } from '../src/search/query.ts';
import { verifyChain } from '../src/audit/chain.ts';
import { JobQueue } from '../src/queue/queue.ts';
import { QUEUES, type AnalyseJob } from '../src/queue/jobs.ts';
import { createTempDb, NO_PG, pgAvailable, rumInstalled, type TempDb } from './helpers/pg.ts';

interface Target {
  /** Opens a new Db on the same storage (a second process, for PostgreSQL). */
  open(opts?: { rum?: boolean }): Promise<Db>;
  url?: string;
  cleanup(): Promise<void>;
}

const sha = (n: number) => n.toString(16).padStart(64, '0');

function asset(id: string, n: number, over: Partial<NewAsset> = {}): NewAsset {
  return { id, sha256: sha(n), collection: 'default', path: `/in/${id}`, name: id, type: 'document', mime: 'text/plain', size: 10, parentId: null, ingestedBy: 'test', options: null, ...over };
}

function contract(kind: 'pglite' | 'postgres', setup: () => Promise<Target | null>): void {
  describe(`database contract on ${kind}`, () => {
    let t: Target | null = null;
    let db: Db;
    before(async () => {
      t = await setup();
      if (t) db = await t.open();
    });
    after(async () => {
      await db?.close();
      await t?.cleanup();
    });
    const skip = (ctx: { skip: (m: string) => void }) => {
      if (!t) ctx.skip(NO_PG);
      return !t;
    };

    test('migrations are applied once, also when several processes start together', async (ctx) => {
      if (skip(ctx)) return;
      assert.equal(db.kind, kind);
      const v = await db.executeSql('SELECT version FROM schema_migrations ORDER BY version');
      assert.ok(v.rows.length >= 1 && Number(v.rows[0].version) === 1);
      const tables = await db.executeSql("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'");
      const names = new Set(tables.rows.map((r) => r.table_name));
      for (const n of ['assets', 'analyses', 'search_entries', 'audit_events', 'collections']) assert.ok(names.has(n), n);
      if (kind === 'postgres') {
        const more = await Promise.all([t!.open(), t!.open(), t!.open()]);
        await Promise.all(more.map((d) => d.close()));
        const again = await db.executeSql('SELECT count(*)::int AS n FROM schema_migrations');
        assert.equal(Number(again.rows[0].n), v.rows.length);
      }
    });

    test('assets: insertMany dedups by (collection, content, parent)', async (ctx) => {
      if (skip(ctx)) return;
      const repo = new AssetsRepo(db);
      const first = await repo.insertMany([asset('a1', 1), asset('a2', 2)]);
      assert.deepEqual(first.map((a) => a.existed), [false, false]);
      await repo.ensureCollections(['other']);
      const again = await repo.insertMany([asset('a3', 1), asset('a4', 3), asset('a5', 1, { collection: 'other' })]);
      assert.equal(again[0]!.existed, true);
      assert.equal(again[0]!.id, 'a1', 'the existing asset is returned');
      assert.equal(again[1]!.existed, false);
      assert.equal(again[2]!.existed, false, 'another collection is another asset');
      assert.equal((await repo.bySha(sha(1))).length, 2);
    });

    test('analyses: ensure, takeReady respects needs, claim once, finish, stale reclaim', async (ctx) => {
      if (skip(ctx)) return;
      const repo = new AnalysesRepo(db);
      const s = sha(100);
      const needs = { metadata: [], thumbnail: ['metadata'], phash: ['metadata'] };
      await repo.ensure(['metadata', 'thumbnail', 'phash'].map((analyser) => ({ sha256: s, analyser, version: 1 })));
      assert.deepEqual((await repo.takeReady([s], needs)).map((x) => x.analyser), ['metadata']);
      assert.deepEqual((await repo.takeReady([s], needs)).map((x) => x.analyser), [], 'scheduled once');
      const c1 = await repo.claim(s, 'metadata', 300);
      assert.ok(c1);
      assert.equal(c1.attempts, 1);
      assert.equal(await repo.claim(s, 'metadata', 300), null, 'a second worker cannot claim a running analysis');
      assert.deepEqual((await repo.takeReady([s], needs)).map((x) => x.analyser), [], 'dependants wait while metadata runs');
      await repo.finish(s, 'metadata', { status: 'done', result: { width: 1 }, ms: 5 });
      assert.deepEqual(((await repo.takeReady([s], needs)).map((x) => x.analyser)).sort(), ['phash', 'thumbnail']);
      assert.equal(await repo.claim(s, 'metadata', 300), null, 'done work is never claimed again');
      // A worker that died: its running analysis is claimed again once it is older than the expiry.
      assert.ok(await repo.claim(s, 'thumbnail', 300));
      await db.executeSql("UPDATE analyses SET started_at = now() - interval '10 minutes' WHERE sha256 = $1 AND analyser = 'thumbnail'", [s]);
      const again = await repo.claim(s, 'thumbnail', 300);
      assert.ok(again, 'stale running analysis is reclaimed');
      assert.equal(again.attempts, 2);
      // Same version: ensure keeps finished work; a new version resets it.
      await repo.ensure([{ sha256: s, analyser: 'metadata', version: 1 }]);
      assert.equal((await repo.forSha(s)).find((r) => r.analyser === 'metadata')!.status, 'done');
      await repo.ensure([{ sha256: s, analyser: 'metadata', version: 2 }]);
      assert.equal((await repo.forSha(s)).find((r) => r.analyser === 'metadata')!.status, 'queued');
    });

    test('search entries and PgIndex: words, phrases, prefixes, filters, ranking', async (ctx) => {
      if (skip(ctx)) return;
      const assets = new AssetsRepo(db);
      const entries = new SearchEntriesRepo(db);
      await assets.insertMany([asset('s1', 201), asset('s2', 202, { type: 'image' }), asset('s3', 203)]);
      await entries.replace([{ assetId: 's1', type: 'document', collection: 'default' }], 'document-text', [
        { text: 'The harbour crane collapsed during the storm', page: 1 },
        { text: 'harbour harbour harbour inspection report', page: 2 },
      ]);
      await entries.replace([{ assetId: 's2', type: 'image', collection: 'default' }], 'ocr', [{ text: 'crane operator licence', box: [1, 2, 3, 4] }]);
      await entries.replace([{ assetId: 's3', type: 'document', collection: 'default' }], 'document-text', [{ text: 'storm crane harbour' }]);
      assert.equal(db.rum, false, 'GIN unless rum is asked for');
      // The rum path: a second connection that asks for it (VITRINE_PG_RUM=1) builds the index and uses it.
      const rumDb = kind === 'postgres' && (await rumInstalled()) ? await t!.open({ rum: true }) : null;
      if (kind === 'postgres') assert.ok(rumDb?.rum, 'rum is used when asked for and the server has it');
      const paths: [boolean, SearchEntriesRepo][] = [[false, entries], ...(rumDb ? [[true, new SearchEntriesRepo(rumDb)] as [boolean, SearchEntriesRepo]] : [])];
      for (const [rum, repo] of paths) {
        const idx = new PgIndex(repo, 10_000, rum);
        const q = (s: string, f = {}) => idx.query(parseQuery(s), { limit: 10, ...f });
        const crane = await q('crane');
        assert.equal(crane.total, 3, `rum=${rum}`);
        assert.deepEqual(crane.hits.map((h) => h.assetId).sort(), ['s1', 's2', 's3']);
        for (const h of crane.hits) assert.ok(h.score > 0 && h.score < 1, `score in (0,1): ${h.score}`);
        const phrase = await q('"crane collapsed"');
        assert.deepEqual(phrase.hits.map((h) => h.assetId), ['s1']);
        assert.equal(phrase.hits[0]!.entries[0]!.page, 1);
        assert.deepEqual((await q('"collapsed crane"')).hits, [], 'word order matters in a phrase');
        assert.deepEqual((await q('licen*')).hits.map((h) => h.assetId), ['s2']);
        assert.deepEqual((await q('crane', { types: ['image'] })).hits.map((h) => h.assetId), ['s2']);
        assert.deepEqual((await q('crane', { collections: ['nope'] })).hits, []);
        assert.deepEqual((await q('crane -storm')).hits.map((h) => h.assetId), ['s2']);
        const harbour = await q('harbour');
        assert.equal(harbour.hits[0]!.entries[0]!.page, 2, `the entry with more occurrences ranks first (rum=${rum})`);
        assert.deepEqual((await q('zeppelin')).hits, []);
        assert.deepEqual((await q('"crane collapsed" -storm')).hits, [], 'a phrase with an exclusion');
        assert.deepEqual((await q('crane -"crane collapsed"')).hits.map((h) => h.assetId).sort(), ['s2', 's3'], 'an excluded phrase');
      }
      await rumDb?.close();
      // With a tiny candidate cap, a phrase is checked on the capped candidates only (bounded work).
      const capped = await new PgIndex(entries, 1, false).query(parseQuery('crane'), { limit: 10 });
      assert.equal(capped.total, 1);
      await entries.deleteForAssets(['s1']);
      assert.deepEqual((await new PgIndex(entries).query(parseQuery('collapsed'), { limit: 5 })).hits, []);
    });

    test('audit: concurrent appends from two writers keep one linear chain', async (ctx) => {
      if (skip(ctx)) return;
      // Two processes on a server; on PGlite one process owns the directory, so two repositories share it.
      const other = kind === 'postgres' ? await t!.open() : db;
      try {
        const a = new AuditEventsRepo(db);
        const b = new AuditEventsRepo(other);
        const before = await a.count();
        const writes: Promise<unknown>[] = [];
        for (let i = 0; i < 40; i++) {
          const repo = i % 2 ? a : b;
          writes.push(repo.append(Array.from({ length: 1 + (i % 3) }, (_, j) => ({ actor: `w${i % 2}`, action: 'search', target: `q${i}.${j}`, outcome: 'ok' }))));
        }
        await Promise.all(writes);
        const total = await a.count();
        assert.equal(total - before, Array.from({ length: 40 }, (_, i) => 1 + (i % 3)).reduce((x, y) => x + y));
        const r = await verifyChain(a.all());
        assert.deepEqual(r.firstBroken, undefined);
        assert.equal(r.ok, true);
        assert.equal(r.events, total);
      } finally {
        if (other !== db) await other.close();
      }
    });

    test('pg-boss: enqueued jobs are each delivered to a worker', async (ctx) => {
      if (skip(ctx)) return;
      const q = new JobQueue(db, { retryLimit: 1, expireSeconds: 60, ...(t!.url ? { databaseUrl: t!.url } : {}) });
      try {
        const jobs = Array.from({ length: 25 }, (_, i) => ({ cls: (i % 5 ? 'light' : 'heavy') as 'light' | 'heavy', data: { sha256: sha(300 + i), analysers: ['metadata'] } }));
        await q.enqueue(jobs);
        const seen: string[] = [];
        const done = new Promise<void>((resolve) => {
          const handler = async (js: { data: AnalyseJob }[]) => {
            for (const j of js) seen.push(j.data.sha256);
            if (seen.length >= jobs.length) resolve();
          };
          void q.boss.work<AnalyseJob>(QUEUES.light, { batchSize: 5, pollingIntervalSeconds: 0.5 }, handler as never);
          void q.boss.work<AnalyseJob>(QUEUES.heavy, { batchSize: 5, pollingIntervalSeconds: 0.5 }, handler as never);
        });
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([done, new Promise((_, rej) => (timer = setTimeout(() => rej(new Error(`only ${seen.length} jobs delivered`)), 30_000)))])
          .finally(() => clearTimeout(timer));
        assert.deepEqual([...seen].sort(), jobs.map((j) => j.data.sha256).sort());
      } finally {
        await q.stop();
      }
    });
  });
}

contract('pglite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vitrine-pgc-'));
  return {
    open: () => createDb({ dataDir: dir }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

contract('postgres', async () => {
  if (!(await pgAvailable())) return null;
  const tdb: TempDb = await createTempDb();
  const dir = await mkdtemp(join(tmpdir(), 'vitrine-pgc-'));
  return {
    url: tdb.url,
    open: (o) => createDb({ dataDir: dir, databaseUrl: tdb.url, ...o }),
    async cleanup() {
      await tdb.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
