// Runs workers in this process until the given content (or everything) has no queued or running
// analysis, drawing one progress line per analyser on stderr.
import type { Container } from '../container.ts';
import { bar, type Out } from './output.ts';

export async function runUntilIdle(c: Container, out: Out, shas?: string[], concurrency?: number): Promise<void> {
  await c.workers.start({ concurrency: concurrency ?? c.config.concurrency, heavyConcurrency: c.config.heavyConcurrency, pollingSeconds: 0.5 });
  try {
    let quietTicks = 0;
    for (;;) {
      await new Promise((r) => setTimeout(r, 300));
      const st = await c.view.status(shas);
      if (out && !out.json) {
        const lines = Object.entries(st.analysers).map(([id, s]) => {
          const total = s.queued + s.running + s.done + s.skipped + s.failed;
          const settled = s.done + s.skipped + s.failed;
          return `${id.padEnd(14)} ${bar(settled, total)} ${settled}/${total}${s.failed ? ` (${s.failed} failed)` : ''}${s.skipped ? ` (${s.skipped} skipped)` : ''}`;
        });
        out.progress([...lines, `eta ${st.etaSeconds}s`].join('\n'));
      }
      const pending = await c.repos.analyses.pendingCount(shas);
      if (pending === 0 && c.workers.active === 0) {
        // Jobs that finished may still be scheduling follow-ups: require two quiet ticks in a row.
        if (++quietTicks >= 2) break;
      } else quietTicks = 0;
    }
    out.endProgress();
  } finally {
    await c.workers.stop();
  }
}
