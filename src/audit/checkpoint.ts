// Signed tree heads ("checkpoints") for the audit log: Ed25519 over a fixed text, one JSON line each in
// checkpoints.jsonl — a file meant to be copied off the machine. The private key lives outside the database
// (DATA/audit/signing.key, or the file named by VITRINE_AUDIT_KEY) so a database-only attacker cannot
// re-sign a rewritten log.

import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, readSync, statSync, unlinkSync, writeFileSync, writeSync, fstatSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AppError } from '../errors.ts';

export type Checkpoint = {
  treeSize: number;
  /** Lowercase hex MTH of the first treeSize events. */
  rootHash: string;
  /** ISO 8601 time of signing. */
  time: string;
  /** Base64 of the raw 32-byte Ed25519 public key. */
  publicKey: string;
  /** Base64 of the 64-byte Ed25519 signature over checkpointMessage(). */
  signature: string;
};

export type SigningKey = {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Base64 raw 32-byte public key, as written in checkpoints. */
  publicKeyBase64: string;
  /** Where the private key was read from (or created). */
  path: string;
  created: boolean;
  /** Set when the key file is readable by group/others. */
  warning?: string;
};

export const CHECKPOINT_PREFIX = 'vitrine-checkpoint/v1';

/** The exact UTF-8 text that is signed. */
export function checkpointMessage(treeSize: number, rootHash: string, time: string): string {
  return `${CHECKPOINT_PREFIX}\n${treeSize}\n${rootHash}\n${time}\n`;
}

/** Raw 32-byte Ed25519 public key, base64. */
export function rawPublicKeyBase64(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw new AppError('E_AUDIT_KEY', 'not an Ed25519 key');
  return Buffer.from(jwk.x, 'base64url').toString('base64');
}

/** KeyObject from a base64 raw 32-byte Ed25519 public key; null when it is not one. */
export function publicKeyFromBase64(b64: string): KeyObject | null {
  if (typeof b64 !== 'string' || !/^[A-Za-z0-9+/]{43}=$/.test(b64)) return null;
  const raw = Buffer.from(b64, 'base64');
  if (raw.length !== 32) return null;
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
  } catch {
    return null;
  }
}

function keyFromPem(pem: string, path: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new AppError('E_AUDIT_KEY', `audit signing key ${path} is not a PEM private key`, 'failure', { cause: err });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new AppError('E_AUDIT_KEY', `audit signing key ${path} is ${key.asymmetricKeyType}, not Ed25519`);
  return key;
}

function fromPrivate(privateKey: KeyObject, path: string, created: boolean): SigningKey {
  const publicKey = createPublicKey(privateKey);
  const out: SigningKey = { privateKey, publicKey, publicKeyBase64: rawPublicKeyBase64(publicKey), path, created };
  if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) {
    out.warning = `audit signing key ${path} is readable by other users; chmod 600 it`;
  }
  return out;
}

/**
 * The signing key: from `envPath` (VITRINE_AUDIT_KEY, must exist) or `dir`/signing.key, created on first use
 * (PKCS8 PEM, mode 0600, with signing.pub as SPKI PEM beside it). Creation is atomic (write a temp file, then
 * link, which fails if another process won the race), so concurrent first runs end up with one key.
 */
export function loadOrCreateKey(dir: string, envPath?: string): SigningKey {
  if (envPath) {
    let pem: string;
    try {
      pem = readFileSync(envPath, 'utf8');
    } catch (err) {
      throw new AppError('E_AUDIT_KEY', `cannot read the audit signing key ${envPath} (VITRINE_AUDIT_KEY)`, 'failure', { cause: err });
    }
    return fromPrivate(keyFromPem(pem, envPath), envPath, false);
  }
  const path = join(dir, 'signing.key');
  try {
    return fromPrivate(keyFromPem(readFileSync(path, 'utf8'), path), path, false);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const tmp = join(dir, `.signing.key.${process.pid}.${Date.now()}`);
  writeFileSync(tmp, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
  let created = true;
  try {
    linkSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    created = false; // another process created it first: use theirs
  } finally {
    unlinkSync(tmp);
  }
  if (!created) return loadOrCreateKey(dir);
  writeFileSync(join(dir, 'signing.pub'), publicKey.export({ format: 'pem', type: 'spki' }), { mode: 0o644 });
  return fromPrivate(privateKey, path, true);
}

/** Signs the tree head. `key` is a loaded SigningKey or an Ed25519 private KeyObject. */
export function signCheckpoint(key: SigningKey | KeyObject, treeSize: number, rootHash: string, time: string): Checkpoint {
  if (!Number.isSafeInteger(treeSize) || treeSize < 0) throw new RangeError(`bad tree size ${treeSize}`);
  if (!/^[0-9a-f]{64}$/.test(rootHash)) throw new TypeError('rootHash must be 64 lowercase hex digits');
  if (time.includes('\n')) throw new TypeError('time must be one line');
  const privateKey = 'privateKey' in key ? key.privateKey : key;
  const signature = sign(null, Buffer.from(checkpointMessage(treeSize, rootHash, time), 'utf8'), privateKey).toString('base64');
  return { treeSize, rootHash, time, publicKey: rawPublicKeyBase64(createPublicKey(privateKey)), signature };
}

/** Appends one checkpoint line and fsyncs. Repairs a torn last line (crash mid-write) by starting a new line. */
export function appendCheckpoint(file: string, cp: Checkpoint): void {
  mkdirSync(dirname(file), { recursive: true });
  const line = JSON.stringify({ treeSize: cp.treeSize, rootHash: cp.rootHash, time: cp.time, publicKey: cp.publicKey, signature: cp.signature }) + '\n';
  const fd = openSync(file, 'a+', 0o644);
  try {
    const size = fstatSync(fd).size;
    let prefix = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) prefix = '\n';
    }
    writeSync(fd, prefix + line);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Why a parsed line is not a well-formed checkpoint, or null. */
export function checkpointShapeError(v: unknown): string | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not an object';
  const c = v as Record<string, unknown>;
  if (!Number.isSafeInteger(c.treeSize) || (c.treeSize as number) < 0) return 'treeSize is not a non-negative integer';
  if (typeof c.rootHash !== 'string' || !/^[0-9a-f]{64}$/.test(c.rootHash)) return 'rootHash is not 64 lowercase hex digits';
  if (typeof c.time !== 'string' || c.time.includes('\n')) return 'time is not a one-line string';
  if (typeof c.publicKey !== 'string') return 'publicKey is not a string';
  if (typeof c.signature !== 'string') return 'signature is not a string';
  return null;
}

/**
 * All checkpoints in file order; [] when the file does not exist. A line that is not a checkpoint is an
 * AppError naming the line — a damaged checkpoint file is itself a finding, never skipped.
 */
export function readCheckpoints(file: string): Checkpoint[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: Checkpoint[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new AppError('E_AUDIT_CHECKPOINT', `${file} line ${i + 1}: not JSON`);
    }
    const bad = checkpointShapeError(v);
    if (bad) throw new AppError('E_AUDIT_CHECKPOINT', `${file} line ${i + 1}: ${bad}`);
    const c = v as Checkpoint;
    out.push({ treeSize: c.treeSize, rootHash: c.rootHash, time: c.time, publicKey: c.publicKey, signature: c.signature });
  }
  return out;
}

/** A trusted key given as base64 raw key, PEM (public or private) or KeyObject → base64 raw public key. */
export function trustedKeyBase64(k: string | KeyObject): string {
  if (typeof k !== 'string') return rawPublicKeyBase64(k.type === 'private' ? createPublicKey(k) : k);
  const t = k.trim();
  if (t.startsWith('-----BEGIN')) return rawPublicKeyBase64(createPublicKey(t));
  if (!publicKeyFromBase64(t)) throw new AppError('E_AUDIT_KEY', 'trusted public key is not a base64 raw Ed25519 key or a PEM key');
  return t;
}

/**
 * Checks a checkpoint's signature, and — when `trustedPublicKey` is given (base64 raw key or KeyObject) —
 * that it was signed by that key. Without a trusted key anyone can produce a valid-looking checkpoint, so
 * callers should always pin the key (signing.pub, or one published elsewhere).
 */
export function verifyCheckpoint(cp: Checkpoint, trustedPublicKey?: string | KeyObject): { ok: boolean; reason?: string } {
  const bad = checkpointShapeError(cp);
  if (bad) return { ok: false, reason: `malformed checkpoint: ${bad}` };
  const key = publicKeyFromBase64(cp.publicKey);
  if (!key) return { ok: false, reason: 'malformed checkpoint: publicKey is not a base64 raw Ed25519 key' };
  if (trustedPublicKey !== undefined && trustedKeyBase64(trustedPublicKey) !== cp.publicKey) {
    return { ok: false, reason: 'signed by an untrusted key' };
  }
  const sig = Buffer.from(cp.signature, 'base64');
  if (sig.length !== 64 || sig.toString('base64') !== cp.signature) return { ok: false, reason: 'signature invalid' };
  const ok = verify(null, Buffer.from(checkpointMessage(cp.treeSize, cp.rootHash, cp.time), 'utf8'), key, sig);
  return ok ? { ok: true } : { ok: false, reason: 'signature invalid' };
}
