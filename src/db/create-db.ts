// Opens the database: PGlite on disk under DATA/db (embedded) or a PostgreSQL server (scale-out), applies
// the checked-in migrations, and hands out one Kysely instance plus a raw adapter for pg-boss.
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { fromPglite } from 'pg-boss';
import { AppError } from '../errors.ts';
import { processAlive } from '../util/process-alive.ts';
import { Mutex, PGliteDialect } from './pglite-dialect.ts';
import { WriteTracker } from './write-tracker.ts';
import type { Database } from './schema.ts';

export interface RawResult {
  rows: any[];
  rowCount?: number;
}

export interface Db {
  readonly kind: 'pglite' | 'postgres';
  readonly k: Kysely<Database>;
  /**
   * Ranked search orders by the rum index when true; plain GIN + ts_rank_cd over a candidate cap otherwise.
   * Set after migrations: true only when asked (VITRINE_PG_RUM=1 or opts.rum) on a server with the extension.
   */
  rum: boolean;
  /** Raw SQL with parameters (pg-boss, maintenance). Multi-statement text when values are absent. */
  executeSql(text: string, values?: unknown[]): Promise<RawResult>;
  /**
   * Runs fn on one connection holding a session advisory lock on `key` (PostgreSQL), or under the
   * connection mutex (PGlite, one process). For work that must happen once across processes.
   */
  withLock<T>(key: number, fn: (exec: (text: string, values?: unknown[]) => Promise<RawResult>) => Promise<T>): Promise<T>;
  /**
   * How many writes this process made to `table` (PGlite), for caches of rarely written tables: equal numbers
   * mean the table is unchanged. null on PostgreSQL, where other processes write too.
   */
  generation(table: string): number | null;
  /** Reclaim space and drop dead tuples (after erasure, so erased text does not linger in table files). */
  compact(tables: string[]): Promise<void>;
  /** Flush and recycle the WAL (PGlite); a no-op on a server, which manages its own. */
  checkpoint(): Promise<void>;
  close(): Promise<void>;
}

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');
const MIGRATION_LOCK = 7_355_608;

export interface DbOptions {
  dataDir: string;
  databaseUrl?: string;
  /** Use the rum extension for ranked search when the server has it (default: env VITRINE_PG_RUM=1, else off). */
  rum?: boolean;
  /** Connections in the pool (PostgreSQL). */
  poolMax?: number;
}

export async function createDb(opts: DbOptions): Promise<Db> {
  const db = opts.databaseUrl ? await openPostgres(opts.databaseUrl, opts.poolMax ?? 10) : await openPglite(join(opts.dataDir, 'db'));
  // Opt-in: rum ranks every match, which bench/RESULTS-scale.md measured slower than GIN + cap for common words.
  const wantRum = opts.rum ?? ['1', 'true', 'yes', 'on'].includes((process.env.VITRINE_PG_RUM ?? '').toLowerCase());
  try {
    // Several processes may start at once on one server: one applies the migrations, the others wait.
    await db.withLock(MIGRATION_LOCK, async (exec) => {
      await migrate(exec);
      if (db.kind === 'postgres' && wantRum) db.rum = await ensureRum(exec);
    });
  } catch (e) {
    await db.close();
    throw e;
  }
  return db;
}

type Exec = (text: string, values?: unknown[]) => Promise<RawResult>;

/**
 * The rum index is optional (a server without the extension package runs on GIN alone), so it is made
 * here rather than in a migration. Under the migration lock: many workers starting at once build it once.
 * On a table that is already large the build takes minutes; docs/SCALING.md says to build it beforehand.
 */
async function ensureRum(exec: Exec): Promise<boolean> {
  const have = await exec(`SELECT (SELECT 1 FROM pg_available_extensions WHERE name = 'rum') AS available,
      (SELECT 1 FROM pg_extension WHERE extname = 'rum') AS installed,
      (SELECT 1 FROM pg_indexes WHERE indexname = 'search_entries_tsv_rum') AS indexed`);
  const row = have.rows[0] ?? {};
  if (row.indexed) return true;
  if (!row.available) return false;
  try {
    if (!row.installed) await exec('CREATE EXTENSION IF NOT EXISTS rum');
    await exec('CREATE INDEX IF NOT EXISTS search_entries_tsv_rum ON search_entries USING rum (tsv rum_tsvector_ops)');
    return true;
  } catch {
    return false; // e.g. not allowed to create extensions: GIN still answers every query
  }
}

async function migrate(exec: Exec): Promise<void> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d+_.*\.sql$/.test(f)).sort();
  await exec('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
  const done = new Set((await exec('SELECT version FROM schema_migrations')).rows.map((r) => Number(r.version)));
  for (const f of files) {
    const version = Number(f.split('_')[0]);
    if (done.has(version)) continue;
    const text = await readFile(join(MIGRATIONS_DIR, f), 'utf8');
    await exec(`BEGIN;\n${text}\n;INSERT INTO schema_migrations (version, name) VALUES (${version}, '${f.replace(/'/g, "''")}');\nCOMMIT;`);
  }
}

async function openPostgres(url: string, max: number): Promise<Db> {
  const pg = (await import('pg')).default;
  // bigint columns come back as strings by default; counts and sizes fit in a double.
  pg.types.setTypeParser(20, (v: string) => Number(v));
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 10_000 });
  // A dropped connection (server restart, pg_terminate_backend) must not crash the process: an idle one
  // is replaced on next use; one checked out (a transaction in progress) fails that query, which the
  // caller sees as an error and the queue retries.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  try {
    const c = await pool.connect();
    c.release();
  } catch (e) {
    await pool.end().catch(() => {});
    throw connectError(url, e);
  }
  const k = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    kind: 'postgres',
    rum: false,
    k,
    generation: () => null,
    async executeSql(text, values) {
      const r = await pool.query(text, values as unknown[] | undefined);
      const last = Array.isArray(r) ? r[r.length - 1] : r;
      return { rows: last?.rows ?? [], rowCount: last?.rowCount ?? undefined };
    },
    async withLock(key, fn) {
      const c = await pool.connect();
      let broken = false;
      try {
        await c.query('SELECT pg_advisory_lock($1)', [key]);
        try {
          return await fn(async (text, values) => {
            const r = await c.query(text, values as unknown[] | undefined);
            const last = Array.isArray(r) ? r[r.length - 1] : r;
            return { rows: last?.rows ?? [], rowCount: last?.rowCount ?? undefined };
          });
        } finally {
          await c.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => {
            broken = true; // the session is gone, and with it the lock
          });
        }
      } finally {
        c.release(broken);
      }
    },
    async compact(tables) {
      for (const t of tables) await pool.query(`VACUUM (FULL) ${t}`);
    },
    async checkpoint() {},
    async close() {
      await k.destroy();
    },
  };
}

/** A clear start-up error (exit 2) that says which of the settings is wrong. */
function connectError(url: string, e: unknown): AppError {
  const err = e as Error & { code?: string };
  const msg = err.message || String(err.code ?? e);
  const pgCode = err.code ?? '';
  let code = 'E_DB_UNAVAILABLE';
  let hint = 'check that the server is running and reachable at that host and port';
  if (pgCode.startsWith('28') || /password|authentication/i.test(msg)) {
    code = 'E_DB_AUTH';
    hint = 'check the user name and password in VITRINE_DATABASE_URL';
  } else if (pgCode === '3D000') {
    code = 'E_DB_MISSING';
    hint = 'create the database first (createdb) or fix its name in VITRINE_DATABASE_URL';
  }
  return new AppError(code, `cannot connect to PostgreSQL (${redact(url)}): ${msg}; ${hint}`, 'usage', { cause: e });
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

// PGlite's own defaults (its `defaultStartParams`; -F: no fsync — the blob store fsyncs what matters and a
// killed process loses nothing the OS already has), plus: 16 MB of shared buffers instead of 128 MB (about
// 240 MB less memory), and checkpoints every 32 MB of WAL instead of 1 GB.
const PGLITE_START_PARAMS = [
  '--single', '-F', '-O', '-j', '-c', 'search_path=public', '-c', 'exit_on_error=false', '-c', 'log_checkpoints=false',
  '-c', 'max_worker_processes=0', '-c', 'max_parallel_workers=0', '-c', 'max_parallel_workers_per_gather=0',
  '-c', 'io_method=sync', '-c', 'max_parallel_maintenance_workers=0',
  '-c', 'shared_buffers=16MB', '-c', 'max_wal_size=32MB', '-c', 'min_wal_size=32MB',
];

async function openPglite(dir: string): Promise<Db> {
  await mkdir(dir, { recursive: true });
  const unlock = await lockDir(dir);
  const { PGlite } = await import('@electric-sql/pglite');
  let pg;
  try {
    // A new directory is initialised with PGlite's defaults (initdb refuses extra start parameters);
    // every open then runs with a small buffer pool and a small write-ahead log.
    if (!existsSync(join(dir, 'PG_VERSION'))) await (await PGlite.create({ dataDir: dir })).close();
    const { unaccent } = await import('@electric-sql/pglite/contrib/unaccent');
    pg = await PGlite.create({ dataDir: dir, startParams: PGLITE_START_PARAMS, extensions: { unaccent } });
  } catch (e) {
    await unlock();
    throw new AppError('E_DB_OPEN', `cannot open the database in ${dir}: ${(e as Error).message}`, 'failure');
  }
  const mutex = new Mutex();
  const writes = new WriteTracker();
  const k = new Kysely<Database>({ dialect: new PGliteDialect(pg, mutex, writes) });
  let closed = false;
  // pg-boss's own PGlite adapter: multi-statement text via exec(), and an aborted transaction is rolled
  // back so one failed statement cannot poison the single connection.
  const adapter = fromPglite(pg as never);
  const exec = (text: string, values?: unknown[]): Promise<RawResult> => {
    writes.note(text);
    return adapter.executeSql(text, values);
  };
  return {
    kind: 'pglite',
    rum: false,
    k,
    generation: (table) => writes.generation(table),
    executeSql: (text, values) => mutex.run(() => exec(text, values)),
    // One process owns a PGlite directory (lockDir), so the lock is only about this process's callers;
    // the mutex is taken per statement because fn's statements go through executeSql.
    withLock: (_key, fn) => fn((text, values) => mutex.run(() => exec(text, values))),
    checkpoint: () => mutex.run(async () => void (await pg.exec('CHECKPOINT'))),
    async compact(tables) {
      await mutex.run(async () => {
        for (const t of tables) await pg.exec(`VACUUM (FULL) ${t}`);
        await pg.exec('CHECKPOINT');
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      await mutex.run(async () => {
        await pg.exec('CHECKPOINT').catch(() => {});
        await pg.close();
      });
      await unlock();
    },
  };
}

/** PGlite is single-process: a lock file with our pid keeps a second process out (stale after kill -9). */
async function lockDir(dir: string): Promise<() => Promise<void>> {
  const file = join(dir, '..', 'vitrine.lock');
  for (let i = 0; i < 2; i++) {
    try {
      const fh = await open(file, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return async () => {
        await rm(file, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (pid && pid !== process.pid && processAlive(pid))
        throw new AppError('E_DATA_LOCKED', `the data directory is in use by process ${pid} (vitrine serve or work?); stop it or use the API`, 'failure');
      await rm(file, { force: true });
    }
  }
  await writeFile(file, String(process.pid));
  return async () => {
    await rm(file, { force: true });
  };
}


export { sql };
