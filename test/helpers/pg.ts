// Temporary PostgreSQL databases for tests: each test file creates `vitrine_t_<random>` on the server
// (VITRINE_TEST_PG_URL, default the local trust-auth server) and drops it at the end. When no server
// answers, callers skip with 'no PostgreSQL server' — a database test never passes silently.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import pg from 'pg';

export const ADMIN_URL = process.env.VITRINE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const NO_PG = 'no PostgreSQL server';

let available: Promise<boolean> | null = null;

/** True when the test server accepts connections (checked once per process). */
export function pgAvailable(): Promise<boolean> {
  available ??= (async () => {
    const c = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
    try {
      await c.connect();
      await c.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await c.end().catch(() => {});
    }
  })();
  return available;
}

export async function adminQuery(text: string, values?: unknown[], url = ADMIN_URL): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return await c.query(text, values);
  } finally {
    await c.end().catch(() => {});
  }
}

export interface TempDb {
  name: string;
  url: string;
  /** Closes every session on the database (what a server restart does to clients). */
  terminateBackends(): Promise<number>;
  drop(): Promise<void>;
}

export function urlFor(name: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function createTempDb(): Promise<TempDb> {
  const name = `vitrine_t_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const terminateBackends = async () => {
    const r = await adminQuery('SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
    return Number(r.rows[0].n);
  };
  return {
    name,
    url: urlFor(name),
    terminateBackends,
    async drop() {
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** Whether the server has the rum extension package installed. */
export async function rumInstalled(): Promise<boolean> {
  const r = await adminQuery("SELECT 1 FROM pg_available_extensions WHERE name = 'rum'");
  return r.rows.length > 0;
}

/**
 * For one test file: a temporary directory and, when a server answers, a throw-away database; both are
 * removed after the file's tests. Read `dir` and `db` inside tests (they are set in `before`).
 */
export function pgFixture(prefix: string): { dir: string; db: TempDb | null } {
  const fx: { dir: string; db: TempDb | null } = { dir: '', db: null };
  before(async () => {
    fx.dir = await mkdtemp(join(tmpdir(), prefix));
    if (await pgAvailable()) fx.db = await createTempDb();
  });
  after(async () => {
    await fx.db?.drop();
    if (fx.dir) await rm(fx.dir, { recursive: true, force: true });
  });
  return fx;
}
