// Runs every test file with Node's test runner (Node 22 from node_modules/.bin when started by npm/make).
// Ends with the runner's own summary lines, which CI reads.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const only = process.argv.slice(2);
const files = only.length ? only : readdirSync('test').filter((f) => f.endsWith('.test.ts')).sort().map((f) => `test/${f}`);
const r = spawnSync(process.execPath, [
  '--test', '--test-reporter=spec', '--test-concurrency=2', '--test-timeout=900000', ...files,
], { stdio: 'inherit', env: { ...process.env, OMP_THREAD_LIMIT: '1', NODE_NO_WARNINGS: '1' } });
process.exit(r.status ?? 1);
