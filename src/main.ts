// Entry point: parse the command line, build the container, run one command, map errors to exit codes.
import { loadConfig } from './config.ts';
import { createContainer, type Container } from './container.ts';
import { AppError, toAppError, usageError } from './errors.ts';
import { parseArgs, GLOBAL_FLAGS, type FlagSpec, type Parsed } from './cli/args.ts';
import { createOut, type Out } from './cli/output.ts';
import type { Actor } from './services/audit.ts';
import * as ingest from './cli/commands/ingest.ts';
import * as work from './cli/commands/work.ts';
import * as status from './cli/commands/status.ts';
import * as search from './cli/commands/search.ts';
import * as show from './cli/commands/show.ts';
import * as maint from './cli/commands/maintenance.ts';
import * as collection from './cli/commands/collection.ts';
import * as audit from './cli/commands/audit.ts';
import * as user from './cli/commands/user.ts';
import * as erase from './cli/commands/erase.ts';
import * as hold from './cli/commands/hold.ts';
import * as retention from './cli/commands/retention.ts';
import * as report from './cli/commands/report.ts';
import * as similar from './cli/commands/similar.ts';
import * as exportCmd from './cli/commands/export.ts';

type Handler = (c: Container, a: Parsed, out: Out, actor: Actor) => Promise<number>;

const SERVE_FLAGS: FlagSpec = { host: 'string', port: 'string', workers: 'boolean', 'init-admin': 'boolean' };

const COMMANDS: Record<string, { flags: FlagSpec; run: Handler; help: string }> = {
  ingest: { flags: ingest.flags, run: ingest.ingestCommand, help: 'ingest PATH… [--collection C] [--purpose P] [--ocr-lang L] [--analysers LIST] [--no-wait]' },
  work: { flags: work.flags, run: work.workCommand, help: 'work [--concurrency N] [--until-idle]' },
  status: { flags: status.flags, run: status.statusCommand, help: 'status' },
  search: { flags: search.flags, run: search.searchCommand, help: 'search QUERY [--type T] [--collection C] [--limit N] [--purpose P] | search --batch FILE' },
  show: { flags: show.flags, run: show.showCommand, help: 'show ASSET [--purpose P]' },
  fsck: { flags: maint.fsckFlags, run: maint.fsckCommand, help: 'fsck' },
  reanalyse: { flags: maint.reanalyseFlags, run: maint.reanalyseCommand, help: 'reanalyse [--analyser X | --all] [--no-wait]' },
  collection: { flags: collection.flags, run: collection.collectionCommand, help: 'collection set C [--require-purpose] [--purposes "a,b"] [--analysers LIST] [--ocr-lang L] | collection list' },
  user: { flags: user.flags, run: user.userCommand, help: user.help },
  audit: { flags: audit.flags, run: audit.auditCommand, help: audit.help },
  erase: { flags: erase.flags, run: erase.eraseCommand, help: erase.help },
  hold: { flags: hold.flags, run: hold.holdCommand, help: hold.help },
  retention: { flags: retention.flags, run: retention.retentionCommand, help: retention.help },
  report: { flags: report.flags, run: report.reportCommand, help: report.help },
  similar: { flags: similar.flags, run: similar.similarCommand, help: similar.help },
  export: { flags: exportCmd.flags, run: exportCmd.exportCommand, help: exportCmd.help },
  // The HTTP stack (Fastify, tus) loads only for `serve`.
  serve: { flags: SERVE_FLAGS, run: async (...args) => (await import('./cli/commands/serve.ts')).serveCommand(...args), help: 'serve [--host 127.0.0.1] [--port 8080] [--no-workers] [--init-admin]' },
};

/** Commands added by other modules (accountability, export, serve) register here. */
export function registerCommand(name: string, flags: FlagSpec, run: Handler, help: string): void {
  COMMANDS[name] = { flags, run, help };
}

function usage(): string {
  return ['usage: vitrine COMMAND [options]', '', ...Object.values(COMMANDS).map((c) => '  vitrine ' + c.help), '',
    'global options: --data DIR (VITRINE_DATA), --json, --quiet, --as NAME'].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const wantsJson = argv.includes('--json');
  const out = createOut(wantsJson, argv.includes('--quiet'));
  let c: Container | null = null;
  try {
    const name = argv[0];
    if (!name || name === 'help' || name === '--help' || name === '-h') {
      process.stdout.write(usage() + '\n');
      return name ? 0 : 2;
    }
    const cmd = COMMANDS[name];
    if (!cmd) throw usageError(`unknown command "${name}"; run "vitrine help"`);
    const a = parseArgs(argv.slice(1), cmd.flags);
    if (a.flags.help) {
      process.stdout.write('usage: vitrine ' + cmd.help + '\n');
      return 0;
    }
    const config = loadConfig({
      ...(a.flags.data !== undefined ? { dataDir: a.flags.data } : {}),
      json: !!a.flags.json, quiet: !!a.flags.quiet, ...(a.flags.as ? { as: a.flags.as } : {}),
    });
    c = await createContainer(config);
    const actor = await resolveActor(c, config.as);
    return await cmd.run(c, a, out, actor);
  } catch (e) {
    const err = toAppError(e);
    if (err.code === 'E_INTERNAL' && process.env.VITRINE_DEBUG) process.stderr.write(String((e as Error).stack) + '\n');
    process.stderr.write(`vitrine: ${err.code} ${err.message}\n`);
    if (wantsJson) process.stdout.write(JSON.stringify({ error: { code: err.code, message: err.message } }) + '\n');
    return err.exitCode;
  } finally {
    if (c) await c.close().catch(() => {});
  }
}

/** The local user is an admin; --as NAME acts as a registered user with exactly that user's rights. */
async function resolveActor(c: Container, as: string | undefined): Promise<Actor> {
  if (!as) return c.localActor;
  const u = await c.repos.users.get(as);
  if (!u) throw new AppError('E_NO_USER', `no user named "${as}"; add one with: vitrine user add ${as} --role viewer`, 'usage');
  return { name: u.name, role: u.role, collection: u.collection };
}

export { GLOBAL_FLAGS };
