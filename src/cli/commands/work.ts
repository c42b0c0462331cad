// `vitrine work`: analysis workers. Any number of these processes, on any number of machines, share
// the queue of one PostgreSQL database. SIGTERM (or Ctrl-C) stops fetching, lets the running jobs
// finish and exits 0; a second signal exits at once, and the jobs it held are retried by another
// worker after VITRINE_JOB_EXPIRE_SECONDS, like those of a worker killed with -9.
import type { Container } from '../../container.ts';
import { intFlag, type Parsed } from '../args.ts';
import type { Out } from '../output.ts';
import { runUntilIdle } from '../wait.ts';
import { startRetentionSchedule } from '../../services/governance/retention.ts';

export const flags = { concurrency: 'string', 'heavy-concurrency': 'string', 'until-idle': 'boolean' } as const;

export async function workCommand(c: Container, a: Parsed, out: Out): Promise<number> {
  const concurrency = intFlag(a.flags.concurrency, 'concurrency', 1, 64) ?? c.config.concurrency;
  const heavyConcurrency = intFlag(a.flags['heavy-concurrency'], 'heavy-concurrency', 1, 64) ?? c.config.heavyConcurrency;
  if (a.flags['until-idle']) {
    await runUntilIdle(c, out, undefined, concurrency);
    const st = await c.view.status();
    out.result(st, () => 'idle: nothing left to analyse');
    return 0;
  }
  // Handlers first: a signal that arrives while the workers start still means "stop cleanly".
  let signalled: NodeJS.Signals | null = null;
  const stopRequested = new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      if (signalled) {
        out.note(`vitrine work: second ${sig}: exiting now; unfinished jobs are retried after the job expiry`);
        process.exit(1);
      }
      signalled = sig;
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await c.workers.start({ concurrency, heavyConcurrency, recoverSeconds: c.config.jobExpireSeconds });
  startRetentionSchedule(c.governance.retention, c.log); // hourly, as the system actor
  if (!signalled) {
    out.note(`vitrine work: pid ${process.pid}, ${concurrency} light + ${heavyConcurrency} heavy jobs at a time (${c.db.kind}); SIGTERM or Ctrl-C finishes the current jobs and stops`);
    await stopRequested;
  }
  out.note(`vitrine work: ${signalled}: finishing ${c.workers.active} running job(s)`);
  await c.workers.stop();
  out.note('vitrine work: stopped');
  return 0;
}
