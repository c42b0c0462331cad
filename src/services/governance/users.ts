// Users and roles. `user add` prints the API token once; only its SHA-256 is stored. Passwords (for the
// browser login) are stored as scrypt hashes: `scrypt$N$r$p$salt$hash` (base64), verified in constant time.
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { notFound, refused, usageError } from '../../errors.ts';
import type { AssetsRepo } from '../../repositories/assets.ts';
import { hashToken, type UserRow, type UsersRepo } from '../../repositories/users.ts';
import { newToken } from '../../util/ids.ts';
import { ROLES, type AccessPolicy } from '../access.ts';
import type { Actor, AuditService } from '../audit.ts';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const SCRYPT = { N: 1 << 15, r: 8, p: 1 };
const KEYLEN = 32;

function scrypt(password: string, salt: Buffer, o: { N: number; r: number; p: number }): Promise<Buffer> {
  const opts: ScryptOptions = { N: o.N, r: o.r, p: o.p, maxmem: 256 * o.N * o.r + (1 << 20) };
  return new Promise((resolve, reject) => scryptCb(password, salt, KEYLEN, opts, (e, k) => (e ? reject(e) : resolve(k))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** True when `password` matches a hash made by hashPassword (false for anything malformed). */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  if (!stored) return false;
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
  if (!m) return false;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (N > 1 << 20 || r > 32 || p > 16) return false;
  const want = Buffer.from(m[5]!, 'base64');
  if (want.length !== KEYLEN) return false;
  const got = await scrypt(password, Buffer.from(m[4]!, 'base64'), { N, r, p });
  return timingSafeEqual(got, want);
}

/** The user an API token belongs to, or null. */
export async function userForToken(users: UsersRepo, token: string): Promise<UserRow | null> {
  if (!token.startsWith('vt_')) return null;
  return users.byTokenHash(hashToken(token));
}

export class UserService {
  private readonly d: { users: UsersRepo; assets: AssetsRepo; access: AccessPolicy; audit: AuditService };
  constructor(d: UserService['d']) {
    this.d = d;
  }

  private async admin(actor: Actor, target: string | null): Promise<void> {
    // Only an unscoped admin manages users: a collection admin could otherwise mint a global one.
    await this.d.access.check(actor, 'admin', null, null, target);
    if (actor.collection !== null) {
      await this.d.audit.record({ actor: actor.name, action: 'user', target, purpose: null, outcome: 'refused', detail: { reason: `admin of collection ${actor.collection} only` } });
      throw refused('E_FORBIDDEN', `${actor.name} administers collection "${actor.collection}" only; users are managed by an unscoped admin`);
    }
  }

  async add(name: string, role: string, collection: string | null, actor: Actor): Promise<{ name: string; role: string; collection: string | null; token: string }> {
    if (!NAME.test(name)) throw usageError('a user name is 1–64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit');
    if (!ROLES.includes(role)) throw usageError(`--role must be one of ${ROLES.join(', ')}`);
    await this.admin(actor, `user:${name}`);
    if (collection) await this.d.assets.ensureCollections([collection]);
    const token = newToken();
    const existed = !!(await this.d.users.get(name));
    await this.d.users.upsert({ name, role, collection, tokenHash: hashToken(token), createdBy: actor.name });
    // A new role or scope: browser sessions opened under the old one end (from the CLI as from the API).
    if (existed) await this.d.users.deleteSessions(name);
    await this.d.audit.record({
      actor: actor.name, action: 'user', target: `user:${name}`, purpose: null, outcome: 'ok',
      detail: { op: existed ? 'replace' : 'add', role, collection },
    });
    return { name, role, collection, token };
  }

  async list(actor: Actor): Promise<UserRow[]> {
    await this.admin(actor, null);
    return this.d.users.list();
  }

  async remove(name: string, actor: Actor): Promise<{ removed: string }> {
    await this.admin(actor, `user:${name}`);
    if (!(await this.d.users.delete(name))) throw notFound(`user ${name}`);
    await this.d.audit.record({ actor: actor.name, action: 'user', target: `user:${name}`, purpose: null, outcome: 'ok', detail: { op: 'remove' } });
    return { removed: name };
  }

  async setPassword(name: string, password: string, actor: Actor): Promise<{ name: string; password: true }> {
    await this.admin(actor, `user:${name}`);
    if (password.length < 10) throw usageError('a password needs at least 10 characters');
    if (!(await this.d.users.get(name))) throw notFound(`user ${name}`);
    await this.d.users.setPasswordHash(name, await hashPassword(password));
    await this.d.users.deleteSessions(name);
    await this.d.audit.record({ actor: actor.name, action: 'user', target: `user:${name}`, purpose: null, outcome: 'ok', detail: { op: 'password' } });
    return { name, password: true };
  }
}
