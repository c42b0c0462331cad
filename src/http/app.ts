// The Fastify application: permission hook (from permissions.ts), error mapping, security headers,
// the API routes, OpenAPI, and the web UI's static files with a single-page fallback.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import type { Container } from '../container.ts';
import { AppError, toAppError } from '../errors.ts';
import { identify, LoginLimiter, Sessions, type LimiterOptions } from './auth.ts';
import type { HttpCtx } from './context.ts';
import { buildOpenApi, referencePage, type RouteDoc } from './openapi.ts';
import { permissionFor, type Permission } from './permissions.ts';
import { registerStatic } from './static.ts';
import { registerAuthRoutes } from './routes/auth.ts';
import { registerSearchRoutes } from './routes/search.ts';
import { registerAssetRoutes } from './routes/assets.ts';
import { registerUploadRoutes } from './routes/uploads.ts';
import { registerStatusRoutes } from './routes/status.ts';
import { registerAdminRoutes } from './routes/admin.ts';
import { registerAuditRoutes } from './routes/audit.ts';
import { registerGovernanceRoutes } from './routes/governance.ts';

export interface AppOptions {
  /** Built web UI (web/dist); omitted or missing: the API only. */
  webDir?: string;
  limiter?: Partial<LimiterOptions>;
  /** Tests add a route here to prove an undeclared route is refused. */
  extraRoutes?: (app: FastifyInstance) => void;
  logger?: boolean;
}

const ROOT = join(new URL('.', import.meta.url).pathname, '..', '..');
const VERSION = (() => {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
  } catch {
    return '0.0.0';
  }
})();

export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

export async function buildApp(c: Container, o: AppOptions = {}): Promise<FastifyInstance & { ctx: HttpCtx }> {
  const app = Fastify({
    logger: o.logger ?? false, bodyLimit: 1024 * 1024, trustProxy: false,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: true, useDefaults: true } },
    routerOptions: { maxParamLength: 200 },
  });
  const ctx: HttpCtx = { c, sessions: new Sessions(c), limiter: new LoginLimiter(o.limiter) };
  const routes: RouteDoc[] = [];
  await app.register(cookie);
  app.decorateRequest('caller', null);

  // Every API route must be in the permission table; an undeclared route stops the server from starting.
  app.addHook('onRoute', (r) => {
    if (!r.url.startsWith('/api/')) return;
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    for (const m of methods) {
      const p = permissionFor(m, r.url);
      if (!p) throw new Error(`route ${m} ${r.url} has no permission in src/http/permissions.ts`);
      r.config = { ...(r.config ?? {}), permission: p };
      if (!r.url.endsWith('/openapi.json') && !r.url.endsWith('/docs')) routes.push({ method: m, url: r.url, permission: p, schema: r.schema as RouteDoc['schema'] });
    }
  });

  app.addHook('onRequest', async (req) => {
    const perm = req.routeOptions.config?.permission as Permission | undefined;
    if (!perm || perm === 'public') return;
    const address = req.ip;
    if (req.headers.authorization) {
      const wait = ctx.limiter.retryAfter(address, null);
      if (wait > 0) throw new AppError('E_RATE_LIMITED', `too many failed logins from your address; try again in ${wait} s`, 'policy', { httpStatus: 429 });
    }
    try {
      req.caller = await identify(req, c, ctx.sessions);
    } catch (e) {
      if (e instanceof AppError && e.httpStatus === 401 && req.headers.authorization) {
        ctx.limiter.fail(address, null);
        await c.audit.record({ actor: 'anonymous', action: 'auth', target: null, purpose: null, outcome: 'refused', detail: { reason: e.message, address, via: 'bearer' } });
      }
      throw e;
    }
    if (!req.caller) throw new AppError('E_UNAUTHORIZED', 'log in, or send "Authorization: Bearer TOKEN"', 'policy', { httpStatus: 401 });
    // The role check; collections and purposes are checked by the services with the asset in hand.
    if (perm !== 'user') await c.access.check(req.caller.actor, perm, null, null, null);
  });

  app.addHook('onSend', async (req, reply) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    if (!reply.hasHeader('Content-Security-Policy')) reply.header('Content-Security-Policy', API_CSP);
    if (!reply.hasHeader('Cache-Control') && req.url.startsWith('/api/')) reply.header('Cache-Control', 'no-store');
  });

  app.setErrorHandler(async (err: any, _req, reply) => {
    let status: number;
    let code: string;
    let message: string;
    if (err.validation) {
      status = 400;
      code = 'E_VALIDATION';
      message = err.message;
    } else if (!(err instanceof AppError) && typeof err.statusCode === 'number' && err.statusCode < 500) {
      status = err.statusCode;
      code = status === 413 ? 'E_TOO_LARGE' : status === 415 ? 'E_UNSUPPORTED_MEDIA_TYPE' : err.code ?? 'E_BAD_REQUEST';
      message = err.message;
    } else {
      const e = toAppError(err);
      status = e.httpStatus;
      code = e.code;
      message = e.message;
      if (status >= 500) c.log.error({ err }, 'request failed');
      if (code === 'E_RATE_LIMITED') reply.header('Retry-After', String(/(\d+) s/.exec(message)?.[1] ?? 60));
    }
    if (reply.sent || reply.raw.headersSent) return;
    reply.code(status).type('application/json').send({ error: { code, message } });
  });

  const api = { prefix: '/api/v1' };
  await app.register(async (a) => registerAuthRoutes(a, ctx), api);
  await app.register(async (a) => registerSearchRoutes(a, ctx), api);
  await app.register(async (a) => registerAssetRoutes(a, ctx), api);
  await app.register(async (a) => registerUploadRoutes(a, ctx), api);
  await app.register(async (a) => registerStatusRoutes(a, ctx), api);
  await app.register(async (a) => registerAdminRoutes(a, ctx), api);
  await app.register(async (a) => registerAuditRoutes(a, ctx), api);
  await app.register(async (a) => registerGovernanceRoutes(a, ctx), api);
  if (o.extraRoutes) o.extraRoutes(app);

  let doc: unknown = null;
  const openapi = () => (doc ??= buildOpenApi(routes, VERSION));
  app.get('/api/v1/openapi.json', { schema: { hide: true } as never }, async () => openapi());
  app.get('/api/v1/docs', async (_req, reply) => {
    reply.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
    return reply.type('text/html; charset=utf-8').send(referencePage(openapi()));
  });

  registerStatic(app, o.webDir ?? join(ROOT, 'web', 'dist'));
  (app as unknown as { ctx: HttpCtx }).ctx = ctx;
  return app as unknown as FastifyInstance & { ctx: HttpCtx };
}

export { VERSION };
