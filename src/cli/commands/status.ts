import type { Container } from '../../container.ts';
import type { Parsed } from '../args.ts';
import type { Out } from '../output.ts';

export const flags = {} as const;

export async function statusCommand(c: Container, _a: Parsed, out: Out): Promise<number> {
  const st = await c.view.status();
  out.result(st, () => {
    const rows = Object.entries(st.analysers).map(([id, s]) =>
      `${id.padEnd(14)} queued ${s.queued}  running ${s.running}  done ${s.done}  skipped ${s.skipped}  failed ${s.failed}`);
    for (const f of st.failures) rows.push(`  failed ${f.analyser} on ${f.assetId} ${f.path}: ${f.error}`);
    rows.push(`eta ${st.etaSeconds}s`);
    return rows.join('\n');
  });
  return 0;
}
