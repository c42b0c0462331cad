// Who is calling: a Bearer token (scripts) or a session cookie (the browser, with a CSRF token on writes).
// Sessions live in the database (hashed ids), so restarts and several servers keep them. Failed logins are
// counted per client address and per name; past the limit the login answers 429 until the window passes.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import type { Container } from '../container.ts';
import { hashToken, type UserRow } from '../repositories/users.ts';
import type { Actor } from '../services/audit.ts';

export const SESSION_COOKIE = 'vitrine_session';
const SESSION_TTL_MS = 12 * 3600_000;

export interface Session {
  id: string;
  user: string;
  csrf: string;
  expires: number;
}

/** Browser sessions, kept in the database (hashed ids): restarts and several servers keep them. */
export class Sessions {
  private readonly c: Container;
  private created = 0;

  constructor(c: Container) {
    this.c = c;
  }

  async create(user: string): Promise<Session> {
    const s: Session = { id: randomBytes(32).toString('base64url'), user, csrf: randomBytes(24).toString('base64url'), expires: Date.now() + SESSION_TTL_MS };
    await this.c.repos.users.createSession(hashToken(s.id), user, s.csrf, new Date(s.expires));
    // Expired rows go now and then, not on every login.
    if (++this.created % 100 === 1) await this.c.repos.users.sweepSessions();
    return s;
  }

  /** The live session for this cookie value, with its user re-read (a changed role applies at once). */
  async get(id: string | undefined): Promise<{ session: Session; user: UserRow } | null> {
    if (!id || id.length > 200) return null;
    const r = await this.c.repos.users.sessionUser(hashToken(id));
    return r ? { session: { id, user: r.user.name, csrf: r.csrf, expires: r.expires }, user: r.user } : null;
  }

  async delete(id: string): Promise<void> {
    await this.c.repos.users.deleteSession(hashToken(id));
  }

  /** Logs a user out everywhere (deleted user, new password). */
  async dropUser(user: string): Promise<void> {
    forgetTokens();
    await this.c.repos.users.deleteSessions(user);
  }
}

export interface LimiterOptions {
  windowMs: number;
  perName: number;
  perAddress: number;
}

/** Failed-login counter over a fixed window, keyed by client address and by user name. */
export class LoginLimiter {
  private readonly o: LimiterOptions;
  private readonly fails = new Map<string, { n: number; since: number }>();

  constructor(o: Partial<LimiterOptions> = {}) {
    this.o = { windowMs: 15 * 60_000, perName: 5, perAddress: 20, ...o };
  }

  private count(key: string): { n: number; since: number } {
    const now = Date.now();
    const e = this.fails.get(key);
    if (!e || now - e.since > this.o.windowMs) return { n: 0, since: now };
    return e;
  }

  /** Seconds to wait, or 0 when a login may be tried. */
  retryAfter(address: string, name: string | null): number {
    const checks: [string, number][] = [[`ip:${address}`, this.o.perAddress]];
    if (name) checks.push([`name:${name}`, this.o.perName]);
    let wait = 0;
    for (const [key, max] of checks) {
      const e = this.count(key);
      if (e.n >= max) wait = Math.max(wait, Math.ceil((e.since + this.o.windowMs - Date.now()) / 1000));
    }
    return wait;
  }

  fail(address: string, name: string | null): void {
    for (const key of [`ip:${address}`, ...(name ? [`name:${name}`] : [])]) {
      const e = this.count(key);
      this.fails.set(key, { n: e.n + 1, since: e.since });
    }
    if (this.fails.size > 50_000) this.fails.clear();
  }

  succeed(name: string): void {
    this.fails.delete(`name:${name}`);
  }
}

export interface Caller {
  actor: Actor;
  via: 'bearer' | 'cookie';
  session: Session | null;
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

// Scripts send a token with every request: remember who it belongs to for two seconds (one database
// round trip less per call). Any change to users through the API clears it; a CLI change waits ≤ 2 s.
const TOKEN_TTL_MS = 2000;
const tokenCache = new Map<string, { user: Awaited<ReturnType<Container['repos']['users']['byTokenHash']>>; at: number }>();

async function userForTokenCached(c: Container, token: string) {
  const key = hashToken(token);
  const hit = tokenCache.get(key);
  if (hit && Date.now() - hit.at < TOKEN_TTL_MS) return hit.user;
  const user = await c.repos.users.byTokenHash(key);
  if (tokenCache.size > 1000) tokenCache.clear();
  if (user) tokenCache.set(key, { user, at: Date.now() });
  return user;
}

export function forgetTokens(): void {
  tokenCache.clear();
}

const unauthorized = (message: string) => new AppError('E_UNAUTHORIZED', message, 'policy', { httpStatus: 401 });

/** The caller of this request, or null when it carries no credentials at all. Bad credentials throw 401. */
export async function identify(req: FastifyRequest, c: Container, sessions: Sessions): Promise<Caller | null> {
  const h = req.headers.authorization;
  if (h) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    if (!m) throw unauthorized('the Authorization header must be "Bearer TOKEN"');
    const u = await userForTokenCached(c, m[1]!);
    if (!u) throw unauthorized('unknown or revoked token');
    return { actor: { name: u.name, role: u.role, collection: u.collection }, via: 'bearer', session: null };
  }
  // A deleted user's sessions go with the user (ON DELETE CASCADE): such a cookie is simply no session.
  const found = await sessions.get(req.cookies?.[SESSION_COOKIE]);
  if (!found) return null;
  const { session: s, user: u } = found;
  const unsafe = !['GET', 'HEAD', 'OPTIONS'].includes(req.method);
  if (unsafe) {
    const t = req.headers['x-csrf-token'];
    if (typeof t !== 'string' || !safeEqual(t, s.csrf))
      throw new AppError('E_CSRF', 'missing or wrong X-CSRF-Token header (log in again if this persists)', 'policy', { httpStatus: 403 });
  }
  return { actor: { name: u.name, role: u.role, collection: u.collection }, via: 'cookie', session: s };
}

export { unauthorized };
