// pg-boss on the same database as everything else (PGlite through its adapter, or PostgreSQL).
// Retries with back-off for transient errors; a job whose worker died expires and is retried.
import { PgBoss } from 'pg-boss';
import type { Db } from '../db/create-db.ts';
import { QUEUES, type AnalyseJob, type QueueClass } from './jobs.ts';

export interface QueueOptions {
  retryLimit: number;
  expireSeconds: number;
  databaseUrl?: string;
}

export class JobQueue {
  readonly boss: PgBoss;
  private readonly opts: QueueOptions;
  private started = false;

  constructor(db: Db, opts: QueueOptions) {
    this.opts = opts;
    // Expired jobs (their worker died) are failed, and so retried, by the supervisor's monitor pass, which
    // runs at most every monitorIntervalSeconds: check a few times per expiry period, so a job comes back
    // within about 1.3 × expireSeconds (+ retry delay) rather than expireSeconds + a minute.
    const interval = Math.max(5, Math.min(30, Math.floor(opts.expireSeconds / 3)));
    const common = { schema: 'pgboss', supervise: true, schedule: false, superviseIntervalSeconds: interval, monitorIntervalSeconds: interval, queueCacheIntervalSeconds: interval } as const;
    this.boss = db.kind === 'postgres' && opts.databaseUrl
      ? new PgBoss({ ...common, connectionString: opts.databaseUrl, max: 4 })
      : new PgBoss({ ...common, db: { executeSql: (t: string, v?: unknown[]) => db.executeSql(t, v) }, backend: 'pglite' } as never);
    this.boss.on('error', () => {}); // surfaced through job failures and status, not as crashes
  }

  async start(): Promise<void> {
    this.starting ??= this.doStart();
    return this.starting;
  }

  private starting: Promise<void> | null = null;

  private async doStart(): Promise<void> {
    try {
      await this.boss.start();
      for (const name of Object.values(QUEUES)) {
        const opts = {
          retryLimit: this.opts.retryLimit, retryDelay: 5, retryBackoff: true,
          expireInSeconds: this.opts.expireSeconds, deleteAfterSeconds: 7 * 24 * 3600,
        };
        // Another process may create it at the same moment: only a queue that still does not exist is an error.
        await this.boss.createQueue(name, opts).catch(async (e) => {
          if (!(await this.boss.getQueue(name).catch(() => null))) throw e;
        });
      }
      this.started = true;
    } catch (e) {
      this.starting = null; // the next call tries again (e.g. after a dropped connection)
      throw e;
    }
  }

  async enqueue(jobs: { cls: QueueClass; data: AnalyseJob }[]): Promise<void> {
    await this.start();
    const byQueue = new Map<string, AnalyseJob[]>();
    for (const j of jobs) {
      const q = QUEUES[j.cls];
      byQueue.set(q, [...(byQueue.get(q) ?? []), j.data]);
    }
    for (const [name, list] of byQueue)
      for (let i = 0; i < list.length; i += 500) await this.boss.insert(name, list.slice(i, i + 500).map((data) => ({ data })));
  }

  async pending(): Promise<number> {
    let n = 0;
    for (const name of Object.values(QUEUES)) {
      const q = await this.boss.getQueue(name).catch(() => null);
      n += (q as { queuedCount?: number; activeCount?: number } | null)?.queuedCount ?? 0;
      n += (q as { activeCount?: number } | null)?.activeCount ?? 0;
    }
    return n;
  }

  async stop(graceful = true): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.starting = null;
    await this.boss.stop({ graceful, wait: true, timeout: 15_000, close: true } as never).catch(() => {});
  }
}
