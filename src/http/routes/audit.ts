// Auditors: the audit log (filtered; without a cursor, the newest page), its verification, and the
// transparency report (JSON, or the same HTML as `vitrine report --out`).
import type { FastifyInstance } from 'fastify';
import { renderReportHtml } from '../../services/governance/report-html.ts';
import { actorOf, type HttpCtx } from '../context.ts';
import { arr, AuditEvent, bool, errors, int, Loose, obj, str } from '../schemas.ts';

export function registerAuditRoutes(app: FastifyInstance, { c }: HttpCtx): void {
  const admin = c.governance.auditAdmin;

  app.get('/audit/log', {
    schema: {
      summary: 'Audit events (as `vitrine audit log`); without afterSeq, the latest `limit` matching events', tags: ['audit'],
      querystring: obj({
        since: { type: 'string', maxLength: 40 }, actor: str, action: str,
        afterSeq: { type: 'integer', minimum: 0 }, limit: { type: 'integer', minimum: 1, maximum: 5000, default: 200 },
      }),
      response: { 200: obj({ events: arr(AuditEvent), head: int }, ['events', 'head']), ...errors(400, 401, 403) },
    },
  }, async (req) => {
    const q = req.query as { since?: string; actor?: string; action?: string; afterSeq?: number; limit: number };
    const actor = actorOf(req);
    const head = (await c.repos.audit.head())?.seq ?? 0;
    const f = { ...(q.since ? { since: q.since } : {}), ...(q.actor ? { actor: q.actor } : {}), ...(q.action ? { action: q.action } : {}) };
    let events;
    if (q.afterSeq !== undefined) events = await admin.log(actor, { ...f, after: q.afterSeq, limit: q.limit });
    else if (!q.since && !q.actor && !q.action) events = await admin.log(actor, { after: Math.max(0, head - q.limit), limit: q.limit });
    else events = (await admin.log(actor, { ...f, limit: 100_000 })).slice(-q.limit);
    return { events, head };
  });

  app.get('/audit/verify', {
    schema: {
      summary: 'Re-check the hash chain and the signed checkpoints (as `vitrine audit verify`)', tags: ['audit'],
      response: {
        200: obj({ ok: bool, events: int, checkpoints: int, firstBroken: obj({ seq: { type: ['integer', 'null'] }, reason: str }), rootHash: str, publicKey: { type: ['string', 'null'] } }, ['ok', 'events', 'checkpoints']),
        ...errors(401, 403),
      },
    },
  }, async (req) => admin.verify(actorOf(req)));

  app.get('/report', {
    schema: {
      summary: 'Transparency report (as `vitrine report`); format=html gives the printable page with charts', tags: ['audit'],
      querystring: obj({ format: { type: 'string', enum: ['json', 'html'], default: 'json' } }),
      response: { 200: Loose, ...errors(401, 403) },
    },
  }, async (req, reply) => {
    const r = await c.governance.report.build(actorOf(req));
    if ((req.query as { format: string }).format === 'html') {
      reply.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'");
      return reply.type('text/html; charset=utf-8').send(renderReportHtml(r));
    }
    return r;
  });
}
