// Analysis workers on both queues, in this process. `stop()` lets running jobs finish (SIGTERM);
// a worker that dies instead has its jobs expire and picked up by another.
import type { AnalysisService } from './analysis.ts';
import type { JobQueue } from '../queue/queue.ts';
import { QUEUES, type AnalyseJob } from '../queue/jobs.ts';

export interface WorkerOptions {
  concurrency: number;
  heavyConcurrency: number;
  pollingSeconds?: number;
}

export class Workers {
  private readonly queue: JobQueue;
  private readonly analysis: AnalysisService;
  private readonly ids: string[] = [];
  active = 0;

  constructor(queue: JobQueue, analysis: AnalysisService) {
    this.queue = queue;
    this.analysis = analysis;
  }

  async start(o: WorkerOptions): Promise<void> {
    await this.queue.start();
    await this.analysis.recover();
    const poll = o.pollingSeconds ?? 0.5;
    const handler = async (jobs: { data: AnalyseJob; retryCount: number; retryLimit: number }[]) => {
      this.active++;
      try {
        for (const j of jobs) await this.analysis.runJob(j.data, { retryCount: j.retryCount ?? 0, retryLimit: j.retryLimit ?? 0 });
      } finally {
        this.active--;
      }
    };
    this.ids.push(await this.queue.boss.work<AnalyseJob>(QUEUES.light,
      { batchSize: 1, includeMetadata: true, localConcurrency: o.concurrency, pollingIntervalSeconds: poll }, handler as never));
    this.ids.push(await this.queue.boss.work<AnalyseJob>(QUEUES.heavy,
      { batchSize: 1, includeMetadata: true, localConcurrency: o.heavyConcurrency, pollingIntervalSeconds: poll }, handler as never));
  }

  /** Stops fetching on both queues at once (a draining light queue must not let heavy jobs start), then waits for running jobs. */
  async stop(): Promise<void> {
    await Promise.all(Object.values(QUEUES).map((name) => this.queue.boss.offWork(name, { wait: true }).catch(() => {})));
  }
}
