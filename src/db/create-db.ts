// Opens the database: PGlite on disk under DATA/db (embedded) or a PostgreSQL server (scale-out), applies
// the checked-in migrations, and hands out one Kysely instance plus a raw adapter for pg-boss.
import { mkdir, open, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { fromPglite } from 'pg-boss';
import { AppError } from '../errors.ts';
import { Mutex, PGliteDialect } from './pglite-dialect.ts';
import type { Database } from './schema.ts';

export interface RawResult {
  rows: any[];
  rowCount?: number;
}

export interface Db {
  readonly kind: 'pglite' | 'postgres';
  readonly k: Kysely<Database>;
  /** Raw SQL with parameters (pg-boss, maintenance). Multi-statement text when values are absent. */
  executeSql(text: string, values?: unknown[]): Promise<RawResult>;
  /** Reclaim space and drop dead tuples (after erasure, so erased text does not linger in table files). */
  compact(tables: string[]): Promise<void>;
  /** Flush and recycle the WAL (PGlite); a no-op on a server, which manages its own. */
  checkpoint(): Promise<void>;
  close(): Promise<void>;
}

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');
const MIGRATION_LOCK = 7_355_608;

export async function createDb(opts: { dataDir: string; databaseUrl?: string }): Promise<Db> {
  const db = opts.databaseUrl ? await openPostgres(opts.databaseUrl) : await openPglite(join(opts.dataDir, 'db'));
  try {
    await migrate(db);
  } catch (e) {
    await db.close();
    throw e;
  }
  return db;
}

async function migrate(db: Db): Promise<void> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d+_.*\.sql$/.test(f)).sort();
  await db.executeSql('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
  if (db.kind === 'postgres') await db.executeSql('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
  try {
    const done = new Set((await db.executeSql('SELECT version FROM schema_migrations')).rows.map((r) => Number(r.version)));
    for (const f of files) {
      const version = Number(f.split('_')[0]);
      if (done.has(version)) continue;
      const text = await readFile(join(MIGRATIONS_DIR, f), 'utf8');
      await db.executeSql(`BEGIN;\n${text}\n;INSERT INTO schema_migrations (version, name) VALUES (${version}, '${f.replace(/'/g, "''")}');\nCOMMIT;`);
    }
  } finally {
    if (db.kind === 'postgres') await db.executeSql('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  }
}

async function openPostgres(url: string): Promise<Db> {
  const pg = (await import('pg')).default;
  // bigint columns come back as strings by default; counts and sizes fit in a double.
  pg.types.setTypeParser(20, (v: string) => Number(v));
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 10_000 });
  pool.on('error', () => {}); // a dropped idle connection is replaced on next use
  try {
    const c = await pool.connect();
    c.release();
  } catch (e) {
    await pool.end().catch(() => {});
    const msg = (e as Error).message;
    const code = /password|authentication/i.test(msg) ? 'E_DB_AUTH' : 'E_DB_UNAVAILABLE';
    throw new AppError(code, `cannot connect to PostgreSQL (${redact(url)}): ${msg}. Check VITRINE_DATABASE_URL and that the server is running.`, 'usage');
  }
  const k = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    kind: 'postgres',
    k,
    async executeSql(text, values) {
      const r = await pool.query(text, values as unknown[] | undefined);
      const last = Array.isArray(r) ? r[r.length - 1] : r;
      return { rows: last?.rows ?? [], rowCount: last?.rowCount ?? undefined };
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

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

async function openPglite(dir: string): Promise<Db> {
  await mkdir(dir, { recursive: true });
  const unlock = await lockDir(dir);
  const { PGlite } = await import('@electric-sql/pglite');
  let pg;
  try {
    pg = await PGlite.create({ dataDir: dir });
  } catch (e) {
    await unlock();
    throw new AppError('E_DB_OPEN', `cannot open the database in ${dir}: ${(e as Error).message}`, 'failure');
  }
  // The WAL is kept small by explicit CHECKPOINTs (after each ingest batch and at close): ALTER SYSTEM
  // settings make the next PGlite start fail, so max_wal_size cannot be lowered here.
  const mutex = new Mutex();
  const k = new Kysely<Database>({ dialect: new PGliteDialect(pg, mutex) });
  let closed = false;
  // pg-boss's own PGlite adapter: multi-statement text via exec(), and an aborted transaction is rolled
  // back so one failed statement cannot poison the single connection.
  const adapter = fromPglite(pg as never);
  const exec = (text: string, values?: unknown[]): Promise<RawResult> => adapter.executeSql(text, values);
  return {
    kind: 'pglite',
    k,
    executeSql: (text, values) => mutex.run(() => exec(text, values)),
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
      if (pid && pid !== process.pid && isAlive(pid))
        throw new AppError('E_DATA_LOCKED', `the data directory is in use by process ${pid} (vitrine serve or work?); stop it or use the API`, 'failure');
      await rm(file, { force: true });
    }
  }
  await writeFile(file, String(process.pid));
  return async () => {
    await rm(file, { force: true });
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export { sql };
