import type { Container } from '../../container.ts';
import { intFlag, type Parsed } from '../args.ts';
import type { Out } from '../output.ts';
import { runUntilIdle } from '../wait.ts';

export const flags = { concurrency: 'string', 'until-idle': 'boolean' } as const;

export async function workCommand(c: Container, a: Parsed, out: Out): Promise<number> {
  const concurrency = intFlag(a.flags.concurrency, 'concurrency', 1, 64) ?? c.config.concurrency;
  if (a.flags['until-idle']) {
    await runUntilIdle(c, out, undefined, concurrency);
    const st = await c.view.status();
    out.result(st, () => 'idle: nothing left to analyse');
    return 0;
  }
  await c.workers.start({ concurrency, heavyConcurrency: c.config.heavyConcurrency });
  out.note(`vitrine work: running with concurrency ${concurrency}; Ctrl-C or SIGTERM finishes the current jobs and stops`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await c.workers.stop();
  return 0;
}
