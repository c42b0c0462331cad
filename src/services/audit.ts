// Records who did what, to which target, for which purpose, with what outcome. Every service that
// touches an asset calls this; the events table is a hash chain (src/audit/).
import type { AuditFields } from '../audit/chain.ts';
import type { AuditEventsRepo } from '../repositories/audit-events.ts';

export interface Actor {
  name: string;
  role: string;
  /** Collection the actor is limited to; null = all. */
  collection: string | null;
}

export class AuditService {
  private readonly repo: AuditEventsRepo;
  /** Called after events are appended (automatic checkpoints). */
  onAppend: ((lastSeq: number) => Promise<void>) | null = null;
  /** Benchmarks measure the log's overhead against a sink that does nothing. */
  disabled = false;

  constructor(repo: AuditEventsRepo) {
    this.repo = repo;
  }

  async record(events: AuditFields | AuditFields[]): Promise<void> {
    if (this.disabled) return;
    const list = Array.isArray(events) ? events : [events];
    if (!list.length) return;
    const out = await this.repo.append(list);
    if (this.onAppend && out.length) await this.onAppend(out[out.length - 1]!.seq);
  }
}
