// bench/RESULTS-scale.md: each scale bench rewrites its own marked section, the header stays.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR } from './common.ts';

export const RESULTS_SCALE = join(BENCH_DIR, 'RESULTS-scale.md');

const HEADER = `# Scale-out benchmarks

\`node bench/scale-search.bench.ts\` (1,000,000 documents on PostgreSQL, GIN vs rum) and
\`node bench/scale-workers.bench.ts\` (one vs two \`vitrine work\` processes on a CPU-bound analyser).
Both need the PostgreSQL server of the test set-up (VITRINE_TEST_PG_URL, default postgres://postgres@127.0.0.1:5432)
and create and drop their own database. docs/SCALING.md builds the sizing plan from these figures.
`;

export function updateScaleResults(id: string, body: string): void {
  const begin = `<!-- section:${id} -->`;
  const end = `<!-- /section:${id} -->`;
  let text = existsSync(RESULTS_SCALE) ? readFileSync(RESULTS_SCALE, 'utf8') : HEADER;
  const block = `${begin}\n${body.trim()}\n${end}`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i >= 0 && j > i) text = text.slice(0, i) + block + text.slice(j + end.length);
  else text = `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(RESULTS_SCALE, text.trimEnd() + '\n');
}
