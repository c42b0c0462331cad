// What every route module gets: the container, sessions, the login limiter, and small request helpers.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Container } from '../container.ts';
import { AppError } from '../errors.ts';
import type { Actor } from '../services/audit.ts';
import type { Caller, LoginLimiter, Sessions } from './auth.ts';

export interface HttpCtx {
  c: Container;
  sessions: Sessions;
  limiter: LoginLimiter;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
  interface FastifyContextConfig {
    permission?: string;
  }
}

/** The authenticated actor; the permission hook has already refused anonymous calls to non-public routes. */
export function actorOf(req: FastifyRequest): Actor {
  if (!req.caller) throw new AppError('E_UNAUTHORIZED', 'log in or send "Authorization: Bearer TOKEN"', 'policy', { httpStatus: 401 });
  return req.caller.actor;
}

/** Purpose: query parameter `purpose`, else header X-Vitrine-Purpose. */
export function purposeOf(req: FastifyRequest): string | null {
  const q = (req.query as { purpose?: unknown } | undefined)?.purpose;
  if (typeof q === 'string' && q.trim()) return q.trim();
  const h = req.headers['x-vitrine-purpose'];
  if (typeof h === 'string' && h.trim()) return decodeURIComponent(h.trim());
  return null;
}

/** Untrusted bytes: never rendered by the browser in our origin. */
export function untrustedHeaders(reply: FastifyReply, filename: string): void {
  const safe = filename.replace(/[^\w.\- ]+/g, '_').slice(0, 150) || 'file';
  reply.header('Content-Disposition', `attachment; filename="${safe}"; filename*=UTF-8''${encodeURIComponent(filename.slice(0, 150))}`);
  reply.header('X-Content-Type-Options', 'nosniff');
  reply.header('Content-Security-Policy', "default-src 'none'; sandbox; frame-ancestors 'none'");
  reply.header('Cross-Origin-Resource-Policy', 'same-origin');
}
