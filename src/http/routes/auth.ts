// Browser login (token or name + password) → httpOnly SameSite session cookie + CSRF token; logout; me.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.ts';
import { hashToken } from '../../repositories/users.ts';
import type { Action } from '../../services/access.ts';
import type { Actor } from '../../services/audit.ts';
import { SESSION_COOKIE } from '../auth.ts';
import { actorOf, type HttpCtx } from '../context.ts';
import { errors, Me, obj, str } from '../schemas.ts';
import { checkPassword } from './passwords.ts';

const ACTIONS: Action[] = ['search', 'show', 'export', 'ingest', 'erase', 'hold', 'retention', 'audit', 'admin'];

export function registerAuthRoutes(app: FastifyInstance, ctx: HttpCtx): void {
  const { c } = ctx;
  const permissions = (a: Actor) => ACTIONS.filter((x) => c.access.can(a, x, null));

  app.post('/login', {
    schema: {
      summary: 'Log in the browser: sets the session cookie and returns the CSRF token for writes',
      tags: ['auth'],
      body: {
        oneOf: [
          obj({ token: { type: 'string', minLength: 1, maxLength: 500 } }, ['token']),
          obj({ name: { type: 'string', minLength: 1, maxLength: 200 }, password: { type: 'string', minLength: 1, maxLength: 1000 } }, ['name', 'password']),
        ],
      },
      response: { 200: Me, ...errors(400, 401, 429) },
    },
  }, async (req: FastifyRequest, reply: FastifyReply) => {
    const body = req.body as { token?: string; name?: string; password?: string };
    const address = req.ip;
    const claimed = body.name ?? null;
    const wait = ctx.limiter.retryAfter(address, claimed);
    if (wait > 0) {
      await c.audit.record({ actor: claimed ?? 'anonymous', action: 'auth', target: null, purpose: null, outcome: 'refused', detail: { reason: 'rate limited', address } });
      throw new AppError('E_RATE_LIMITED', `too many failed logins; try again in ${wait} s`, 'policy', { httpStatus: 429 });
    }
    let user = body.token ? await c.repos.users.byTokenHash(hashToken(body.token)) : null;
    if (!body.token && body.name && body.password) {
      user = (await checkPassword(c, body.name, body.password)) ? await c.repos.users.get(body.name) : null;
    }
    if (!user) {
      ctx.limiter.fail(address, claimed);
      await c.audit.record({ actor: claimed ?? 'anonymous', action: 'auth', target: null, purpose: null, outcome: 'refused', detail: { reason: body.token ? 'bad token' : 'bad name or password', address } });
      throw new AppError('E_UNAUTHORIZED', body.token ? 'unknown or revoked token' : 'wrong name or password', 'policy', { httpStatus: 401 });
    }
    ctx.limiter.succeed(user.name);
    const s = await ctx.sessions.create(user.name);
    reply.setCookie(SESSION_COOKIE, s.id, { httpOnly: true, sameSite: 'strict', path: '/', secure: req.protocol === 'https', maxAge: 12 * 3600 });
    await c.audit.record({ actor: user.name, action: 'auth', target: null, purpose: null, outcome: 'ok', detail: { via: body.token ? 'token' : 'password', address } });
    const actor = { name: user.name, role: user.role, collection: user.collection };
    return { ...actor, csrfToken: s.csrf, permissions: permissions(actor) };
  });

  app.post('/logout', { schema: { summary: 'End the browser session', tags: ['auth'], response: { 200: obj({ ok: { type: 'boolean' } }), ...errors(401, 403) } } }, async (req, reply) => {
    if (req.caller?.session) await ctx.sessions.delete(req.caller.session.id);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });

  app.get('/me', { schema: { summary: 'Who you are, what your role allows, and (browser) the CSRF token', tags: ['auth'], response: { 200: Me, ...errors(401) } } }, async (req) => {
    const a = actorOf(req);
    return { ...a, ...(req.caller?.session ? { csrfToken: req.caller.session.csrf } : {}), permissions: permissions(a) };
  });
  void str;
}
