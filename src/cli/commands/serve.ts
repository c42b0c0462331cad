// `vitrine serve`: the REST API and web UI, with analysis workers in the same process unless
// --no-workers (then run `vitrine work` elsewhere). --init-admin creates user "admin" when there are no
// users yet and prints its token once (make run uses it).
import type { Container } from '../../container.ts';
import { buildApp } from '../../http/app.ts';
import { intFlag, type Parsed } from '../args.ts';
import { startRetentionSchedule } from '../../services/governance/retention.ts';
import type { Out } from '../output.ts';
import type { Actor } from '../../services/audit.ts';

export const flags = { host: 'string', port: 'string', workers: 'boolean', 'init-admin': 'boolean' } as const;

export async function serveCommand(c: Container, a: Parsed, out: Out, actor: Actor): Promise<number> {
  const host = (a.flags.host as string | undefined) ?? '127.0.0.1';
  const port = intFlag(a.flags.port, 'port', 0, 65535) ?? 8080;
  let adminToken: string | null = null;
  if (a.flags['init-admin'] && !(await c.repos.users.list()).length) {
    adminToken = (await c.governance.users.add('admin', 'admin', null, actor)).token;
  }
  // The job queue now, not at the first upload: a database that cannot take jobs fails the start, and a new
  // archive's queue tables are created before the server takes requests (bench/RESULTS-http.md: creating
  // them in the middle of a 1 GiB upload added ~40 MB to the server's peak).
  await c.queue.start();
  let retention: NodeJS.Timeout | null = null;
  if (a.flags.workers !== false) {
    await c.workers.start({ concurrency: c.config.concurrency, heavyConcurrency: c.config.heavyConcurrency });
    retention = startRetentionSchedule(c.governance.retention, c.log); // hourly, like `vitrine work`
  }
  const app = await buildApp(c);
  const addr = await app.listen({ host, port });
  const url = addr.replace('://[::1]', '://localhost');
  out.result({ url, ...(adminToken ? { admin: { name: 'admin', token: adminToken } } : {}) }, () => [
    `vitrine: serving ${url}  (API reference: ${url}/api/v1/docs)`,
    ...(adminToken ? [`first admin user "admin" created; log in with this token (shown once): ${adminToken}`] : []),
    a.flags.workers === false ? 'analysis workers are off (--no-workers): run "vitrine work" to analyse uploads' : '',
    'Ctrl-C stops the server.',
  ].filter(Boolean).join('\n'));
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  if (retention) clearInterval(retention);
  await app.close();
  if (a.flags.workers !== false) await c.workers.stop();
  return 0;
}
