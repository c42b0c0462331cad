// Accountability services, built once per container: audit administration (and automatic checkpoints),
// users, legal holds, erasure, retention and the transparency report.
import type { Logger } from 'pino';
import type { Config } from '../../config.ts';
import type { Db } from '../../db/create-db.ts';
import type { AnalysesRepo } from '../../repositories/analyses.ts';
import type { AssetsRepo } from '../../repositories/assets.ts';
import type { AuditEventsRepo } from '../../repositories/audit-events.ts';
import type { DerivedRepo } from '../../repositories/derived.ts';
import { HoldsRepo } from '../../repositories/holds.ts';
import type { SearchEntriesRepo } from '../../repositories/search-entries.ts';
import type { UsersRepo } from '../../repositories/users.ts';
import type { SearchIndex } from '../../search/search-index.ts';
import type { BlobStore } from '../../storage/blob-store.ts';
import type { AccessPolicy } from '../access.ts';
import type { AuditService } from '../audit.ts';
import { AuditAdmin } from './audit-admin.ts';
import { EraseService } from './erase.ts';
import { HoldService } from './holds.ts';
import { ReportService } from './report.ts';
import { RetentionService } from './retention.ts';
import { UserService } from './users.ts';

export interface Governance {
  auditAdmin: AuditAdmin;
  users: UserService;
  holds: HoldService;
  erase: EraseService;
  retention: RetentionService;
  report: ReportService;
}

export function createGovernance(d: {
  config: Config; log: Logger; db: Db; blobs: BlobStore; index: SearchIndex; audit: AuditService; access: AccessPolicy;
  repos: { assets: AssetsRepo; analyses: AnalysesRepo; entries: SearchEntriesRepo; derived: DerivedRepo; audit: AuditEventsRepo; users: UsersRepo };
}): Governance {
  const { config, repos } = d;
  const auditAdmin = new AuditAdmin({
    events: repos.audit, access: d.access, dataDir: config.dataDir, keyPath: config.auditKey, every: config.auditCheckpointEvery, log: d.log,
  });
  d.audit.onAppend = (seq) => auditAdmin.afterAppend(seq);
  const holdsRepo = new HoldsRepo(d.db);
  const holds = new HoldService({ holds: holdsRepo, assets: repos.assets, access: d.access, audit: d.audit });
  const erase = new EraseService({
    db: d.db, assets: repos.assets, analyses: repos.analyses, entries: repos.entries, derived: repos.derived, index: d.index,
    blobs: d.blobs, holds, access: d.access, audit: d.audit, dataDir: config.dataDir,
  });
  const retention = new RetentionService({ db: d.db, assets: repos.assets, erase, access: d.access, audit: d.audit });
  const report = new ReportService({ db: d.db, assets: repos.assets, holds: holdsRepo, retention, auditAdmin, access: d.access, audit: d.audit });
  const users = new UserService({ users: repos.users, assets: repos.assets, access: d.access, audit: d.audit });
  return { auditAdmin, users, holds, erase, retention, report };
}
