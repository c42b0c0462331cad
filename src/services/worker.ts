// Analysis workers on both queues, in this process. `stop()` lets running jobs finish (SIGTERM);
// a worker that dies instead has its jobs expire and picked up by another.
import type { AnalysisService } from './analysis.ts';
import type { JobQueue } from '../queue/queue.ts';
import { QUEUES, type AnalyseJob } from '../queue/jobs.ts';

export interface WorkerOptions {
  concurrency: number;
  heavyConcurrency: number;
  pollingSeconds?: number;
  /**
   * Re-schedule lost work this often (seconds): an analysis whose claim or result write was cut off by a
   * dropped database connection stays `running` (or scheduled without a job) until a sweep finds it
   * stale. Duplicated jobs are harmless (claims), so every worker may sweep. Off when unset.
   */
  recoverSeconds?: number;
}

export class Workers {
  private readonly queue: JobQueue;
  private readonly analysis: AnalysisService;
  private readonly ids: string[] = [];
  private sweep: NodeJS.Timeout | null = null;
  active = 0;

  constructor(queue: JobQueue, analysis: AnalysisService) {
    this.queue = queue;
    this.analysis = analysis;
  }

  async start(o: WorkerOptions): Promise<void> {
    await this.queue.start();
    await this.analysis.recover();
    if (o.recoverSeconds) {
      this.sweep = setInterval(() => void this.analysis.recover().catch(() => {}), o.recoverSeconds * 1000);
      this.sweep.unref();
    }
    const poll = o.pollingSeconds ?? 0.5;
    // With a backlog, fetch again as soon as a batch finishes instead of waiting out the poll interval:
    // at one job per 0.5 s poll, short jobs (metadata, a text file) were capped at 2 per second per slot.
    // Light jobs come 4 at a time (burst continues while batches come back full); heavy ones singly, so
    // a long OCR job never holds others hostage until their expiry.
    const burst = { burstWhenReadyExceeds: 1 };
    const lightBatch = { batchSize: 4, burstWhenBatchFull: true };
    const handler = async (jobs: { data: AnalyseJob; retryCount: number; retryLimit: number }[]) => {
      this.active++;
      try {
        for (const j of jobs) await this.analysis.runJob(j.data, { retryCount: j.retryCount ?? 0, retryLimit: j.retryLimit ?? 0 });
      } finally {
        this.active--;
      }
    };
    this.ids.push(await this.queue.boss.work<AnalyseJob>(QUEUES.light,
      { includeMetadata: true, localConcurrency: o.concurrency, pollingIntervalSeconds: poll, ...burst, ...lightBatch }, handler as never));
    this.ids.push(await this.queue.boss.work<AnalyseJob>(QUEUES.heavy,
      { batchSize: 1, includeMetadata: true, localConcurrency: o.heavyConcurrency, pollingIntervalSeconds: poll, ...burst }, handler as never));
  }

  /** Stops fetching on both queues at once (a draining light queue must not let heavy jobs start), then waits for running jobs. */
  async stop(): Promise<void> {
    if (this.sweep) clearInterval(this.sweep);
    this.sweep = null;
    await Promise.all(Object.values(QUEUES).map((name) => this.queue.boss.offWork(name, { wait: true }).catch(() => {})));
  }
}
