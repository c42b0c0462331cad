// `vitrine audit log|verify|checkpoint|prove` and the automatic checkpoint every N events. Checkpoints are
// signed under the chain lock, from the Merkle frontier kept beside the log, so every process writes them in
// tree-size order and a checkpoint costs O(log n) however long the log is.
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { appendCheckpoint, loadOrCreateKey, readCheckpoints, signCheckpoint, type Checkpoint, type SigningKey } from '../../audit/checkpoint.ts';
import type { AuditEvent } from '../../audit/chain.ts';
import { proveEvent, type EventProof } from '../../audit/prove.ts';
import { verifyAudit } from '../../audit/verify.ts';
import { AppError, usageError } from '../../errors.ts';
import type { AuditEventsRepo } from '../../repositories/audit-events.ts';
import { frontierRoot } from '../../repositories/audit-tree.ts';
import type { AccessPolicy } from '../access.ts';
import type { Actor } from '../audit.ts';

export interface AuditVerifyOutput {
  ok: boolean;
  events: number;
  checkpoints: number;
  firstBroken?: { seq: number | null; reason: string };
  rootHash: string;
  publicKey: string | null;
}

export interface AuditAdminDeps {
  events: AuditEventsRepo;
  access: AccessPolicy;
  dataDir: string;
  /** VITRINE_AUDIT_KEY: the private key file, kept outside the data directory. */
  keyPath?: string | undefined;
  /** Automatic checkpoint every N events; 0 = only on `audit checkpoint`. */
  every: number;
  log?: Logger;
}

/** Tree size of the last line of a checkpoints file, reading only its tail; 0 when there is none. */
export function lastCheckpointSize(file: string): number {
  if (!existsSync(file)) return 0;
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, 8192);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const lines = buf.toString('utf8').split('\n').map((l) => l.trim()).filter(Boolean);
    for (let i = lines.length - 1; i >= 0; i--) {
      try {
        const v = JSON.parse(lines[i]!) as { treeSize?: unknown };
        if (typeof v.treeSize === 'number') return v.treeSize;
      } catch {
        // a torn or partial first line of the tail chunk
      }
    }
    return 0;
  } finally {
    closeSync(fd);
  }
}

export class AuditAdmin {
  private readonly d: AuditAdminDeps;
  readonly dir: string;
  readonly checkpointsFile: string;
  private key: SigningKey | null = null;
  private lastSigned: number | null = null;

  constructor(d: AuditAdminDeps) {
    this.d = d;
    this.dir = join(d.dataDir, 'audit');
    this.checkpointsFile = join(this.dir, 'checkpoints.jsonl');
  }

  private signingKey(): SigningKey {
    if (!this.key) {
      this.key = loadOrCreateKey(this.dir, this.d.keyPath);
      if (this.key.warning) this.d.log?.warn(this.key.warning);
    }
    return this.key;
  }

  /**
   * Signs the current tree head and appends it to checkpoints.jsonl. `minNew` events must have been added
   * since the last checkpoint in the file (re-read under the lock: another process may just have signed).
   */
  async checkpoint(minNew = 1): Promise<{ checkpoint: Checkpoint | null; created: boolean }> {
    const key = this.signingKey();
    return this.d.events.withChainLock(async (f) => {
      const last = lastCheckpointSize(this.checkpointsFile);
      this.lastSigned = last;
      if (f.size - last < minNew) return { checkpoint: null, created: false };
      const cp = signCheckpoint(key, f.size, frontierRoot(f), new Date().toISOString());
      appendCheckpoint(this.checkpointsFile, cp);
      this.lastSigned = f.size;
      return { checkpoint: cp, created: true };
    });
  }

  /** AuditService.onAppend: a checkpoint every `every` events, never failing the action that was logged. */
  async afterAppend(lastSeq: number): Promise<void> {
    const every = this.d.every;
    if (every <= 0) return;
    this.lastSigned ??= lastCheckpointSize(this.checkpointsFile);
    if (lastSeq - this.lastSigned < every) return;
    try {
      await this.checkpoint(every);
    } catch (e) {
      this.d.log?.warn({ err: e }, 'automatic audit checkpoint failed');
      process.stderr.write(`vitrine: warning: automatic audit checkpoint failed: ${(e as Error).message}\n`);
      this.lastSigned = lastSeq; // try again after another `every` events, not on each one
    }
  }

  async log(actor: Actor, f: { since?: string; actor?: string; action?: string; limit?: number; after?: number }): Promise<AuditEvent[]> {
    await this.d.access.check(actor, 'audit', null, null, null);
    let since: string | undefined;
    if (f.since) {
      const t = Date.parse(f.since);
      if (Number.isNaN(t)) throw usageError(`--since must be a date such as 2025-01-31 or 2025-01-31T12:00:00Z, not "${f.since}"`);
      since = new Date(t).toISOString();
    }
    return this.d.events.list({
      ...(since ? { since } : {}), ...(f.actor ? { actor: f.actor } : {}), ...(f.action ? { action: f.action } : {}),
      ...(f.after !== undefined ? { afterSeq: f.after } : {}), limit: f.limit ?? 10_000,
    });
  }

  /**
   * The key checkpoints must carry: --public-key FILE, else the key VITRINE_AUDIT_KEY names, else
   * DATA/audit/signing.key; none of them (no checkpoint ever made) = the first checkpoint's own key.
   */
  trustedKey(publicKeyFile?: string): string | undefined {
    if (publicKeyFile) {
      try {
        return readFileSync(publicKeyFile, 'utf8');
      } catch (e) {
        throw new AppError('E_AUDIT_KEY', `cannot read the public key ${publicKeyFile}: ${(e as Error).message}`, 'usage');
      }
    }
    if (this.d.keyPath || existsSync(join(this.dir, 'signing.key'))) return this.signingKey().publicKeyBase64;
    return undefined;
  }

  async verify(actor: Actor, opts: { publicKeyFile?: string } = {}): Promise<AuditVerifyOutput> {
    await this.d.access.check(actor, 'audit', null, null, null);
    const trusted = this.trustedKey(opts.publicKeyFile);
    let checkpoints: Checkpoint[];
    try {
      checkpoints = readCheckpoints(this.checkpointsFile);
    } catch (e) {
      return { ok: false, events: 0, checkpoints: 0, firstBroken: { seq: null, reason: (e as Error).message }, rootHash: '', publicKey: null };
    }
    const r = await verifyAudit({ events: this.d.events.pages(5000), checkpoints, ...(trusted !== undefined ? { trustedPublicKey: trusted } : {}) });
    return {
      ok: r.ok, events: r.events, checkpoints: r.checkpoints,
      ...(r.firstBroken ? { firstBroken: { seq: r.firstBroken.seq, reason: r.firstBroken.reason } } : {}),
      rootHash: r.rootHash, publicKey: r.publicKey ?? null,
    };
  }

  lastCheckpoint(): Checkpoint | null {
    const all = readCheckpoints(this.checkpointsFile);
    return all.length ? all[all.length - 1]! : null;
  }

  async prove(actor: Actor, seq: number): Promise<EventProof> {
    await this.d.access.check(actor, 'audit', null, null, null);
    const cp = this.lastCheckpoint();
    if (!cp) throw new AppError('E_AUDIT_PROVE', 'no checkpoint yet: run "vitrine audit checkpoint" first', 'usage');
    return proveEvent({ events: this.d.events.pages(5000), seq, checkpoint: cp });
  }
}
