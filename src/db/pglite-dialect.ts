// A tiny Kysely dialect for PGlite. PGlite has one connection, so a mutex hands it to one user at a time:
// a transaction (BEGIN..COMMIT) is never interleaved with another caller's statements.
import type { PGlite } from '@electric-sql/pglite';
import {
  CompiledQuery, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler,
  type DatabaseConnection, type Dialect, type Driver, type Kysely, type QueryResult,
} from 'kysely';
import type { WriteTracker } from './write-tracker.ts';

export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  async lock(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const prev = this.tail;
    this.tail = prev.then(() => next);
    await prev;
    return release;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.lock();
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

class PGliteConnection implements DatabaseConnection {
  private readonly pg: PGlite;
  private readonly writes: WriteTracker;
  constructor(pg: PGlite, writes: WriteTracker) {
    this.pg = pg;
    this.writes = writes;
  }

  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    this.writes.note(q.sql);
    const res = await this.pg.query<R>(q.sql, q.parameters as unknown[]);
    const out: QueryResult<R> = { rows: res.rows };
    if (res.affectedRows !== undefined) (out as { numAffectedRows?: bigint }).numAffectedRows = BigInt(res.affectedRows);
    return out;
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('PGlite dialect does not stream');
  }
}

class PGliteDriver implements Driver {
  private readonly pg: PGlite;
  private readonly mutex: Mutex;
  private readonly conn: PGliteConnection;
  private readonly releases = new Map<DatabaseConnection, () => void>();

  constructor(pg: PGlite, mutex: Mutex, writes: WriteTracker) {
    this.pg = pg;
    this.mutex = mutex;
    this.conn = new PGliteConnection(pg, writes);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const release = await this.mutex.lock();
    // One connection object; the mutex makes the hand-out exclusive.
    this.releases.set(this.conn, release);
    return this.conn;
  }

  async beginTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw('BEGIN'));
  }

  async commitTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw('COMMIT'));
  }

  async rollbackTransaction(c: DatabaseConnection): Promise<void> {
    await c.executeQuery(CompiledQuery.raw('ROLLBACK'));
  }

  async releaseConnection(c: DatabaseConnection): Promise<void> {
    const release = this.releases.get(c);
    this.releases.delete(c);
    release?.();
  }

  async destroy(): Promise<void> {}
}

export class PGliteDialect implements Dialect {
  private readonly pg: PGlite;
  private readonly mutex: Mutex;
  private readonly writes: WriteTracker;
  constructor(pg: PGlite, mutex: Mutex, writes: WriteTracker) {
    this.pg = pg;
    this.mutex = mutex;
    this.writes = writes;
  }
  createAdapter() { return new PostgresAdapter(); }
  createDriver() { return new PGliteDriver(this.pg, this.mutex, this.writes); }
  createIntrospector(db: Kysely<unknown>) { return new PostgresIntrospector(db); }
  createQueryCompiler() { return new PostgresQueryCompiler(); }
}
