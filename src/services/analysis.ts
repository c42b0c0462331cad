// Runs analysers for queued content: claims each analysis, runs it with its prerequisites' results,
// stores result, derived files and search text, then schedules whatever became ready. A permanent
// error marks the analysis skipped; anything else is retried by the queue until its retry limit.
import { mkdir, mkdtemp, rename, rm, copyFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { AnalyserRegistry } from '../analysers/registry.ts';
import type { Analyser, AnalyserOutput, AssetType } from '../analysers/types.ts';
import { errorMessage, isPermanent } from '../errors.ts';
import type { AnalysesRepo } from '../repositories/analyses.ts';
import type { AssetRow, AssetsRepo } from '../repositories/assets.ts';
import type { DerivedRepo } from '../repositories/derived.ts';
import type { SearchEntriesRepo } from '../repositories/search-entries.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { derivedRelPath } from '../util/derived-path.ts';
import type { AnalyseJob, QueueClass } from '../queue/jobs.ts';
import type { JobQueue } from '../queue/queue.ts';

export interface ChildIngest {
  (parents: AssetRow[], children: { name: string; tmpPath: string }[]): Promise<void>;
}

export interface AnalysisDeps {
  registry: AnalyserRegistry;
  analyses: AnalysesRepo;
  assets: AssetsRepo;
  derived: DerivedRepo;
  entries: SearchEntriesRepo;
  blobs: BlobStore;
  queue: JobQueue;
  log: Logger;
  dataDir: string;
  tmpDir: string;
  staleSeconds: number;
  translateTo: string;
  /** Set by the ingest service: children of containers (zip members, attachments) become assets. */
  ingestChildren?: ChildIngest;
  /** Called when search entries change (the embedded index catches up lazily). */
  onIndexed?: () => void;
}

export class AnalysisService {
  private readonly d: AnalysisDeps;
  constructor(d: AnalysisDeps) {
    this.d = d;
  }

  setChildIngest(fn: ChildIngest): void {
    this.d.ingestChildren = fn;
  }

  classOf(a: Analyser): QueueClass {
    return a.heavy ? 'heavy' : 'light';
  }

  /** Enqueues jobs for every analysis of this content whose prerequisites have settled. */
  async scheduleReady(shas: string[]): Promise<number> {
    const needs = this.d.registry.needsMap();
    const jobs: { cls: QueueClass; data: AnalyseJob }[] = [];
    // One statement per 1000 hashes (a per-hash UPDATE halved the ingest rate).
    for (let i = 0; i < shas.length; i += 1000) {
      const ready = await this.d.analyses.takeReady(shas.slice(i, i + 1000), needs);
      const groups = new Map<string, { cls: QueueClass; data: AnalyseJob }>();
      for (const { sha256, analyser } of ready) {
        const a = this.d.registry.get(analyser);
        const cls = a ? this.classOf(a) : 'light';
        const key = `${cls}\u0000${sha256}`;
        const g = groups.get(key) ?? { cls, data: { sha256, analysers: [] } };
        g.data.analysers.push(analyser);
        groups.set(key, g);
      }
      jobs.push(...groups.values());
    }
    if (jobs.length) {
      try {
        await this.d.queue.enqueue(jobs);
      } catch (e) {
        const pairs = jobs.flatMap((j) => j.data.analysers.map((analyser) => ({ sha256: j.data.sha256, analyser })));
        await this.d.analyses.unschedule(pairs).catch(() => {}); // else the lost-work sweep finds them later
        throw e;
      }
    }
    return jobs.length;
  }

  /** After a crash: analyses left queued or stuck running get jobs again (claims make duplicates harmless). */
  async recover(): Promise<number> {
    const shas = await this.d.analyses.unsettledShas(this.d.staleSeconds);
    return this.scheduleReady(shas);
  }

  /** One job: returns normally, or throws a transient error so the queue retries it. */
  async runJob(job: AnalyseJob, attempt: { retryCount: number; retryLimit: number }): Promise<void> {
    const assets = await this.d.assets.bySha(job.sha256);
    if (!assets.length) return; // erased meanwhile
    let local: { path: string; release: () => Promise<void> } | null = null;
    let retry: unknown = null;
    try {
      for (const id of job.analysers) {
        const a = this.d.registry.get(id);
        const row = await this.d.analyses.claim(job.sha256, id, this.d.staleSeconds);
        if (!row) continue;
        if (!a) {
          await this.d.analyses.finish(job.sha256, id, { status: 'skipped', error: `analyser ${id} is not available in this version`, ms: 0 });
          continue;
        }
        const lastAttempt = attempt.retryCount >= attempt.retryLimit;
        try {
          local ??= await this.d.blobs.localPath(job.sha256);
        } catch (e) {
          // The content is unreachable (blob store down, blob missing): settle or hand back, never leave it running.
          const msg = errorMessage(e).slice(0, 2000);
          if (lastAttempt || isPermanent(e) || (e as { kind?: string }).kind === 'not_found')
            await this.d.analyses.finish(job.sha256, id, { status: 'failed', error: msg, ms: 0 });
          else {
            await this.d.analyses.requeue(job.sha256, id, msg);
            retry = e;
          }
          continue;
        }
        const err = await this.runOne(a, assets, local.path, row.options ?? {}, lastAttempt);
        if (err) retry = err;
      }
    } finally {
      await local?.release();
    }
    await this.scheduleReady([job.sha256]);
    if (retry) throw retry;
  }

  private async runOne(a: Analyser, assets: AssetRow[], path: string, options: Record<string, unknown>, lastAttempt: boolean): Promise<unknown> {
    const first = assets[0]!;
    const sha256 = first.sha256;
    const tmpDir = await mkdtemp(join(this.d.tmpDir, `run-${process.pid}-${a.id}-`));
    const ac = new AbortController();
    const t0 = performance.now();
    try {
      const deps = await this.d.analyses.results(sha256, a.needs ?? []);
      const out: AnalyserOutput = await a.run({
        sha256, type: first.type as AssetType, mime: first.mime, size: first.size, name: first.name, path, deps,
        options: { translateTo: this.d.translateTo, derivedDir: join(this.d.dataDir, 'derived'), ...(options as object) },
      }, { log: this.d.log.child({ analyser: a.id }), tmpDir, signal: ac.signal });
      const ms = performance.now() - t0;
      await this.storeDerived(sha256, a.id, out);
      if (out.text) {
        await this.d.entries.replace(assets.map((x) => ({ assetId: x.id, type: x.type, collection: x.collection })), a.id, out.text);
        this.d.onIndexed?.();
      }
      if (out.children?.length && this.d.ingestChildren) await this.d.ingestChildren(assets, out.children);
      await this.d.analyses.finish(sha256, a.id, { status: 'done', result: out.result, ms });
      return null;
    } catch (e) {
      const ms = performance.now() - t0;
      const msg = errorMessage(e).slice(0, 2000);
      if (isPermanent(e)) {
        await this.d.analyses.finish(sha256, a.id, { status: 'skipped', error: msg, ms });
        return null;
      }
      this.d.log.warn({ analyser: a.id, sha256, err: msg, lastAttempt }, 'analysis failed');
      if (lastAttempt) {
        await this.d.analyses.finish(sha256, a.id, { status: 'failed', error: msg, ms });
        return null;
      }
      await this.d.analyses.requeue(sha256, a.id, msg);
      return e;
    } finally {
      ac.abort();
      await rm(tmpDir, { recursive: true, force: true });
    }
  }

  private async storeDerived(sha256: string, analyser: string, out: AnalyserOutput): Promise<void> {
    if (!out.derived) return;
    const rows = [];
    for (const d of out.derived) {
      const rel = derivedRelPath(sha256, analyser, d);
      const dest = join(this.d.dataDir, 'derived', rel);
      await mkdir(dirname(dest), { recursive: true });
      await rename(d.tmpPath, dest).catch(async () => {
        await copyFile(d.tmpPath, dest);
      });
      rows.push({ kind: d.kind, path: rel, time: d.time ?? null, page: d.page ?? null });
    }
    await this.d.derived.replace(sha256, analyser, rows);
  }
}
