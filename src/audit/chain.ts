// The audit hash chain (DESIGN.md "Audit log format"): each event's hash is
// hex(SHA-256(JCS({seq, time, actor, action, target, purpose, outcome, detail, prevHash}))) and names the
// previous event's hash, so editing, deleting or reordering a stored row breaks the chain at that row.
// Pure functions: the caller stores events and feeds them back in seq order.

import { hash as oneShotHash } from 'node:crypto';
import { canonicalJson, jcsString, JcsError } from './jcs.ts';

export type AuditEvent = {
  seq: number;
  time: string;
  actor: string;
  action: string;
  target: string | null;
  purpose: string | null;
  outcome: string;
  detail: Record<string, unknown> | null;
  prevHash: string;
  hash: string;
};

export type AuditEventBody = Omit<AuditEvent, 'hash'>;

/** What a caller supplies for a new event; seq, time and the hashes are filled in by nextEvent. */
export type AuditFields = {
  actor: string;
  action: string;
  target?: string | null;
  purpose?: string | null;
  outcome: string;
  detail?: Record<string, unknown> | null;
};

/** prevHash of event 1. */
export const GENESIS = '0'.repeat(64);

const HEX64 = /^[0-9a-f]{64}$/;

function strOrNull(s: string | null): string {
  return s === null ? 'null' : jcsString(s);
}

/**
 * The JCS text of an event body. Hand-written for the fixed shape (keys already in RFC 8785 order:
 * action, actor, detail, outcome, prevHash, purpose, seq, target, time) because this is the hot path of
 * verifying a million events; test/audit-chain.test.ts proves it byte-identical to the generic canonicalJson.
 */
export function eventCanonical(e: AuditEventBody): string {
  return '{"action":' + jcsString(e.action) +
    ',"actor":' + jcsString(e.actor) +
    ',"detail":' + (e.detail === null ? 'null' : canonicalJson(e.detail)) +
    ',"outcome":' + jcsString(e.outcome) +
    ',"prevHash":' + jcsString(e.prevHash) +
    ',"purpose":' + strOrNull(e.purpose) +
    ',"seq":' + String(e.seq) +
    ',"target":' + strOrNull(e.target) +
    ',"time":' + jcsString(e.time) + '}';
}

/** Raw 32-byte SHA-256 of the event's canonical UTF-8 bytes. */
export function eventDigest(e: AuditEventBody): Buffer {
  return oneShotHash('sha256', eventCanonical(e), 'buffer');
}

/** The `hash` column: lowercase hex SHA-256 of the event's canonical form. */
export function eventHash(e: AuditEventBody): string {
  return eventDigest(e).toString('hex');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Why an event cannot even be hashed (wrong types), or null when its shape is right. */
export function malformedReason(e: unknown): string | null {
  if (!isPlainObject(e)) return 'not an object';
  if (!Number.isSafeInteger(e.seq) || (e.seq as number) < 1) return 'seq is not a positive integer';
  for (const k of ['time', 'actor', 'action', 'outcome'] as const) {
    if (typeof e[k] !== 'string') return `${k} is not a string`;
  }
  for (const k of ['target', 'purpose'] as const) {
    if (e[k] !== null && typeof e[k] !== 'string') return `${k} is neither a string nor null`;
  }
  if (e.detail !== null && !isPlainObject(e.detail)) return 'detail is neither an object nor null';
  if (typeof e.prevHash !== 'string' || !HEX64.test(e.prevHash)) return 'prevHash is not 64 lowercase hex digits';
  if (typeof e.hash !== 'string' || !HEX64.test(e.hash)) return 'hash is not 64 lowercase hex digits';
  return null;
}

/**
 * Builds the event that follows `prev` (null for the first event). `detail` is normalised through JSON
 * (undefined members dropped, Dates to strings, -0 to 0) so the hash covers exactly what a JSON column
 * gives back. Append it inside the same transaction/lock that read `prev`, or two writers fork the chain.
 */
export function nextEvent(prev: AuditEvent | null, fields: AuditFields, now: Date = new Date()): AuditEvent {
  if (typeof fields.actor !== 'string' || fields.actor === '') throw new TypeError('audit event needs an actor');
  if (typeof fields.action !== 'string' || fields.action === '') throw new TypeError('audit event needs an action');
  if (typeof fields.outcome !== 'string' || fields.outcome === '') throw new TypeError('audit event needs an outcome');
  const detail = fields.detail == null ? null : JSON.parse(canonicalJson(fields.detail));
  if (detail !== null && !isPlainObject(detail)) throw new TypeError('audit event detail must be an object');
  const body: AuditEventBody = {
    seq: prev ? prev.seq + 1 : 1,
    time: now.toISOString(),
    actor: fields.actor,
    action: fields.action,
    target: fields.target ?? null,
    purpose: fields.purpose ?? null,
    outcome: fields.outcome,
    detail,
    prevHash: prev ? prev.hash : GENESIS,
  };
  return { ...body, hash: eventHash(body) };
}

export type Broken = { seq: number; reason: string };

/**
 * Incremental chain checker: feed events in seq order; each call returns the event's 32-byte digest, or
 * a Broken describing the first problem. Shared by verifyChain and verifyAudit (which also needs the
 * digests for the Merkle tree). Keeps only the previous hash: constant memory.
 */
export class ChainChecker {
  expectedSeq: number;
  prevHash: string;

  constructor(startSeq = 1, startPrevHash = GENESIS) {
    this.expectedSeq = startSeq;
    this.prevHash = startPrevHash;
  }

  check(e: AuditEvent): Buffer | Broken {
    const seq = this.expectedSeq;
    // Cheap type checks on the hot path; the full (regex) diagnosis runs only once something is wrong.
    if (
      typeof e !== 'object' || e === null || typeof e.seq !== 'number' || typeof e.hash !== 'string' ||
      typeof e.prevHash !== 'string' || typeof e.time !== 'string' || typeof e.actor !== 'string' ||
      typeof e.action !== 'string' || typeof e.outcome !== 'string' ||
      (e.target !== null && typeof e.target !== 'string') || (e.purpose !== null && typeof e.purpose !== 'string') ||
      (e.detail !== null && (typeof e.detail !== 'object' || Array.isArray(e.detail)))
    ) {
      return this.malformed(e, seq) ?? { seq, reason: 'malformed event' };
    }
    if (e.seq !== seq) {
      const bad = this.malformed(e, seq);
      if (bad) return bad;
      if (e.seq > seq) {
        return {
          seq,
          reason: e.seq === seq + 1 ? `sequence gap: event ${seq} missing` : `sequence gap: events ${seq}..${e.seq - 1} missing`,
        };
      }
      return { seq: e.seq, reason: `out of order: event ${e.seq} comes after event ${seq - 1}` };
    }
    let digest: Buffer;
    try {
      digest = eventDigest(e);
    } catch (err) {
      if (err instanceof JcsError) return { seq, reason: `malformed event: ${err.message}` };
      throw err;
    }
    // A match also proves `hash` is well-formed (the computed hex is), and prevHash equal to the previous,
    // already checked hash is well-formed too — so no format regexes per event.
    if (digest.toString('hex') !== e.hash) return this.malformed(e, seq) ?? { seq, reason: 'hash mismatch: event was edited' };
    if (e.prevHash !== this.prevHash) {
      return this.malformed(e, seq) ?? {
        seq,
        reason: seq === 1 ? 'chain broken: first event does not start from the genesis hash'
          : `chain broken: prevHash does not match event ${seq - 1} (rows replaced, reordered or re-hashed)`,
      };
    }
    this.expectedSeq = seq + 1;
    this.prevHash = e.hash;
    return digest;
  }

  private malformed(e: unknown, seq: number): Broken | null {
    const bad = malformedReason(e);
    if (bad === null) return null;
    const at = isPlainObject(e) && Number.isSafeInteger(e.seq) ? (e.seq as number) : seq;
    return { seq: at, reason: `malformed event: ${bad}` };
  }
}

/**
 * Events in seq order, one by one or in batches (arrays). Batches matter for speed: an async generator costs
 * about as much per item as hashing does, so a DB reader should yield each fetched page as one array.
 */
export type EventSource =
  | Iterable<AuditEvent | readonly AuditEvent[]>
  | AsyncIterable<AuditEvent | readonly AuditEvent[]>;

/** Calls `visit` on each event of a source, flattening batches; stops when it returns false. */
export async function forEachEvent(source: EventSource, visit: (e: AuditEvent) => boolean): Promise<void> {
  const each = (item: AuditEvent | readonly AuditEvent[]): boolean => {
    if (!Array.isArray(item)) return visit(item as AuditEvent);
    for (const e of item as readonly AuditEvent[]) if (!visit(e)) return false;
    return true;
  };
  if (Symbol.asyncIterator in source) {
    for await (const item of source) if (!each(item)) return;
  } else {
    // Sync sources skip the per-item await.
    for (const item of source) if (!each(item)) return;
  }
}

export type ChainResult = { ok: boolean; events: number; lastHash: string; firstBroken?: Broken };

export type VerifyChainOptions = {
  /** Verify a suffix: the seq of the first event given and the hash of the event before it. */
  startSeq?: number;
  startPrevHash?: string;
};

/**
 * Checks a stream of events (in seq order, from seq 1 unless opts.startSeq) in constant memory and stops at
 * the first broken one. `events` counts the events that verified. A tail deleted after the last event is
 * invisible to the chain alone — signed checkpoints (verify.ts) catch that.
 */
export async function verifyChain(
  events: EventSource,
  opts: VerifyChainOptions = {},
): Promise<ChainResult> {
  const checker = new ChainChecker(opts.startSeq ?? 1, opts.startPrevHash ?? GENESIS);
  let count = 0;
  let broken: Broken | undefined;
  await forEachEvent(events, (e) => {
    const r = checker.check(e);
    if (!Buffer.isBuffer(r)) {
      broken = r;
      return false;
    }
    count++;
    return true;
  });
  return broken ? { ok: false, events: count, lastHash: checker.prevHash, firstBroken: broken }
    : { ok: true, events: count, lastHash: checker.prevHash };
}

/**
 * An event from a database row: accepts `prev_hash` or `prevHash`, `seq` as number/string/bigint (pg int8),
 * `time` as string or Date (a Date only round-trips if the column keeps milliseconds — prefer text),
 * `detail` as object, JSON text or null. Values are passed through otherwise, so verification still sees
 * (and names) a row that was tampered into the wrong type.
 */
export function rowToEvent(row: Record<string, unknown>): AuditEvent {
  const seq = typeof row.seq === 'string' && /^[0-9]+$/.test(row.seq) ? Number(row.seq)
    : typeof row.seq === 'bigint' ? Number(row.seq) : row.seq;
  let detail = row.detail ?? null;
  if (typeof detail === 'string') {
    try {
      detail = JSON.parse(detail);
    } catch {
      // leave it a string: verification reports "detail is neither an object nor null"
    }
  }
  return {
    seq: seq as number,
    time: row.time instanceof Date ? row.time.toISOString() : (row.time as string),
    actor: row.actor as string,
    action: row.action as string,
    target: (row.target ?? null) as string | null,
    purpose: (row.purpose ?? null) as string | null,
    outcome: row.outcome as string,
    detail: detail as Record<string, unknown> | null,
    prevHash: (row.prev_hash ?? row.prevHash) as string,
    hash: row.hash as string,
  };
}
