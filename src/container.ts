// Wiring only: picks PGlite or PostgreSQL, the blob backend and the search index, and builds the
// repositories and services on top. Nothing here does work of its own.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { userInfo } from 'node:os';
import type { Config } from './config.ts';
import { createDb, type Db } from './db/create-db.ts';
import { createLogger } from './log.ts';
import { AnalyserRegistry, defaultAnalysers } from './analysers/registry.ts';
import { AnalysesRepo } from './repositories/analyses.ts';
import { AssetsRepo } from './repositories/assets.ts';
import { AuditEventsRepo } from './repositories/audit-events.ts';
import { DerivedRepo } from './repositories/derived.ts';
import { SearchEntriesRepo } from './repositories/search-entries.ts';
import { UsersRepo } from './repositories/users.ts';
import { PhashIndexRepo } from './repositories/phash-index.ts';
import { JobQueue } from './queue/queue.ts';
import { Fts5Index } from './search/fts5-index.ts';
import { PgIndex } from './search/pg-index.ts';
import type { SearchIndex } from './search/search-index.ts';
import { AccessPolicy } from './services/access.ts';
import { AnalysisService } from './services/analysis.ts';
import { AssetsView } from './services/assets-view.ts';
import { AuditService, type Actor } from './services/audit.ts';
import { createGovernance, type Governance } from './services/governance/index.ts';
import { IngestService } from './services/ingest.ts';
import { Maintenance } from './services/maintenance.ts';
import { SearchService } from './services/search.ts';
import { SimilarService } from './services/similar.ts';
import { ExportService } from './services/export.ts';
import { Workers } from './services/worker.ts';
import { createBlobStore } from './storage/create-store.ts';
import type { BlobStore } from './storage/blob-store.ts';

export interface Container {
  config: Config;
  log: Logger;
  db: Db;
  blobs: BlobStore;
  registry: AnalyserRegistry;
  repos: { assets: AssetsRepo; analyses: AnalysesRepo; entries: SearchEntriesRepo; derived: DerivedRepo; audit: AuditEventsRepo; users: UsersRepo; phash: PhashIndexRepo };
  queue: JobQueue;
  index: SearchIndex;
  audit: AuditService;
  access: AccessPolicy;
  analysis: AnalysisService;
  ingest: IngestService;
  search: SearchService;
  similar: SimilarService;
  exporter: ExportService;
  view: AssetsView;
  maintenance: Maintenance;
  workers: Workers;
  /** Accountability: audit admin, users, holds, erasure, retention, report. */
  governance: Governance;
  localActor: Actor;
  close(): Promise<void>;
}

export async function createContainer(config: Config, opts: { log?: Logger } = {}): Promise<Container> {
  const log = opts.log ?? createLogger(config.logLevel);
  await mkdir(config.dataDir, { recursive: true });
  const tmpDir = join(config.dataDir, 'tmp');
  const dbOpts = { dataDir: config.dataDir, ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}) };
  const blobs = await createBlobStore({ ...(config.blobs ? { blobs: config.blobs } : {}), dataDir: config.dataDir, tmpDir, env: process.env });
  let db: Db;
  try {
    db = await createDb(dbOpts);
  } catch (e) {
    await blobs.close();
    throw e;
  }
  const registry = new AnalyserRegistry(defaultAnalysers());
  const repos = {
    assets: new AssetsRepo(db), analyses: new AnalysesRepo(db), entries: new SearchEntriesRepo(db),
    derived: new DerivedRepo(db), audit: new AuditEventsRepo(db), users: new UsersRepo(db),
    phash: new PhashIndexRepo(db),
  };
  const useFts5 = config.search === 'fts5' || (config.search === 'auto' && db.kind === 'pglite');
  const index: SearchIndex = useFts5 ? await Fts5Index.open(join(config.dataDir, 'db', 'search.sqlite'), repos.entries) : new PgIndex(repos.entries);
  const queue = new JobQueue(db, { retryLimit: config.jobRetries, expireSeconds: config.jobExpireSeconds, ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}) });
  const audit = new AuditService(repos.audit);
  const access = new AccessPolicy(repos.assets, audit);
  const analysis = new AnalysisService({
    registry, analyses: repos.analyses, assets: repos.assets, derived: repos.derived, entries: repos.entries, blobs, queue, log,
    dataDir: config.dataDir, tmpDir, staleSeconds: config.jobExpireSeconds, translateTo: config.translateTo,
  });
  const ingest = new IngestService({ assets: repos.assets, analyses: repos.analyses, entries: repos.entries, blobs, registry, analysis, audit, maxFileBytes: config.maxFileBytes });
  analysis.setChildIngest((parents, children) => ingest.ingestChildren(parents, children));
  const view = new AssetsView({ db, assets: repos.assets, analyses: repos.analyses, derived: repos.derived, audit, access, registry, concurrency: config.concurrency });
  const maintenance = new Maintenance({ db, blobs, assets: repos.assets, analyses: repos.analyses, analysis, registry });
  const workers = new Workers(queue, analysis);
  const search = new SearchService(index, repos.assets, audit, access);
  const similar = new SimilarService({ assets: repos.assets, phash: repos.phash, blobs, access, audit });
  const exporter = new ExportService({
    assets: repos.assets, analyses: repos.analyses, blobs, access, audit, tmpDir, dataDir: config.dataDir, translateTo: config.translateTo,
  });
  const localActor: Actor = { name: safeUser(), role: 'admin', collection: null };
  const governance = createGovernance({ config, log, db, blobs, index, audit, access, repos });
  let closed = false;
  return {
    config, log, db, blobs, registry, repos, queue, index, audit, access, analysis, ingest, search, similar, exporter, view, maintenance, workers, governance, localActor,
    async close() {
      if (closed) return;
      closed = true;
      await queue.stop().catch(() => {});
      await index.close().catch(() => {});
      await blobs.close().catch(() => {});
      await db.close();
    },
  };
}

function safeUser(): string {
  try {
    return userInfo().username || 'local';
  } catch {
    return 'local';
  }
}
