// Analysis results keyed by (sha256, analyser): identical files are analysed once; a new analyser
// version resets only that analyser's row.
import { sql } from 'kysely';
import type { Db } from '../db/create-db.ts';

export type AnalysisStatus = 'queued' | 'running' | 'done' | 'skipped' | 'failed';

export interface AnalysisRow {
  sha256: string;
  analyser: string;
  version: number;
  status: AnalysisStatus;
  error: string | null;
  result: unknown;
  attempts: number;
  options: Record<string, unknown> | null;
  ms: number | null;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface AnalysisSpec {
  sha256: string;
  analyser: string;
  version: number;
  options?: Record<string, unknown> | null;
}

function toRow(r: Record<string, any>): AnalysisRow {
  return {
    sha256: r.sha256, analyser: r.analyser, version: Number(r.version), status: r.status, error: r.error ?? null,
    result: r.result ?? null, attempts: Number(r.attempts ?? 0), options: r.options ?? null, ms: r.ms ?? null,
    startedAt: r.started_at ? new Date(r.started_at).toISOString() : null,
    finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
  };
}

export class AnalysesRepo {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }

  /**
   * Records that these analyses are wanted. Existing rows at the same version are kept (done work is
   * never redone); a different version resets the row to queued.
   */
  async ensure(input: AnalysisSpec[]): Promise<void> {
    // One row per (content, analyser): PostgreSQL refuses an upsert that touches a row twice.
    const specs = [...new Map(input.map((s) => [`${s.sha256}\u0000${s.analyser}`, s])).values()];
    for (let i = 0; i < specs.length; i += 1000) {
      const chunk = specs.slice(i, i + 1000);
      await this.db.k.insertInto('analyses').values(chunk.map((s) => ({
        sha256: s.sha256, analyser: s.analyser, version: s.version, status: 'queued',
        options: s.options ? JSON.stringify(s.options) : null,
      }))).onConflict((oc) => oc.columns(['sha256', 'analyser']).doUpdateSet({
        version: (eb) => eb.ref('excluded.version'), status: 'queued', result: null, error: null, scheduled: false,
        attempts: 0, options: (eb) => eb.ref('excluded.options'), queued_at: sql`now()`, started_at: null, finished_at: null, ms: null,
      }).where('analyses.version', '<>', (eb) => eb.ref('excluded.version'))).execute();
    }
  }

  /**
   * Marks the queued analyses of this content whose prerequisites have settled as scheduled, and returns
   * them; `needs` maps analyser → analysers it reads. Atomic, so two finishing jobs never both schedule one.
   */
  async takeReady(shas: string[], needs: Record<string, string[]>): Promise<{ sha256: string; analyser: string }[]> {
    if (!shas.length) return [];
    const r = await this.db.executeSql(
      `UPDATE analyses a SET scheduled = true, scheduled_at = now()
        WHERE a.sha256 = ANY($1) AND a.status = 'queued' AND a.scheduled = false
          AND NOT EXISTS (SELECT 1 FROM analyses d WHERE d.sha256 = a.sha256 AND d.status IN ('queued', 'running')
                 AND d.analyser IN (SELECT jsonb_array_elements_text(coalesce($2::jsonb -> a.analyser, '[]'::jsonb))))
        RETURNING a.sha256, a.analyser`, [shas, JSON.stringify(needs)]);
    return r.rows.map((x) => ({ sha256: x.sha256 as string, analyser: x.analyser as string }));
  }

  /** Undo takeReady when the jobs could not be enqueued, so the work is not left waiting for the sweep. */
  async unschedule(pairs: { sha256: string; analyser: string }[]): Promise<void> {
    if (!pairs.length) return;
    await this.db.executeSql(
      `UPDATE analyses SET scheduled = false, scheduled_at = NULL
        WHERE status = 'queued' AND (sha256, analyser) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [pairs.map((p) => p.sha256), pairs.map((p) => p.analyser)]);
  }

  /** Claims one analysis for running; null when another worker has it or it is settled. */
  async claim(sha256: string, analyser: string, staleSeconds: number): Promise<AnalysisRow | null> {
    const r = await this.db.executeSql(
      `UPDATE analyses SET status = 'running', started_at = now(), attempts = attempts + 1
        WHERE sha256 = $1 AND analyser = $2
          AND (status = 'queued' OR (status = 'running' AND started_at < now() - make_interval(secs => $3)))
        RETURNING *`, [sha256, analyser, staleSeconds]);
    return r.rows[0] ? toRow(r.rows[0]) : null;
  }

  async finish(sha256: string, analyser: string, f: { status: AnalysisStatus; result?: unknown; error?: string | null; ms: number }): Promise<void> {
    await this.db.k.updateTable('analyses').set({
      status: f.status, result: f.result === undefined ? null : JSON.stringify(f.result), error: f.error ?? null,
      ms: Math.round(f.ms), finished_at: sql`now()`,
    }).where('sha256', '=', sha256).where('analyser', '=', analyser).execute();
  }

  /** A transient failure that will be retried: back to queued, keeping the reason. */
  async requeue(sha256: string, analyser: string, error: string): Promise<void> {
    await this.db.k.updateTable('analyses').set({ status: 'queued', error })
      .where('sha256', '=', sha256).where('analyser', '=', analyser).execute();
  }

  /** Which of these contents have at least one analysis row (any analyser, any status). */
  async shasWithAny(shas: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    const unique = [...new Set(shas)];
    for (let i = 0; i < unique.length; i += 1000) {
      const rows = await this.db.k.selectFrom('analyses').select('sha256').distinct().where('sha256', 'in', unique.slice(i, i + 1000)).execute();
      for (const r of rows) out.add(r.sha256);
    }
    return out;
  }

  async forSha(sha256: string): Promise<AnalysisRow[]> {
    return (await this.db.k.selectFrom('analyses').selectAll().where('sha256', '=', sha256).orderBy('analyser').execute()).map(toRow);
  }

  async results(sha256: string, analysers: string[]): Promise<Record<string, unknown>> {
    if (!analysers.length) return {};
    const rows = await this.db.k.selectFrom('analyses').select(['analyser', 'result'])
      .where('sha256', '=', sha256).where('analyser', 'in', analysers).where('status', '=', 'done').execute();
    return Object.fromEntries(rows.map((r) => [r.analyser, r.result]));
  }

  async counts(shas?: string[]): Promise<{ analyser: string; status: AnalysisStatus; n: number }[]> {
    let q = this.db.k.selectFrom('analyses').select(['analyser', 'status', (eb) => eb.fn.countAll<string>().as('n')]);
    if (shas) {
      if (!shas.length) return [];
      q = q.where('sha256', 'in', shas);
    }
    const rows = await q.groupBy(['analyser', 'status']).execute();
    return rows.map((r) => ({ analyser: r.analyser, status: r.status as AnalysisStatus, n: Number(r.n) }));
  }

  /** Mean wall time per analyser over finished work, for ETAs. */
  async meanMs(): Promise<Record<string, number>> {
    const rows = await this.db.k.selectFrom('analyses').select(['analyser', (eb) => eb.fn.avg<string>('ms').as('ms')])
      .where('status', 'in', ['done', 'skipped']).where('ms', 'is not', null).groupBy('analyser').execute();
    return Object.fromEntries(rows.map((r) => [r.analyser, Number(r.ms)]));
  }

  async failures(limit = 100, shas?: string[]): Promise<{ sha256: string; analyser: string; status: string; error: string }[]> {
    let q = this.db.k.selectFrom('analyses').select(['sha256', 'analyser', 'status', 'error']).where('status', '=', 'failed');
    if (shas) {
      if (!shas.length) return [];
      q = q.where('sha256', 'in', shas);
    }
    const rows = await q.orderBy('finished_at', 'desc').limit(limit).execute();
    return rows.map((r) => ({ sha256: r.sha256, analyser: r.analyser, status: r.status, error: r.error ?? '' }));
  }

  /**
   * Lost work, after a crash or a dropped connection: analyses stuck `running` past the stale limit go back
   * to `queued`; queued ones never handed to the queue, or handed over long ago (2 × stale: the job was
   * lost), are made schedulable again. Claims make the occasional duplicate job harmless.
   */
  async unsettledShas(staleSeconds: number, limit = 10_000): Promise<string[]> {
    const r = await this.db.executeSql(
      `UPDATE analyses SET status = 'queued', scheduled = false
        WHERE (status = 'running' AND started_at < now() - make_interval(secs => $1))
           OR (status = 'queued' AND (scheduled = false OR scheduled_at IS NULL OR scheduled_at < now() - make_interval(secs => $1 * 2)))
        RETURNING sha256`, [staleSeconds]);
    return [...new Set(r.rows.map((x) => x.sha256 as string))].slice(0, limit);
  }

  async pendingCount(shas?: string[]): Promise<number> {
    let q = this.db.k.selectFrom('analyses').select((eb) => eb.fn.countAll<string>().as('n')).where('status', 'in', ['queued', 'running']);
    if (shas) {
      if (!shas.length) return 0;
      q = q.where('sha256', 'in', shas);
    }
    return Number((await q.executeTakeFirst())?.n ?? 0);
  }

  /** Re-run: every row of that analyser (or all) back to queued. Returns the affected content hashes. */
  async reset(analyser?: string): Promise<string[]> {
    let q = this.db.k.updateTable('analyses').set({ status: 'queued', scheduled: false, attempts: 0, error: null, result: null, started_at: null, finished_at: null, ms: null });
    if (analyser) q = q.where('analyser', '=', analyser);
    const rows = await q.returning('sha256').execute();
    return [...new Set(rows.map((r) => r.sha256))];
  }

  async deleteForSha(sha256: string): Promise<void> {
    await this.db.k.deleteFrom('analyses').where('sha256', '=', sha256).execute();
  }
}
